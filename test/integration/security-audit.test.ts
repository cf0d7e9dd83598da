import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { pollUntil } from '../helpers/poll.js';
import { startTestServer, type TestServer } from '../helpers/with-server.js';

interface AccessLine {
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

function accessLines(srv: TestServer): AccessLine[] {
  return srv.logs
    .flatMap((chunk) => chunk.split('\n'))
    .filter((l) => l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as AccessLine);
}

let markers = 0;

/**
 * The access lines written since `from`, up to a marker request that is always logged (a 404): lines are
 * written in the order the answers finish, so a request sent before the marker and missing here was not logged.
 */
async function linesUntilMarker(srv: TestServer, from: number): Promise<AccessLine[]> {
  const marker = `/api/audit-marker-${++markers}`;
  assert.equal((await srv.api('GET', marker)).status, 404);
  const lines = await pollUntil('the marker access line', () => {
    const all = accessLines(srv).slice(from);
    return all.some((l) => l.url === marker) ? all : undefined;
  });
  return lines.filter((l) => l.url !== marker);
}

test('GET /api/security/audit: ONTAP defaults, every flag off', async (t) => {
  const srv = await startTestServer(t);
  const res = await srv.api('GET', '/api/security/audit');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, {
    cli: false,
    http: false,
    ontapi: false,
    _links: { self: { href: '/api/security/audit' } },
  });
  const only = await srv.api('GET', '/api/security/audit?fields=http');
  assert.deepEqual(only.json, { http: false, _links: { self: { href: '/api/security/audit' } } });
});

test('by default successful reads get no access line; failures and changes always do', async (t) => {
  const srv = await startTestServer(t);
  const from = accessLines(srv).length;
  assert.equal((await srv.api('GET', '/api/cluster')).status, 200);
  assert.equal((await srv.api('HEAD', '/api/cluster/jobs')).status, 200);
  assert.equal((await srv.api('OPTIONS', '/api/cluster')).status, 200);
  assert.equal((await srv.api('GET', '/api/cluster', { password: 'wrong-password' })).status, 401);
  assert.equal((await srv.api('GET', '/api/cluster/jobs/not-a-job')).status, 404);
  assert.equal((await srv.api('GET', '/api/cluster?no_such_param=1')).status, 400);
  const refused = await srv.api('POST', '/api/cluster/software/download', {
    body: { url: 'file:///etc/passwd' },
  });
  assert.equal(refused.status, 400);
  assert.equal((await srv.api('PATCH', '/api/security/audit', { body: { cli: false } })).status, 200);

  const lines = await linesUntilMarker(srv, from);
  assert.deepEqual(
    lines.map((l) => `${l.method} ${l.url} ${l.status}`),
    [
      'GET /api/cluster 401',
      'GET /api/cluster/jobs/not-a-job 404',
      'GET /api/cluster?no_such_param=1 400',
      'POST /api/cluster/software/download 400',
      'PATCH /api/security/audit 200',
    ],
  );
});

test('PATCH http=true logs successful reads too, and the setting survives a restart', async (t) => {
  const first = await startTestServer(t, { keepDataDir: true });
  const patched = await first.api('PATCH', '/api/security/audit', { body: { http: true } });
  assert.equal(patched.status, 200);
  assert.deepEqual(patched.json, {});
  const from = accessLines(first).length;
  assert.equal((await first.api('GET', '/api/cluster')).status, 200);
  assert.deepEqual(
    (await linesUntilMarker(first, from)).map((l) => `${l.method} ${l.url} ${l.status}`),
    ['GET /api/cluster 200'],
  );
  await first.server.close();

  const second = await startTestServer(t, { dataDir: first.dataDir });
  // After hooks run in the order they were added: both servers are closed before the folder goes.
  t.after(() => rm(first.dataDir, { recursive: true, force: true }));
  const settings = await second.api('GET', '/api/security/audit');
  assert.deepEqual(settings.json, {
    cli: false,
    http: true,
    ontapi: false,
    _links: { self: { href: '/api/security/audit' } },
  });
  const again = accessLines(second).length;
  assert.equal((await second.api('GET', '/api/cluster/jobs')).status, 200);
  assert.deepEqual(
    (await linesUntilMarker(second, again)).map((l) => `${l.method} ${l.url} ${l.status}`),
    ['GET /api/cluster/jobs 200'],
  );

  assert.equal((await second.api('PATCH', '/api/security/audit', { body: { http: false } })).status, 200);
  const off = accessLines(second).length;
  assert.equal((await second.api('GET', '/api/cluster')).status, 200);
  assert.deepEqual(await linesUntilMarker(second, off), []);
});

test('PATCH /api/security/audit checks its body; an empty body changes nothing', async (t) => {
  const srv = await startTestServer(t);
  const unknown = await srv.api('PATCH', '/api/security/audit', { body: { httpget: true } });
  assert.equal(unknown.status, 400);
  assert.equal((unknown.json as { error: { code: string } }).error.code, '262179');
  const wrongType = await srv.api('PATCH', '/api/security/audit', { body: { http: 'yes' } });
  assert.equal(wrongType.status, 400);
  assert.equal((wrongType.json as { error: { code: string } }).error.code, '262185');
  const empty = await srv.api('PATCH', '/api/security/audit', { body: {} });
  assert.equal(empty.status, 200);
  const all = await srv.api('PATCH', '/api/security/audit', { body: { cli: true, ontapi: true } });
  assert.equal(all.status, 200);
  assert.deepEqual(await srv.api('GET', '/api/security/audit').then((r) => r.json), {
    cli: true,
    http: false,
    ontapi: true,
    _links: { self: { href: '/api/security/audit' } },
  });
});
