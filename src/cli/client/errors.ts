/**
 * What can go wrong when the client talks to a server. Each kind is printed as one sentence a person can act
 * on; commands map all of them to exit code 1 (the operation failed).
 */

/** The server answered with ONTAP's error envelope (or at least a 4xx/5xx status). */
export class ApiError extends Error {
  readonly status: number;
  /** ONTAP code as a numeric string, e.g. "10551327"; "" when the body had no envelope. */
  readonly code: string;
  readonly target: string | undefined;

  constructor(status: number, message: string, code: string, target?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.target = target;
  }
}

/** The request never got an HTTP answer: refused, TLS, DNS, timeout, dropped connection. */
export class ConnectionError extends Error {
  /** The system or undici error code, e.g. ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT. */
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
  }
}

/** A job the command waited for ended in `failure`. */
export class JobFailedError extends Error {
  readonly code: number;
  readonly job: Record<string, unknown>;

  constructor(message: string, code: number, job: Record<string, unknown>) {
    super(message);
    this.name = 'JobFailedError';
    this.code = code;
    this.job = job;
  }
}

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

function errorCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

/** Turns a transport failure from undici or the socket layer into a sentence that says what to check. */
export function connectionErrorOf(err: unknown, baseUrl: string): ConnectionError {
  const code = errorCode(err);
  const url = new URL(baseUrl);
  const hostPort = url.host;
  const detail = err instanceof Error ? err.message : String(err);
  let sentence: string;
  if (code === 'ECONNREFUSED') {
    sentence = `Connection refused by ${hostPort}: is the clusterimage server running at ${baseUrl}? Check --url or CLUSTERIMAGE_URL.`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    sentence = `Cannot resolve the host "${url.hostname}": check --url or CLUSTERIMAGE_URL.`;
  } else if (TLS_UNTRUSTED.has(code)) {
    sentence =
      `The server's TLS certificate is not trusted (${detail}). ` +
      'Pass the CA or the server certificate with --ca-file FILE, or use --insecure to skip the check.';
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    sentence = `The server's TLS certificate does not name ${url.hostname} (${detail}). Connect with a host name the certificate lists, or use --insecure.`;
  } else if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    sentence = `The server's TLS certificate is not valid now (${detail}). Renew it, or use --insecure.`;
  } else if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(detail)) {
    sentence = `The server at ${hostPort} did not answer with TLS: if it serves plain HTTP, use an http:// URL.`;
  } else if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') {
    sentence =
      `The connection to ${hostPort} was closed before an answer arrived` +
      (url.protocol === 'http:' ? ': if the server serves HTTPS, use an https:// URL.' : '. Check that the server is running and reachable.');
  } else if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    sentence = `Timed out waiting for ${hostPort}: check that the server is running and that no firewall blocks the port.`;
  } else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    sentence = `The host ${url.hostname} is unreachable: check --url and your network.`;
  } else {
    sentence = `Cannot talk to the server at ${baseUrl}: ${detail}${code !== '' ? ` (${code})` : ''}.`;
  }
  return new ConnectionError(sentence, code === '' ? 'UNKNOWN' : code);
}
