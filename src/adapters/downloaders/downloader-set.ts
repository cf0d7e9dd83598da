import type { Downloader } from '../../core/ports/downloader.js';
import { FtpDownloader } from './ftp-downloader.js';
import { HostPolicy } from './host-policy.js';
import { HttpDownloader } from './http-downloader.js';
import { resolveAllowed } from './resolve-destination.js';

/** Everything the downloaders are built from: plain data, so a transfer worker can build the same set. */
export interface DownloaderSettings {
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRedirects: number;
  readonly resumeAttempts: number;
  /** Extra trusted CAs (PEM). */
  readonly caPem: readonly string[];
  readonly insecureHosts: readonly string[];
  readonly allowHosts: readonly string[];
  readonly denyHosts: readonly string[];
}

export type TransferWarn = (message: string, details: Record<string, unknown>) => void;

/** The HTTP(S) and FTP(S) downloaders, sharing one host policy. Throws TypeError on a bad policy entry. */
export function createDownloaders(settings: DownloaderSettings, warn: TransferWarn): Downloader[] {
  const policy = new HostPolicy({ allow: [...settings.allowHosts], deny: [...settings.denyHosts] });
  const common = {
    connectTimeoutMs: settings.connectTimeoutMs,
    idleTimeoutMs: settings.idleTimeoutMs,
    caPem: settings.caPem,
    insecureHosts: settings.insecureHosts,
    resumeAttempts: settings.resumeAttempts,
    warn,
  };
  return [
    new HttpDownloader({ ...common, policy, maxRedirects: settings.maxRedirects }),
    new FtpDownloader({ ...common, checkAddress: (host) => resolveAllowed(host, policy) }),
  ];
}
