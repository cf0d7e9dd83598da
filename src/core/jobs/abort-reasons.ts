/** Why a running job's signal was aborted; the handler turns this into the job's failure. */
export type AbortCause = 'cancel' | 'time_limit' | 'shutdown';

export class JobAbort extends Error {
  readonly abortCause: AbortCause;
  constructor(cause: AbortCause) {
    super(`job aborted: ${cause}`);
    this.name = 'JobAbort';
    this.abortCause = cause;
  }
}

export function abortCauseOf(signal: AbortSignal): AbortCause | null {
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof JobAbort ? reason.abortCause : null;
}
