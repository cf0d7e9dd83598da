import type { ClusterService } from '../../core/services/cluster-service.js';
import type { DownloadService } from '../../core/services/download-service.js';
import type { JsonObject } from '../query/json.js';
import type { ResourceSpec } from '../resource.js';
import { DownloadStatusRecord, HistoryRecord, SoftwareRecord } from '../schemas/cluster.js';

export function softwareResource(cluster: ClusterService): ResourceSpec {
  return {
    kind: 'singleton',
    tag: 'software',
    path: '/api/cluster/software',
    summary: 'Retrieves the software version and update state of the cluster and its nodes',
    schema: SoftwareRecord,
    read: () => {
      const s = cluster.software();
      const record: JsonObject = {
        version: s.version,
        ...(s.pendingVersion !== null ? { pending_version: s.pendingVersion } : {}),
        state: s.state,
        nodes: s.nodes.map((n) => ({ name: n.name, model: n.model, version: n.version })),
        _links: { self: { href: '/api/cluster/software' } },
      };
      return Promise.resolve(record);
    },
  };
}

export function historyResource(): ResourceSpec {
  return {
    kind: 'collection',
    tag: 'software',
    path: '/api/cluster/software/history',
    summary: 'Retrieves the history of node software updates',
    schema: HistoryRecord,
    keyFields: [],
    list: () => Promise.resolve([]),
  };
}

export function downloadResource(downloads: DownloadService): ResourceSpec {
  return {
    kind: 'singleton',
    tag: 'software',
    path: '/api/cluster/software/download',
    summary: 'Retrieves the progress of the most recent package download',
    schema: DownloadStatusRecord,
    read: async () => {
      const s = await downloads.status();
      return { state: s.state, message: s.message, code: s.code };
    },
    operations: [
      {
        method: 'POST',
        summary: 'Downloads a software package into the cluster package repository',
        description:
          'Fetches the package at `url` (http, https, ftp or ftps) as a job. Answers 202 with a job link at once, ' +
          'or waits up to `return_timeout` seconds: 201 when the job succeeded, the job failure as an error.',
        jobBacked: true,
        params: { return_records: { type: 'boolean' } },
        body: {
          url: { type: 'string', required: true },
          username: { type: 'string' },
          password: { type: 'string' },
        },
        handler: async ({ body }) => {
          const job = await downloads.start({
            url: body.url as string,
            username: body.username as string | undefined,
            password: body.password as string | undefined,
          });
          return { kind: 'job', job };
        },
      },
    ],
  };
}
