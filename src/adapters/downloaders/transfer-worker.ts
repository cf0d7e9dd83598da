import type { Worker } from 'node:worker_threads';
import type { Writable } from 'node:stream';
import { failures } from '../../core/errors.js';
import type { DownloadRequest, TransferScheme } from '../../core/model/download-request.js';
import {
  downloadersByScheme,
  type Downloader,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
} from '../../core/ports/downloader.js';
import { StagedFileSink } from '../images/staged-file-sink.js';
import { withCause } from '../images/storage-failure.js';
import { startModuleWorker } from '../module-worker.js';
import type { DownloaderSettings, TransferWarn } from './downloader-set.js';
import {
  fromWireError,
  toWireRequest,
  type FromWorker,
  type ToWorker,
  type WorkerData,
} from './transfer-wire.js';

interface Pending {
  readonly worker: Worker;
  readonly sink: StagedFileSink;
  readonly onProgress: (progress: DownloadProgress) => void;
  readonly signal: AbortSignal;
  readonly resolve: (result: DownloadResult) => void;
  readonly reject: (err: Error) => void;
}

/**
 * Runs downloads in a worker thread: the socket, the HTTP or FTP client, and the package's one pass (sha256,
 * archive check, writes, fsync) all stay off the event loop that serves the API. During a transfer that loop
 * used to process about 2 MiB of body per turn and so accepted one new connection per turn; now it only sees
 * a progress message every 100 ms.
 *
 * The staged file's sink is handed over by fd (`StagedFileSink.delegate`); the worker writes through its own
 * sink on that fd and reports the digest and the inspection. A sink that cannot be handed over (not a staged
 * file, or already written to) is served by `local`, the same downloaders on this thread.
 */
export class WorkerDownloader implements Downloader {
  readonly schemes: readonly TransferScheme[] = ['http', 'https', 'ftp', 'ftps'];
  readonly #data: WorkerData;
  readonly #warn: TransferWarn;
  readonly #local: ReadonlyMap<TransferScheme, Downloader>;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | null = null;
  #nextId = 1;

  constructor(
    settings: DownloaderSettings,
    warn: TransferWarn,
    local: readonly Downloader[],
    options: { readonly startPassWorker?: boolean } = {},
  ) {
    this.#data = { settings, startPassWorker: options.startPassWorker ?? false };
    this.#warn = warn;
    this.#local = downloadersByScheme(local);
  }

  /** Starts the worker now rather than at the first download (so its start-up is not part of a transfer). */
  start(): void {
    this.#ensureWorker();
  }

  download(request: DownloadRequest, sink: Writable, options: DownloadOptions): Promise<DownloadResult> {
    const { signal } = options;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (!(sink instanceof StagedFileSink)) return this.#downloadHere(request, sink, options);
    const pass = sink.delegate();
    if (pass === null) return this.#downloadHere(request, sink, options);
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    return new Promise<DownloadResult>((resolve, reject) => {
      const onAbort = (): void => {
        worker.postMessage({ type: 'abort', id } satisfies ToWorker);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const forget = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      this.#pending.set(id, {
        worker,
        sink,
        signal,
        onProgress: options.onProgress,
        resolve: (result) => {
          forget();
          resolve(result);
        },
        reject: (err) => {
          forget();
          reject(err);
        },
      });
      worker.postMessage({
        type: 'download',
        id,
        request: toWireRequest(request),
        pass,
        maxBytes: options.maxBytes,
      } satisfies ToWorker);
    });
  }

  #downloadHere(request: DownloadRequest, sink: Writable, options: DownloadOptions): Promise<DownloadResult> {
    const local = this.#local.get(request.scheme);
    if (local === undefined) return Promise.reject(failures.unexpected());
    return local.download(request, sink, options);
  }

  /** Stops the worker; downloads still running there fail. A later download would start a new one. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) await worker.terminate();
  }

  #ensureWorker(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = startModuleWorker(import.meta.url, 'transfer-worker-main', this.#data);
    worker.on('message', (message: FromWorker) => {
      this.#onMessage(message);
    });
    let failure: Error | null = null;
    worker.on('error', (err) => {
      // New downloads go to a new worker; this one's transfers fail at 'exit' (see #lost).
      failure = err;
      if (this.#worker === worker) this.#worker = null;
    });
    worker.on('exit', (code) => {
      this.#lost(worker, failure ?? new Error(`the transfer worker exited with code ${code}`));
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #onMessage(message: FromWorker): void {
    if (message.type === 'warn') {
      this.#warn(message.message, message.details);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    switch (message.type) {
      case 'progress':
        pending.onProgress({ received: message.received, total: message.total });
        return;
      case 'done':
        pending.sink.settleDelegation(message.pass);
        pending.resolve(message.result);
        return;
      case 'failed': {
        const err = fromWireError(message.error);
        pending.sink.settleDelegation(err);
        pending.reject(pending.signal.aborted ? (pending.signal.reason as Error) : err);
        return;
      }
    }
  }

  /**
   * The worker has exited: its transfers fail and the next download starts a new one. Only at 'exit', not at
   * 'error': until the thread has exited, its thread-pool writes may still be running on the staged fds, which
   * the main side closes as soon as the transfers fail.
   */
  #lost(worker: Worker, cause: Error): void {
    if (this.#worker === worker) this.#worker = null;
    for (const pending of [...this.#pending.values()]) {
      if (pending.worker !== worker) continue;
      pending.sink.settleDelegation(cause);
      pending.reject(
        pending.signal.aborted ? (pending.signal.reason as Error) : withCause(failures.unexpected(), cause),
      );
    }
  }
}
