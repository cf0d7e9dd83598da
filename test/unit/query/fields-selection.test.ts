import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseFieldSelection,
  parseQuery,
  projectRecord,
  type FieldSelection,
  type JsonObject,
  type QueryOptions,
} from '../../../src/http/query/index.js';
import { assertOntapError, HISTORY_FIELDS, JOB_FIELDS, JOBS, SOFTWARE_FIELDS } from './resource-fixtures.js';

const SOFTWARE: JsonObject = {
  version: '9.13.1',
  state: 'completed',
  nodes: [
    { name: 'cluster1-01', model: 'SIMBOX', version: '9.13.1' },
    { name: 'cluster1-02', model: 'SIMBOX', version: '9.13.1' },
  ],
  validation_results: [
    { update_check: 'disk', status: 'warning', issue: { message: 'i' }, action: { message: 'a' } },
  ],
  _links: { self: { href: '/api/cluster/software' } },
};

const HISTORY: JsonObject = {
  node: { name: 'cluster1-01', uuid: '8f1c5a34' },
  start_time: '2025-03-28T15:00:00+00:00',
  end_time: '2025-03-28T15:00:10+00:00',
  from_version: '9.13.1',
  to_version: '9.16.1',
  state: 'successful',
};

const job = (index: number): JsonObject => {
  const record = JOBS[index];
  assert.ok(record !== undefined);
  return record;
};

const sw = (value: string, ignoreUnknown = false): FieldSelection | null =>
  parseFieldSelection(value, SOFTWARE_FIELDS, ignoreUnknown);

void test('unknown names in fields are 262197 with target fields', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['bogus', 'bogus'],
    ['version,bogus', 'bogus'],
    ['nodes.bogus', 'nodes.bogus'],
    ['nodes.{name,bogus}', 'nodes.bogus'],
    ['version.major', 'version.major'], // a scalar has no children
    ['metrocluster.x', 'metrocluster.x'], // an opaque object has no known children
    ['constructor', 'constructor'],
    ['nodes.', 'nodes.'],
    ['nodes.{}', 'nodes.'],
    ['!*', '*'],
    ['Version', 'Version'],
    ['nodes{name}', 'nodes{name}'],
    ['nodes.{name}x', 'nodes.{name}x'],
    [' version', ' version'],
  ];
  for (const [value, name] of cases) {
    assertOntapError(() => sw(value), {
      code: '262197',
      message: `The value "${name}" is invalid for field "fields"`,
      target: 'fields',
    });
  }
});

void test('unbalanced braces are 262286 with target fields, even next to unknown names', () => {
  for (const value of ['nodes.{name', 'nodes.name}', 'bogus,nodes.{name,{version}', '}{', 'nodes.{name}}']) {
    assertOntapError(() => sw(value), {
      code: '262286',
      message: 'Mismatched braces in "fields".',
      target: 'fields',
    });
  }
});

void test('ignore_unknown_fields drops unknown names instead of failing', () => {
  const selection = sw('version,bogus,nodes.{name,bogus}', true);
  assert.deepEqual(projectRecord(SOFTWARE, selection, 'full', []), {
    version: '9.13.1',
    nodes: [{ name: 'cluster1-01' }, { name: 'cluster1-02' }],
    _links: { self: { href: '/api/cluster/software' } },
  });
  assertOntapError(() => sw('nodes.{name', true), {
    code: '262286',
    message: 'Mismatched braces in "fields".',
    target: 'fields',
  });
});

void test('projections of the software singleton', () => {
  const links = { _links: { self: { href: '/api/cluster/software' } } };
  const cases: readonly (readonly [string, JsonObject])[] = [
    ['*', SOFTWARE],
    ['**', SOFTWARE],
    ['', SOFTWARE],
    [',', { ...links }],
    ['version', { version: '9.13.1', ...links }],
    ['nodes', { nodes: SOFTWARE['nodes'] ?? null, ...links }],
    ['nodes.version', { nodes: [{ version: '9.13.1' }, { version: '9.13.1' }], ...links }],
    [
      'nodes.{name,version}',
      {
        nodes: [
          { name: 'cluster1-01', version: '9.13.1' },
          { name: 'cluster1-02', version: '9.13.1' },
        ],
        ...links,
      },
    ],
    ['nodes.*', { nodes: SOFTWARE['nodes'] ?? null, ...links }],
    [
      '*,!nodes.model',
      {
        version: '9.13.1',
        state: 'completed',
        nodes: [
          { name: 'cluster1-01', version: '9.13.1' },
          { name: 'cluster1-02', version: '9.13.1' },
        ],
        validation_results: SOFTWARE['validation_results'] ?? null,
        ...links,
      },
    ],
    [
      '!nodes.model,nodes',
      {
        nodes: [
          { name: 'cluster1-01', version: '9.13.1' },
          { name: 'cluster1-02', version: '9.13.1' },
        ],
        ...links,
      },
    ],
    ['!validation_results,!nodes', { version: '9.13.1', state: 'completed', ...links }],
    ['validation_results.issue.message', { validation_results: [{ issue: { message: 'i' } }], ...links }],
    [
      'validation_results.{status,action.message}',
      { validation_results: [{ status: 'warning', action: { message: 'a' } }], ...links },
    ],
    ['pending_version', { ...links }], // absent values stay absent, no nulls
    ['_links', { ...links }],
    ['version,_links.self', { version: '9.13.1', ...links }],
    ['state,version', { version: '9.13.1', state: 'completed', ...links }], // record order, not list order
  ];
  for (const [value, expected] of cases) {
    assert.deepEqual(projectRecord(SOFTWARE, sw(value), 'full', []), expected, `fields=${value}`);
  }
});

void test('projections of job records: key fields and _links always, absent stays absent', () => {
  const failed = job(1);
  const running = job(2);
  const links = (uuid: string): JsonObject => ({ self: { href: `/api/cluster/jobs/${uuid}` } });
  const sel = (value: string): FieldSelection | null => parseFieldSelection(value, JOB_FIELDS, false);
  const cases: readonly (readonly [JsonObject, string, 'full' | 'keys', JsonObject])[] = [
    [running, '', 'keys', { uuid: 'c3', _links: links('c3') }],
    [running, '', 'full', running],
    [running, 'state', 'keys', { uuid: 'c3', state: 'running', _links: links('c3') }],
    [running, 'state,end_time,error.code', 'keys', { uuid: 'c3', state: 'running', _links: links('c3') }],
    [failed, 'error.code', 'keys', { uuid: 'b2', error: { code: '10551381' }, _links: links('b2') }],
    [
      failed,
      'node.name,code',
      'keys',
      { uuid: 'b2', code: 10551381, node: { name: 'cluster1-01' }, _links: links('b2') },
    ],
    [running, 'uuid', 'keys', { uuid: 'c3', _links: links('c3') }],
    [running, '*,!uuid,!_links', 'keys', running], // key fields and links cannot be removed
    [
      running,
      '!message,!description,!node,!start_time',
      'keys',
      { uuid: 'c3', state: 'running', code: 0, _links: links('c3') },
    ],
  ];
  for (const [record, value, mode, expected] of cases) {
    assert.deepEqual(
      projectRecord(record, sel(value), mode, ['uuid']),
      expected,
      `fields=${value} (${mode})`,
    );
  }
});

void test('D23: a collection without key fields returns every field by default', () => {
  assert.deepEqual(projectRecord(HISTORY, null, 'keys', []), HISTORY);
  assert.deepEqual(
    projectRecord(HISTORY, parseFieldSelection('node.name', HISTORY_FIELDS, false), 'keys', []),
    {
      node: { name: 'cluster1-01' },
    },
  );
});

void test('projection never shares structure with the input or modifies it', () => {
  const record = structuredClone(SOFTWARE);
  for (const selection of [null, sw('*'), sw('nodes'), sw('*,!nodes.model')]) {
    const out = projectRecord(record, selection, 'full', []);
    const nodes = out['nodes'];
    assert.ok(Array.isArray(nodes));
    const first = nodes[0];
    assert.ok(typeof first === 'object' && first !== null && !Array.isArray(first));
    first['name'] = 'changed';
  }
  assert.deepEqual(record, SOFTWARE);
});

void test('a record key named __proto__ is copied as data', () => {
  const record = JSON.parse('{"uuid":"x","__proto__":{"polluted":true}}') as JsonObject;
  const out = projectRecord(record, null, 'full', ['uuid']);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ['uuid', '__proto__']);
});

void test('fields through parseQuery: default is null, instance and collection share the grammar', () => {
  const options: QueryOptions = {
    target: 'record',
    fields: JOB_FIELDS,
    keyFields: ['uuid'],
    defaultReturnTimeout: 15,
  };
  assert.equal(parseQuery('fields=', options).fields, null);
  assert.equal(parseQuery('', options).fields, null);
  const parsed = parseQuery('fields=state,message', options);
  assert.deepEqual(projectRecord(job(0), parsed.fields, 'full', ['uuid']), {
    uuid: 'a1',
    state: 'success',
    message: 'success',
    _links: { self: { href: '/api/cluster/jobs/a1' } },
  });
  assertOntapError(() => parseQuery('fields=uuid,colour', options), {
    code: '262197',
    message: 'The value "colour" is invalid for field "fields"',
    target: 'fields',
  });
});
