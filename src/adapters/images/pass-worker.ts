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

/** One worker thread and the replies awaited from it. */
interface Slot {
  readonly worker: Worker;
  readonly replies: Map<number, Reply>;
  /** Set once the thread has exited: its passes fail at once with this cause, nothing is posted to it. */
  gone: Error | null;
}

/**
 * The thread that hashes, inspects and writes package bytes while the thread that receives them (the transfer
 * worker for downloads, the API thread for uploads) goes on receiving. Batches move between the threads by
 * transfer, never by copy.
 *
 * One per thread that stages packages. A pass stays with the worker it was opened on. If that worker dies, the
 * pass's pending and later writes fail with the cause, but only once the thread has exited: until then its
 * thread-pool writes may still be running on the caller's fd, which the caller closes when the writes fail. The
 * next pass starts a new worker.
 */
class PassWorkerHost {
  #slot: Slot | null = null;
  #nextPass = 1;
  #nextSeq = 1;

  /** Starts the thread now rather than at the first pass. */
  start(): void {
    this.#ensureSlot();
  }

  open(fd: number): RemotePass {
    const slot = this.#ensureSlot();
    const { worker } = slot;
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
        const seq = this.#await(slot, (reply) => {
          if (reply instanceof Error) done(reply, null);
          else if (reply.type === 'written') done(fromWireErrno(reply.error), Buffer.from(reply.buffer));
          else done(new Error('the pass worker no longer knows this pass'), null);
        });
        if (seq !== null) {
          worker.postMessage(
            { type: 'batch', pass, seq, buffer, length, writeLength, position } satisfies ToPassWorker,
            [buffer],
          );
        }
      },
      finish: () =>
        new Promise<PassDigest>((resolve, reject) => {
          closed = true;
          const seq = this.#await(slot, (reply) => {
            if (reply instanceof Error) reject(reply);
            else if (reply.type === 'finished')
              resolve({ sha256: reply.sha256, inspection: reply.inspection });
            else if (reply.type === 'finish-failed')
              reject(fromWireErrno(reply.error) ?? new Error('finish failed'));
            else reject(new Error('the pass worker no longer knows this pass'));
          });
          if (seq !== null) worker.postMessage({ type: 'finish', pass, seq } satisfies ToPassWorker);
        }),
      close: () => {
        if (closed) return;
        closed = true;
        if (slot.gone === null) worker.postMessage({ type: 'close', pass } satisfies ToPassWorker);
      },
    };
  }

  /**
   * Registers a reply, or gives it the slot's cause at once (null) when the thread is gone. A worker is unref'd
   * while no reply is awaited from it (an idle pass worker never keeps the process alive) and ref'd while one is.
   */
  #await(slot: Slot, reply: Reply): number | null {
    if (slot.gone !== null) {
      reply(slot.gone);
      return null;
    }
    const seq = this.#nextSeq++;
    if (slot.replies.size === 0) slot.worker.ref();
    slot.replies.set(seq, reply);
    return seq;
  }

  #ensureSlot(): Slot {
    if (this.#slot !== null) return this.#slot;
    const worker = startModuleWorker(import.meta.url, 'pass-worker-main', {});
    const slot: Slot = { worker, replies: new Map(), gone: null };
    let failure: Error | null = null;
    worker.on('message', (message: FromPassWorker) => {
      const reply = slot.replies.get(message.seq);
      slot.replies.delete(message.seq);
      if (slot.replies.size === 0) worker.unref();
      reply?.(message);
    });
    worker.on('error', (err) => {
      // New passes go to a new worker; this one's wait for 'exit' (see the class comment).
      failure = err;
      if (this.#slot === slot) this.#slot = null;
    });
    worker.on('exit', (code) => {
      if (this.#slot === slot) this.#slot = null;
      slot.gone = failure ?? new Error(`the pass worker exited with code ${String(code)}`);
      const replies = [...slot.replies.values()];
      slot.replies.clear();
      for (const reply of replies) reply(slot.gone);
    });
    worker.unref();
    this.#slot = slot;
    return slot;
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
