import { write, writeSync } from 'node:fs';

const RETRY_MS = 10;
const EXIT_RETRIES = 1000;

/**
 * The server's pino destination: the lines of one turn of the event loop, and those that came while the
 * previous batch was being written, are written together with one write(2) on the thread pool, in order.
 * Lines are not held longer: a timer would let them outlive a young-generation GC and be promoted. It
 * replaces sonic-boom, which measures the byte length of its whole pending buffer on every line: under load
 * that cost more than building the line.
 *
 * No line is lost on a graceful stop: the caller awaits flush() after the last request, and while lines are
 * pending the event loop stays alive. Lines still pending at process exit are written synchronously.
 */
export class BatchedLogDestination {
  readonly #fd: number;
  #pending: string[] = [];
  #scheduled = false;
  /** A batch is being written; later lines wait for it, which keeps them in order. */
  #writing = false;
  #idle: (() => void)[] = [];

  constructor(fd: number) {
    this.#fd = fd;
    process.on('exit', this.#writeRestSync);
  }

  /** pino's stream interface. */
  write(line: string): boolean {
    this.#pending.push(line);
    if (!this.#writing && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#startBatch);
    }
    return true;
  }

  /** Calls `done` once every line handed over so far is written (pino's logger.flush()). */
  flush(done: (err?: Error) => void = () => undefined): void {
    if (!this.#writing && this.#pending.length === 0) {
      done();
      return;
    }
    this.#idle.push(done);
    if (!this.#writing) this.#startBatch();
  }

  /** Stops writing leftovers at process exit; call after the last flush(). */
  close(): void {
    process.removeListener('exit', this.#writeRestSync);
  }

  readonly #startBatch = (): void => {
    this.#scheduled = false;
    if (this.#writing) return;
    if (this.#pending.length === 0) {
      this.#settle();
      return;
    }
    const batch = this.#takePending();
    this.#writing = true;
    this.#writeFrom(batch, 0);
  };

  /** The pending lines as one buffer, encoded once: a short write is then resumed by byte offset. */
  #takePending(): Buffer {
    const batch = Buffer.from(this.#pending.join(''), 'utf8');
    this.#pending = [];
    return batch;
  }

  /** Writes `batch` from `offset` on, resuming after a write that took only part of it (a pipe, a signal). */
  #writeFrom(batch: Buffer, offset: number): void {
    write(this.#fd, batch, offset, batch.length - offset, null, (err, written) => {
      if (err === null && offset + written < batch.length) {
        this.#writeFrom(batch, offset + written);
        return;
      }
      this.#written(err, () => {
        this.#writeFrom(batch, offset);
      });
    });
  }

  #written(err: NodeJS.ErrnoException | null, retry: () => void): void {
    if (err !== null) {
      if (err.code === 'EAGAIN') {
        // A non-blocking pipe that is full: the reader catches up, then the rest goes out.
        setTimeout(retry, RETRY_MS);
        return;
      }
      process.stderr.write(`clusterimage: cannot write the log (${err.code ?? err.message})\n`);
    }
    this.#writing = false;
    this.#startBatch();
  }

  #settle(): void {
    const idle = this.#idle;
    this.#idle = [];
    for (const done of idle) done();
  }

  readonly #writeRestSync = (): void => {
    if (this.#pending.length === 0) return;
    const rest = this.#takePending();
    let offset = 0;
    for (let tries = 0; offset < rest.length && tries < EXIT_RETRIES; tries++) {
      try {
        offset += writeSync(this.#fd, rest, offset, rest.length - offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      }
    }
  };
}
