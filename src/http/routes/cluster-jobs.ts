import { errors } from '../../core/errors.js';
import type { Job } from '../../core/model/job.js';
import type { JobService } from '../../core/services/job-service.js';
import { jobHref } from '../job-response.js';
import { ontapTime } from '../json.js';
import { isJsonObject, type JsonObject } from '../query/json.js';
import type { ResourceSpec } from '../resource.js';
import { JobRecord } from '../schemas/job.js';

/** D3: the full job representation. */
export function jobToJson(job: Job): JsonObject {
  const out: JsonObject = {
    uuid: job.uuid,
    description: job.description,
    state: job.state,
    message: job.message,
    code: job.code,
    start_time: ontapTime(job.startTime),
  };
  if (job.endTime !== null) out.end_time = ontapTime(job.endTime);
  out.node = { name: job.nodeName };
  if (job.state === 'failure') out.error = { code: String(job.code), message: job.message };
  out._links = { self: { href: jobHref(job.uuid) } };
  return out;
}

function sameJob(a: Job, b: Job): boolean {
  return (
    a.uuid === b.uuid &&
    a.state === b.state &&
    a.message === b.message &&
    a.code === b.code &&
    a.description === b.description &&
    a.nodeName === b.nodeName &&
    a.kind === b.kind &&
    a.startTime.getTime() === b.startTime.getTime() &&
    (a.endTime?.getTime() ?? null) === (b.endTime?.getTime() ?? null)
  );
}

function deepFreeze(value: JsonObject): JsonObject {
  for (const v of Object.values(value)) if (isJsonObject(v)) deepFreeze(v);
  return Object.freeze(value);
}

/** How many jobs keep their last JSON; the least recently changed goes first. */
const MEMO_LIMIT = 4096;

/**
 * The JSON of each job as last seen: an unchanged job gives the same frozen object, so the HTTP layer
 * renders it once per change (`stableRecords`), not once per poll.
 */
class JobJsonMemo {
  readonly #byUuid = new Map<string, { readonly job: Job; readonly json: JsonObject }>();

  of(job: Job): JsonObject {
    const seen = this.#byUuid.get(job.uuid);
    if (seen !== undefined && sameJob(seen.job, job)) return seen.json;
    const json = deepFreeze(jobToJson(job));
    if (seen !== undefined) this.#byUuid.delete(job.uuid);
    else if (this.#byUuid.size >= MEMO_LIMIT) {
      const oldest = this.#byUuid.keys().next();
      if (oldest.done !== true) this.#byUuid.delete(oldest.value);
    }
    this.#byUuid.set(job.uuid, { job, json });
    return json;
  }
}

export function jobsResource(jobs: JobService): ResourceSpec {
  const memo = new JobJsonMemo();
  return {
    kind: 'collection',
    tag: 'cluster',
    path: '/api/cluster/jobs',
    summary: 'Retrieves jobs',
    schema: JobRecord,
    keyFields: ['uuid'],
    list: async () => (await jobs.list()).map(jobToJson),
    instance: {
      param: 'uuid',
      notFoundTarget: 'uuid',
      summary: 'Retrieves a job',
      stableRecords: true,
      get: async (uuid) => {
        const job = await jobs.get(uuid);
        return job === undefined ? undefined : memo.of(job);
      },
      operations: [
        {
          method: 'PATCH',
          summary: 'Cancels a running download or upload job (action=cancel)',
          jobBacked: false,
          params: { action: { type: 'enum', values: ['pause', 'resume', 'cancel'] } },
          handler: async ({ key, query }) => {
            const action = query.extra.action as 'pause' | 'resume' | 'cancel' | undefined;
            const uuid = key ?? '';
            if (action === undefined) throw errors.noValuesSupplied();
            await jobs.act(uuid, action);
            return { kind: 'empty' };
          },
        },
      ],
    },
  };
}
