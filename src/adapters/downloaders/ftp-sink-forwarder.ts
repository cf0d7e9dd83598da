import { Writable } from 'node:stream';
import { toError } from '../../core/errors.js';

export interface ForwarderHooks {
  /** Asked before a chunk goes to the sink; an error returned fails the transfer and the chunk is not written. */
  readonly admit: (bytes: number) => Error | null;
  /** The sink has taken a chunk of this many bytes. */
  readonly written: (bytes: number) => void;
  /** True while the sink applies backpressure, false once it drained. */
  readonly waiting: (waiting: boolean) => void;
}

type Callback = (error?: Error | null) => void;

/**
 * The Writable handed to basic-ftp, which ends its destination and (through `pipeline`) destroys it on errors.
 * It forwards chunks into the caller's sink without ever ending or destroying it, and takes the next chunk only
 * after the sink's 'drain', so backpressure reaches the data socket. After `detach()` nothing more is forwarded:
 * chunks that basic-ftp still had queued from a broken attempt must not reach the sink, or a resumed transfer
 * would write those bytes twice.
 */
export class SinkForwarder extends Writable {
  readonly #sink: Writable;
  readonly #hooks: ForwarderHooks;
  #attached = true;
  #release: ((error: Error | null, isFailure: boolean) => void) | null = null;
  #failure: Error | null = null;

  constructor(sink: Writable, hooks: ForwarderHooks) {
    super({ highWaterMark: 1024 * 1024 });
    this.#sink = sink;
    this.#hooks = hooks;
  }

  /** The error that stopped forwarding (refused by `admit`, or the sink failed), if any. */
  get failure(): Error | null {
    return this.#failure;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    if (!this.#attached) {
      callback(new Error('the transfer attempt has ended'));
      return;
    }
    const refused = this.#hooks.admit(chunk.length);
    if (refused !== null) {
      this.#fail(refused, callback);
      return;
    }
    const sink = this.#sink;
    if (sink.destroyed || sink.writableEnded) {
      this.#fail(new Error('the sink was closed during the download'), callback);
      return;
    }
    let ready: boolean;
    try {
      ready = sink.write(chunk);
    } catch (err) {
      this.#fail(toError(err), callback);
      return;
    }
    this.#hooks.written(chunk.length);
    if (ready) {
      callback();
      return;
    }
    this.#hooks.waiting(true);
    const onDrain = (): void => {
      done(null, false);
    };
    const onClose = (): void => {
      done(new Error('the sink was closed during the download'), true);
    };
    const done = (error: Error | null, isFailure: boolean): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      this.#release = null;
      this.#hooks.waiting(false);
      if (error === null) callback();
      else if (isFailure) this.#fail(error, callback);
      else callback(error);
    };
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    this.#release = done;
  }

  /** Stops forwarding for good and lets go of the sink's listeners. */
  detach(): void {
    this.#attached = false;
    this.#release?.(new Error('the transfer attempt has ended'), false);
  }

  #fail(error: Error, callback: Callback): void {
    this.#failure ??= error;
    this.#attached = false;
    callback(error);
  }
}
