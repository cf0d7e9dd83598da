import { failures, JobFailure } from '../../core/errors.js';

/** Node/undici/OpenSSL error codes that mean the peer's certificate could not be verified. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

const TLS_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer certificate is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer certificate is not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate is in the chain',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not match the host name',
  HOSTNAME_MISMATCH: 'the certificate does not match the host name',
};

function codeOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Walks `cause` links (undici wraps socket errors) and returns the first error with a known code. */
export function findCode(
  err: unknown,
  wanted: (code: string) => boolean,
): { code: string; error: unknown } | null {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const code = codeOf(current);
    if (code !== undefined && wanted(code)) return { code, error: current };
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
  return null;
}

/** The subject CN of the peer certificate, when the TLS error carries it. */
function certificateSubject(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const cert = (err as { cert?: { subject?: { CN?: unknown } } }).cert;
  const cn = cert?.subject?.CN;
  return typeof cn === 'string' ? cn : null;
}

const KNOWN = (code: string): boolean =>
  TLS_VERIFY_CODES.has(code) ||
  [
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EAI_NONAME',
    'ETIMEDOUT',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'ECONNRESET',
    'EPIPE',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_SOCKET',
    'ECONNABORTED',
    'UND_ERR_CLOSED',
    'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  ].includes(code) ||
  code.startsWith('HPE_');

/**
 * Maps a transport-level failure (system, undici or TLS error code) to a catalogue JobFailure by its code,
 * never by its message text. Returns null when the code is not a known transport failure.
 * `timeoutSeconds` is reported for idle/header/body timeouts; `connectTimeoutSeconds` (defaulting to it) for
 * a connect timeout, which undici reports under its own code.
 */
export function mapNetworkError(
  err: unknown,
  host: string,
  port: number,
  timeoutSeconds: number,
  connectTimeoutSeconds: number = timeoutSeconds,
): JobFailure | null {
  if (err instanceof JobFailure) return err;
  const found = findCode(err, KNOWN);
  if (found === null) return null;
  const { code, error } = found;
  if (TLS_VERIFY_CODES.has(code)) {
    const subject = certificateSubject(error);
    const reason = TLS_REASONS[code] ?? code;
    return failures.tlsVerification(
      host,
      subject === null ? `${reason} (${code})` : `${reason} (subject CN=${subject})`,
    );
  }
  switch (code) {
    case 'ECONNREFUSED':
      return failures.connectionRefused(host, port);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return failures.hostUnresolvable(host);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return failures.timedOut(connectTimeoutSeconds, host, port);
    case 'ETIMEDOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return failures.timedOut(timeoutSeconds, host, port);
    default:
      // llhttp parser errors (HPE_*) mean the origin did not speak valid HTTP/1.1.
      return failures.connectionFailed(host, port, code.startsWith('HPE_') ? 'invalid HTTP response' : code);
  }
}
