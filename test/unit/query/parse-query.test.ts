import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseQuery,
  type ParamSpec,
  type QueryOptions,
  type QueryTarget,
} from '../../../src/http/query/index.js';
import { assertOntapError, jobOptions, type ExpectedError, SOFTWARE_FIELDS } from './resource-fixtures.js';

const unexpected = (name: string): ExpectedError => ({
  code: '262179',
  message: `Unexpected argument "${name}".`,
});
const invalid = (name: string, value: string, expectation: string): ExpectedError => ({
  code: '262185',
  message: `Invalid value "${value}" for "${name}". Expected ${expectation}.`,
  target: name,
});
const duplicate = (name: string): ExpectedError => ({
  code: '262188',
  message: `Field "${name}" was specified more than once.`,
  target: name,
});
const SECRET: ExpectedError = {
  code: '262202',
  message: 'Field "password" must not be specified in the URL.',
};

const PATCH_SOFTWARE_PARAMS: Readonly<Record<string, ParamSpec>> = {
  validate_only: { type: 'boolean' },
  skip_warnings: { type: 'boolean' },
  action: { type: 'enum', values: ['pause', 'resume', 'cancel'] },
  stabilize_minutes: { type: 'integer', min: 1, max: 60 },
  nodes_to_update: { type: 'string' },
};

const singleton: QueryOptions = {
  target: 'singleton',
  fields: SOFTWARE_FIELDS,
  keyFields: [],
  defaultReturnTimeout: 15,
};
const patchSoftware: QueryOptions = {
  target: 'action',
  fields: SOFTWARE_FIELDS,
  keyFields: [],
  extraParams: PATCH_SOFTWARE_PARAMS,
  defaultReturnTimeout: 0,
};

const optionsFor = (target: QueryTarget): QueryOptions => jobOptions(target);

void test('check order: password, then duplicates, then unknown names, then values', () => {
  const cases: readonly (readonly [string, QueryOptions, ExpectedError])[] = [
    ['password=x', jobOptions(), SECRET],
    ['fields=uuid&password=secret', jobOptions(), SECRET],
    ['fields=a&fields=b&password=x', jobOptions(), SECRET],
    ['bogus=1&password=x', patchSoftware, SECRET],
    ['PASSWORD=x', jobOptions('record'), SECRET],
    ['node.password=x', jobOptions(), SECRET],
    ['%70assword=x', jobOptions('action'), SECRET],
    ['fields=uuid&fields=state', jobOptions(), duplicate('fields')],
    ['state=running&state=success', jobOptions(), duplicate('state')],
    ['bogus=1&max_records=1&max_records=2', jobOptions(), duplicate('max_records')],
    ['fields=a&%66ields=b', jobOptions(), duplicate('fields')],
    ['bogus=1&bogus=2', jobOptions(), duplicate('bogus')],
    ['return_timeout=500&bogus=1', jobOptions(), unexpected('bogus')],
    ['fields=nope&colour=red', jobOptions(), unexpected('colour')],
    [
      'return_timeout=500&max_records=0',
      jobOptions(),
      invalid('return_timeout', '500', 'an integer from 0 to 120'),
    ],
    ['max_records=0&return_timeout=500', jobOptions(), invalid('max_records', '0', 'a positive integer')],
  ];
  for (const [query, options, expected] of cases) {
    assertOntapError(() => parseQuery(query, options), expected);
  }
});

void test('names a target does not accept are unexpected arguments without a target', () => {
  const cases: readonly (readonly [QueryTarget | QueryOptions, string])[] = [
    ['collection', 'bogus'],
    ['collection', 'colour'], // filter on a field the resource does not have
    ['collection', 'node'], // an object is not filterable
    ['collection', 'node.bogus'],
    ['collection', 'error'],
    ['collection', '_links.self.href'],
    ['collection', 'constructor'],
    ['collection', '__proto__'],
    ['collection', 'Fields'], // names are case-sensitive
    ['collection', ''],
    ['record', 'state'], // filters only on collections
    ['record', 'offset'],
    ['record', 'order_by'],
    [singleton, 'state'], // D15: filters on singletons are refused
    [singleton, 'nodes.name'],
    [singleton, 'offset'],
    ['action', 'fields'],
    ['action', 'max_records'],
    ['action', 'order_by'],
    ['action', 'offset'],
    ['action', 'ignore_unknown_fields'],
    ['action', 'state'],
    [patchSoftware, 'version'],
  ];
  for (const [target, name] of cases) {
    const options = typeof target === 'string' ? optionsFor(target) : target;
    assertOntapError(() => parseQuery(`${name}=1`, options), unexpected(name));
  }
});

void test('filters on non-filterable fields are unexpected arguments', () => {
  const options: QueryOptions = {
    ...jobOptions(),
    fields: { uuid: { type: 'string' }, message: { type: 'string', filterable: false } },
  };
  assertOntapError(() => parseQuery('message=x', options), unexpected('message'));
});

void test('global parameter values are validated with exact messages', () => {
  const cases: readonly (readonly [QueryTarget, string, ExpectedError])[] = [
    ['collection', 'return_timeout=500', invalid('return_timeout', '500', 'an integer from 0 to 120')],
    ['action', 'return_timeout=121', invalid('return_timeout', '121', 'an integer from 0 to 120')],
    ['record', 'return_timeout=-1', invalid('return_timeout', '-1', 'an integer from 0 to 120')],
    ['collection', 'return_timeout=abc', invalid('return_timeout', 'abc', 'an integer from 0 to 120')],
    ['collection', 'return_timeout=1.5', invalid('return_timeout', '1.5', 'an integer from 0 to 120')],
    ['collection', 'return_timeout=', invalid('return_timeout', '', 'an integer from 0 to 120')],
    ['collection', 'return_timeout=+5', invalid('return_timeout', ' 5', 'an integer from 0 to 120')],
    ['collection', 'max_records=0', invalid('max_records', '0', 'a positive integer')],
    ['collection', 'max_records=-3', invalid('max_records', '-3', 'a positive integer')],
    ['collection', 'max_records=ten', invalid('max_records', 'ten', 'a positive integer')],
    ['singleton', 'max_records=ten', invalid('max_records', 'ten', 'a positive integer')],
    ['collection', 'offset=-1', invalid('offset', '-1', 'a non-negative integer')],
    ['collection', 'offset=x', invalid('offset', 'x', 'a non-negative integer')],
    ['collection', 'return_records=yes', invalid('return_records', 'yes', 'true or false')],
    ['action', 'return_records=1', invalid('return_records', '1', 'true or false')],
    ['collection', 'pretty=', invalid('pretty', '', 'true or false')],
    ['action', 'pretty=on', invalid('pretty', 'on', 'true or false')],
    ['record', 'ignore_unknown_fields=maybe', invalid('ignore_unknown_fields', 'maybe', 'true or false')],
  ];
  for (const [target, query, expected] of cases) {
    const options = target === 'singleton' ? singleton : optionsFor(target);
    assertOntapError(() => parseQuery(query, options), expected);
  }
});

void test('global parameter values are parsed, booleans case-insensitively', () => {
  const cases: readonly (readonly [QueryTarget, string, Record<string, unknown>])[] = [
    [
      'collection',
      '',
      { returnRecords: true, returnTimeout: 15, pretty: false, maxRecords: null, offset: 0 },
    ],
    ['record', '', { returnRecords: true, returnTimeout: 15 }],
    ['action', '', { returnRecords: false, returnTimeout: 0 }],
    ['collection', 'return_timeout=0', { returnTimeout: 0 }],
    ['collection', 'return_timeout=120', { returnTimeout: 120 }],
    ['action', 'return_timeout=30', { returnTimeout: 30 }],
    ['collection', 'max_records=1', { maxRecords: 1 }],
    ['collection', 'max_records=1024', { maxRecords: 1024 }],
    ['collection', 'max_records=10000', { maxRecords: 10000 }],
    ['collection', 'max_records=10001', { maxRecords: 10000 }],
    ['collection', 'max_records=99999999999999999999', { maxRecords: 10000 }],
    ['collection', 'offset=0', { offset: 0 }],
    ['collection', 'offset=7', { offset: 7 }],
    ['collection', 'return_records=false', { returnRecords: false }],
    ['collection', 'return_records=False', { returnRecords: false }],
    ['action', 'return_records=True', { returnRecords: true }],
    ['collection', 'pretty=TRUE', { pretty: true }],
    ['action', 'pretty=true', { pretty: true }],
    ['collection', 'ignore_unknown_fields=True', { fields: null }],
    ['collection', '?pretty=true', { pretty: true }],
    ['collection', 'pretty=true&&', { pretty: true }],
  ];
  for (const [target, query, expected] of cases) {
    const parsed = parseQuery(query, optionsFor(target));
    const actual = Object.fromEntries(
      Object.keys(expected).map((k) => [k, (parsed as unknown as Record<string, unknown>)[k]]),
    );
    assert.deepEqual(actual, expected, `${target} ?${query}`);
  }
});

void test('D15: singletons accept max_records, return_records and order_by and ignore them', () => {
  const cases: readonly string[] = [
    'max_records=1024&fields=',
    'max_records=1024&fields=nodes',
    'return_records=false',
    'order_by=anything+sideways',
    'order_by=name',
    'max_records=20000&return_records=True&order_by=version&pretty=true&return_timeout=30',
  ];
  for (const query of cases) {
    const parsed = parseQuery(query, singleton);
    assert.equal(parsed.maxRecords, null, query);
    assert.deepEqual(parsed.orderBy, [], query);
    assert.equal(parsed.offset, 0, query);
  }
  assert.equal(parseQuery('max_records=1024&fields=', singleton).fields, null);
});

void test('records accept fields, max_records and return_records, the latter two without effect', () => {
  const parsed = parseQuery(
    'fields=state&max_records=5&return_records=false&return_timeout=3',
    jobOptions('record'),
  );
  assert.equal(parsed.maxRecords, null);
  assert.equal(parsed.returnTimeout, 3);
  assert.ok(parsed.fields !== null);
});

void test('endpoint parameters are validated by their ParamSpec', () => {
  const errorsTable: readonly (readonly [string, ExpectedError])[] = [
    ['action=stop', invalid('action', 'stop', 'one of: pause, resume, cancel')],
    ['action=Pause', invalid('action', 'Pause', 'one of: pause, resume, cancel')],
    ['validate_only=yes', invalid('validate_only', 'yes', 'true or false')],
    ['stabilize_minutes=0', invalid('stabilize_minutes', '0', 'an integer from 1 to 60')],
    ['stabilize_minutes=61', invalid('stabilize_minutes', '61', 'an integer from 1 to 60')],
    ['stabilize_minutes=x', invalid('stabilize_minutes', 'x', 'an integer from 1 to 60')],
  ];
  for (const [query, expected] of errorsTable)
    assertOntapError(() => parseQuery(query, patchSoftware), expected);

  const parsed = parseQuery(
    'skip_warnings=True&nodes_to_update=n1,n2&stabilize_minutes=8&action=pause&validate_only=FALSE&return_timeout=5',
    patchSoftware,
  );
  assert.deepEqual(parsed.extra, {
    skip_warnings: true,
    nodes_to_update: 'n1,n2',
    stabilize_minutes: 8,
    action: 'pause',
    validate_only: false,
  });
  assert.equal(parsed.returnTimeout, 5);
  assert.deepEqual(parseQuery('', patchSoftware).extra, {});
});

void test('endpoint parameters never shadow global ones', () => {
  const options: QueryOptions = { ...jobOptions(), extraParams: { max_records: { type: 'string' } } };
  assertOntapError(
    () => parseQuery('max_records=abc', options),
    invalid('max_records', 'abc', 'a positive integer'),
  );
});

void test('the query is form-decoded: + is a space, %2B a plus', () => {
  const desc = parseQuery('order_by=start_time+desc', jobOptions());
  assert.deepEqual(
    desc.orderBy.map((k) => [k.name, k.direction]),
    [['start_time', 'desc']],
  );
  const pct = parseQuery('order_by=start_time%20desc,code', jobOptions());
  assert.deepEqual(
    pct.orderBy.map((k) => [k.name, k.direction]),
    [
      ['start_time', 'desc'],
      ['code', 'asc'],
    ],
  );
  const fields = parseQuery('fields=uuid%2Cstate', jobOptions());
  assert.deepEqual([...(fields.fields?.include.keys() ?? [])], ['uuid', 'state']);
  assert.equal(parseQuery('start_time=>=2025-03-01T00:00:00%2B00:00', jobOptions()).filters.length, 1);
  assertOntapError(
    () => parseQuery('start_time=>=2025-03-01T00:00:00+00:00', jobOptions()),
    invalid('start_time', '>=2025-03-01T00:00:00 00:00', 'a date-time such as 2025-03-28T14:02:11+00:00'),
  );
  // A malformed escape does not throw: it is kept as written.
  assertOntapError(() => parseQuery('bad%zz=1', jobOptions()), unexpected('bad%zz'));
  assertOntapError(
    () => parseQuery('return_timeout=%E0%A4%A', jobOptions()),
    invalid('return_timeout', '%E0%A4%A', 'an integer from 0 to 120'),
  );
});

void test('values are checked in query order', () => {
  assertOntapError(() => parseQuery('order_by=bogus&fields=bogus', jobOptions()), {
    code: '262268',
    message: 'Field "bogus" is not supported for order_by.',
    target: 'order_by',
  });
  assertOntapError(() => parseQuery('fields=bogus&order_by=bogus', jobOptions()), {
    code: '262197',
    message: 'The value "bogus" is invalid for field "fields"',
    target: 'fields',
  });
  assertOntapError(
    () => parseQuery('code=abc&return_timeout=500', jobOptions()),
    invalid('code', 'abc', 'an integer'),
  );
});

void test('ignore_unknown_fields applies wherever it appears in the query', () => {
  const before = parseQuery('ignore_unknown_fields=true&fields=state,bogus', jobOptions());
  const after = parseQuery('fields=state,bogus&ignore_unknown_fields=TRUE', jobOptions());
  assert.deepEqual([...(before.fields?.include.keys() ?? [])], ['state']);
  assert.deepEqual(before, after);
  assertOntapError(() => parseQuery('fields=bogus&ignore_unknown_fields=false', jobOptions()), {
    code: '262197',
    message: 'The value "bogus" is invalid for field "fields"',
    target: 'fields',
  });
});
