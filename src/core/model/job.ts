export type JobState = 'queued' | 'running' | 'paused' | 'success' | 'failure';
export type JobKind = 'download' | 'upload' | 'package_delete' | 'software_update' | 'software_validate';

/** A job as ONTAP reports it (§5.1). `code` is 0 unless the job failed. */
export interface Job {
  readonly uuid: string;
  readonly kind: JobKind;
  readonly description: string;
  readonly state: JobState;
  readonly message: string;
  readonly code: number;
  readonly startTime: Date;
  readonly endTime: Date | null;
  readonly nodeName: string;
}

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['success', 'failure']);

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

/** The failure code a job of this kind ends with when a restart interrupts it (§10.12). */
export function interruptedCode(kind: JobKind): string {
  switch (kind) {
    case 'download':
      return '10551381';
    case 'upload':
      return '10551359';
    case 'package_delete':
      return '10551323';
    case 'software_update':
    case 'software_validate':
      return '10551396';
  }
}
