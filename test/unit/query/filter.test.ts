import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseQuery,
  queryCollection,
  type JsonObject,
  type QueryOptions,
} from '../../../src/http/query/index.js';
import {
  assertOntapError,
  CLUSTERS,
  clusterOptions,
  JOBS,
  jobOptions,
  type ExpectedError,
} from './resource-fixtures.js';

/** The key values of the records a query selects, in result order. */
function select(records: readonly JsonObject[], query: string, options: QueryOptions, key: string): string[] {
  const parsed = parseQuery(query, options);
  return queryCollection(records, parsed, options).records.map((r) => {
    const value = r[key];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

const invalid = (name: string, value: string, expectation: string): ExpectedError => ({
  code: '262185',
  message: `Invalid value "${value}" for "${name}". Expected ${expectation}.`,
  target: name,
});

void test('job filters: operators, types, null handling and AND', () => {
  const cases: readonly (readonly [string, readonly string[]])[] = [
    ['', ['a1', 'b2', 'c3', 'd4', 'e5']],
    // equality, OR, NOT, case-insensitive enums and strings (D21)
    ['state=failure', ['b2', 'd4']],
    ['state=FAILURE', ['b2', 'd4']],
    ['state=queued|running', ['c3', 'e5']],
    ['state=!success', ['b2', 'c3', 'd4', 'e5']],
    ['state=!success|!failure', ['a1', 'b2', 'c3', 'd4', 'e5']],
    ['state=!queued', ['a1', 'b2', 'c3', 'd4']],
    ['node.name=cluster1-02', ['e5']],
    ['node.name=!CLUSTER1-01', ['e5']],
    ['uuid=A1', ['a1']],
    // wildcards
    ['description=*download*', ['a1', 'b2']],
    ['description=*DOWNLOAD*&state=!success', ['b2']],
    ['description=post*', ['a1', 'b2', 'd4']],
    ['description=*9.16.1', ['c3']],
    ['description=p*software*d', ['a1', 'b2', 'd4']],
    ['description=*', ['a1', 'b2', 'c3', 'd4', 'e5']],
    ['message=*in*progress*', ['c3']],
    ['description=**upload', ['d4']],
    ['description=post*upload*x', []],
    ['code=1055138*', ['b2', 'd4']],
    // integers compare numerically
    ['code=10551381|10551383', ['b2', 'd4']],
    ['code=<5', ['a1', 'c3', 'e5']],
    ['code=>10551381', ['d4']],
    ['code=>=10551381', ['b2', 'd4']],
    ['code=<=0', ['a1', 'c3', 'e5']],
    ['code=10551381..10551383', ['b2', 'd4']],
    ['code=10551382..10551383', ['d4']],
    ['code=10551383..10551381', []],
    ['code=!0', ['b2', 'd4']],
    ['code=-1..0', ['a1', 'c3', 'e5']],
    ['code=999999999', []],
    // date-times compare chronologically, offsets honoured: c3 started 2025-03-01T23:00Z
    ['start_time=<2025-03-02T00:00:00%2B00:00', ['a1', 'b2', 'c3', 'd4']],
    ['start_time=>=2025-03-01T11:00:00%2B00:00', ['b2', 'c3', 'e5']],
    ['start_time=2025-03-01T23:00:00Z', ['c3']],
    ['start_time=2025-03-02T01:00:00%2B02:00', ['c3']],
    ['start_time=2025-03-01T18:00:00-05:00', ['c3']],
    ['start_time=2025-03-01T15:00:00-0800', ['c3']],
    ['start_time=2025-03-01T23:00:00', ['c3']],
    ['start_time=2025-03-01T00:30:00%2B00:00', ['d4']],
    ['start_time=2025-03-01T00:00:00%2B00:00..2025-03-01T12:00:00%2B00:00', ['a1', 'b2', 'd4']],
    ['start_time=2025-03-01..2025-03-02', ['a1', 'b2', 'c3', 'd4']],
    ['start_time=>2025-03-01T12:00:00.500%2B00:00', ['c3', 'e5']],
    ['start_time=2025-03-02*', ['c3']],
    // unset fields match only null (end_time of running/queued jobs, error of non-failed jobs)
    ['end_time=null', ['c3', 'e5']],
    ['end_time=!null', ['a1', 'b2', 'd4']],
    ['end_time=<2030-01-01T00:00:00%2B00:00', ['a1', 'b2', 'd4']],
    ['end_time=<2025-03-01T11:00:00%2B00:00|null', ['a1', 'c3', 'd4', 'e5']],
    ['end_time=!2025-03-01T10:05:00%2B00:00', ['b2', 'd4']],
    ['end_time=*', ['a1', 'b2', 'd4']],
    ['error.code=!null', ['b2', 'd4']],
    ['error.code=null', ['a1', 'c3', 'e5']],
    ['error.code=10551381', ['b2']],
    ['error.message=*time limit*', ['d4']],
    // strings and enums compare alphabetically, case-insensitively
    ['description=<e', ['c3']],
    ['description=>=PATCH', ['a1', 'b2', 'd4', 'e5']],
    ['state=<r', ['b2', 'd4', 'e5']],
    ['state=p..r', ['e5']],
    // quoting makes operators literal
    ['uuid="a1"', ['a1']],
    ['description="*download*"', []],
    ['description="POST /api/cluster/software/download"', ['a1', 'b2']],
    ['description={post /api/cluster/software/download}', ['a1', 'b2']],
    ['description=%7BDELETE /api/cluster/software/packages/9.16.1%7D', ['c3']],
    ['description="DELETE "*', ['c3']],
    ['message="null"', []],
    ['state=!"queued"', ['a1', 'b2', 'c3', 'd4']],
    ['message={a|b}|success', ['a1']],
    // several filters AND together
    ['state=failure&code=10551383', ['d4']],
    ['state=failure&code=<1', []],
    ['node.name=cluster1-01&end_time=null&description=delete*', ['c3']],
  ];
  for (const [query, expected] of cases) {
    assert.deepEqual(select(JOBS, query, jobOptions(), 'uuid'), expected, `?${query}`);
  }
});

void test('filters on arrays: any element counts, NOT means no element matches', () => {
  const cases: readonly (readonly [string, readonly string[]])[] = [
    ['nodes.version=9.16.1', ['alpha']],
    ['nodes.version=9.13.1', ['alpha', 'beta']],
    ['nodes.version=!9.13.1', []],
    ['nodes.version=!9.16.1', ['beta']],
    ['nodes.version=null', ['gamma']],
    ['nodes.version=!null', ['alpha', 'beta']],
    ['nodes.cpus=>8', ['alpha']],
    ['nodes.cpus=4..8', ['alpha', 'beta']],
    ['nodes.name=*-02', ['alpha']],
    ['tags=prod', ['alpha']],
    ['tags=!prod', ['beta']],
    ['tags=null', ['gamma']],
    ['healthy=true', ['alpha']],
    ['healthy=FALSE', ['beta']],
    ['healthy=!true', ['beta']],
    ['healthy=null', ['gamma']],
    ['healthy=true|false', ['alpha', 'beta']],
    ['name=a*|g*', ['alpha', 'gamma']],
  ];
  for (const [query, expected] of cases) {
    assert.deepEqual(select(CLUSTERS, query, clusterOptions, 'name'), expected, `?${query}`);
  }
});

void test('a filter value that does not fit the field type is 262185 targeting the field', () => {
  const dateTime = 'a date-time such as 2025-03-28T14:02:11+00:00';
  const jobStates = 'one of: queued, running, paused, success, failure';
  const noOrder = 'true or false (<, >, <=, >= and .. do not apply to booleans)';
  const cases: readonly (readonly [string, QueryOptions, ExpectedError])[] = [
    ['code=abc', jobOptions(), invalid('code', 'abc', 'an integer')],
    ['code=<abc', jobOptions(), invalid('code', '<abc', 'an integer')],
    ['code=5|abc', jobOptions(), invalid('code', '5|abc', 'an integer')],
    ['code=1.5', jobOptions(), invalid('code', '1.5', 'an integer')],
    ['code=', jobOptions(), invalid('code', '', 'an integer')],
    ['code=1..', jobOptions(), invalid('code', '1..', 'an integer')],
    ['code=<', jobOptions(), invalid('code', '<', 'an integer')],
    ['code=!', jobOptions(), invalid('code', '!', 'an integer')],
    ['start_time=yesterday', jobOptions(), invalid('start_time', 'yesterday', dateTime)],
    [
      'start_time=2025-13-01T00:00:00%2B00:00',
      jobOptions(),
      invalid('start_time', '2025-13-01T00:00:00+00:00', dateTime),
    ],
    [
      'start_time=2025-02-30T00:00:00Z',
      jobOptions(),
      invalid('start_time', '2025-02-30T00:00:00Z', dateTime),
    ],
    [
      'start_time=2025-03-01T24:00:00Z',
      jobOptions(),
      invalid('start_time', '2025-03-01T24:00:00Z', dateTime),
    ],
    [
      'start_time=2025-03-01T10:00:00%2B25:00',
      jobOptions(),
      invalid('start_time', '2025-03-01T10:00:00+25:00', dateTime),
    ],
    [
      'end_time=2025-03-01T00:00:00%2B00:00..tomorrow',
      jobOptions(),
      invalid('end_time', '2025-03-01T00:00:00+00:00..tomorrow', dateTime),
    ],
    ['state=bogus', jobOptions(), invalid('state', 'bogus', jobStates)],
    ['state=running|bogus', jobOptions(), invalid('state', 'running|bogus', jobStates)],
    ['state=!bogus', jobOptions(), invalid('state', '!bogus', jobStates)],
    ['uuid="a1', jobOptions(), invalid('uuid', '"a1', 'a value whose quotes and braces are closed')],
    ['uuid={a1', jobOptions(), invalid('uuid', '{a1', 'a value whose quotes and braces are closed')],
    ['healthy=yes', clusterOptions, invalid('healthy', 'yes', 'true or false')],
    ['healthy=<true', clusterOptions, invalid('healthy', '<true', noOrder)],
    ['healthy=>=false', clusterOptions, invalid('healthy', '>=false', noOrder)],
    ['healthy=false..true', clusterOptions, invalid('healthy', 'false..true', noOrder)],
    ['nodes.cpus=many', clusterOptions, invalid('nodes.cpus', 'many', 'an integer')],
  ];
  for (const [query, options, expected] of cases) {
    assertOntapError(() => parseQuery(query, options), expected);
  }
});

void test('filters on fields marked non-filterable, objects or unknown names are 262179', () => {
  for (const name of ['secret_note', 'nodes', 'nodes.bogus', 'colour']) {
    assertOntapError(() => parseQuery(`${name}=x`, clusterOptions), {
      code: '262179',
      message: `Unexpected argument "${name}".`,
    });
  }
});

void test('wildcard matching stays fast on adversarial patterns', () => {
  const long = 'a'.repeat(20_000);
  const records: JsonObject[] = [{ name: long }];
  const options: QueryOptions = { ...clusterOptions };
  const started = Date.now();
  assert.deepEqual(select(records, `name=${'*a'.repeat(200)}*b`, options, 'name'), []);
  assert.ok(Date.now() - started < 1000);
});
