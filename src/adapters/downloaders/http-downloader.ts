import { STATUS_CODES } from 'node:http';
import type { Writable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { Client, buildConnector, type Dispatcher } from 'undici';
import { OriginTrust } from './origin-trust.js';
import { failures, JobFailure, toError } from '../../core/errors.js';
import type { DownloadRequest, TransferScheme } from '../../core/model/download-request.js';
import { safeUrlOf } from '../../core/model/download-request.js';
import type {
  Downloader,
  DownloadOptions,
  DownloadProgress,
  DownloadResult,
} from '../../core/ports/downloader.js';
import type { HostPolicy } from './host-policy.js';
import { defaultLookup, resolveAllowed, type HostLookup } from './resolve-destination.js';
import { findCode, mapNetworkError } from './map-transport-error.js';

export interface HttpDownloaderOptions {
  /** Destination policy, checked on every resolved address of every hop. */
  readonly policy: HostPolicy;
  /** TCP connect plus TLS handshake. Default 30 000. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for headers or for the next body bytes. Default 60 000. */
  readonly idleTimeoutMs?: number;
  /** Redirects followed before failing. Default 5. */
  readonly maxRedirects?: number;
  /** Extra trusted CAs (PEM), added to Node's bundled roots. */
  readonly caPem?: readonly string[];
  /** Host names (as written in URLs) whose certificates are not verified. Each connection logs a warning. */
  readonly insecureHosts?: readonly string[];
  /** Receives the warning for every connection made without certificate verification. */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
  /** How many times a body that broke mid-way is resumed with a Range request. Default 3. */
  readonly resumeAttempts?: number;
  /** Name resolution; default `dns.promises.lookup` with `all: true`. */
  readonly lookup?: HostLookup;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Errors after which the same body can be continued with a Range request. */
const RESUMABLE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

interface Hop {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  readonly client: Client;
}

/** What the origin said about the entity on the first 200, needed to resume it safely. */
interface Validator {
  readonly etag: string | null;
  readonly lastModified: string | null;
}

interface Transfer {
  received: number;
  total: number | null;
  validator: Validator | null;
}

type ExchangeEnd =
  | { readonly kind: 'redirect'; readonly location: string | undefined }
  | { readonly kind: 'complete' }
  /** The body broke after the response headers: the bytes so far are already in the sink. */
  | { readonly kind: 'broken'; readonly error: Error };

interface ExchangeSpec {
  readonly headers: Record<string, string>;
  /** Set for a resume: the offset asked for, and the failure to report when the origin will not resume. */
  readonly resume: { readonly from: number; readonly total: number; readonly failure: Error } | null;
}

/**
 * HTTP/HTTPS downloads (D17) over undici's dispatcher API, one pinned `Client` per hop. Redirects,
 * credentials, destination policy and resume are handled here, not by undici interceptors, so that each hop
 * is checked before any byte is sent to it.
 */
export class HttpDownloader implements Downloader {
  readonly schemes: readonly TransferScheme[] = ['http', 'https'];

  readonly #policy: HostPolicy;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #maxRedirects: number;
  readonly #resumeAttempts: number;
  readonly #trust: OriginTrust;
  readonly #lookup: HostLookup;

  constructor(options: HttpDownloaderOptions) {
    this.#policy = options.policy;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#maxRedirects = options.maxRedirects ?? 5;
    this.#resumeAttempts = options.resumeAttempts ?? 3;
    this.#trust = new OriginTrust(options);
    this.#lookup = options.lookup ?? defaultLookup;
  }

  async download(
    request: DownloadRequest,
    sink: Writable,
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    const { signal } = options;
    signal.throwIfAborted();
    const original = new URL(request.fetchUrl);
    const credentials = request.credentials;
    const authorization =
      credentials === null
        ? null
        : `Basic ${Buffer.from(`${credentials.username}:${credentials.password.reveal()}`, 'utf8').toString('base64')}`;
    const transfer: Transfer = { received: 0, total: null, validator: null };

    let url = original;
    for (let redirects = 0; ; redirects++) {
      const hop = await this.#openHop(url, signal);
      try {
        const headers: Record<string, string> = { accept: '*/*', 'accept-encoding': 'identity' };
        if (authorization !== null && sameOrigin(url, original)) headers.authorization = authorization;
        let end = await this.#exchange(hop, { headers, resume: null }, transfer, sink, options);
        if (end.kind === 'redirect') {
          if (redirects >= this.#maxRedirects) throw failures.tooManyRedirects(this.#maxRedirects);
          url = nextLocation(end.location, url);
          continue;
        }
        for (let attempt = 1; end.kind === 'broken'; attempt++) {
          const failure = this.#bodyFailure(end.error, transfer, hop);
          const { total, validator, received } = transfer;
          if (
            total === null ||
            validator === null ||
            attempt > this.#resumeAttempts ||
            !isResumable(end.error)
          ) {
            throw failure;
          }
          const rangeHeaders: Record<string, string> = {
            ...headers,
            range: `bytes=${received}-`,
            'if-range': validator.etag ?? validator.lastModified ?? '',
          };
          // A resume that cannot even start reports the original break, not the retry's own error.
          end = await this.#exchange(
            hop,
            { headers: rangeHeaders, resume: { from: received, total, failure } },
            transfer,
            sink,
            options,
          ).catch((err: unknown) => {
            signal.throwIfAborted();
            throw err instanceof JobFailure ? err : failure;
          });
        }
        return { bytes: transfer.received, total: transfer.total };
      } catch (err) {
        signal.throwIfAborted();
        throw this.#mapFailure(err, hop);
      } finally {
        void hop.client.destroy().catch(() => undefined);
      }
    }
  }

  /** Resolves, checks against the policy and returns a client whose connections go to the checked address. */
  async #openHop(url: URL, signal: AbortSignal): Promise<Hop> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw failures.badRedirect(safeUrlOf(url.href));
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? (DEFAULT_PORT[url.protocol] ?? 80) : Number(url.port);
    const pinned = await resolveAllowed(host, this.#policy, this.#lookup, signal);

    const insecure =
      url.protocol === 'https:' &&
      this.#trust.skipsVerification(host, 'TLS certificate verification is disabled for this download host', {
        host,
        port,
      });
    // Verification is done here rather than by rejectUnauthorized so the failure can name the certificate.
    // TLS sessions are never cached: a resumed session skips the host name check.
    const base = buildConnector({
      timeout: this.#connectTimeoutMs,
      maxCachedSessions: 0,
      rejectUnauthorized: false,
      ...(this.#trust.secureContext === undefined ? {} : { secureContext: this.#trust.secureContext }),
    });
    const connect: buildConnector.connector = (opts, callback) => {
      base({ ...opts, hostname: pinned }, (err, socket) => {
        if (err !== null) {
          callback(err, null);
          return;
        }
        if (socket instanceof TLSSocket && !insecure && !socket.authorized) {
          const error = tlsError(socket);
          socket.destroy();
          callback(error, null);
          return;
        }
        callback(null, socket);
      });
    };
    const client = new Client(url.origin, {
      connect,
      headersTimeout: this.#idleTimeoutMs,
      bodyTimeout: this.#idleTimeoutMs,
      pipelining: 1,
    });
    return { url, host, port, client };
  }

  /**
   * One request/response. Resolves with a redirect, a complete body, or a body that broke after the headers
   * (bytes already written stay written). Rejects for a failure before the body, for an unwanted status,
   * or with `signal.reason` on abort.
   */
  #exchange(
    hop: Hop,
    spec: ExchangeSpec,
    transfer: Transfer,
    sink: Writable,
    options: DownloadOptions,
  ): Promise<ExchangeEnd> {
    const { signal, onProgress, maxBytes } = options;
    return new Promise<ExchangeEnd>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | null = null;
      let settled = false;
      let inBody = false;

      const onDrain = (): void => {
        controller?.resume();
      };
      const cleanup = (): void => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        sink.off('drain', onDrain);
        sink.off('error', onSinkError);
        sink.off('close', onSinkClose);
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        cleanup();
        const reason = toError(err);
        if (controller !== null && !controller.aborted) controller.abort(reason);
        // On abort the caller rethrows `signal.reason` itself, whatever its type.
        reject(reason);
      };
      const onAbort = (): void => {
        fail(signal.reason);
        void hop.client.destroy(toError(signal.reason)).catch(() => undefined);
      };
      const onSinkError = (err: Error): void => {
        fail(err);
      };
      const onSinkClose = (): void => {
        fail(new Error('the download sink was closed before the transfer ended'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      sink.on('error', onSinkError);
      sink.on('close', onSinkClose);

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (settled) c.abort(new Error('download already settled'));
        },
        onResponseStart(c, status, headers) {
          if (settled) return;
          if (spec.resume === null) {
            if (REDIRECTS.has(status)) {
              const location = headerValue(headers.location);
              cleanup();
              c.abort(new Error('redirect'));
              resolve({ kind: 'redirect', location });
              return;
            }
            if (status !== 200) {
              fail(
                failures.httpStatus(
                  status,
                  STATUS_CODES[status] ?? 'Unknown Status',
                  safeUrlOf(hop.url.href),
                ),
              );
              return;
            }
            const total = parseLength(headerValue(headers['content-length']));
            if (total !== null && total > maxBytes) {
              fail(failures.tooLarge(maxBytes));
              return;
            }
            transfer.total = total;
            transfer.validator = validatorOf(headers);
            onProgress({ received: 0, total });
          } else if (
            !isExpectedRange(status, headers, spec.resume.from, spec.resume.total, transfer.validator)
          ) {
            fail(spec.resume.failure);
            return;
          }
          inBody = true;
        },
        onResponseData(c, chunk) {
          if (settled) return;
          transfer.received += chunk.length;
          if (transfer.received > maxBytes) {
            fail(failures.tooLarge(maxBytes));
            return;
          }
          if (!sink.write(chunk)) {
            c.pause();
            sink.once('drain', onDrain);
          }
          const progress: DownloadProgress = { received: transfer.received, total: transfer.total };
          onProgress(progress);
        },
        onResponseEnd() {
          if (settled) return;
          const { received, total } = transfer;
          if (total !== null && received !== total) {
            fail(failures.lengthMismatch(received, total));
            return;
          }
          cleanup();
          resolve({ kind: 'complete' });
        },
        onResponseError(_c, error) {
          if (settled) return;
          if (inBody) {
            cleanup();
            resolve({ kind: 'broken', error });
            return;
          }
          fail(error);
        },
      };

      hop.client.dispatch(
        {
          origin: hop.url.origin,
          path: `${hop.url.pathname}${hop.url.search}`,
          method: 'GET',
          headers: spec.headers,
        },
        handler,
      );
    });
  }

  /** The failure a broken body stands for when it cannot be resumed. */
  #bodyFailure(error: Error, transfer: Transfer, hop: Hop): JobFailure | Error {
    const timeout = findCode(error, (c) => c === 'UND_ERR_BODY_TIMEOUT');
    if (timeout !== null) return failures.timedOut(this.#idleTimeoutMs / 1000, hop.host, hop.port);
    if (transfer.total !== null && isResumable(error))
      return failures.lengthMismatch(transfer.received, transfer.total);
    return this.#mapFailure(error, hop);
  }

  #mapFailure(err: unknown, hop: Hop): JobFailure | Error {
    if (err instanceof JobFailure) return err;
    return (
      mapNetworkError(err, hop.host, hop.port, this.#idleTimeoutMs / 1000, this.#connectTimeoutMs / 1000) ??
      toError(err)
    );
  }
}

function isResumable(error: Error): boolean {
  return findCode(error, (c) => RESUMABLE_CODES.has(c)) !== null;
}

function sameOrigin(a: URL, b: URL): boolean {
  return (
    a.protocol === b.protocol &&
    a.hostname.toLowerCase() === b.hostname.toLowerCase() &&
    (a.port === '' ? DEFAULT_PORT[a.protocol] : Number(a.port)) ===
      (b.port === '' ? DEFAULT_PORT[b.protocol] : Number(b.port))
  );
}

function nextLocation(location: string | undefined, current: URL): URL {
  if (location === undefined || location === '') throw failures.badRedirect(safeUrlOf(current.href));
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw failures.badRedirect(safeUrlOf(current.href));
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:')
    throw failures.badRedirect(safeUrlOf(current.href));
  next.username = '';
  next.password = '';
  next.hash = '';
  return next;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseLength(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) return null;
  return Number(value.trim());
}

function validatorOf(headers: Record<string, string | string[] | undefined>): Validator | null {
  if (headerValue(headers['accept-ranges'])?.toLowerCase() !== 'bytes') return null;
  const etag = headerValue(headers.etag);
  // A weak ETag cannot be used with If-Range (RFC 9110 §13.1.5).
  const strongEtag = etag !== undefined && etag.startsWith('"') ? etag : null;
  const lastModified = headerValue(headers['last-modified']) ?? null;
  if (strongEtag === null && lastModified === null) return null;
  return { etag: strongEtag, lastModified };
}

/** A resumed response must continue exactly where the body broke, for the same entity and total. */
function isExpectedRange(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  from: number,
  total: number,
  validator: Validator | null,
): boolean {
  if (status !== 206) return false;
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headerValue(headers['content-range'])?.trim() ?? '');
  if (range === null) return false;
  if (Number(range[1]) !== from || Number(range[2]) !== total - 1 || Number(range[3]) !== total) return false;
  const etag = headerValue(headers.etag);
  if (validator?.etag != null && etag !== undefined && etag !== validator.etag) return false;
  return true;
}

function tlsError(socket: TLSSocket): Error {
  // Node stores the verification error's code (a string) here despite the declared type.
  const raw: unknown = socket.authorizationError;
  const code =
    typeof raw === 'string'
      ? raw
      : raw instanceof Error
        ? ((raw as { code?: string }).code ?? raw.message)
        : 'CERT_UNTRUSTED';
  const cert = socket.getPeerCertificate();
  return Object.assign(new Error(`certificate verification failed (${code})`), { code, cert });
}
