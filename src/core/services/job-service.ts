import { errors } from '../errors.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { isTerminal, type Job } from '../model/job.js';
import type { Clock } from '../ports/clock.js';
import type { JobStore } from '../ports/job-store.js';

export type JobAction = 'pause' | 'resume' | 'cancel';

/** Job queries with the retention rule (D11), and the job actions of §5.4. */
export class JobService {
  readonly #store: JobStore;
  readonly #runner: JobRunner;
  readonly #clock: Clock;
  readonly #retentionMs: number;

  constructor(store: JobStore, runner: JobRunner, clock: Clock, retentionSeconds: number) {
    this.#store = store;
    this.#runner = runner;
    this.#clock = clock;
    this.#retentionMs = retentionSeconds * 1000;
  }

  #visible(job: Job): boolean {
    return job.endTime === null || job.endTime.getTime() + this.#retentionMs > this.#clock.now().getTime();
  }

  async get(uuid: string): Promise<Job | undefined> {
    const job = await this.#store.get(uuid);
    return job !== undefined && this.#visible(job) ? job : undefined;
  }

  async list(): Promise<Job[]> {
    return (await this.#store.list()).filter((j) => this.#visible(j));
  }

  /** Deletes jobs past retention; returns how many. */
  purge(): Promise<number> {
    return this.#store.purgeEndedBefore(new Date(this.#clock.now().getTime() - this.#retentionMs));
  }

  /** Applies an action; resolves once a cancelled job has reached its terminal state. */
  async act(uuid: string, action: JobAction): Promise<void> {
    const job = await this.get(uuid);
    if (job === undefined) throw errors.entryNotFound('uuid');
    if (isTerminal(job.state)) throw errors.jobTerminal();
    const cancellable = this.#runner.isCancellable(uuid);
    if (action !== 'cancel') {
      throw errors.jobNoPause();
    }
    if (cancellable !== true) {
      if (cancellable === undefined && !this.#runner.has(uuid)) {
        // Running in the store but not in this process: it finished between the two reads.
        const again = await this.#store.get(uuid);
        if (again !== undefined && isTerminal(again.state)) throw errors.jobTerminal();
      }
      throw errors.jobNoCancel();
    }
    await this.#runner.cancel(uuid);
  }
}
