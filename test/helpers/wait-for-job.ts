import { setTimeout as delay } from 'node:timers/promises';
import type { TestServer } from './with-server.js';

export interface JobBody {
  uuid: string;
  state: string;
  message: string;
  code: number;
  description?: string;
  error?: { code: string; message: string };
  start_time?: string;
  end_time?: string;
}

/** Polls a job until it is terminal (or in one of `states`); throws past the deadline with the last state seen. */
export async function waitForJob(
  srv: TestServer,
  href: string,
  options: { deadlineMs?: number; states?: readonly string[] } = {},
): Promise<JobBody> {
  const deadline = Date.now() + (options.deadlineMs ?? 30_000);
  const wanted = options.states ?? ['success', 'failure'];
  let last: unknown = null;
  while (Date.now() < deadline) {
    const res = await srv.api('GET', href);
    last = res.json;
    if (res.status === 200) {
      const body = res.json as JobBody;
      if (wanted.includes(body.state)) return body;
    }
    await delay(20);
  }
  throw new Error(`job ${href} did not reach ${wanted.join('|')}; last: ${JSON.stringify(last)}`);
}

export function jobHrefOf(body: unknown): string {
  const job = (body as { job?: { _links?: { self?: { href?: string } } } }).job;
  const href = job?._links?.self?.href;
  if (href === undefined) throw new Error(`no job link in ${JSON.stringify(body)}`);
  return href;
}
