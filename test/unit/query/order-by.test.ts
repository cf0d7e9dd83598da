import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseQuery,
  queryCollection,
  type JsonObject,
  type QueryOptions,
} from '../../../src/http/query/index.js';
import { assertOntapError, CLUSTERS, clusterOptions, JOBS, jobOptions } from './resource-fixtures.js';

function order(records: readonly JsonObject[], query: string, options: QueryOptions, key: string): string[] {
  const parsed = parseQuery(query, options);
  return queryCollection(records, parsed, options).records.map((r) => {
    const value = r[key];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

void test('order_by sorts by type, direction and several keys; ties keep the input order', () => {
  const cases: readonly (readonly [string, readonly string[]])[] = [
    ['', ['a1', 'b2', 'c3', 'd4', 'e5']],
    ['order_by=', ['a1', 'b2', 'c3', 'd4', 'e5']],
    // chronological, offsets honoured: d4 = 00:30Z, a1 = 10:00Z, b2 = 12:00Z, c3 = 23:00Z, e5 = next days
    ['order_by=start_time', ['d4', 'a1', 'b2', 'c3', 'e5']],
    ['order_by=start_time+asc', ['d4', 'a1', 'b2', 'c3', 'e5']],
    ['order_by=start_time%20desc', ['e5', 'c3', 'b2', 'a1', 'd4']],
    ['order_by=start_time+DESC', ['e5', 'c3', 'b2', 'a1', 'd4']],
    ['order_by=start_time++desc', ['e5', 'c3', 'b2', 'a1', 'd4']],
    // numeric, not textual: 0 < 10551381 < 10551383; ties keep input order
    ['order_by=code', ['a1', 'c3', 'e5', 'b2', 'd4']],
    ['order_by=code+desc', ['d4', 'b2', 'a1', 'c3', 'e5']],
    ['order_by=code+desc,start_time+desc', ['d4', 'b2', 'e5', 'c3', 'a1']],
    ['order_by=code,uuid+desc', ['e5', 'c3', 'a1', 'b2', 'd4']],
    // alphabetical enums and strings, case-insensitive (Cluster1-02 after cluster1-01)
    ['order_by=state', ['b2', 'd4', 'e5', 'c3', 'a1']],
    ['order_by=node.name+desc', ['e5', 'a1', 'b2', 'c3', 'd4']],
    ['order_by=description', ['c3', 'e5', 'a1', 'b2', 'd4']],
    // unset values sort as the largest: last ascending, first descending
    ['order_by=end_time', ['d4', 'a1', 'b2', 'c3', 'e5']],
    ['order_by=end_time+desc', ['c3', 'e5', 'b2', 'a1', 'd4']],
    ['order_by=error.code', ['b2', 'd4', 'a1', 'c3', 'e5']],
    // combined with filters and paging
    ['state=!success&order_by=start_time+desc&max_records=2', ['e5', 'c3']],
    ['order_by=start_time&offset=3', ['c3', 'e5']],
  ];
  for (const [query, expected] of cases) {
    assert.deepEqual(order(JOBS, query, jobOptions(), 'uuid'), expected, `?${query}`);
  }
  assert.deepEqual(order(CLUSTERS, 'order_by=healthy', clusterOptions, 'name'), ['beta', 'alpha', 'gamma']);
  assert.deepEqual(order(CLUSTERS, 'order_by=name+desc', clusterOptions, 'name'), ['gamma', 'beta', 'alpha']);
});

void test("sorting does not modify the caller's array", () => {
  const records = [...JOBS];
  order(records, 'order_by=start_time+desc', jobOptions(), 'uuid');
  assert.deepEqual(records, JOBS);
});

void test('a field that cannot be ordered is 262268 with target order_by', () => {
  const cases: readonly (readonly [string, QueryOptions, string])[] = [
    ['order_by=bogus', jobOptions(), 'bogus'],
    ['order_by=start_time,bogus+desc', jobOptions(), 'bogus'],
    ['order_by=node', jobOptions(), 'node'], // an object
    ['order_by=error', jobOptions(), 'error'],
    ['order_by=node.bogus', jobOptions(), 'node.bogus'],
    ['order_by=Start_time', jobOptions(), 'Start_time'],
    ['order_by=bogus+sideways', jobOptions(), 'bogus'], // the field is checked before the direction
    ['order_by=nodes.name', clusterOptions, 'nodes.name'], // several values per record
    ['order_by=tags', clusterOptions, 'tags'],
    ['order_by=secret_note', clusterOptions, 'secret_note'], // orderable: false
    ['order_by=nodes', clusterOptions, 'nodes'],
  ];
  for (const [query, options, field] of cases) {
    assertOntapError(() => parseQuery(query, options), {
      code: '262268',
      message: `Field "${field}" is not supported for order_by.`,
      target: 'order_by',
    });
  }
});

void test('any other direction word is 262185 with target order_by', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['order_by=start_time+sideways', 'start_time sideways'],
    ['order_by=start_time+ascending', 'start_time ascending'],
    ['order_by=code,start_time+asc+desc', 'code,start_time asc desc'],
  ];
  for (const [query, value] of cases) {
    assertOntapError(() => parseQuery(query, jobOptions()), {
      code: '262185',
      message: `Invalid value "${value}" for "order_by". Expected a field name optionally followed by asc or desc.`,
      target: 'order_by',
    });
  }
});
