import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { tempDir } from '../helpers/package-fixtures.js';
import { runCli, serveCli } from '../helpers/server-process.js';

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** A cached login survives a user change by another process for at most 250 ms: poll (deadline 10 s). */
async function statusOnceSettled(
  url: string,
  user: string,
  password: string,
  wanted: number,
): Promise<number> {
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await get(url, user, password)).status;
    if (status === wanted) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return status;
}

async function get(url: string, user: string, password: string, method = 'GET', body?: string) {
  const res = await request(url, {
    method: method as 'GET',
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    dispatcher: insecure,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text, headers: res.headers };
}

test('first start: HTTPS with a self-signed certificate, a generated admin password printed once', async (t) => {
  const dir = await tempDir(t, 'clusterimage-e2e-');
  const srv = await serveCli(t, ['--port', '0', '--data-dir', dir]);
  const { url } = srv;
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const password = /Created user "admin" with password: (\S+)/.exec(srv.stdout())?.[1];
  assert.ok(password, srv.stdout());
  const fingerprint = /SHA-256 fingerprint ([0-9A-F:]{95})/.exec(srv.stdout())?.[1];
  assert.ok(fingerprint, srv.stdout());
  const cert = new X509Certificate(await readFile(join(dir, 'tls', 'server-cert.pem')));
  assert.equal(cert.fingerprint256, fingerprint);
  const res = await get(`${url}/api/cluster`, 'admin', password);
  assert.equal(res.status, 200);
  assert.equal((JSON.parse(res.text) as { name: string }).name, 'cluster1');

  srv.child.kill('SIGTERM');
  assert.equal((await srv.done).code, 0, 'SIGTERM shuts down cleanly');
  const again = await serveCli(t, ['--port', '0', '--data-dir', dir]);
  assert.ok(!again.stdout().includes('Created user'), 'the password is printed only on the first start');
  assert.match(again.stdout(), new RegExp(`Using the TLS certificate; SHA-256 fingerprint ${fingerprint}`));
  const res2 = await get(`${again.url}/api/cluster`, 'admin', password);
  assert.equal(res2.status, 200);
});

test('settings: defaults < file < environment < flags; a bad value names the setting', async (t) => {
  const dir = await tempDir(t, 'clusterimage-e2e-');
  const cfg = join(dir, 'config.yaml');
  await writeFile(
    cfg,
    `clusterName: filecluster\nclusterVersion: 9.13.1\nport: 1\ninsecureHttp: true\ndataDir: ${join(dir, 'from-file')}\n`,
  );
  const { url } = await serveCli(t, ['--config', cfg, '--port', '0'], {
    CLUSTERIMAGE_PORT: '2',
    CLUSTERIMAGE_DATA_DIR: join(dir, 'from-env'),
    CLUSTERIMAGE_ADMIN_PASSWORD: 'pw-from-env',
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the flag port 0 wins over env 2 and file 1');
  const res = await get(`${url}/api/cluster?fields=name,version`, 'admin', 'pw-from-env');
  const body = JSON.parse(res.text) as { name: string; version: { full: string; major: number } };
  assert.equal(body.name, 'filecluster');
  assert.equal(body.version.major, 13);
  await readFile(join(dir, 'from-env', 'clusterimage.db'));

  const bad = await runCli(['serve', '--port', 'eighty', '--data-dir', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port.*"port" must be an integer/);
  const badEnv = await runCli(['serve', '--data-dir', dir], { env: { CLUSTERIMAGE_PORT: '70000' } });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /CLUSTERIMAGE_PORT.*"port" must be at most 65535/);
  await writeFile(cfg, 'jobRetentionSeconds: -5\n');
  const badFile = await runCli(['serve', '--config', cfg, '--data-dir', dir]);
  assert.equal(badFile.code, 2);
  assert.match(badFile.stderr, /config\.yaml.*"jobRetentionSeconds" must be at least 0/);
  await writeFile(cfg, 'colour: blue\n');
  const unknown = await runCli(['serve', '--config', cfg, '--data-dir', dir]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown setting "colour"/);
});

test("a certificate and key of the user's own are served", async (t) => {
  const dir = await tempDir(t, 'clusterimage-e2e-');
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'own.example' }], {
    keyType: 'ec',
    algorithm: 'sha256',
  });
  await writeFile(join(dir, 'own-cert.pem'), pems.cert);
  await writeFile(join(dir, 'own-key.pem'), pems.private);
  await writeFile(
    join(dir, 'c.yaml'),
    `tlsCertFile: ${join(dir, 'own-cert.pem')}\ntlsKeyFile: ${join(dir, 'own-key.pem')}\n`,
  );
  const srv = await serveCli(
    t,
    ['--config', join(dir, 'c.yaml'), '--port', '0', '--data-dir', join(dir, 'data')],
    {
      CLUSTERIMAGE_ADMIN_PASSWORD: 'x',
    },
  );
  assert.ok(srv.stdout().includes(new X509Certificate(pems.cert).fingerprint256));
});

test('user add|list|passwd|delete work on a data folder, also while the server runs; roles apply', async (t) => {
  const dir = await tempDir(t, 'clusterimage-e2e-');
  const { url } = await serveCli(t, ['--port', '0', '--insecure-http', '--data-dir', dir], {
    CLUSTERIMAGE_ADMIN_PASSWORD: 'adminpw',
  });
  const add = await runCli(
    ['user', 'add', 'viewer', '--role', 'readonly', '--password-stdin', '--data-dir', dir],
    { stdin: 'view-pw-1\n' },
  );
  assert.equal(add.code, 0, add.stderr);
  const list = await runCli(['user', 'list', '--json', '--data-dir', dir]);
  assert.equal(list.code, 0);
  assert.deepEqual(JSON.parse(list.stdout), [
    { name: 'admin', role: 'admin' },
    { name: 'viewer', role: 'readonly' },
  ]);
  assert.equal((await get(`${url}/api/cluster/jobs`, 'viewer', 'view-pw-1')).status, 200);
  const write = await get(
    `${url}/api/cluster/software/download`,
    'viewer',
    'view-pw-1',
    'POST',
    '{"url":"http://127.0.0.1:1/a.tgz"}',
  );
  assert.equal(write.status, 403);
  assert.deepEqual(JSON.parse(write.text), {
    error: { message: 'not authorized for that command', code: '6' },
  });

  const passwd = await runCli(['user', 'passwd', 'viewer', '--password-stdin', '--data-dir', dir], {
    stdin: 'view-pw-2\n',
  });
  assert.equal(passwd.code, 0);
  assert.equal(
    await statusOnceSettled(`${url}/api/cluster`, 'viewer', 'view-pw-1', 401),
    401,
    'the cached old password stops working',
  );
  assert.equal((await get(`${url}/api/cluster`, 'viewer', 'view-pw-2')).status, 200);
  const del = await runCli(['user', 'delete', 'viewer', '--data-dir', dir]);
  assert.equal(del.code, 0);
  assert.equal(await statusOnceSettled(`${url}/api/cluster`, 'viewer', 'view-pw-2', 401), 401);

  const dup = await runCli(
    ['user', 'add', 'admin', '--role', 'admin', '--password-stdin', '--data-dir', dir],
    { stdin: 'x\n' },
  );
  assert.equal(dup.code, 1);
  const usage = await runCli(
    ['user', 'add', 'bob', '--role', 'root', '--password-stdin', '--data-dir', dir],
    { stdin: 'x\n' },
  );
  assert.equal(usage.code, 2);
  const db = await readFile(join(dir, 'clusterimage.db'));
  assert.ok(!db.includes('view-pw-2') && !db.includes('adminpw'), 'only hashes are stored');
});

test('API docs: the OpenAPI document is the committed one, the page and its assets are served locally', async (t) => {
  const dir = await tempDir(t, 'clusterimage-e2e-');
  const { url } = await serveCli(t, ['--port', '0', '--insecure-http', '--data-dir', dir], {
    CLUSTERIMAGE_ADMIN_PASSWORD: 'pw',
  });
  const spec = await request(`${url}/docs/api/openapi.json`);
  const served = await spec.body.text();
  const committed = await readFile(
    join(import.meta.dirname, '..', '..', 'openapi', 'clusterimage.openapi.json'),
    'utf8',
  );
  assert.deepEqual(JSON.parse(served), JSON.parse(committed));
  const page = await request(`${url}/docs/api`, { maxRedirections: 0 } as object);
  let html = await page.body.text();
  if (page.statusCode >= 300 && page.statusCode < 400) {
    const next = await request(new URL(String(page.headers.location), url).toString());
    html = await next.body.text();
  }
  assert.match(html, /swagger/i);
  const external = [...html.matchAll(/(?:src|href)="(https?:\/\/[^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(external, [], 'no asset comes from a CDN');
  const bundle = await request(`${url}/docs/api/static/swagger-ui-bundle.js`);
  assert.equal(bundle.statusCode, 200);
  await bundle.body.dump();
  const init = await request(`${url}/docs/api/static/swagger-initializer.js`);
  const initText = await init.body.text();
  assert.match(initText, /openapi\.json/);
});

test('SIGTERM while a download runs: the server stops, and the job has ended in failure, not left running', async (t) => {
  const dir = await tempDir(t, 'clusterimage-e2e-');
  const { startHttpOrigin } = await import('../helpers/http-origin.js');
  const origin = await startHttpOrigin({
    files: { '/slow.tgz': Buffer.alloc(1_000_000, 1) },
    modes: { '/slow.tgz': { kind: 'trickleThenStop', bytes: 1000, intervalMs: 5 } },
  });
  t.after(() => origin.close());
  const srv = await serveCli(t, ['--port', '0', '--insecure-http', '--data-dir', dir], {
    CLUSTERIMAGE_ADMIN_PASSWORD: 'pw',
  });
  const { url } = srv;
  const started = await get(
    `${url}/api/cluster/software/download`,
    'admin',
    'pw',
    'POST',
    JSON.stringify({ url: `${origin.url}/slow.tgz` }),
  );
  assert.equal(started.status, 202);
  const href = (JSON.parse(started.text) as { job: { _links: { self: { href: string } } } }).job._links.self
    .href;
  srv.child.kill('SIGTERM');
  assert.equal((await srv.done).code, 0);
  const again = await serveCli(t, ['--port', '0', '--insecure-http', '--data-dir', dir]);
  const job = JSON.parse((await get(`${again.url}${href}`, 'admin', 'pw')).text) as {
    state: string;
    message: string;
    code: number;
  };
  assert.deepEqual(
    { state: job.state, message: job.message, code: job.code },
    { state: 'failure', message: 'interrupted by a server restart', code: 10551381 },
  );
});
