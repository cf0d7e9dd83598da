import type { Worker } from 'node:worker_threads';
import type { PackageInspection } from '../../core/ports/image-store.js';
import { startModuleWorker } from '../module-worker.js';

export type ToPassWorker =
  | { readonly type: 'open'; readonly pass: number; readonly fd: number }
  | {
      readonly type: 'batch';
      readonly pass: number;
      readonly seq: number;
      readonly buffer: ArrayBuffer;
      /** Bytes of the package in the buffer: hashed and inspected. */
      readonly length: number;
      /** Bytes written from the start of the buffer: `length`, or more for a direct fd's padded last batch. */
      readonly writeLength: number;
      readonly position: number;
    }
  | { readonly type: 'finish'; readonly pass: number; readonly seq: number }
  | { readonly type: 'close'; readonly pass: number };

export interface WireErrno {
  readonly message: string;
  readonly code?: string;
}

export type FromPassWorker =
  | {
      readonly type: 'written';
      readonly seq: number;
      readonly buffer: ArrayBuffer;
      readonly error: WireErrno | null;
    }
  | {
      readonly type: 'finished';
      readonly seq: number;
      readonly sha256: string;
      readonly inspection: PackageInspection;
    }
  | { readonly type: 'finish-failed'; readonly seq: number; readonly error: WireErrno }
  | { readonly type: 'unknown-pass'; readonly seq: number };

export interface PassDigest {
  readonly sha256: string;
  readonly inspection: PackageInspection;
}

/**
 * One package's hash, archive check and writes, run by the pass worker. Batches must be whole buffers
 * (offset 0, their own ArrayBuffer): their memory moves to the worker and comes back in `done`.
 */
export interface RemotePass {
  write(
    batch: Buffer,
    length: number,
    writeLength: number,
    position: number,
    done: (err: NodeJS.ErrnoException | null, back: Buffer | null) => void,
  ): void;
  /** The digest and the verdict, once every write has called back. */
  finish(): Promise<PassDigest>;
  /** Forgets the pass (idempotent); the fd stays open, it is the caller's. */
  close(): void;
}

type Reply = (message: FromPassWorker | Error) => void;

/**
 * The thread that hashes, inspects and writes package bytes while the thread that receives them (the transfer
 * worker for downloads, the API thread for uploads) goes on receiving. On this 2-core machine the receiving
 * thread was the bottleneck at one full core, a third of it SHA-256 and CRC-32, while direct writes had left the
 * other core mostly idle. Batches move between the threads by transfer, never by copy.
 *
 * One per thread that stages packages, started at the first pass. If it dies, its passes fail with the cause and
 * the next pass starts a new one.
 */
class PassWorkerHost {
  #worker: Worker | null = null;
  readonly #replies = new Map<number, Reply>();
  #nextPass = 1;
  #nextSeq = 1;

  /** Starts the thread now rather than at the first pass. */
  start(): void {
    this.#ensureWorker();
  }

  open(fd: number): RemotePass {
    const worker = this.#ensureWorker();
    const pass = this.#nextPass++;
    worker.postMessage({ type: 'open', pass, fd } satisfies ToPassWorker);
    let closed = false;
    return {
      write: (batch, length, writeLength, position, done) => {
        const buffer = batch.buffer;
        if (
          batch.byteOffset !== 0 ||
          buffer.byteLength !== batch.length ||
          !(buffer instanceof ArrayBuffer)
        ) {
          throw new RangeError('a pass batch must be a whole ArrayBuffer');
        }
        const seq = this.#await(worker, (reply) => {
          if (reply instanceof Error) done(reply, null);
          else if (reply.type === 'written') done(fromWireErrno(reply.error), Buffer.from(reply.buffer));
          else done(new Error('the pass worker no longer knows this pass'), null);
        });
        worker.postMessage(
          { type: 'batch', pass, seq, buffer, length, writeLength, position } satisfies ToPassWorker,
          [buffer],
        );
      },
      finish: () =>
        new Promise<PassDigest>((resolve, reject) => {
          const seq = this.#await(worker, (reply) => {
            if (reply instanceof Error) reject(reply);
            else if (reply.type === 'finished')
              resolve({ sha256: reply.sha256, inspection: reply.inspection });
            else if (reply.type === 'finish-failed')
              reject(fromWireErrno(reply.error) ?? new Error('finish failed'));
            else reject(new Error('the pass worker no longer knows this pass'));
          });
          closed = true;
          worker.postMessage({ type: 'finish', pass, seq } satisfies ToPassWorker);
        }),
      close: () => {
        if (closed) return;
        closed = true;
        if (this.#worker === worker) worker.postMessage({ type: 'close', pass } satisfies ToPassWorker);
      },
    };
  }

  /**
   * Registers a reply. The worker is unref'd while no reply is awaited (an idle pass worker never keeps the
   * process alive) and ref'd while one is (a pass in progress does).
   */
  #await(worker: Worker, reply: Reply): number {
    const seq = this.#nextSeq++;
    if (this.#replies.size === 0) worker.ref();
    this.#replies.set(seq, reply);
    return seq;
  }

  #ensureWorker(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = startModuleWorker(import.meta.url, 'pass-worker-main', {});
    worker.on('message', (message: FromPassWorker) => {
      const reply = this.#replies.get(message.seq);
      this.#replies.delete(message.seq);
      if (this.#replies.size === 0) worker.unref();
      reply?.(message);
    });
    worker.on('error', (err) => {
      this.#lost(worker, err);
    });
    worker.on('exit', (code) => {
      this.#lost(worker, new Error(`the pass worker exited with code ${String(code)}`));
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #lost(worker: Worker, cause: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    const replies = [...this.#replies.values()];
    this.#replies.clear();
    for (const reply of replies) reply(cause);
  }
}

function fromWireErrno(wire: WireErrno | null): NodeJS.ErrnoException | null {
  if (wire === null) return null;
  const err: NodeJS.ErrnoException = new Error(wire.message);
  if (wire.code !== undefined) err.code = wire.code;
  return err;
}

let host: PassWorkerHost | null = null;

/** This thread's pass worker. */
export function passWorker(): { start(): void; open(fd: number): RemotePass } {
  host ??= new PassWorkerHost();
  return host;
}
