import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Writable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { Client, FTPError, type FTPContext, type FTPResponse } from 'basic-ftp';
// basic-ftp's index does not re-export these; the package has no `exports` map, so its dist modules are reachable.
import { connectForPassiveTransfer, parseEpsvResponse, parsePasvResponse } from 'basic-ftp/dist/transfer.js';
import { OriginTrust } from './origin-trust.js';
import { failures, JobFailure, toError } from '../../core/errors.js';
import type { DownloadRequest, TransferScheme } from '../../core/model/download-request.js';
import type { Downloader, DownloadOptions, DownloadResult } from '../../core/ports/downloader.js';
import { IdleWatchdog } from './ftp-idle-watchdog.js';
import { isTransientReply, replyHint, replyText, type FtpPhase } from './ftp-replies.js';
import { SinkForwarder } from './ftp-sink-forwarder.js';
import { findCode, mapNetworkError } from './map-transport-error.js';
import { abortable } from './abortable.js';

export interface FtpDownloaderOptions {
  /** TCP connect, greeting, `AUTH TLS` and login together. Default 30 000. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for a reply or for the next data bytes; time the sink spends draining does not count. Default 60 000. */
  readonly idleTimeoutMs?: number;
  /** Extra trusted CAs (PEM), added to Node's bundled roots. */
  readonly caPem?: readonly string[];
  /** Host names (as written in URLs) whose FTPS certificates are not verified. Each connection calls `warn`. */
  readonly insecureHosts?: readonly string[];
  /** Receives the warning for every connection made without certificate verification. */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
  /** How many times a transfer that broke mid-way is continued on a new connection with `REST`. Default 3. */
  readonly resumeAttempts?: number;
  /**
   * Resolves the host, checks it against the download host policy and returns the address to connect to; the
   * control and the data connections are pinned to it. Rejects with a `JobFailure` (denied) or a coded
   * resolver error. Default: `dns.lookup`, no policy.
   */
  readonly checkAddress?: (host: string, port: number) => Promise<string>;
}

interface Transfer {
  readonly request: DownloadRequest;
  readonly sink: Writable;
  readonly options: DownloadOptions;
  readonly address: string;
  readonly remotePath: string;
  readonly user: string;
  readonly password: string;
  readonly anonymous: boolean;
  received: number;
  total: number | null;
  sized: boolean;
  sinkError: Error | null;
  stopAttempt: (() => void) | null;
}

interface Attempt {
  readonly startAt: number;
  phase: FtpPhase;
  stalled: 'connect' | 'idle' | null;
  dataPort: number | null;
  forwarder: SinkForwarder | null;
}

type AttemptEnd =
  | { readonly kind: 'complete' }
  /** `transient`: the same file can be continued at `received` on a new connection. */
  | { readonly kind: 'broken'; readonly failure: Error; readonly transient: boolean };

/** Socket errors after which a transfer can be continued on a new connection. */
const RESUMABLE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const GENERIC_REASONS: Record<FtpPhase, string> = {
  connect: 'no usable FTP greeting',
  auth: 'the TLS negotiation failed',
  login: 'the server closed the control connection',
  setup: 'the server closed the control connection',
  size: 'the server closed the control connection',
  passive: 'no usable passive-mode data connection',
  retr: 'the connection was closed during the transfer',
};

const defaultCheckAddress = async (host: string): Promise<string> => (await lookup(host)).address;

/**
 * FTP and FTPS (explicit `AUTH TLS`) downloads (D17) with basic-ftp: passive mode (EPSV, then PASV) pinned to
 * the checked address, binary, `SIZE` for the announced length, and `REST` to continue a transfer that broke.
 * Failure messages are built from reply codes and the server's reply text only, never from basic-ftp's error
 * messages, which can contain the commands sent.
 */
export class FtpDownloader implements Downloader {
  readonly schemes: readonly TransferScheme[] = ['ftp', 'ftps'];

  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #resumeAttempts: number;
  readonly #trust: OriginTrust;
  readonly #checkAddress: (host: string, port: number) => Promise<string>;

  constructor(options: FtpDownloaderOptions = {}) {
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#resumeAttempts = options.resumeAttempts ?? 3;
    this.#trust = new OriginTrust(options);
    this.#checkAddress = options.checkAddress ?? defaultCheckAddress;
  }

  async download(
    request: DownloadRequest,
    sink: Writable,
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    const { signal } = options;
    signal.throwIfAborted();
    const remotePath = remotePathOf(request);
    const address = await this.#resolve(request, signal);
    const credentials = request.credentials;
    const transfer: Transfer = {
      request,
      sink,
      options,
      address,
      remotePath,
      user: credentials === null || credentials.username === '' ? 'anonymous' : credentials.username,
      password: credentials === null ? 'anonymous@' : credentials.password.reveal(),
      anonymous: credentials === null,
      received: 0,
      total: null,
      sized: false,
      sinkError: null,
      stopAttempt: null,
    };
    const onSinkError = (err: Error): void => {
      transfer.sinkError ??= err;
      transfer.stopAttempt?.();
    };
    sink.on('error', onSinkError);
    try {
      for (let resumes = 0; ; resumes++) {
        const end = await this.#attempt(transfer);
        signal.throwIfAborted();
        if (end.kind === 'complete') return { bytes: transfer.received, total: transfer.total };
        if (!end.transient || resumes >= this.#resumeAttempts) throw end.failure;
      }
    } finally {
      sink.off('error', onSinkError);
    }
  }

  async #resolve(request: DownloadRequest, signal: AbortSignal): Promise<string> {
    try {
      return await abortable(this.#checkAddress(request.host, request.port), signal);
    } catch (err) {
      signal.throwIfAborted();
      throw mapNetworkError(err, request.host, request.port, this.#connectTimeoutMs / 1000) ?? toError(err);
    }
  }

  /** One control connection: login, SIZE, then RETR (after `REST` when continuing). Always closes the client. */
  async #attempt(t: Transfer): Promise<AttemptEnd> {
    const { request, options } = t;
    const { signal } = options;
    const client = new Client(0);
    const watchdog = new IdleWatchdog();
    const a = newAttempt(t.received);
    const stop = (): void => {
      client.close();
    };
    signal.addEventListener('abort', stop);
    t.stopAttempt = stop;
    try {
      watchdog.arm(this.#connectTimeoutMs, () => {
        a.stalled = 'connect';
        client.close();
      });
      await client.connect(t.address, request.port);
      if (request.scheme === 'ftps') {
        a.phase = 'auth';
        await client.useTLS(this.#tlsOptions(request));
      }
      a.phase = 'login';
      await client.login(t.user, t.password);
      a.phase = 'setup';
      await client.send('TYPE I');
      if (request.scheme === 'ftps') {
        await client.send('PBSZ 0');
        await client.send('PROT P');
      }

      watchdog.arm(this.#idleTimeoutMs, () => {
        a.stalled = 'idle';
        client.close();
      });
      a.phase = 'size';
      const size = await remoteSize(client, t.remotePath);
      watchdog.touch();
      const refused = this.#takeSize(t, size);
      if (refused !== null) return { kind: 'broken', failure: refused, transient: false };

      a.phase = 'passive';
      const enterPassive = passiveStrategy(t.address, (port) => {
        a.dataPort = port;
      });
      client.prepareTransfer = async (ftp) => {
        const res = await enterPassive(ftp);
        a.phase = 'retr';
        watchdog.touch();
        return res;
      };
      a.forwarder = new SinkForwarder(t.sink, {
        admit: (bytes) => admit(t, bytes),
        written: (bytes) => {
          t.received += bytes;
          watchdog.touch();
          options.onProgress({ received: t.received, total: t.total });
        },
        waiting: (waiting) => {
          if (waiting) watchdog.pause();
          else watchdog.resume();
        },
      });
      await client.downloadTo(a.forwarder, t.remotePath, a.startAt);
      // A data connection that closed early can still be followed by "226": only the count tells.
      if (t.total !== null && t.received < t.total) {
        return { kind: 'broken', failure: failures.lengthMismatch(t.received, t.total), transient: true };
      }
      return { kind: 'complete' };
    } catch (err) {
      signal.throwIfAborted();
      return this.#classify(err, t, a);
    } finally {
      watchdog.stop();
      a.forwarder?.detach();
      signal.removeEventListener('abort', stop);
      t.stopAttempt = null;
      client.close();
    }
  }

  /** First attempt: records the size, applies `maxBytes`, reports it. Later attempts: the file must not have changed. */
  #takeSize(t: Transfer, size: number | null): JobFailure | null {
    if (t.sized) {
      return t.total !== null && size !== null && size !== t.total
        ? failures.lengthMismatch(t.received, t.total)
        : null;
    }
    t.sized = true;
    t.total = size;
    if (size !== null && size > t.options.maxBytes) return failures.tooLarge(t.options.maxBytes);
    t.options.onProgress({ received: 0, total: size });
    return null;
  }

  #classify(err: unknown, t: Transfer, a: Attempt): AttemptEnd {
    const { request } = t;
    const fatal = t.sinkError ?? a.forwarder?.failure ?? null;
    if (fatal !== null) return { kind: 'broken', failure: fatal, transient: false };
    const inTransfer = a.phase === 'retr';
    if (a.stalled === 'connect') {
      return broken(failures.timedOut(this.#connectTimeoutMs / 1000, request.host, request.port), false);
    }
    if (a.stalled === 'idle') {
      return broken(failures.timedOut(this.#idleTimeoutMs / 1000, request.host, request.port), inTransfer);
    }
    if (err instanceof FTPError) {
      const hint = replyHint(err.code, a.phase, { anonymous: t.anonymous, resuming: a.startAt > 0 });
      const failure = failures.ftpReply(err.code, replyText(err.message, t.password), request.safeUrl, hint);
      return broken(failure, inTransfer && isTransientReply(err.code));
    }
    if (err instanceof JobFailure) return broken(err, false);
    const port = a.phase === 'passive' || inTransfer ? (a.dataPort ?? request.port) : request.port;
    if (inTransfer && (findCode(err, (c) => RESUMABLE_CODES.has(c)) !== null || systemCode(err) === null)) {
      const failure =
        t.total !== null
          ? failures.lengthMismatch(t.received, t.total)
          : failures.connectionFailed(request.host, port, GENERIC_REASONS.retr);
      return broken(failure, true);
    }
    const seconds =
      (a.phase === 'connect' || a.phase === 'auth' ? this.#connectTimeoutMs : this.#idleTimeoutMs) / 1000;
    const mapped = mapNetworkError(err, request.host, port, seconds);
    if (mapped !== null) return broken(mapped, false);
    const code = systemCode(err);
    const reason = GENERIC_REASONS[a.phase];
    return broken(
      failures.connectionFailed(request.host, port, code === null ? reason : `${reason}, ${code}`),
      false,
    );
  }

  #tlsOptions(request: DownloadRequest): ConnectionOptions {
    const insecure = this.#trust.skipsVerification(
      request.host,
      'FTPS certificate verification is turned off for this host by configuration',
      { host: request.host, url: request.safeUrl },
    );
    return {
      // The identity checked against the certificate, also for data connections; we connect to the checked address.
      host: request.host,
      ...(isIP(request.host) === 0 ? { servername: request.host } : {}),
      ...(this.#trust.secureContext === undefined ? {} : { secureContext: this.#trust.secureContext }),
      rejectUnauthorized: !insecure,
    };
  }
}

function newAttempt(startAt: number): Attempt {
  return { startAt, phase: 'connect', stalled: null, dataPort: null, forwarder: null };
}

function broken(failure: Error, transient: boolean): AttemptEnd {
  return { kind: 'broken', failure, transient };
}

function admit(t: Transfer, bytes: number): JobFailure | null {
  const next = t.received + bytes;
  if (next > t.options.maxBytes) return failures.tooLarge(t.options.maxBytes);
  if (t.total !== null && next > t.total) return failures.lengthMismatch(next, t.total);
  return null;
}

/** A Node/OpenSSL error code, if the error carries one (basic-ftp stamps "0" on some errors: not a code). */
function systemCode(err: unknown): string | null {
  return findCode(err, (c) => /^[A-Z][A-Z0-9_]+$/.test(c))?.code ?? null;
}

/**
 * `ftp://host/a/b.tgz` names `a/b.tgz` relative to the login directory and `ftp://host//a/b.tgz` the absolute
 * `/a/b.tgz` (RFC 1738 §3.2.2, as curl reads it), each segment percent-decoded.
 */
function remotePathOf(request: DownloadRequest): string {
  const segments = new URL(request.fetchUrl).pathname.split('/').slice(1);
  const path = segments.map(decodeSegment).join('/');
  if (/[\r\n\0]/.test(path)) {
    throw failures.connectionFailed(request.host, request.port, 'the URL path contains control characters');
  }
  return path;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `SIZE` (RFC 3659): null when the server does not support it or answers something unusable. */
async function remoteSize(client: Client, path: string): Promise<number | null> {
  const res = await client.sendIgnoringError(`SIZE ${path}`);
  if (res.code === 213) {
    const size = Number(/^213 (\d+)/.exec(res.message)?.[1] ?? Number.NaN);
    return Number.isSafeInteger(size) ? size : null;
  }
  if (res.code === 550 || res.code === 530 || res.code === 421) throw new FTPError(res);
  return null;
}

/**
 * EPSV, falling back to PASV when the server refuses it. The data connection always goes to the control
 * connection's (checked) address: the host in a PASV reply is ignored, so a server cannot point us elsewhere.
 */
function passiveStrategy(
  address: string,
  onPort: (port: number) => void,
): (ftp: FTPContext) => Promise<FTPResponse> {
  let useEpsv = true;
  return async (ftp) => {
    if (useEpsv) {
      try {
        const res = await ftp.request('EPSV');
        const port = parseEpsvResponse(res.message);
        onPort(port);
        await connectForPassiveTransfer(address, port, ftp);
        return res;
      } catch (err) {
        if (!(err instanceof FTPError) || ftp.closed) throw err;
        useEpsv = false;
      }
    }
    const res = await ftp.request('PASV');
    const { port } = parsePasvResponse(res.message);
    onPort(port);
    await connectForPassiveTransfer(address, port, ftp);
    return res;
  };
}
