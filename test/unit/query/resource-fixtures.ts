/** Field specs and wire records shaped like the real resources (§3.2, §5.1, §6.1, §8), shared by the query tests. */
import assert from 'node:assert/strict';
import { OntapError } from '../../../src/core/errors.js';
import type { JsonObject, QueryOptions, ResourceFields } from '../../../src/http/query/index.js';

export const JOB_FIELDS: ResourceFields = {
  uuid: { type: 'string' },
  description: { type: 'string' },
  state: { type: 'enum', values: ['queued', 'running', 'paused', 'success', 'failure'] },
  message: { type: 'string' },
  code: { type: 'integer' },
  start_time: { type: 'datetime' },
  end_time: { type: 'datetime' },
  error: { type: 'object', children: { code: { type: 'string' }, message: { type: 'string' } } },
  node: { type: 'object', children: { name: { type: 'string' } } },
};

export const PACKAGE_FIELDS: ResourceFields = {
  version: { type: 'string' },
  create_time: { type: 'datetime' },
};

export const HISTORY_FIELDS: ResourceFields = {
  node: { type: 'object', children: { name: { type: 'string' }, uuid: { type: 'string' } } },
  start_time: { type: 'datetime' },
  end_time: { type: 'datetime' },
  from_version: { type: 'string' },
  to_version: { type: 'string' },
  state: { type: 'enum', values: ['successful', 'canceled', 'skip_upgrade'] },
};

const MESSAGE_OBJECT = { type: 'object', children: { message: { type: 'string' } } } as const;

export const SOFTWARE_FIELDS: ResourceFields = {
  version: { type: 'string' },
  pending_version: { type: 'string' },
  state: {
    type: 'enum',
    values: [
      'in_progress',
      'waiting',
      'paused_by_user',
      'paused_on_error',
      'completed',
      'canceled',
      'failed',
    ],
  },
  elapsed_duration: { type: 'integer' },
  nodes: {
    type: 'object',
    array: true,
    children: { name: { type: 'string' }, model: { type: 'string' }, version: { type: 'string' } },
  },
  validation_results: {
    type: 'object',
    array: true,
    children: {
      update_check: { type: 'string' },
      status: { type: 'enum', values: ['warning', 'error'] },
      issue: MESSAGE_OBJECT,
      action: MESSAGE_OBJECT,
    },
  },
  metrocluster: { type: 'object' },
};

/** A collection with an array of objects, an array of scalars, a boolean and non-orderable/filterable fields. */
export const CLUSTER_FIELDS: ResourceFields = {
  name: { type: 'string' },
  healthy: { type: 'boolean' },
  tags: { type: 'string', array: true },
  secret_note: { type: 'string', filterable: false, orderable: false },
  nodes: {
    type: 'object',
    array: true,
    children: { name: { type: 'string' }, version: { type: 'string' }, cpus: { type: 'integer' } },
  },
};

export const jobOptions = (target: QueryOptions['target'] = 'collection'): QueryOptions => ({
  target,
  fields: JOB_FIELDS,
  keyFields: ['uuid'],
  defaultReturnTimeout: target === 'action' ? 0 : 15,
});

const link = (uuid: string): JsonObject => ({ self: { href: `/api/cluster/jobs/${uuid}` } });

/** Five jobs in creation order. Times use several offsets on purpose (c3 is 2025-03-01T23:00Z). */
export const JOBS: readonly JsonObject[] = [
  {
    uuid: 'a1',
    description: 'POST /api/cluster/software/download',
    state: 'success',
    message: 'success',
    code: 0,
    start_time: '2025-03-01T10:00:00+00:00',
    end_time: '2025-03-01T10:05:00+00:00',
    node: { name: 'cluster1-01' },
    _links: link('a1'),
  },
  {
    uuid: 'b2',
    description: 'POST /api/cluster/software/download',
    state: 'failure',
    message: 'Package download failed: the server returned HTTP 404 Not Found for https://h/p.tgz.',
    code: 10551381,
    error: {
      code: '10551381',
      message: 'Package download failed: the server returned HTTP 404 Not Found for https://h/p.tgz.',
    },
    start_time: '2025-03-01T12:00:00+00:00',
    end_time: '2025-03-01T12:00:01+00:00',
    node: { name: 'cluster1-01' },
    _links: link('b2'),
  },
  {
    uuid: 'c3',
    description: 'DELETE /api/cluster/software/packages/9.16.1',
    state: 'running',
    message: 'Package delete in progress',
    code: 0,
    start_time: '2025-03-02T01:00:00+02:00',
    node: { name: 'cluster1-01' },
    _links: link('c3'),
  },
  {
    uuid: 'd4',
    description: 'POST /api/cluster/software/upload',
    state: 'failure',
    message: 'The package upload exceeded the time limit of 3600 seconds.',
    code: 10551383,
    error: { code: '10551383', message: 'The package upload exceeded the time limit of 3600 seconds.' },
    start_time: '2025-02-28T23:30:00-01:00',
    end_time: '2025-03-01T00:31:00+00:00',
    node: { name: 'cluster1-01' },
    _links: link('d4'),
  },
  {
    uuid: 'e5',
    description: 'PATCH /api/cluster/software',
    state: 'queued',
    message: 'Queued',
    code: 0,
    start_time: '2025-03-03T00:00:00+00:00',
    node: { name: 'Cluster1-02' },
    _links: link('e5'),
  },
];

export const CLUSTERS: readonly JsonObject[] = [
  {
    name: 'alpha',
    healthy: true,
    tags: ['Prod', 'eu'],
    nodes: [
      { name: 'alpha-01', version: '9.13.1', cpus: 8 },
      { name: 'alpha-02', version: '9.16.1', cpus: 16 },
    ],
  },
  { name: 'beta', healthy: false, tags: ['lab'], nodes: [{ name: 'beta-01', version: '9.13.1', cpus: 4 }] },
  { name: 'gamma', nodes: [] },
];

export const clusterOptions: QueryOptions = {
  target: 'collection',
  fields: CLUSTER_FIELDS,
  keyFields: ['name'],
  defaultReturnTimeout: 15,
};

export interface ExpectedError {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
}

/** Asserts that `fn` throws an OntapError with exactly this code, message and target (absent = no target). */
export function assertOntapError(fn: () => unknown, expected: ExpectedError): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OntapError, `expected an OntapError, got ${String(err)}`);
    assert.deepEqual(
      { code: err.code, message: err.message, target: err.target },
      { code: expected.code, message: expected.message, target: expected.target },
    );
    return true;
  });
}
