import { errors } from '../errors.js';
import { Secret } from './secret.js';

export type TransferScheme = 'http' | 'https' | 'ftp' | 'ftps';

export interface Credentials {
  readonly username: string;
  readonly password: Secret;
}

/** A validated download source. `fetchUrl` may carry a query string and is never stored or logged. */
export interface DownloadRequest {
  readonly scheme: TransferScheme;
  /** Host as written in the URL, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  /** Absolute URL to fetch, without userinfo, with the query string (which may hold tokens). */
  readonly fetchUrl: string;
  /** `scheme://host[:port]/path`: no userinfo, query or fragment. The only form that is stored or shown. */
  readonly safeUrl: string;
  /** Last path segment, percent-decoded (D18). */
  readonly fileName: string;
  readonly credentials: Credentials | null;
}

const SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ftp', 'ftps']);
const DEFAULT_PORTS: Record<TransferScheme, number> = { http: 80, https: 443, ftp: 21, ftps: 21 };
const MAX_FILE_NAME_BYTES = 255;

/** Strips userinfo, query and fragment from any URL-looking string; used wherever a URL is shown. */
export function safeUrlOf(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

/** Validates a file name as a repository entry (D18); throws the catalogue error. */
export function checkFileName(name: string, target: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw target === 'url' ? errors.noPackageFileName() : errors.invalidType(target, 'a file name');
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) throw errors.fileNameTooLong(target);
  return name;
}

/**
 * Parses the `url` of a download request (§4.2, checks 6–8 of §4.3). Body credentials win over URL
 * userinfo; both are held as Secrets and the userinfo never appears in any URL this returns.
 */
export function parseDownloadRequest(
  url: string,
  username: string | undefined,
  password: string | undefined,
): DownloadRequest {
  if (url.trim() === '') throw errors.invalidUrl();
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (schemeMatch === null) throw errors.invalidUrl();
  const scheme = (schemeMatch[1] ?? '').toLowerCase();
  if (!SCHEMES.has(scheme)) throw errors.unsupportedScheme(scheme);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw errors.invalidUrl();
  }
  if (parsed.hostname === '' || /\s/.test(url)) throw errors.invalidUrl();
  const transferScheme = scheme as TransferScheme;

  const segments = parsed.pathname.split('/');
  const last = segments[segments.length - 1] ?? '';
  let fileName: string;
  try {
    fileName = decodeURIComponent(last);
  } catch {
    throw errors.noPackageFileName();
  }
  checkFileName(fileName, 'url');

  let credentials: Credentials | null = null;
  if (username !== undefined || password !== undefined) {
    credentials = { username: username ?? '', password: new Secret(password ?? '') };
  } else if (parsed.username !== '' || parsed.password !== '') {
    credentials = {
      username: safeDecode(parsed.username),
      password: new Secret(safeDecode(parsed.password)),
    };
  }
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port === '' ? DEFAULT_PORTS[transferScheme] : Number(parsed.port);
  return {
    scheme: transferScheme,
    host,
    port,
    fetchUrl: parsed.href,
    safeUrl: `${parsed.protocol}//${parsed.host}${parsed.pathname}`,
    fileName,
    credentials,
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
