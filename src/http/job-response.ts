import type { FastifyReply, FastifyRequest } from 'fastify';
import { jobFailureError } from '../core/errors.js';
import type { JobRunner } from '../core/jobs/job-runner.js';
import type { Job } from '../core/model/job.js';
import type { JobService } from '../core/services/job-service.js';
import { sendError } from './error-handler.js';
import type { JsonObject } from './query/json.js';
import { sendOntap } from './render.js';

export function jobHref(uuid: string): string {
  return `/api/cluster/jobs/${uuid}`;
}

export function jobLink(uuid: string): JsonObject {
  return { job: { uuid, _links: { self: { href: jobHref(uuid) } } } };
}

/**
 * D1/D2: answers a job-backed POST, PATCH or DELETE. With `return_timeout` 0 or when the time runs out: 202
 * with the job link. A job that succeeded in time: 201 (POST) or 200 (PATCH/DELETE) with the job link. A job
 * that failed in time: its code and message in the error envelope. `Location` on every POST answer and on
 * every failure answer.
 */
export async function answerJob(
  request: FastifyRequest,
  reply: FastifyReply,
  job: Job,
  returnTimeout: number,
  runner: JobRunner,
  jobs: JobService,
  pretty: boolean,
): Promise<FastifyReply> {
  const isPost = request.method === 'POST';
  let final: Job | undefined;
  if (returnTimeout > 0) {
    final = await runner.waitFor(job.uuid, returnTimeout * 1000);
    if (final === undefined && !runner.has(job.uuid)) final = await jobs.get(job.uuid);
  }
  if (final?.state === 'failure') {
    reply.header('location', jobHref(job.uuid));
    return sendError(request, reply, jobFailureError(String(final.code), final.message));
  }
  if (isPost) reply.header('location', jobHref(job.uuid));
  const status = final?.state === 'success' ? (isPost ? 201 : 200) : 202;
  return sendOntap(request, reply, status, jobLink(job.uuid), pretty);
}
