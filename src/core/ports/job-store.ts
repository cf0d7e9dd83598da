import type { Job, JobState } from '../model/job.js';

export interface JobEnd {
  readonly state: Extract<JobState, 'success' | 'failure'>;
  readonly code: number;
  readonly message: string;
  readonly endTime: Date;
}

/** Persistence of jobs. Every method is atomic; transitions are guarded by the expected current state. */
export interface JobStore {
  /** Inserts a new job. The uuid must be new. */
  create(job: Job): Promise<void>;
  get(uuid: string): Promise<Job | undefined>;
  /** Every stored job, oldest `startTime` first (ties by uuid). */
  list(): Promise<Job[]>;
  /** Replaces the message of a job that is not terminal; returns false if the job is terminal or gone. */
  updateMessage(uuid: string, message: string): Promise<boolean>;
  /** Ends a non-terminal job; returns false (and changes nothing) if it had already ended. */
  finish(uuid: string, end: JobEnd): Promise<boolean>;
  /** Deletes terminal jobs whose end time is before `cutoff`; returns how many. Running jobs are never purged. */
  purgeEndedBefore(cutoff: Date): Promise<number>;
  /** Jobs that are not terminal (after a crash, these are the interrupted ones). */
  listUnfinished(): Promise<Job[]>;
}
