import type { Writable } from 'node:stream';
import type { DownloadRequest, TransferScheme } from '../model/download-request.js';

export interface DownloadProgress {
  readonly received: number;
  /** From Content-Length or FTP SIZE; null when unknown. */
  readonly total: number | null;
}

export interface DownloadOptions {
  /** Aborting stops the transfer at once; the returned promise then rejects with `signal.reason`. */
  readonly signal: AbortSignal;
  /** Called as bytes arrive (the caller throttles). The first call, with 0 received, tells the size. */
  readonly onProgress: (progress: DownloadProgress) => void;
  /** A size known up front above this fails with `failures.tooLarge` before the body is read. */
  readonly maxBytes: number;
}

export interface DownloadResult {
  readonly bytes: number;
  readonly total: number | null;
}

/**
 * Fetches one URL into a sink. Resolves once every byte of the body has been written to `sink` and the
 * byte count matched the announced size. Rejects with a `JobFailure` from the catalogue for origin and
 * transport failures, or with `signal.reason` when aborted. It writes to `sink` and waits for 'drain', and
 * never ends or destroys it. Credentials are revealed only to the origin named by the request.
 */
export interface Downloader {
  readonly schemes: readonly TransferScheme[];
  download(request: DownloadRequest, sink: Writable, options: DownloadOptions): Promise<DownloadResult>;
}

/** Which downloader serves each scheme; a later downloader naming the same scheme wins. */
export function downloadersByScheme(downloaders: readonly Downloader[]): ReadonlyMap<TransferScheme, Downloader> {
  const byScheme = new Map<TransferScheme, Downloader>();
  for (const d of downloaders) for (const s of d.schemes) byScheme.set(s, d);
  return byScheme;
}
