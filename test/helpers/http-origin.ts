import { createHash, randomBytes } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { KeyPair } from './tls.js';

/** A fixture: literal bytes, or a large file produced piecewise so it never sits in memory whole. */
export type OriginFile =
  Buffer | { readonly size: number; readonly generate: (offset: number, length: number) => Buffer };

/** How the origin (mis)behaves for a path. */
export type OriginMode =
  | { readonly kind: 'serve' }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'serverError' }
  /** Answers `status` (default 503) to the first `count` requests, then serves. */
  | { readonly kind: 'failFirst'; readonly count: number; readonly status?: number }
  /** `location: null` sends a redirect without a Location header. */
  | { readonly kind: 'redirect'; readonly location: string | null; readonly status?: number }
  /**
   * Headers with the full Content-Length, about half of the requested bytes, then the socket is destroyed;
   * for the first `times` requests (default: always), then serves. With `changeEtag` the entity's ETag
   * changes after each drop, so an If-Range no longer matches.
   */
  | { readonly kind: 'dropMidBody'; readonly times?: number; readonly changeEtag?: boolean }
  /** Content-Length `by` bytes longer (body cut short, then closed) or shorter than the bytes sent. */
  | { readonly kind: 'wrongLength'; readonly announce: 'longer' | 'shorter'; readonly by?: number }
  /** Headers only after `delayMs` (default never). */
  | { readonly kind: 'stallHeaders'; readonly delayMs?: number }
  /** Headers with the full length, `bytes` one at a time every `intervalMs`, then silence. */
  | { readonly kind: 'trickleThenStop'; readonly bytes: number; readonly intervalMs?: number }
  /** Headers announcing `announce` bytes, then silence: a client must refuse before reading. */
  | { readonly kind: 'oversize'; readonly announce: number }
  /** No Content-Length: chunked transfer encoding. */
  | { readonly kind: 'chunked' };

export interface OriginOptions {
  readonly files: Record<string, OriginFile>;
  readonly tls?: KeyPair;
  /** Every path then needs these Basic credentials; otherwise 401 with a WWW-Authenticate challenge. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Mode for paths without an entry in `modes`. Default `serve`. */
  readonly mode?: OriginMode;
  readonly modes?: Record<string, OriginMode>;
  /** Send `Accept-Ranges: bytes`, a strong ETag and Last-Modified, and honour Range/If-Range. */
  readonly ranges?: boolean;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly hadAuth: boolean;
  readonly headers: IncomingMessage['headers'];
}

export interface HttpOrigin {
  /** `http(s)://127.0.0.1:<port>` without a trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly requests: LoggedRequest[];
  /** Sets the mode of one path from now on (for redirects that must name this origin's own port). */
  setMode(path: string, mode: OriginMode): void;
  /** Destroys open sockets, clears timers and closes the listener. */
  close(): Promise<void>;
}

const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';
const PIECE = 1 << 20;

export async function startHttpOrigin(options: OriginOptions): Promise<HttpOrigin> {
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const counts = new Map<string, number>();
  const modes = new Map<string, OriginMode>(Object.entries(options.modes ?? {}));
  let etagGeneration = 1;
  const expectedAuth =
    options.auth === undefined
      ? null
      : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const rawPath = req.url ?? '/';
    const path = rawPath.split('?')[0] ?? '/';
    requests.push({
      method: req.method ?? '',
      path: rawPath,
      hadAuth: req.headers.authorization !== undefined,
      headers: req.headers,
    });
    const seen = (counts.get(path) ?? 0) + 1;
    counts.set(path, seen);

    if (expectedAuth !== null && req.headers.authorization !== expectedAuth) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="packages"', 'content-length': '0' }).end();
      return;
    }
    const mode = modes.get(path) ?? options.mode ?? { kind: 'serve' };
    const file = options.files[path];
    const simple = (status: number): void => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': '5' }).end('nope\n');
    };

    switch (mode.kind) {
      case 'notFound':
        simple(404);
        return;
      case 'serverError':
        simple(500);
        return;
      case 'failFirst':
        if (seen <= mode.count) {
          simple(mode.status ?? 503);
          return;
        }
        break;
      case 'redirect':
        res.writeHead(mode.status ?? 302, mode.location === null ? {} : { location: mode.location });
        res.end();
        return;
      case 'stallHeaders':
        if (mode.delayMs !== undefined)
          later(mode.delayMs, () => {
            serve();
          });
        return;
      default:
        break;
    }
    if (file === undefined) {
      simple(404);
      return;
    }
    serve();

    function serve(): void {
      if (file === undefined) return;
      const size = Buffer.isBuffer(file) ? file.length : file.size;
      const etag = `"v${etagGeneration}-${size}"`;
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (options.ranges === true) {
        headers['accept-ranges'] = 'bytes';
        headers.etag = etag;
        headers['last-modified'] = LAST_MODIFIED;
      }
      let start = 0;
      let status = 200;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const ifRange = req.headers['if-range'];
      if (
        options.ranges === true &&
        range !== null &&
        (ifRange === undefined || ifRange === etag || ifRange === LAST_MODIFIED)
      ) {
        start = Number(range[1]);
        status = 206;
        headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
      }
      const length = size - start;

      switch (mode.kind) {
        case 'dropMidBody':
          if (mode.times === undefined || seen <= mode.times) {
            if (mode.changeEtag === true) etagGeneration++;
            res.writeHead(status, { ...headers, 'content-length': String(length) });
            res.flushHeaders();
            const half = slice(file, start, Math.floor(length / 2));
            res.socket?.write(half, () => res.socket?.destroy());
            return;
          }
          break;
        case 'wrongLength': {
          const by = mode.by ?? 10;
          const announced = mode.announce === 'longer' ? length + by : length - by;
          const socket = req.socket;
          socket.write(
            `HTTP/1.1 ${status} OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${announced}\r\nconnection: close\r\n\r\n`,
          );
          socket.write(slice(file, start, length), () => socket.destroy());
          return;
        }
        case 'trickleThenStop': {
          res.writeHead(status, { ...headers, 'content-length': String(length) });
          res.flushHeaders();
          let sent = 0;
          const tick = (): void => {
            if (sent >= mode.bytes || res.destroyed) return;
            res.write(slice(file, start + sent, 1));
            sent++;
            later(mode.intervalMs ?? 10, tick);
          };
          tick();
          return;
        }
        case 'oversize':
          res.writeHead(200, { ...headers, 'content-length': String(mode.announce) });
          res.flushHeaders();
          return;
        case 'chunked':
          res.writeHead(status, headers);
          streamBody(res, file, start, length);
          return;
        default:
          break;
      }
      res.writeHead(status, { ...headers, 'content-length': String(length) });
      streamBody(res, file, start, length);
    }
  };

  const server: Server =
    options.tls === undefined ? createHttpServer(handle) : createHttpsServer(options.tls, handle);
  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Raw TCP sockets too, so a TLS handshake that never finishes is still destroyed on close().
  if (options.tls !== undefined) {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    requests,
    setMode: (path, mode) => {
      modes.set(path, mode);
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

function slice(file: OriginFile, offset: number, length: number): Buffer {
  if (Buffer.isBuffer(file)) return file.subarray(offset, offset + length);
  return file.generate(offset, length);
}

/** Writes `length` bytes from `offset` in pieces, waiting for 'drain', so large files stream. */
function streamBody(res: ServerResponse, file: OriginFile, offset: number, length: number): void {
  let pos = offset;
  const end = offset + length;
  const pump = (): void => {
    while (pos < end) {
      const n = Math.min(PIECE, end - pos);
      const chunk = slice(file, pos, n);
      pos += n;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => res.off('drain', pump));
  pump();
}

/**
 * A large deterministic file: one random 1 MiB block repeated. Generating a piece costs a subarray when it
 * lies inside one block, so the origin is never the bottleneck of a measurement.
 */
export function patternFile(size: number): {
  readonly size: number;
  readonly generate: (o: number, l: number) => Buffer;
} {
  const block = randomBytes(PIECE);
  return {
    size,
    generate: (offset, length) => {
      const at = offset % PIECE;
      if (at + length <= PIECE) return block.subarray(at, at + length);
      const parts: Buffer[] = [];
      let pos = offset;
      const end = offset + length;
      while (pos < end) {
        const a = pos % PIECE;
        const n = Math.min(PIECE - a, end - pos);
        parts.push(block.subarray(a, a + n));
        pos += n;
      }
      return Buffer.concat(parts);
    },
  };
}

/** sha256 (hex) of a fixture, computed piecewise. */
export function sha256Of(file: OriginFile): string {
  const hash = createHash('sha256');
  if (Buffer.isBuffer(file)) return hash.update(file).digest('hex');
  for (let pos = 0; pos < file.size; pos += PIECE)
    hash.update(file.generate(pos, Math.min(PIECE, file.size - pos)));
  return hash.digest('hex');
}

export interface CollectingSink {
  readonly sink: Writable;
  readonly bytes: () => number;
  readonly sha256: () => string;
  /** Everything written, when `keep` was set. */
  readonly contents: () => Buffer;
}

/**
 * A sink like the image store's: hashes what it is given. A small highWaterMark and an occasionally deferred
 * callback make writers meet backpressure and wait for 'drain'.
 */
export function collectingSink(keep = true): CollectingSink {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let count = 0;
  let writes = 0;
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      count += chunk.length;
      if (keep) kept.push(chunk);
      if (++writes % 4 === 0) setImmediate(callback);
      else callback();
    },
  });
  return {
    sink,
    bytes: () => count,
    sha256: () => hash.copy().digest('hex'),
    contents: () => Buffer.concat(kept),
  };
}
