import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { downloadersByScheme } from '../../core/ports/downloader.js';
import { failures } from '../../core/errors.js';
import { bufferReclaimer } from '../../buffer-reclaimer.js';
import { passWorker } from '../images/pass-worker.js';
import { StagedFileSink } from '../images/staged-file-sink.js';
import { TgzInspector } from '../images/tgz-inspector.js';
import { createDownloaders } from './downloader-set.js';
import {
  fromWireRequest,
  toWireError,
  type FromWorker,
  type ToWorker,
  type WorkerData,
} from './transfer-wire.js';

/** The most progress messages per second per transfer; the first one (the size) is sent at once. */
const PROGRESS_EVERY_MS = 100;
/** Nice increment of the worker thread: under CPU contention the API thread gets about nine tenths of a core. */
const TRANSFER_NICE = 10;

const port = parentPort;
if (port === null) throw new Error('transfer-worker-main runs only as a worker thread');
lowerThisThreadsPriority();
const post = (message: FromWorker): void => {
  port.postMessage(message);
};

const { settings, startPassWorker } = workerData as WorkerData;
if (startPassWorker) passWorker().start();
const bySchemes = downloadersByScheme(
  createDownloaders(settings, (message, details) => {
    post({ type: 'warn', message, details });
  }),
);
const running = new Map<number, AbortController>();

port.on('message', (message: ToWorker) => {
  if (message.type === 'abort') running.get(message.id)?.abort(new Error('aborted by the server'));
  else void run(message);
});

async function run(job: Extract<ToWorker, { type: 'download' }>): Promise<void> {
  const { id, pass } = job;
  const controller = new AbortController();
  running.set(id, controller);
  const sink = new StagedFileSink({ ...pass, inspector: new TgzInspector(), closeFd: false });
  // Failures are read from sink.errored and the download's own rejection; an unheard 'error' would end the thread.
  sink.on('error', () => undefined);
  const reclaim = bufferReclaimer();
  let last = -Infinity;
  try {
    const request = fromWireRequest(job.request);
    const downloader = bySchemes.get(request.scheme);
    if (downloader === undefined) throw failures.unexpected();
    const result = await downloader.download(request, sink, {
      signal: controller.signal,
      maxBytes: job.maxBytes,
      onProgress: ({ received, total }) => {
        reclaim(received);
        const now = performance.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        post({ type: 'progress', id, received, total });
      },
    });
    post({ type: 'done', id, result, pass: await sink.complete() });
  } catch (err) {
    await sink.discard();
    post({ type: 'failed', id, error: toWireError(err) });
  } finally {
    running.delete(id);
  }
}

/**
 * A transfer is throughput work; the API thread is latency work. On Linux, a nice value set with pid 0 applies to
 * the calling thread only, so the API keeps the CPU it needs while a transfer runs, and a transfer alone still
 * gets all the CPU there is. Elsewhere it would apply to the whole process, so it is left alone there.
 */
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + TRANSFER_NICE));
  } catch {
    // Not permitted in this environment: the transfer runs at the server's own priority.
  }
}
