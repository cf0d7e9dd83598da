import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nextHref,
  normalizeApiPath,
  parseQuery,
  queryCollection,
  type JsonObject,
} from '../../../src/http/query/index.js';
import { JOBS, jobOptions } from './resource-fixtures.js';

const page = (query: string) => queryCollection(JOBS, parseQuery(query, jobOptions()), jobOptions());

void test('offset, then max_records; nextOffset only while records remain', () => {
  const cases: readonly (readonly [string, readonly string[], number, number | null])[] = [
    ['', ['a1', 'b2', 'c3', 'd4', 'e5'], 5, null],
    ['max_records=2', ['a1', 'b2'], 5, 2],
    ['max_records=2&offset=2', ['c3', 'd4'], 5, 4],
    ['offset=4&max_records=2', ['e5'], 5, null],
    ['max_records=5', ['a1', 'b2', 'c3', 'd4', 'e5'], 5, null],
    ['max_records=4', ['a1', 'b2', 'c3', 'd4'], 5, 4],
    ['max_records=20000', ['a1', 'b2', 'c3', 'd4', 'e5'], 5, null],
    ['offset=3', ['d4', 'e5'], 5, null],
    ['offset=5', [], 5, null],
    ['offset=99', [], 5, null],
    ['state=failure&max_records=1', ['b2'], 2, 1],
    ['state=failure&max_records=1&offset=1', ['d4'], 2, null],
    ['state=paused', [], 0, null],
  ];
  for (const [query, uuids, total, nextOffset] of cases) {
    const result = page(query);
    assert.deepEqual(
      {
        uuids: result.records.map((r) => r['uuid']),
        numRecords: result.numRecords,
        total: result.total,
        nextOffset: result.nextOffset,
      },
      { uuids, numRecords: uuids.length, total, nextOffset },
      `?${query}`,
    );
  }
});

void test('records are projected: key fields and _links by default, the selection otherwise', () => {
  assert.deepEqual(page('max_records=1').records, [
    { uuid: 'a1', _links: { self: { href: '/api/cluster/jobs/a1' } } },
  ]);
  assert.deepEqual(page('fields=state,end_time&state=running').records, [
    { uuid: 'c3', state: 'running', _links: { self: { href: '/api/cluster/jobs/c3' } } },
  ]);
  assert.deepEqual(page('fields=*&max_records=1').records, [JOBS[0]]);
});

void test('return_records=false: total still counts every match before paging', () => {
  const parsed = parseQuery('return_records=false&state=!success&max_records=1', jobOptions());
  assert.equal(parsed.returnRecords, false);
  const result = queryCollection(JOBS, parsed, jobOptions());
  assert.equal(result.total, 4);
  assert.equal(result.numRecords, 1);
});

void test('the collection is capped at 10000 records per page', () => {
  const many: JsonObject[] = Array.from({ length: 10_002 }, (_, i) => ({ uuid: `j${i}` }));
  const first = queryCollection(many, parseQuery('', jobOptions()), jobOptions());
  assert.equal(first.numRecords, 10_000);
  assert.equal(first.nextOffset, 10_000);
  const capped = queryCollection(many, parseQuery('max_records=50000&offset=1', jobOptions()), jobOptions());
  assert.equal(capped.numRecords, 10_000);
  assert.equal(capped.nextOffset, 10_001);
});

void test('nextHref keeps the query as received and sets offset', () => {
  const cases: readonly (readonly [string, string, number, string])[] = [
    [
      '/api/cluster/jobs',
      'fields=uuid,state&max_records=2',
      2,
      '/api/cluster/jobs?fields=uuid,state&max_records=2&offset=2',
    ],
    [
      '/api/cluster/jobs',
      'max_records=2&offset=2&fields=uuid',
      4,
      '/api/cluster/jobs?max_records=2&offset=4&fields=uuid',
    ],
    ['/api/cluster/jobs', 'offset=2&max_records=2&offset=9', 4, '/api/cluster/jobs?offset=4&max_records=2'],
    ['/api/cluster/jobs', '%6Fffset=2&max_records=2', 4, '/api/cluster/jobs?offset=4&max_records=2'],
    ['/api/cluster/jobs', '', 2, '/api/cluster/jobs?offset=2'],
    ['/api/cluster/jobs', '?max_records=1', 1, '/api/cluster/jobs?max_records=1&offset=1'],
    [
      '/api/cluster/software/packages',
      'fields=version%2Ccreate_time&max_records=1&order_by=create_time+desc',
      1,
      '/api/cluster/software/packages?fields=version%2Ccreate_time&max_records=1&order_by=create_time+desc&offset=1',
    ],
    ['/api//cluster/jobs', 'max_records=1', 1, '/api/cluster/jobs?max_records=1&offset=1'],
    ['//api///cluster//jobs/', 'max_records=1', 1, '/api/cluster/jobs?max_records=1&offset=1'],
    ['/cluster/jobs', 'max_records=1', 1, '/api/cluster/jobs?max_records=1&offset=1'],
    [
      '/api/cluster/jobs',
      'description=*/api/cluster/software*&max_records=1',
      1,
      '/api/cluster/jobs?description=*%2Fapi/cluster/software*&max_records=1&offset=1',
    ],
    [
      '/api/cluster/software/packages/api',
      'max_records=1',
      1,
      '/api/cluster/software/packages/%61pi?max_records=1&offset=1',
    ],
  ];
  for (const [path, query, offset, expected] of cases) {
    const href = nextHref(path, query, offset);
    assert.equal(href, expected, `${path}?${query}`);
    assert.ok(href.startsWith('/api/'));
    assert.equal(href.split('/api').length, 2, `"/api" appears once in ${href}`);
  }
  assert.equal(normalizeApiPath('/api/cluster/jobs/'), '/api/cluster/jobs');
});

void test('the encoded href still means the same query', () => {
  const href = nextHref('/api/cluster/jobs', 'description=*/api/cluster/software/download&max_records=1', 1);
  const query = href.slice(href.indexOf('?') + 1);
  const parsed = parseQuery(query, jobOptions());
  assert.deepEqual(
    queryCollection(JOBS, parsed, jobOptions()).records.map((r) => r['uuid']),
    ['b2'],
  );
});

void test('following next links the way na_ontap_rest_info does collects every record once', () => {
  // The client GETs "/api/" + href.replace('/api', ''), which yields "/api//cluster/jobs?..." (§9.4).
  const collected: unknown[] = [];
  let path = '/api/cluster/jobs';
  let query = 'max_records=2&fields=state';
  for (let guard = 0; guard < 10; guard += 1) {
    const result = queryCollection(JOBS, parseQuery(query, jobOptions()), jobOptions());
    collected.push(...result.records.map((r) => r['uuid']));
    if (result.nextOffset === null) break;
    const href = nextHref(path, query, result.nextOffset);
    const requested = `/api/${href.replaceAll('/api', '')}`;
    const q = requested.indexOf('?');
    path = requested.slice(0, q);
    query = requested.slice(q + 1);
    assert.ok(path.startsWith('/api//cluster/jobs'));
  }
  assert.deepEqual(collected, ['a1', 'b2', 'c3', 'd4', 'e5']);
});
