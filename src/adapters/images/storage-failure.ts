import { failures, JobFailure } from '../../core/errors.js';

/** The job failure for an I/O error while storing a package: ENOSPC/EDQUOT are "no space", the rest internal. */
export function storageFailure(err: unknown, verb: 'download' | 'upload'): JobFailure {
  if (err instanceof JobFailure) return err;
  const code = errnoCode(err);
  const failure =
    code === 'ENOSPC' || code === 'EDQUOT' ? failures.noSpace(verb) : failures.storeFailed(verb);
  return withCause(failure, err);
}

/** The same failure, keeping `cause` (the `failures` factories take none). */
export function withCause(failure: JobFailure, cause: unknown): JobFailure {
  return new JobFailure(failure.code, failure.message, { cause });
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return undefined;
}
