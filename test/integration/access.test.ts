/**
 * Access (issue 6, item 7). Every route of the generated OpenAPI document (plus HEAD and OPTIONS, which need
 * credentials too) is called without credentials, with wrong or malformed ones (401, D10), and as `readonly`
 * on every write (403 code "6"). Then the login throttle: failures from one client address slow its answers
 * down, then lock it out with 429 code "262160" and Retry-After, while another address is unaffected; after
 * the lock-out period the right password works again. "Slower" is shown by order, not by a clock: the slowed
 * answer to one client arrives after a later request from a second loopback address (127.0.0.2) was answered.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { SqliteUserStore } from '../../src/adapters/storage/sqlite/sqlite-user-store.js';
import { UserService } from '../../src/core/services/auth-service.js';
import { BOUNDARY, multipartBody } from '../helpers/multipart.js';
import { pollUntil } from '../helpers/poll.js';
import {
  ADMIN_PASSWORD,
  startTestServer,
  type ApiOptions,
  type ApiResponse,
} from '../helpers/with-server.js';

const READONLY_PASSWORD = 'R3ad-0nly-Pw';
const WRITE_METHODS = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);

interface Route {
  readonly method: string;
  readonly path: string;
}

/** Routes from openapi/clusterimage.openapi.json with path parameters filled in, plus HEAD and OPTIONS. */
function routes(): Route[] {
  const doc = JSON.parse(
    readFileSync(new URL('../../openapi/clusterimage.openapi.json', import.meta.url), 'utf8'),
  ) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const values: Record<string, string> = { version: '9.16.1', uuid: randomUUID() };
  const out: Route[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'x');
    const methods = Object.keys(operations)
      .map((m) => m.toUpperCase())
      .filter((m) => ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'].includes(m));
    for (const method of methods) out.push({ method, path });
    if (methods.includes('GET')) out.push({ method: 'HEAD', path });
    out.push({ method: 'OPTIONS', path });
  }
  return out;
}

/** A body that would be valid for the route, so a missing role check could not hide behind a 400. */
function bodyFor(route: Route): ApiOptions {
  if (route.method !== 'POST') return {};
  if (route.path === '/api/cluster/software/upload') {
    return {
      rawBody: multipartBody('9991_q_image.tgz', Buffer.from('not a package')),
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    };
  }
  if (route.path === '/api/cluster/software/download')
    return { body: { url: 'http://127.0.0.1:1/9991_q_image.tgz' } };
  return {};
}

function assertEnvelope(res: ApiResponse, route: Route, status: number, message: string, code: string): void {
  const what = `${route.method} ${route.path}`;
  assert.equal(res.status, status, `${what}: ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/hal+json', what);
  if (route.method === 'HEAD') assert.equal(res.text, '', what);
  else assert.deepEqual(res.json, { error: { message, code } }, what);
}

test('every route of the OpenAPI document: 401 without or with wrong credentials, 403 for readonly writes', async (t) => {
  const srv = await startTestServer(t);
  await new UserService(new SqliteUserStore(srv.server.database)).add(
    'viewer',
    'readonly',
    READONLY_PASSWORD,
  );
  const all = routes();
  assert.ok(all.length >= 15, `routes read from the document: ${all.length}`);
  assert.ok(all.some((r) => r.method === 'POST' && r.path === '/api/cluster/software/upload'));

  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const wrong: { label: string; options: ApiOptions }[] = [
    { label: 'none', options: { auth: false } },
    { label: 'wrong password', options: { password: 'not-the-password' } },
    { label: 'unknown user', options: { user: 'nobody', password: ADMIN_PASSWORD } },
    { label: 'empty password', options: { password: '' } },
    {
      label: 'bearer',
      options: { auth: false, headers: { authorization: `Bearer ${b64(`admin:${ADMIN_PASSWORD}`)}` } },
    },
    { label: 'no colon', options: { auth: false, headers: { authorization: `Basic ${b64('admin')}` } } },
    { label: 'not base64', options: { auth: false, headers: { authorization: 'Basic !!!' } } },
    { label: 'scheme only', options: { auth: false, headers: { authorization: 'Basic' } } },
  ];
  for (const route of all) {
    for (const { label, options } of wrong) {
      const res = await srv.api(route.method, route.path, {
        ...bodyFor(route),
        ...options,
        headers: { ...bodyFor(route).headers, ...options.headers },
      });
      assertEnvelope(res, route, 401, 'User is not authorized.', '6');
      assert.equal(
        res.headers['www-authenticate'],
        'Basic realm="ontap"',
        `${route.method} ${route.path} (${label})`,
      );
    }
    const asViewer = await srv.api(route.method, route.path, {
      user: 'viewer',
      password: READONLY_PASSWORD,
      ...bodyFor(route),
    });
    if (WRITE_METHODS.has(route.method)) {
      assertEnvelope(asViewer, route, 403, 'not authorized for that command', '6');
    } else {
      assert.ok(
        asViewer.status < 400 || asViewer.status === 404,
        `${route.method} ${route.path} as readonly: ${asViewer.text}`,
      );
    }
    const asAdmin = await srv.api(route.method, route.path, { ...bodyFor(route) });
    assert.ok(
      ![401, 403].includes(asAdmin.status),
      `${route.method} ${route.path} as admin: ${asAdmin.text}`,
    );
  }
  const jobs = await srv.api('GET', '/api/cluster/jobs?fields=description&return_records=true');
  const descriptions = (jobs.json as { records: { description: string }[] }).records.map(
    (r) => r.description,
  );
  assert.ok(
    descriptions.every((d) => !d.includes('viewer')),
    'no job was started by the readonly user',
  );
  assert.equal(
    descriptions.length,
    2,
    `only the admin's download and upload started jobs: ${descriptions.join(', ')}`,
  );
});

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: unknown;
}

/** GET /api/cluster from a chosen loopback source address. */
function getFrom(baseUrl: string, localAddress: string, password: string): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: Number(url.port),
        path: '/api/cluster',
        localAddress,
        agent: false,
        headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const retry = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: retry,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('repeated failed logins from one address slow down, then get 429 262160 with Retry-After; later the password works', async (t) => {
  const lockMs = 2000;
  const srv = await startTestServer(t, {
    throttle: { slowAfter: 2, lockAfter: 4, windowMs: 60_000, lockMs, stepDelayMs: 1500, maxDelayMs: 1500 },
  });
  const A = '127.0.0.1';
  const B = '127.0.0.2';
  try {
    await getFrom(srv.url, B, ADMIN_PASSWORD);
  } catch (err) {
    const reason = `cannot use ${B} as a source address: ${(err as Error).message}`;
    t.diagnostic(reason);
    t.skip(reason);
    return;
  }
  const unauthorized = { error: { message: 'User is not authorized.', code: '6' } };
  for (let i = 0; i < 2; i++) assert.deepEqual((await getFrom(srv.url, A, 'wrong')).body, unauthorized);

  // Third failure from A: slowed. A first failure from B, sent after it, is answered before it.
  const order: string[] = [];
  const slowed = getFrom(srv.url, A, 'wrong').then((a) => {
    order.push('A');
    return a;
  });
  const other = await getFrom(srv.url, B, 'wrong');
  order.push('B');
  assert.deepEqual(other.body, unauthorized);
  assert.deepEqual((await slowed).body, unauthorized);
  assert.deepEqual(order, ['B', 'A'], 'the slowed answer to A came after the later answer to B');

  // Fourth failure: locked out.
  const locked = await getFrom(srv.url, A, 'wrong');
  assert.equal(locked.status, 429);
  assert.match(
    (locked.body as { error: { message: string } }).error.message,
    /^Too many failed login attempts\. Try again in \d+ seconds\.$/,
  );
  assert.equal((locked.body as { error: { code: string } }).error.code, '262160');
  assert.ok(
    Number(locked.retryAfter) >= 1 && Number(locked.retryAfter) <= Math.ceil(lockMs / 1000),
    `Retry-After ${String(locked.retryAfter)}`,
  );

  // While locked, even the right password from A gets 429; B is not affected.
  const stillLocked = await getFrom(srv.url, A, ADMIN_PASSWORD);
  assert.equal(stillLocked.status, 429);
  assert.ok(stillLocked.retryAfter !== undefined);
  assert.equal((await getFrom(srv.url, B, ADMIN_PASSWORD)).status, 200);

  // After the lock-out period the right password works again.
  const seen: number[] = [];
  await pollUntil(
    'the lock-out to end',
    async () => {
      const res = await getFrom(srv.url, A, ADMIN_PASSWORD);
      seen.push(res.status);
      return res.status === 200;
    },
    { deadlineMs: lockMs + 10_000, intervalMs: 100 },
  );
  assert.ok(
    seen.slice(0, -1).every((s) => s === 429),
    `answers while locked: ${seen.join(',')}`,
  );
  assert.equal(
    (await getFrom(srv.url, A, 'wrong')).status,
    401,
    'a success reset the count: one more failure is only a 401',
  );
});
