import { createHash } from 'node:crypto';
import { close, fdatasync, fsync, ftruncate } from 'node:fs';
import { Writable } from 'node:stream';
import { failures, type JobFailure } from '../../core/errors.js';
import type { PackageInspection } from '../../core/ports/image-store.js';
import { alignedBuffer, alignUp } from './aligned-buffer.js';
import { passWorker, type PassDigest, type RemotePass } from './pass-worker.js';
import { writeFully } from './write-fully.js';
import { storageFailure, withCause } from './storage-failure.js';
import type { TgzInspector } from './tgz-inspector.js';

/** Size of the writes to the file, of the hash updates and of the inspector's steps. */
export const SINK_UNIT = 1 << 20;
/** Chunks at least this large are written in place (not for direct fds or a pass worker); smaller ones are batched. */
const IN_PLACE_MIN = 256 * 1024;
/** Batches being written (and, for compressed blocks, inflated) at once; their writes go to distinct file offsets. */
const MAX_IN_FLIGHT = 4;
const POOL_MAX = MAX_IN_FLIGHT + 2;
/**
 * Written bytes after which writeback is started with an fdatasync while the transfer goes on, so the
 * final fsync (required before the commit) only has the tail left to flush instead of the whole file.
 */
const SYNC_EVERY = 128 * 1024 * 1024;

export interface StagedFileSinkOptions {
  readonly fd: number;
  readonly maxBytes: number;
  readonly verb: 'download' | 'upload';
  readonly inspector: TgzInspector;
  /** Close the fd when the sink is destroyed (default). A transfer worker's sink leaves that to the owner's. */
  readonly closeFd?: boolean;
  /**
   * The fd was opened with O_DIRECT: every write goes from page-aligned batches at aligned offsets, and the
   * last one is padded to the alignment and cut back with ftruncate before the fsync.
   */
  readonly direct?: boolean;
  /**
   * Hash, inspect and write in this thread's pass worker (`pass-worker.ts`) instead of here: batches move there
   * and back by transfer, and `inspector` is not used.
   */
  readonly passWorker?: boolean;
}

/** What a sink needs to run its pass elsewhere (a transfer worker) on the same file descriptor. */
export interface DelegatedPass {
  readonly fd: number;
  readonly maxBytes: number;
  readonly verb: 'download' | 'upload';
  readonly direct: boolean;
  readonly passWorker: boolean;
}

/** What a finished pass learned; the file is fsynced. */
export interface PassResult {
  readonly sha256: string;
  readonly bytes: number;
  readonly inspection: PackageInspection;
}

interface Delegation {
  readonly settled: Promise<void>;
  readonly settle: () => void;
  result: PassResult | null;
  error: Error | null;
}

interface Waiter {
  readonly cb: (err?: Error | null) => void;
  /** Flushes still reading the caller's own chunks: the callback waits for them, the caller may reuse them after. */
  holds: number;
}

/**
 * The one pass over a package's bytes: sha256, archive inspection and the file write, in 1 MiB units.
 *
 * Small chunks (sockets give 16-64 KiB) are copied into a 1 MiB batch, so the hash, the inspector and the
 * disk each see one call per MiB instead of one per chunk; large chunks are used in place and their callback
 * waits until the write and the inspector are done with them. Up to four batches are written (pwritev at
 * explicit offsets) on the thread pool while the main thread hashes and inspects the next one.
 *
 * With `passWorker`, the hash, the inspector and the writes run in the pass worker instead, and every chunk is
 * copied into a batch (a batch's memory moves there and back). With `direct`, batches are page-aligned, every
 * write but the last is a whole batch at a batch-aligned offset, and the last is padded, then cut back.
 *
 * Bytes beyond `maxBytes` fail the stream (tooLarge / uploadTooLarge) before anything of that chunk is
 * written. I/O errors fail it with `storageFailure`. The fd is closed only once no write is in flight, by
 * `_destroy`, which also runs after a successful finish; `_final` fsyncs.
 */
export class StagedFileSink extends Writable {
  readonly #fd: number;
  readonly #maxBytes: number;
  readonly #verb: 'download' | 'upload';
  readonly #inspector: TgzInspector;
  readonly #hash = createHash('sha256');
  #accepted = 0;
  #position = 0;
  #batch: Buffer | null = null;
  #batchLength = 0;
  readonly #pool: Buffer[] = [];
  #inFlight = 0;
  readonly #idle: (() => void)[] = [];
  #waiter: Waiter | null = null;
  #finalizing = false;
  #failure: JobFailure | null = null;
  #unsynced = 0;
  #syncing = false;
  readonly #closeFd: boolean;
  readonly #direct: boolean;
  readonly #usePassWorker: boolean;
  /** Opened at the first flush, so a sink that delegates its pass never opens one. */
  #remote: RemotePass | null = null;
  #remoteDigest: PassDigest | null = null;
  #delegation: Delegation | null = null;

  constructor(options: StagedFileSinkOptions) {
    super({ highWaterMark: SINK_UNIT });
    this.#closeFd = options.closeFd ?? true;
    this.#direct = options.direct ?? false;
    this.#usePassWorker = options.passWorker ?? false;
    this.#fd = options.fd;
    this.#maxBytes = options.maxBytes;
    this.#verb = options.verb;
    this.#inspector = options.inspector;
  }

  /** Bytes accepted so far (for a delegated pass: once it has finished). */
  get accepted(): number {
    return this.#delegation?.result?.bytes ?? this.#accepted;
  }

  /**
   * Ends the pass (here: the last batch and the fsync; delegated: the other side's end) and reports it once the
   * fd is no longer written. Rejects with a storage failure, or if the sink was destroyed before it finished.
   */
  async complete(): Promise<PassResult> {
    if (!this.destroyed && !this.writableEnded) this.end();
    await this.#closed();
    if (this.errored !== null) throw storageFailure(this.errored, this.#verb);
    if (!this.writableFinished) {
      throw withCause(
        failures.storeFailed(this.#verb),
        new Error('the staged write was aborted before it completed'),
      );
    }
    const delegated = this.#delegation?.result;
    if (delegated !== undefined && delegated !== null) return delegated;
    if (this.#usePassWorker) {
      const digest = this.#remoteDigest;
      if (digest === null) {
        throw withCause(failures.storeFailed(this.#verb), new Error('the pass worker gave no digest'));
      }
      return { sha256: digest.sha256, bytes: this.#accepted, inspection: digest.inspection };
    }
    return {
      sha256: this.#hash.digest('hex'),
      bytes: this.#accepted,
      inspection: await this.#inspector.finish(),
    };
  }

  /** Stops the pass and its inspector, and waits until the fd is closed (or released to its owner). */
  async discard(): Promise<void> {
    this.destroy();
    this.#inspector.destroy();
    this.#remote?.close();
    await this.#closed();
  }

  /**
   * Hands the whole pass to another thread, which writes through its own sink on this fd: nothing may be
   * written here afterwards. `end()` then waits for `settleDelegation`, and `destroy()` closes the fd only after
   * it, so the fd outlives the other side's use of it. Null when bytes were already written or it is too late.
   */
  delegate(): DelegatedPass | null {
    if (this.#delegation !== null || this.#accepted > 0 || this.writableEnded || this.destroyed) return null;
    let settle = (): void => undefined;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#delegation = { settled, settle, result: null, error: null };
    return {
      fd: this.#fd,
      maxBytes: this.#maxBytes,
      verb: this.#verb,
      direct: this.#direct,
      passWorker: this.#usePassWorker,
    };
  }

  /** The delegated pass is over and the other side no longer uses the fd. */
  settleDelegation(outcome: PassResult | Error): void {
    const d = this.#delegation;
    if (d === null || d.result !== null || d.error !== null) return;
    if (outcome instanceof Error) d.error = outcome;
    else d.result = outcome;
    d.settle();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#ingest([chunk], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.#ingest(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    const delegation = this.#delegation;
    if (delegation !== null) {
      void delegation.settled.then(() => {
        cb(delegation.error);
      });
      return;
    }
    this.#finalizing = true;
    const batch = this.#batch;
    let padded = false;
    if (batch !== null && this.#batchLength > 0) {
      const length = this.#batchLength;
      const data = batch.subarray(0, length);
      if (this.#direct) {
        const end = alignUp(length);
        batch.fill(0, length, end);
        padded = end !== length;
        this.#flush([data], [batch], false, [batch.subarray(0, end)]);
      } else {
        this.#flush([data], [batch], false);
      }
      this.#batch = null;
      this.#batchLength = 0;
    }
    this.#whenIdle(() => {
      if (this.#failure !== null) {
        cb(this.#failure);
        return;
      }
      // Counted as in flight so that a concurrent destroy closes the fd only after the fsync.
      this.#inFlight++;
      const sync = (): void => {
        fsync(this.#fd, (err) => {
          this.#inFlight--;
          cb(err === null ? null : storageFailure(err, this.#verb));
          this.#settle();
        });
      };
      const fail = (err: unknown): void => {
        this.#inFlight--;
        cb(storageFailure(err, this.#verb));
        this.#settle();
      };
      const truncateAndSync = (): void => {
        if (!padded) {
          sync();
          return;
        }
        ftruncate(this.#fd, this.#position, (err) => {
          if (err === null) sync();
          else fail(err);
        });
      };
      if (!this.#usePassWorker) {
        truncateAndSync();
        return;
      }
      this.#remoteFinish().then((digest) => {
        this.#remoteDigest = digest;
        truncateAndSync();
      }, fail);
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const released = this.#delegation?.settled ?? Promise.resolve();
    this.#whenIdle(() => {
      this.#remote?.close();
      if (!this.#closeFd) {
        cb(err);
        return;
      }
      void released.then(() => {
        close(this.#fd, (closeErr) => {
          cb(err ?? (closeErr === null ? null : storageFailure(closeErr, this.#verb)));
        });
      });
    });
  }

  #ingest(chunks: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.#delegation !== null) {
      cb(new Error('this sink delegated its pass; nothing may be written to it'));
      return;
    }
    if (this.#failure !== null) {
      cb(this.#failure);
      return;
    }
    const length = chunks.reduce((n, c) => n + c.length, 0);
    if (this.#accepted + length > this.#maxBytes) {
      cb(
        this.#verb === 'download'
          ? failures.tooLarge(this.#maxBytes)
          : failures.uploadTooLarge(this.#maxBytes),
      );
      return;
    }
    this.#accepted += length;
    const waiter: Waiter = { cb, holds: 0 };
    this.#waiter = waiter;
    let out: Buffer[] = [];
    let release: Buffer[] = [];
    let outLength = 0;
    let holdsCaller = false;
    const emit = (): void => {
      if (holdsCaller) waiter.holds++;
      this.#flush(out, release, holdsCaller);
      out = [];
      release = [];
      outLength = 0;
      holdsCaller = false;
    };
    for (const chunk of chunks) {
      if (chunk.length >= IN_PLACE_MIN && !this.#direct && !this.#usePassWorker) {
        if (this.#batch !== null && this.#batchLength > 0) {
          out.push(this.#batch.subarray(0, this.#batchLength));
          release.push(this.#batch);
          outLength += this.#batchLength;
          this.#batch = null;
          this.#batchLength = 0;
        }
        out.push(chunk);
        outLength += chunk.length;
        holdsCaller = true;
        if (outLength >= SINK_UNIT) emit();
        continue;
      }
      let at = 0;
      while (at < chunk.length) {
        const batch = (this.#batch ??= this.#pool.pop() ?? this.#newBatch());
        const n = chunk.copy(batch, this.#batchLength, at);
        at += n;
        this.#batchLength += n;
        if (this.#batchLength === SINK_UNIT) {
          out.push(batch);
          release.push(batch);
          outLength += SINK_UNIT;
          this.#batch = null;
          this.#batchLength = 0;
          emit();
        }
      }
    }
    // Caller chunks are never kept once the callback has run.
    if (holdsCaller) emit();
    this.#settle();
  }

  #newBatch(): Buffer {
    return this.#direct ? alignedBuffer(SINK_UNIT) : Buffer.allocUnsafeSlow(SINK_UNIT);
  }

  /** Hashes and inspects `parts` and writes them (or `written`: the same bytes padded for a direct fd). */
  #flush(parts: Buffer[], release: Buffer[], holdsCaller: boolean, written: Buffer[] = parts): void {
    if (this.#usePassWorker) {
      this.#flushRemote(parts, release, written);
      return;
    }
    let total = 0;
    for (const part of parts) {
      this.#hash.update(part);
      total += part.length;
    }
    const at = this.#position;
    this.#position += total;
    this.#inFlight++;
    let pending = 1 + parts.length;
    const done = (): void => {
      if (--pending > 0) return;
      this.#inFlight--;
      for (const buf of release) if (this.#pool.length < POOL_MAX) this.#pool.push(buf);
      if (holdsCaller && this.#waiter !== null) this.#waiter.holds--;
      this.#settle();
    };
    writeFully(this.#fd, written, at, (err) => {
      if (err !== null) this.#ioFailed(err);
      else this.#progressiveSync(total);
      done();
    });
    for (const part of parts) this.#inspector.write(part, done);
  }

  /** One batch (a pool buffer: no caller chunks are held in this mode) to the pass worker and back. */
  #flushRemote(parts: Buffer[], release: Buffer[], written: Buffer[]): void {
    const [part] = parts;
    const [batch] = release;
    const writeLength = written[0]?.length ?? 0;
    if (parts.length !== 1 || release.length !== 1 || part === undefined || batch === undefined) {
      throw new Error('a pass worker flush is one whole batch');
    }
    this.#remote ??= passWorker().open(this.#fd);
    const at = this.#position;
    this.#position += part.length;
    this.#inFlight++;
    this.#remote.write(batch, part.length, writeLength, at, (err, back) => {
      this.#inFlight--;
      if (back !== null && this.#pool.length < POOL_MAX) this.#pool.push(back);
      if (err !== null) this.#ioFailed(err);
      else this.#progressiveSync(part.length);
      this.#settle();
    });
  }

  /** The remote pass's digest; a sink that never flushed (an empty package) opens its pass only now. */
  #remoteFinish(): Promise<PassDigest> {
    try {
      this.#remote ??= passWorker().open(this.#fd);
      return this.#remote.finish();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #progressiveSync(written: number): void {
    this.#unsynced += written;
    // A direct write leaves nothing in the page cache for writeback to catch up on.
    if (this.#direct || this.#syncing || this.#finalizing || this.#unsynced < SYNC_EVERY) return;
    this.#syncing = true;
    this.#unsynced = 0;
    // Not a flush slot, so writes go on meanwhile; idle waiters (close, the final fsync) wait for it.
    // A failure here surfaces again at the final fsync.
    fdatasync(this.#fd, () => {
      this.#syncing = false;
      this.#settle();
    });
  }

  /** Runs the waiting write callback once its chunks are released and a flush slot is free; wakes idle waiters. */
  #settle(): void {
    const waiter = this.#waiter;
    if (
      waiter !== null &&
      (this.#failure !== null || (waiter.holds === 0 && this.#inFlight < MAX_IN_FLIGHT))
    ) {
      this.#waiter = null;
      waiter.cb(this.#failure);
    }
    while (this.#inFlight === 0 && !this.#syncing) {
      const fn = this.#idle.shift();
      if (fn === undefined) break;
      fn();
    }
  }

  #ioFailed(err: NodeJS.ErrnoException): void {
    if (this.#failure !== null) return;
    this.#failure = storageFailure(err, this.#verb);
    // A pending write or _final callback reports the failure; otherwise nothing would.
    if (this.#waiter === null && !this.#finalizing) this.destroy(this.#failure);
  }

  #closed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', () => {
        resolve();
      });
    });
  }

  #whenIdle(fn: () => void): void {
    this.#idle.push(fn);
    this.#settle();
  }
}
