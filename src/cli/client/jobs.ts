import { setTimeout as delay } from 'node:timers/promises';
import { ApiError, JobFailedError } from './errors.js';
import { isRecord, type ApiAnswer, type JsonRecord, type RestClient } from './rest-client.js';

export interface JobRef {
  readonly uuid: string;
  readonly href: string;
}

export const TERMINAL_STATES: readonly string[] = ['success', 'failure'];
export const POLL_INTERVAL_MS = 300;

/** The job link of a 201/202 answer (`{"job":{"uuid","_links":{"self":{"href"}}}}`), or its Location. */
export function jobRefOf(answer: ApiAnswer): JobRef {
  const job = answer.body.job;
  if (isRecord(job) && typeof job.uuid === 'string') {
    const links = job._links;
    const self = isRecord(links) ? links.self : undefined;
    const href = isRecord(self) && typeof self.href === 'string' ? self.href : jobPath(job.uuid);
    return { uuid: job.uuid, href };
  }
  const location = answer.headers.location;
  if (typeof location === 'string') {
    const uuid = location.split('/').pop() ?? '';
    return { uuid, href: location };
  }
  throw new ApiError(answer.status, 'The server answered without a job link.', '');
}

export function jobPath(uuid: string): string {
  return `/api/cluster/jobs/${encodeURIComponent(uuid)}`;
}

export function jobState(job: JsonRecord): string {
  return typeof job.state === 'string' ? job.state : '';
}

export function jobMessage(job: JsonRecord): string {
  return typeof job.message === 'string' ? job.message : '';
}

export function jobCode(job: JsonRecord): number {
  return typeof job.code === 'number' ? job.code : Number(job.code ?? 0);
}

/**
 * Follows a job until it is terminal, calling `onPoll` with every non-terminal reading. Resolves with the
 * final record on success; throws JobFailedError (with the record) on failure.
 */
export async function waitForJob(
  client: RestClient,
  href: string,
  onPoll: (job: JsonRecord) => void = () => undefined,
  intervalMs = POLL_INTERVAL_MS,
): Promise<JsonRecord> {
  for (;;) {
    const job = (await client.get(href)).body;
    const state = jobState(job);
    if (state === 'success') return job;
    if (state === 'failure') throw new JobFailedError(jobMessage(job), jobCode(job), job);
    onPoll(job);
    await delay(intervalMs);
  }
}
