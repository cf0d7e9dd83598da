import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';

/** A file's bytes, or a size for generated (pseudo-random, repeatable within the process) content. */
export type FtpFile = Buffer | number;

export interface FtpOriginOptions {
  /** Absolute paths (`/pub/a.tgz`) to content. Relative paths in commands are resolved against `/`. */
  readonly files: Readonly<Record<string, FtpFile>>;
  /** The one account accepted besides anonymous; without it only anonymous logins can succeed. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Accept `anonymous`/`ftp` with any password. Default: true when no credentials are configured. */
  readonly allowAnonymous?: boolean;
  /** Enables `AUTH TLS`, `PBSZ`, `PROT P` with this certificate; without it `AUTH` answers 502. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Default true; false answers `SIZE` with 502. */
  readonly supportSize?: boolean;
  /** Default true; false answers `REST` with 502. */
  readonly supportRest?: boolean;
  /** Default true; false answers `EPSV` with 502, so clients fall back to PASV. */
  readonly supportEpsv?: boolean;
  /** Closes the data connection after this many bytes of a RETR (counted from its start offset)… */
  readonly dropAfterBytes?: number;
  /** …for this many RETRs (default 1), then serves normally. */
  readonly dropTimes?: number;
  /** Control reply after a drop: 426 (default, what real servers say) or 226 (a server that lies). */
  readonly dropReply?: 426 | 226;
  /** Stops sending (sockets stay open, no reply) after this many bytes of a RETR… */
  readonly stallAfterBytes?: number;
  /** …for this many RETRs (default: all of them). */
  readonly stallTimes?: number;
}

export interface FtpOrigin {
  readonly host: string;
  readonly port: number;
  /** `ftp://127.0.0.1:<port><path>` (or `ftps://`). */
  url(path: string, scheme?: 'ftp' | 'ftps'): string;
  /** Every command received, in order, with PASS arguments replaced by `***`. */
  readonly commands: readonly string[];
  /** Control and data connections that are still open on the server side. */
  openSockets(): number;
  /** Destroys every socket, closes the listeners and clears timers; never hangs. */
  close(): Promise<void>;
}

const PATTERN = randomBytes(1024 * 1024 + 7);
const CHUNK = 256 * 1024;

/** The bytes of a file from `offset` to its end, as views into shared buffers (no copies). */
export function* contentOf(file: FtpFile, offset = 0): Generator<Buffer> {
  if (typeof file !== 'number') {
    for (let pos = offset; pos < file.length; pos += CHUNK)
      yield file.subarray(pos, Math.min(pos + CHUNK, file.length));
    return;
  }
  for (let pos = offset; pos < file;) {
    const start = pos % PATTERN.length;
    const length = Math.min(CHUNK, file - pos, PATTERN.length - start);
    yield PATTERN.subarray(start, start + length);
    pos += length;
  }
}

export function sizeOf(file: FtpFile): number {
  return typeof file === 'number' ? file : file.length;
}

export function sha256Of(file: FtpFile): string {
  const hash = createHash('sha256');
  for (const chunk of contentOf(file)) hash.update(chunk);
  return hash.digest('hex');
}

interface Session {
  control: Socket;
  user: string | null;
  loggedIn: boolean;
  protectData: boolean;
  restOffset: number;
  passive: Server | null;
  dataSocket: Promise<Socket> | null;
  closed: Promise<void>;
}

/** A small FTP server on 127.0.0.1 for tests (RFC 959/2228/2389/3659 subset that basic-ftp and curl use). */
export async function startFtpOrigin(options: FtpOriginOptions): Promise<FtpOrigin> {
  const sockets = new Set<Socket>();
  const listeners = new Set<Server>();
  const commands: string[] = [];
  const secureContext: SecureContext | null = options.tls ? createSecureContext(options.tls) : null;
  const allowAnonymous = options.allowAnonymous ?? options.credentials === undefined;
  let drops = 0;
  let stalls = 0;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };

  const resolvePath = (arg: string): string => (arg.startsWith('/') ? arg : `/${arg}`);

  const server = createServer((raw) => {
    track(raw);
    const session: Session = {
      control: raw,
      user: null,
      loggedIn: false,
      protectData: false,
      restOffset: 0,
      passive: null,
      dataSocket: null,
      closed: new Promise((resolve) =>
        raw.once('close', () => {
          resolve();
        }),
      ),
    };
    const reply = (code: number, text: string): void => {
      if (!session.control.destroyed) session.control.write(`${code} ${text}\r\n`);
    };

    let buffered = '';
    const queue: string[] = [];
    let busy = false;
    const onData = (data: Buffer): void => {
      buffered += data.toString('utf8');
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        queue.push(buffered.slice(0, i).replace(/\r$/, ''));
        buffered = buffered.slice(i + 1);
      }
      void drain();
    };
    const drain = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (let line = queue.shift(); line !== undefined; line = queue.shift()) await handle(line);
      } finally {
        busy = false;
      }
    };

    const openPassive = async (): Promise<number> => {
      session.passive?.close();
      const listener = createServer();
      listeners.add(listener);
      session.passive = listener;
      session.dataSocket = new Promise<Socket>((resolve) => {
        listener.once('connection', (socket) => {
          track(socket);
          listener.close();
          listeners.delete(listener);
          if (session.protectData && secureContext !== null) {
            const secure = new TLSSocket(socket, { isServer: true, secureContext });
            track(secure);
            resolve(secure);
          } else {
            resolve(socket);
          }
        });
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const address = listener.address();
      if (address === null || typeof address === 'string') throw new Error('passive listener has no port');
      return address.port;
    };

    const upgradeControl = (): void => {
      if (secureContext === null) return;
      raw.off('data', onData);
      const secure = new TLSSocket(raw, { isServer: true, secureContext });
      track(secure);
      secure.on('data', onData);
      session.control = secure;
    };

    const retr = async (path: string): Promise<void> => {
      const file = options.files[path];
      const offset = session.restOffset;
      session.restOffset = 0;
      if (file === undefined) {
        reply(550, 'Failed to open file.');
        return;
      }
      if (session.dataSocket === null) {
        reply(425, 'Use PORT or PASV first.');
        return;
      }
      const pending = session.dataSocket;
      session.dataSocket = null;
      reply(150, `Opening BINARY mode data connection for ${path} (${sizeOf(file)} bytes).`);
      const data = await Promise.race([pending, session.closed.then(() => null)]);
      if (data === null) return;
      const drop = options.dropAfterBytes !== undefined && drops < (options.dropTimes ?? 1);
      const stall = options.stallAfterBytes !== undefined && stalls < (options.stallTimes ?? Infinity);
      let limit = Infinity;
      if (drop) {
        drops++;
        limit = options.dropAfterBytes ?? 0;
      } else if (stall) {
        stalls++;
        limit = options.stallAfterBytes ?? 0;
      }
      const gone = new Promise<void>((resolve) =>
        data.once('close', () => {
          resolve();
        }),
      );
      let sent = 0;
      for (const whole of contentOf(file, offset)) {
        if (data.destroyed || sent >= limit) break;
        const chunk = whole.subarray(0, Math.min(whole.length, limit - sent));
        sent += chunk.length;
        const flushed = new Promise<void>((resolve) =>
          data.write(chunk, () => {
            resolve();
          }),
        );
        if (data.writableNeedDrain || sent >= limit) await Promise.race([flushed, gone]);
      }
      if (data.destroyed) {
        reply(426, 'Connection closed; transfer aborted.');
        return;
      }
      if (drop) {
        data.destroy();
        reply(
          options.dropReply ?? 426,
          options.dropReply === 226 ? 'Transfer complete.' : 'Connection closed; transfer aborted.',
        );
        return;
      }
      if (stall) {
        await gone;
        return;
      }
      data.end();
      await gone;
      reply(226, 'Transfer complete.');
    };

    const handle = async (line: string): Promise<void> => {
      const space = line.indexOf(' ');
      const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
      const arg = space < 0 ? '' : line.slice(space + 1);
      commands.push(verb === 'PASS' ? 'PASS ***' : line);
      const open = new Set(['USER', 'PASS', 'AUTH', 'PBSZ', 'PROT', 'FEAT', 'SYST', 'OPTS', 'QUIT', 'NOOP']);
      if (!session.loggedIn && !open.has(verb)) {
        reply(530, 'Please login with USER and PASS.');
        return;
      }
      switch (verb) {
        case 'USER':
          session.user = arg;
          session.loggedIn = false;
          reply(331, 'Please specify the password.');
          return;
        case 'PASS': {
          const anonymous = session.user === 'anonymous' || session.user === 'ftp';
          const creds = options.credentials;
          const ok =
            (anonymous && allowAnonymous) ||
            (creds !== undefined && session.user === creds.username && arg === creds.password);
          session.loggedIn = ok;
          if (ok) reply(230, 'Login successful.');
          else reply(530, 'Login incorrect.');
          return;
        }
        case 'AUTH':
          if (secureContext === null || !/^(TLS|SSL)$/i.test(arg)) {
            reply(502, 'AUTH not supported.');
            return;
          }
          reply(234, 'Proceed with negotiation.');
          upgradeControl();
          return;
        case 'PBSZ':
          reply(200, 'PBSZ=0');
          return;
        case 'PROT':
          session.protectData = arg.toUpperCase() === 'P';
          reply(200, `PROT now ${session.protectData ? 'Private' : 'Clear'}.`);
          return;
        case 'FEAT': {
          const features = [
            options.supportEpsv === false ? null : 'EPSV',
            'PASV',
            options.supportSize === false ? null : 'SIZE',
            'MDTM',
            options.supportRest === false ? null : 'REST STREAM',
            'UTF8',
            secureContext === null ? null : 'AUTH TLS',
            secureContext === null ? null : 'PBSZ',
            secureContext === null ? null : 'PROT',
          ].filter((f): f is string => f !== null);
          session.control.write(`211-Features:\r\n${features.map((f) => ` ${f}\r\n`).join('')}211 End\r\n`);
          return;
        }
        case 'SYST':
          reply(215, 'UNIX Type: L8');
          return;
        case 'OPTS':
          reply(200, 'Always in UTF8 mode.');
          return;
        case 'NOOP':
          reply(200, 'NOOP ok.');
          return;
        case 'PWD':
          reply(257, '"/" is the current directory');
          return;
        case 'CWD':
          reply(250, 'Directory successfully changed.');
          return;
        case 'TYPE':
          reply(200, /^I/i.test(arg) ? 'Switching to Binary mode.' : 'Switching to ASCII mode.');
          return;
        case 'STRU':
          reply(200, 'Structure set to F.');
          return;
        case 'EPSV':
          if (options.supportEpsv === false) {
            reply(502, 'EPSV not implemented.');
            return;
          }
          reply(229, `Entering Extended Passive Mode (|||${await openPassive()}|)`);
          return;
        case 'PASV': {
          const port = await openPassive();
          reply(227, `Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255}).`);
          return;
        }
        case 'SIZE': {
          if (options.supportSize === false) {
            reply(502, 'SIZE not implemented.');
            return;
          }
          const file = options.files[resolvePath(arg)];
          if (file === undefined) reply(550, 'Could not get file size.');
          else reply(213, String(sizeOf(file)));
          return;
        }
        case 'MDTM':
          if (options.files[resolvePath(arg)] === undefined)
            reply(550, 'Could not get file modification time.');
          else reply(213, '20250101000000');
          return;
        case 'REST': {
          const offset = Number(arg);
          if (options.supportRest === false) {
            reply(502, 'REST not implemented.');
          } else if (!Number.isSafeInteger(offset) || offset < 0) {
            reply(501, 'Bad REST offset.');
          } else {
            session.restOffset = offset;
            reply(350, `Restart position accepted (${offset}).`);
          }
          return;
        }
        case 'RETR':
          await retr(resolvePath(arg));
          return;
        case 'ABOR':
          reply(226, 'ABOR successful.');
          return;
        case 'QUIT':
          reply(221, 'Goodbye.');
          session.control.end();
          return;
        default:
          reply(502, 'Command not implemented.');
      }
    };

    raw.on('data', onData);
    raw.once('close', () => session.passive?.close());
    reply(220, 'clusterimage test FTP ready');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('FTP origin has no port');
  const port = address.port;

  return {
    host: '127.0.0.1',
    port,
    url: (path, scheme = 'ftp') => `${scheme}://127.0.0.1:${port}${path}`,
    commands,
    openSockets: () => [...sockets].filter((s) => !s.destroyed).length,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      for (const listener of listeners) listener.close();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
