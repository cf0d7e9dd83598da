import { errors } from '../../core/errors.js';
import type { Job } from '../../core/model/job.js';
import type { JobService } from '../../core/services/job-service.js';
import { jobHref } from '../job-response.js';
import { ontapTime } from '../json.js';
import type { JsonObject } from '../query/json.js';
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

export function jobsResource(jobs: JobService): ResourceSpec {
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
      get: async (uuid) => {
        const job = await jobs.get(uuid);
        return job === undefined ? undefined : jobToJson(job);
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
