import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface DripOptions {
  /** Announced Content-Length; the body never reaches it unless `dripBytes` gets there. */
  readonly size: number;
  /** Sent at once after the headers. */
  readonly headBytes: number;
  /** Then this many bytes every `intervalMs`. */
  readonly dripBytes: number;
  readonly intervalMs: number;
  /** No Content-Length (chunked), so the receiver cannot know the size in advance. */
  readonly chunked?: boolean;
  /** Host to listen on (default 127.0.0.1). */
  readonly host?: string;
}

export interface DripOrigin {
  readonly url: string;
  readonly port: number;
  /** Requests received, by path. */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP origin whose body is slow: `headBytes` at once, then a trickle, so a download stays in its
 * transfer phase (with bytes on disk) for as long as a test needs. Every path serves the same body.
 */
export async function startDripOrigin(options: DripOptions): Promise<DripOrigin> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '/');
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (options.chunked !== true) headers['content-length'] = String(options.size);
    res.writeHead(200, headers);
    let sent = 0;
    const send = (n: number): void => {
      const len = Math.min(n, options.size - sent);
      if (len <= 0) return;
      res.write(Buffer.alloc(len, sent % 251));
      sent += len;
    };
    send(options.headBytes);
    const tick = (): void => {
      timers.delete(timer);
      if (res.destroyed || sent >= options.size) {
        if (!res.destroyed) res.end();
        return;
      }
      send(options.dripBytes);
      timer = setTimeout(tick, options.intervalMs);
      timers.add(timer);
    };
    let timer = setTimeout(tick, options.intervalMs);
    timers.add(timer);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
