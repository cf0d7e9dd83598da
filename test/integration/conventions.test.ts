import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteJobStore } from '../../src/adapters/storage/sqlite/sqlite-job-store.js';
import type { Job } from '../../src/core/model/job.js';
import { ontapTime } from '../../src/http/json.js';
import { startTestServer, type TestServer } from '../helpers/with-server.js';

type Body = Record<string, unknown>;
const errorOf = (json: unknown): { message: string; code: string; target?: string } =>
  (json as { error: { message: string; code: string; target?: string } }).error;

async function seedJobs(srv: TestServer): Promise<Job[]> {
  const store = new SqliteJobStore(srv.server.database);
  const base = Date.now() - 60_000;
  const jobs: Job[] = [
    {
      uuid: '11111111-1111-4111-8111-111111111111',
      kind: 'download',
      description: 'POST /api/cluster/software/download',
      state: 'success',
      message: 'success',
      code: 0,
      startTime: new Date(base),
      endTime: new Date(base + 1000),
      nodeName: 'cluster1-01',
    },
    {
      uuid: '22222222-2222-4222-8222-222222222222',
      kind: 'download',
      description: 'POST /api/cluster/software/download',
      state: 'failure',
      message: 'Package download failed: cannot resolve host "x".',
      code: 10551381,
      startTime: new Date(base + 2000),
      endTime: new Date(base + 3000),
      nodeName: 'cluster1-01',
    },
    {
      uuid: '33333333-3333-4333-8333-333333333333',
      kind: 'package_delete',
      description: 'DELETE /api/cluster/software/packages/9.16.1',
      state: 'success',
      message: 'success',
      code: 0,
      startTime: new Date(base + 4000),
      endTime: new Date(base + 5000),
      nodeName: 'cluster1-01',
    },
    {
      uuid: '44444444-4444-4444-8444-444444444444',
      kind: 'upload',
      description: 'POST /api/cluster/software/upload',
      state: 'failure',
      message: 'The package upload exceeded the time limit of 3600 seconds.',
      code: 10551373,
      startTime: new Date(base + 6000),
      endTime: new Date(base + 7000),
      nodeName: 'cluster1-01',
    },
  ];
  for (const j of jobs) await store.create({ ...j, state: 'running', endTime: null, code: 0 });
  for (const j of jobs) {
    await store.finish(j.uuid, {
      state: j.state as 'success' | 'failure',
      code: j.code,
      message: j.message,
      endTime: j.endTime ?? new Date(),
    });
  }
  return jobs;
}

test('GET /api/cluster returns the configured identity with all four version keys', async (t) => {
  const srv = await startTestServer(t);
  const res = await srv.api('GET', '/api/cluster');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/hal+json');
  assert.equal(res.headers['cache-control'], 'no-cache,no-store,must-revalidate');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  const body = res.json as { name: string; uuid: string; version: Body; _links: Body };
  assert.equal(body.name, 'cluster1');
  assert.match(body.uuid, /^[0-9a-f-]{36}$/);
  assert.equal(body.version.generation, 9);
  assert.equal(body.version.major, 16);
  assert.equal(body.version.minor, 1);
  assert.match(
    body.version.full as string,
    /^NetApp Release 9\.16\.1: \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}$/,
  );
  assert.deepEqual(body._links, { self: { href: '/api/cluster' } });

  const probe = await srv.api('GET', '/api/cluster?fields=version');
  assert.deepEqual(Object.keys(probe.json as Body).sort(), ['_links', 'version']);
  const again = await srv.api('GET', '/api/cluster');
  assert.equal((again.json as { uuid: string }).uuid, body.uuid, 'the cluster uuid is stable');
});

test('GET /api/cluster/software lists the two default nodes on 9.16.1', async (t) => {
  const srv = await startTestServer(t);
  const res = await srv.api('GET', '/api/cluster/software?fields=nodes');
  assert.equal(res.status, 200);
  assert.deepEqual((res.json as Body).nodes, [
    { name: 'cluster1-01', model: 'SIMBOX', version: '9.16.1' },
    { name: 'cluster1-02', model: 'SIMBOX', version: '9.16.1' },
  ]);
  const full = await srv.api('GET', '/api/cluster/software');
  assert.equal((full.json as Body).state, 'completed');
  assert.equal((full.json as Body).version, '9.16.1');
  const sub = await srv.api('GET', '/api/cluster/software?fields=nodes.version');
  assert.deepEqual((sub.json as Body).nodes, [{ version: '9.16.1' }, { version: '9.16.1' }]);
  const info = await srv.api('GET', '/api/cluster/software?max_records=1024&fields=');
  assert.equal(info.status, 200, 'the info module sends max_records and an empty fields to singletons');
});

test('authentication: missing, malformed and wrong credentials get 401 with a challenge', async (t) => {
  const srv = await startTestServer(t);
  const cases: { name: string; headers?: Record<string, string>; auth?: boolean; password?: string }[] = [
    { name: 'none', auth: false },
    { name: 'wrong password', password: 'nope' },
    { name: 'not base64', auth: false, headers: { authorization: 'Basic !!!' } },
    {
      name: 'no colon',
      auth: false,
      headers: { authorization: `Basic ${Buffer.from('admin').toString('base64')}` },
    },
    { name: 'bearer', auth: false, headers: { authorization: 'Bearer abc' } },
  ];
  for (const c of cases) {
    const res = await srv.api('GET', '/api/cluster', { ...c });
    assert.equal(res.status, 401, c.name);
    assert.equal(res.headers['www-authenticate'], 'Basic realm="ontap"', c.name);
    assert.deepEqual(res.json, { error: { message: 'User is not authorized.', code: '6' } }, c.name);
  }
  const unknownPath = await srv.api('GET', '/api/nothing/here', { auth: false });
  assert.equal(unknownPath.status, 401, 'authentication is checked before routing');
  const options = await srv.api('OPTIONS', '/api/cluster', { auth: false });
  assert.equal(options.status, 401, 'OPTIONS needs credentials too');
});

test('routing: unknown paths get code 3, unsupported methods 405 with Allow', async (t) => {
  const srv = await startTestServer(t);
  const missing = await srv.api('GET', '/api/cluster/nodes');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { error: { message: 'API not found', code: '3' } });
  const put = await srv.api('PUT', '/api/cluster/jobs');
  assert.equal(put.status, 405);
  assert.equal(put.headers.allow, 'GET, HEAD, OPTIONS');
  assert.deepEqual(put.json, {
    error: { message: 'The method "PUT" is not supported on "/api/cluster/jobs".', code: '3' },
  });
  const postPackages = await srv.api('POST', '/api/cluster/software/packages', { body: {} });
  assert.equal(postPackages.status, 405);
  const opt = await srv.api('OPTIONS', '/api/cluster/software/download');
  assert.equal(opt.status, 200);
  assert.equal(opt.headers.allow, 'GET, HEAD, OPTIONS, POST');
  assert.deepEqual(opt.json, {});
  const head = await srv.api('HEAD', '/api/cluster');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(head.headers['content-type'], 'application/hal+json');
  const doubled = await srv.api('GET', '/api//cluster/jobs/');
  assert.equal(doubled.status, 200, 'runs of / collapse and a trailing / is ignored');
});

test('readonly users may read but get 403 code 6 on writes', async (t) => {
  const srv = await startTestServer(t);
  const { SqliteUserStore } = await import('../../src/adapters/storage/sqlite/sqlite-user-store.js');
  const { UserService } = await import('../../src/core/services/auth-service.js');
  await new UserService(new SqliteUserStore(srv.server.database)).add('viewer', 'readonly', 'view-pass');
  const read = await srv.api('GET', '/api/cluster/jobs', { user: 'viewer', password: 'view-pass' });
  assert.equal(read.status, 200);
  for (const [method, path] of [
    ['POST', '/api/cluster/software/download'],
    ['DELETE', '/api/cluster/software/packages/9.16.1'],
    ['PATCH', '/api/cluster/jobs/11111111-1111-4111-8111-111111111111?action=cancel'],
    ['POST', '/api/cluster/software/upload'],
  ] as const) {
    const res = await srv.api(method, path, {
      user: 'viewer',
      password: 'view-pass',
      body: { url: 'http://127.0.0.1/x.tgz' },
    });
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.deepEqual(res.json, { error: { message: 'not authorized for that command', code: '6' } });
  }
});

test('query parameters: unknown names, duplicates, bad values, password in the URL', async (t) => {
  const srv = await startTestServer(t);
  const cases: [string, number, string, string, string | undefined][] = [
    ['/api/cluster/jobs?bogus=1', 400, '262179', 'Unexpected argument "bogus".', undefined],
    [
      '/api/cluster/jobs?max_records=1&max_records=2',
      400,
      '262188',
      'Field "max_records" was specified more than once.',
      'max_records',
    ],
    ['/api/cluster/jobs?max_records=0', 400, '262185', '', 'max_records'],
    [
      '/api/cluster/jobs?return_timeout=500',
      400,
      '262185',
      'Invalid value "500" for "return_timeout". Expected an integer from 0 to 120.',
      'return_timeout',
    ],
    [
      '/api/cluster/jobs?fields=nope',
      400,
      '262197',
      'The value "nope" is invalid for field "fields"',
      'fields',
    ],
    ['/api/cluster/jobs?fields=node.{name', 400, '262286', 'Mismatched braces in "fields".', 'fields'],
    [
      '/api/cluster/jobs?order_by=node',
      400,
      '262268',
      'Field "node" is not supported for order_by.',
      'order_by',
    ],
    ['/api/cluster/jobs?order_by=code+sideways', 400, '262185', '', 'order_by'],
    ['/api/cluster/jobs?code=abc', 400, '262185', '', 'code'],
    ['/api/cluster?state=x', 400, '262179', 'Unexpected argument "state".', undefined],
    [
      '/api/cluster/jobs?password=x',
      400,
      '262202',
      'Field "password" must not be specified in the URL.',
      undefined,
    ],
  ];
  for (const [path, status, code, message, target] of cases) {
    const res = await srv.api('GET', path);
    assert.equal(res.status, status, path);
    const err = errorOf(res.json);
    assert.equal(err.code, code, path);
    if (message !== '') assert.equal(err.message, message, path);
    assert.equal(err.target, target, path);
  }
  const ignored = await srv.api('GET', '/api/cluster/jobs?fields=uuid,nope&ignore_unknown_fields=true');
  assert.equal(ignored.status, 200);
});

test('jobs collection: fields, filters, order_by, paging with next links, return_records', async (t) => {
  const srv = await startTestServer(t);
  const jobs = await seedJobs(srv);

  const list = await srv.api('GET', '/api/cluster/jobs');
  const body = list.json as { records: Body[]; num_records: number; _links: Body };
  assert.equal(body.num_records, 4);
  assert.deepEqual(body.records[0], {
    uuid: jobs[0]?.uuid,
    _links: { self: { href: `/api/cluster/jobs/${jobs[0]?.uuid ?? ''}` } },
  });
  assert.deepEqual(body._links, { self: { href: '/api/cluster/jobs' } });

  const failed = await srv.api('GET', '/api/cluster/jobs?state=failure&fields=uuid,code,message');
  const fb = failed.json as { records: Body[]; num_records: number };
  assert.equal(fb.num_records, 2);
  assert.deepEqual(
    fb.records.map((r) => r.code),
    [10551381, 10551373],
  );

  const notSuccess = await srv.api('GET', '/api/cluster/jobs?description=*download*&state=!success');
  assert.equal((notSuccess.json as { num_records: number }).num_records, 1);
  const codes = await srv.api('GET', '/api/cluster/jobs?code=10551381|10551373');
  assert.equal((codes.json as { num_records: number }).num_records, 2);
  const withError = await srv.api('GET', '/api/cluster/jobs?error.code=!null&fields=error');
  assert.deepEqual(
    (withError.json as { records: Body[] }).records.map((r) => (r.error as Body).code),
    ['10551381', '10551373'],
  );
  const range = await srv.api('GET', '/api/cluster/jobs?code=10551000..10551381');
  assert.equal((range.json as { num_records: number }).num_records, 2);
  const narrow = await srv.api('GET', '/api/cluster/jobs?code=10551374..10551381');
  assert.equal((narrow.json as { num_records: number }).num_records, 1);
  const third = jobs[2];
  assert.ok(third);
  const since = await srv.api(
    'GET',
    `/api/cluster/jobs?start_time=>=${encodeURIComponent(ontapTime(third.startTime))}`,
  );
  assert.equal((since.json as { num_records: number }).num_records, 2);

  const ordered = await srv.api('GET', '/api/cluster/jobs?order_by=code+desc,start_time+asc&fields=code');
  assert.deepEqual(
    (ordered.json as { records: Body[] }).records.map((r) => r.code),
    [10551381, 10551373, 0, 0],
  );

  const page1 = await srv.api('GET', '/api/cluster/jobs?fields=uuid,state&max_records=2');
  const p1 = page1.json as { records: Body[]; num_records: number; _links: { next: { href: string } } };
  assert.equal(p1.num_records, 2);
  assert.equal(p1._links.next.href, '/api/cluster/jobs?fields=uuid,state&max_records=2&offset=2');
  assert.equal(
    page1.headers.link,
    '</api/cluster/jobs?fields=uuid,state&max_records=2&offset=2>; rel="next"',
  );
  const page2 = await srv.api('GET', p1._links.next.href.replace('/api', '/api/'));
  const p2 = page2.json as { records: Body[]; num_records: number; _links: Body };
  assert.equal(p2.num_records, 2);
  assert.equal(p2._links.next, undefined);
  assert.deepEqual(
    [...p1.records, ...p2.records].map((r) => r.uuid),
    jobs.map((j) => j.uuid),
  );

  const count = await srv.api('GET', '/api/cluster/jobs?return_records=false&state=success');
  assert.deepEqual(count.json, {
    num_records: 2,
    _links: { self: { href: '/api/cluster/jobs?return_records=false&state=success' } },
  });
});

test('job records: full representation, fields selection, 404 with target uuid', async (t) => {
  const srv = await startTestServer(t);
  const jobs = await seedJobs(srv);
  const failed = jobs[1];
  assert.ok(failed);
  const res = await srv.api('GET', `/api/cluster/jobs/${failed.uuid}`);
  assert.equal(res.status, 200);
  const job = res.json as Body;
  assert.equal(job.state, 'failure');
  assert.equal(job.code, 10551381);
  assert.deepEqual(job.error, { code: '10551381', message: failed.message });
  assert.deepEqual(job.node, { name: 'cluster1-01' });
  assert.match(job.start_time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
  const some = await srv.api('GET', `/api/cluster/jobs/${failed.uuid}?fields=state,node.name`);
  assert.deepEqual(some.json, {
    uuid: failed.uuid,
    state: 'failure',
    node: { name: 'cluster1-01' },
    _links: { self: { href: `/api/cluster/jobs/${failed.uuid}` } },
  });
  const missing = await srv.api('GET', '/api/cluster/jobs/00000000-0000-4000-8000-000000000000');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { error: { message: "entry doesn't exist", code: '4', target: 'uuid' } });
  const notUuid = await srv.api('GET', '/api/cluster/jobs/not-a-uuid');
  assert.equal(notUuid.status, 404);
});

test('Accept: application/json drops _links except a collection next link; pretty indents', async (t) => {
  const srv = await startTestServer(t);
  await seedJobs(srv);
  const plain = await srv.api('GET', '/api/cluster/jobs?max_records=1&fields=state', {
    headers: { accept: 'application/json' },
  });
  const body = plain.json as { records: Body[]; _links: Body };
  assert.equal(body.records[0]?._links, undefined);
  assert.deepEqual(Object.keys(body._links), ['next']);
  const rec = await srv.api('GET', '/api/cluster', { headers: { accept: 'application/json' } });
  assert.equal((rec.json as Body)._links, undefined);
  const pretty = await srv.api('GET', '/api/cluster?pretty=true');
  assert.match(pretty.text, /\n {2}"name"/);
});

test('a polled job record follows every change, in each representation', async (t) => {
  const srv = await startTestServer(t);
  const store = new SqliteJobStore(srv.server.database);
  const uuid = '33333333-3333-4333-8333-333333333333';
  const startTime = new Date(Date.now() - 5000);
  await store.create({
    uuid,
    kind: 'download',
    description: 'POST /api/cluster/software/download',
    state: 'running',
    message: 'Package download in progress: 1 MiB received.',
    code: 0,
    startTime,
    endTime: null,
    nodeName: 'cluster1-01',
  });
  const path = `/api/cluster/jobs/${uuid}`;
  const views = async (): Promise<[Body, Body, string]> => {
    const hal = await srv.api('GET', path);
    const plain = await srv.api('GET', path, { headers: { accept: 'application/json' } });
    const pretty = await srv.api('GET', `${path}?pretty=true`);
    return [hal.json as Body, plain.json as Body, pretty.text];
  };
  for (let i = 0; i < 2; i++) {
    const [hal, plain, pretty] = await views();
    assert.equal(hal.message, 'Package download in progress: 1 MiB received.');
    assert.deepEqual(hal._links, { self: { href: path } });
    const { _links: _dropped, ...withoutLinks } = hal;
    assert.deepEqual(plain, withoutLinks);
    assert.deepEqual(JSON.parse(pretty), hal);
  }
  await store.updateMessage(uuid, 'Package download in progress: 2 MiB received.');
  assert.equal((await views())[0].message, 'Package download in progress: 2 MiB received.');
  await store.finish(uuid, { state: 'success', code: 0, message: 'success', endTime: new Date() });
  const [hal, plain] = await views();
  assert.equal(hal.state, 'success');
  assert.equal(typeof hal.end_time, 'string');
  assert.equal(plain.state, 'success');
  assert.equal(plain._links, undefined);
});

test('bodies: broken JSON, non-objects, wrong types, unknown fields, bodies on GET, oversize', async (t) => {
  const srv = await startTestServer(t);
  const post = (raw: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    srv.api('POST', '/api/cluster/software/download', { rawBody: raw, headers });
  const broken = await post('{"url": ');
  assert.equal(broken.status, 400);
  assert.deepEqual(broken.json, {
    error: { message: 'The request body is not a valid JSON object.', code: '262199' },
  });
  assert.equal((await post('[1,2]')).status, 400);
  assert.equal(errorOf((await post('"x"')).json).code, '262199');
  const wrongType = await post('{"url": 5}');
  assert.deepEqual(wrongType.json, {
    error: { message: 'Invalid value for "url". Expected a string.', code: '262185', target: 'url' },
  });
  const unknown = await post('{"url":"http://127.0.0.1/a.tgz","color":"red"}');
  assert.deepEqual(unknown.json, { error: { message: 'Unexpected argument "color".', code: '262179' } });
  const missing = await post('{}');
  assert.deepEqual(missing.json, {
    error: { message: 'Missing required value for "url".', code: '262212', target: 'url' },
  });
  const getBody = await srv.api('GET', '/api/cluster/jobs', {
    rawBody: '{"a":1}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(getBody.status, 400);
  assert.deepEqual(getBody.json, {
    error: { message: 'A request body is not allowed for GET requests.', code: '262198' },
  });
  const emptyObject = await srv.api('GET', '/api/cluster/jobs', {
    rawBody: '{}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(emptyObject.status, 200);
  const huge = await post(`{"url":"${'a'.repeat(2 * 1024 * 1024)}"}`);
  assert.equal(huge.status, 400);
  assert.equal(errorOf(huge.json).code, '262199');
  const after = await srv.api('GET', '/api/cluster');
  assert.equal(after.status, 200, 'the server keeps serving');
});

test('the log has one line per request and never a password or Authorization header', async (t) => {
  const srv = await startTestServer(t);
  // Successful reads are logged only with GET auditing on (ONTAP's `security audit -httpget on`).
  await srv.api('PATCH', '/api/security/audit', { body: { http: true } });
  await srv.api('GET', '/api/cluster');
  await srv.api('GET', '/api/cluster/jobs?password=Sup3rS3cret');
  await srv.api('GET', '/api/cluster', { password: 'Sup3rS3cret' });
  const requestLines = srv.logs.filter((l) => l.includes('"msg":"request"'));
  assert.equal(requestLines.length, 4);
  const all = srv.logs.join('\n');
  assert.ok(!all.includes('Sup3rS3cret'), 'no password in the log');
  assert.ok(!all.toLowerCase().includes('authorization'), 'no Authorization header in the log');
  assert.ok(!all.includes(Buffer.from('admin:Adm1n-Pa55-Test').toString('base64')));
});
