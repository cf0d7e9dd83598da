import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { JobFailure, failures, toError } from '../errors.js';
import type { Job, JobKind } from '../model/job.js';
import type { Clock } from '../ports/clock.js';
import type { IdSource } from '../ports/id-source.js';
import type { JobEnd, JobStore } from '../ports/job-store.js';
import { JobAbort } from './abort-reasons.js';

const FINISH_RETRY_MS = [0, 100, 500, 2000, 5000, 12000];

export interface JobContext {
  readonly uuid: string;
  readonly signal: AbortSignal;
  /** Replaces the job's message while it runs (callers throttle). */
  readonly setMessage: (message: string) => void;
}

/** A job handler resolves with its success message, or throws a JobFailure (anything else is internal). */
export type JobHandler = (ctx: JobContext) => Promise<string>;

export interface StartOptions {
  readonly kind: JobKind;
  readonly description: string;
  readonly message: string;
  /** Whether PATCH action=cancel may abort this job. */
  readonly cancellable: boolean;
  /** Called once with the final job, after it is stored, before waiters are released. */
  readonly onEnd?: (job: Job) => Promise<void> | void;
}

interface Running {
  readonly kind: JobKind;
  readonly controller: AbortController;
  readonly cancellable: boolean;
  readonly done: Promise<Job>;
}

export interface JobRunnerEvents {
  /** A job reached success or failure and was stored. */
  end: [job: Job];
  /** A handler or store threw something that was not a JobFailure. */
  fault: [error: Error, uuid: string];
}

/**
 * Runs jobs in the background. Invariant: every job the runner starts reaches a terminal state in the store,
 * whether its handler resolved, threw, or was aborted; `done` settles only after that write.
 */
export class JobRunner extends EventEmitter<JobRunnerEvents> {
  readonly #store: JobStore;
  readonly #clock: Clock;
  readonly #ids: IdSource;
  readonly #nodeName: string;
  readonly #running = new Map<string, Running>();

  constructor(store: JobStore, clock: Clock, ids: IdSource, nodeName: string) {
    super();
    this.#store = store;
    this.#clock = clock;
    this.#ids = ids;
    this.#nodeName = nodeName;
  }

  /**
   * Stores a new running job and resolves with it once the row exists. The handler starts from setImmediate,
   * after the accepting request has answered (its first steps cost the accept 0.2 ms at the median); a cancel
   * that comes first reaches it as an already aborted signal.
   */
  async start(options: StartOptions, handler: JobHandler): Promise<Job> {
    const job: Job = {
      uuid: this.#ids.uuid(),
      kind: options.kind,
      description: options.description,
      state: 'running',
      message: options.message,
      code: 0,
      startTime: this.#clock.now(),
      endTime: null,
      nodeName: this.#nodeName,
    };
    const controller = new AbortController();
    let release!: (job: Job) => void;
    const done = new Promise<Job>((resolve) => (release = resolve));
    // Registered before the first await so that concurrent callers see the job at once.
    this.#running.set(job.uuid, { kind: options.kind, controller, cancellable: options.cancellable, done });
    try {
      await this.#store.create(job);
    } catch (err) {
      this.#running.delete(job.uuid);
      release(job);
      throw err;
    }
    setImmediate(() => void this.#run(job, controller, handler, options, release));
    return job;
  }

  async #run(
    job: Job,
    controller: AbortController,
    handler: JobHandler,
    options: StartOptions,
    release: (job: Job) => void,
  ): Promise<void> {
    let progressFaulted = false;
    const ctx: JobContext = {
      uuid: job.uuid,
      signal: controller.signal,
      setMessage: (message) => {
        this.#store.updateMessage(job.uuid, message).catch((err: unknown) => {
          // Progress is best effort: on a full disk every update fails, so report only the first failure.
          if (progressFaulted) return;
          progressFaulted = true;
          this.emit('fault', toError(err), job.uuid);
        });
      },
    };
    let final: Job;
    try {
      let outcome: { state: 'success' | 'failure'; code: number; message: string };
      try {
        const message = await handler(ctx);
        outcome = { state: 'success', code: 0, message };
      } catch (err) {
        const failure = err instanceof JobFailure ? err : failures.unexpected();
        if (!(err instanceof JobFailure)) this.emit('fault', toError(err), job.uuid);
        outcome = { state: 'failure', code: Number(failure.code), message: failure.message };
      }
      const endTime = this.#clock.now();
      await this.#finish(job.uuid, { ...outcome, endTime });
      final = (await this.#store.get(job.uuid)) ?? { ...job, ...outcome, endTime };
      if (options.onEnd) await options.onEnd(final);
    } catch (err) {
      this.emit('fault', toError(err), job.uuid);
      final = {
        ...job,
        state: 'failure',
        code: 262145,
        message: 'Unexpected application exception.',
        endTime: this.#clock.now(),
      };
    } finally {
      this.#running.delete(job.uuid);
    }
    this.emit('end', final);
    release(final);
  }

  /**
   * Writes the end state, retrying for about 20 s: a write that fails (a full disk, a busy database) must not
   * leave the job `running` for good. Space often comes back once the failed transfer's file is removed.
   */
  async #finish(uuid: string, end: JobEnd): Promise<void> {
    let lastError: unknown;
    for (const wait of FINISH_RETRY_MS) {
      if (wait > 0) await delay(wait);
      try {
        await this.#store.finish(uuid, end);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** Whether a job of one of these kinds is running. Synchronous, so a check-then-start is race-free. */
  isRunning(kinds: readonly JobKind[]): boolean {
    for (const r of this.#running.values()) if (kinds.includes(r.kind)) return true;
    return false;
  }

  has(uuid: string): boolean {
    return this.#running.has(uuid);
  }

  /** Whether this running job accepts cancel; undefined when it is not running here. */
  isCancellable(uuid: string): boolean | undefined {
    return this.#running.get(uuid)?.cancellable;
  }

  /** Aborts a running job and resolves with its final state once stored. */
  async cancel(uuid: string): Promise<Job | undefined> {
    const r = this.#running.get(uuid);
    if (r === undefined) return undefined;
    if (!r.controller.signal.aborted) r.controller.abort(new JobAbort('cancel'));
    return r.done;
  }

  /** Aborts a job because it ran out of time. */
  expire(uuid: string): void {
    const r = this.#running.get(uuid);
    if (r !== undefined && !r.controller.signal.aborted) r.controller.abort(new JobAbort('time_limit'));
  }

  /** The final job if it ends within `ms`, otherwise undefined. Immediately undefined if not running here. */
  async waitFor(uuid: string, ms: number): Promise<Job | undefined> {
    const r = this.#running.get(uuid);
    if (r === undefined) return undefined;
    if (ms <= 0) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, ms);
    });
    try {
      return await Promise.race([r.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Aborts every running job (they end in failure) and waits until all are stored. */
  async shutdown(): Promise<void> {
    const all = [...this.#running.values()];
    for (const r of all) if (!r.controller.signal.aborted) r.controller.abort(new JobAbort('shutdown'));
    await Promise.all(all.map((r) => r.done));
  }
}
