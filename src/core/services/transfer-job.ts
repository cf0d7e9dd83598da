import { failures, JobFailure } from '../errors.js';
import { abortCauseOf } from '../jobs/abort-reasons.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { ImageStore, StagedWrite } from '../ports/image-store.js';
import type { TransferSettings } from './transfer-settings.js';

export type TransferVerb = 'download' | 'upload';

/** The failure a transfer ends with when its signal was aborted, or null if it was not. */
export function failureForAbort(
  signal: AbortSignal,
  verb: TransferVerb,
  limitSeconds: number,
): JobFailure | null {
  const reason: unknown = signal.reason;
  if (!signal.aborted) return null;
  if (reason instanceof JobFailure) return reason;
  switch (abortCauseOf(signal)) {
    case 'cancel':
      return verb === 'download' ? failures.downloadCancelled() : failures.uploadCancelled();
    case 'time_limit':
      return verb === 'download'
        ? failures.downloadTimeLimit(limitSeconds)
        : failures.uploadTimeLimit(limitSeconds);
    case 'shutdown':
      return failures.interrupted(verb === 'download' ? '10551381' : '10551359');
    case null:
      return null;
  }
}

/**
 * Pieces shared by every transfer job: the time limit, the free-space checks and an inner abort signal
 * through which a check can fail the transfer with its own failure.
 */
export class TransferGuard {
  readonly #images: ImageStore;
  readonly #settings: TransferSettings;
  readonly #verb: TransferVerb;
  readonly inner = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #lastSpaceCheck = 0;

  constructor(images: ImageStore, settings: TransferSettings, verb: TransferVerb) {
    this.#images = images;
    this.#settings = settings;
    this.#verb = verb;
  }

  /** Links the job's signal to the inner one and arms the time limit (which asks the runner to expire). */
  arm(jobSignal: AbortSignal, runner: JobRunner, uuid: string): void {
    const forward = (): void => {
      this.inner.abort(jobSignal.reason);
    };
    if (jobSignal.aborted) forward();
    else jobSignal.addEventListener('abort', forward, { once: true });
    this.#timer = setTimeout(() => {
      runner.expire(uuid);
    }, this.#settings.timeLimitSeconds * 1000);
    this.#timer.unref();
  }

  disarm(): void {
    clearTimeout(this.#timer);
  }

  /** Before the body: refuse a known size that does not fit (limit or free space). */
  async checkAnnouncedSize(total: number | null): Promise<void> {
    if (total === null) return;
    if (total > this.#settings.maxPackageBytes) {
      throw this.#verb === 'download'
        ? failures.tooLarge(this.#settings.maxPackageBytes)
        : failures.uploadTooLarge(this.#settings.maxPackageBytes);
    }
    await this.checkFreeSpace(total);
  }

  /** Refuses a transfer of about `total` bytes that would leave less than the configured free space. */
  async checkFreeSpace(total: number | null): Promise<void> {
    if (total === null) return;
    const free = await this.#images.freeBytes();
    if (free - total < this.#settings.minFreeBytes) throw failures.noSpace(this.#verb);
  }

  /** During the body: every 64 MiB, fail the transfer if the device is running out of space. */
  watchSpace(received: number): void {
    if (received - this.#lastSpaceCheck < 64 * 1048576) return;
    this.#lastSpaceCheck = received;
    this.#images.freeBytes().then(
      (free) => {
        if (free < this.#settings.minFreeBytes) this.inner.abort(failures.noSpace(this.#verb));
      },
      () => undefined,
    );
  }

  /** The failure to report for an error thrown during the transfer. */
  resolveFailure(err: unknown): unknown {
    const aborted = failureForAbort(this.inner.signal, this.#verb, this.#settings.timeLimitSeconds);
    return aborted ?? err;
  }
}

/** Removes a staged file whatever happens next; errors while removing are not the transfer's failure. */
export async function discard(staged: StagedWrite): Promise<void> {
  await staged.abort().catch(() => undefined);
}
