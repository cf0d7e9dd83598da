import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { startHttpOrigin, type HttpOrigin, type OriginOptions } from '../helpers/http-origin.js';
import { testPki, UNTRUSTED_CN } from '../helpers/tls.js';
import { jobHrefOf, waitForJob } from '../helpers/wait-for-job.js';
import { startTestServer, type StartOptions, type TestServer } from '../helpers/with-server.js';
import { writeFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';

type Body = Record<string, unknown>;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const pkg = (version: string | null, payload = 4096): Buffer =>
  buildPackageBuffer({ version, members: [{ name: 'image.bin', data: Buffer.alloc(payload, 7) }] });

async function origin(t: TestContext, options: OriginOptions): Promise<HttpOrigin> {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

async function setup(
  t: TestContext,
  options: OriginOptions,
  serverOptions: StartOptions = {},
): Promise<{ srv: TestServer; o: HttpOrigin }> {
  const o = await origin(t, options);
  const srv = await startTestServer(t, serverOptions);
  return { srv, o };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

async function stagingFiles(srv: TestServer): Promise<string[]> {
  return (await filesUnder(join(srv.dataDir, 'packages'))).filter((f) => f.includes('.staging'));
}

test('download with credentials: 202 at once, job succeeds, package recorded with its sha256', async (t) => {
  const image = pkg('9.17.1', 200_000);
  const { srv, o } = await setup(t, {
    files: { '/images/9171_q_image.tgz': image },
    auth: { username: 'pkguser', password: 'pkgpass' },
  });
  const before = await srv.api('GET', '/api/cluster/software/download');
  assert.deepEqual(before.json, {
    state: 'not_started',
    message: 'No package download has been started.',
    code: 10551384,
  });

  const res = await srv.api('POST', '/api/cluster/software/download', {
    body: { url: `${o.url}/images/9171_q_image.tgz`, username: 'pkguser', password: 'pkgpass' },
  });
  assert.equal(res.status, 202);
  const href = jobHrefOf(res.json);
  assert.equal(res.headers.location, href);
  assert.match(href, /^\/api\/cluster\/jobs\/[0-9a-f-]{36}$/);
  const job = await waitForJob(srv, href);
  assert.equal(job.state, 'success', JSON.stringify(job));
  assert.equal(job.message, 'success');
  assert.equal(job.code, 0);

  const full = await srv.api('GET', href);
  const jb = full.json as Body;
  assert.equal(jb.description, 'POST /api/cluster/software/download');
  assert.ok(typeof jb.end_time === 'string');
  assert.deepEqual(jb.node, { name: 'cluster1-01' });

  const list = await srv.api('GET', '/api/cluster/software/packages');
  assert.deepEqual(list.json, {
    records: [{ version: '9.17.1', _links: { self: { href: '/api/cluster/software/packages/9.17.1' } } }],
    num_records: 1,
    _links: { self: { href: '/api/cluster/software/packages' } },
  });
  const rec = await srv.api('GET', '/api/cluster/software/packages/9.17.1');
  assert.deepEqual(Object.keys(rec.json as Body).sort(), ['_links', 'create_time', 'version']);
  const detail = await srv.api(
    'GET',
    '/api/cluster/software/packages/9.17.1?fields=size,sha256,file_name,source_url,create_time',
  );
  const d = detail.json as Body;
  assert.equal(d.size, image.length);
  assert.equal(d.sha256, sha(image));
  assert.equal(d.file_name, '9171_q_image.tgz');
  assert.equal(d.source_url, `${o.url}/images/9171_q_image.tgz`);
  const onDisk = await readFile(join(srv.dataDir, 'packages', '9171_q_image.tgz'));
  assert.equal(sha(onDisk), sha(image));
  assert.deepEqual(await stagingFiles(srv), []);
  assert.equal(o.requests[0]?.hadAuth, true);

  const status = await srv.api('GET', '/api/cluster/software/download');
  assert.deepEqual(status.json, { state: 'success', message: 'success', code: 0 });
});

test('return_timeout: 201 when the job succeeds in time, the job failure as 400 with Location', async (t) => {
  const { srv, o } = await setup(t, {
    files: { '/a/9181_q_image.tgz': pkg(null) },
    modes: { '/a/missing.tgz': { kind: 'notFound' } },
  });
  const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${o.url}/a/9181_q_image.tgz` },
  });
  assert.equal(ok.status, 201);
  assert.equal(ok.headers.location, jobHrefOf(ok.json));
  const ver = await srv.api('GET', '/api/cluster/software/packages?fields=version');
  assert.deepEqual(
    (ver.json as { records: Body[] }).records.map((r) => r.version),
    ['9.18.1'],
    'version from the file name',
  );

  const bad = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${o.url}/a/missing.tgz` },
  });
  assert.equal(bad.status, 400);
  assert.match(String(bad.headers.location), /^\/api\/cluster\/jobs\//);
  assert.deepEqual(bad.json, {
    error: {
      message: `Package download failed: the server returned HTTP 404 Not Found for ${o.url}/a/missing.tgz.`,
      code: '10551381',
    },
  });
  const status = await srv.api('GET', '/api/cluster/software/download?fields=state,code');
  assert.deepEqual(status.json, { state: 'failure', code: 10551381 });
});

test('synchronous checks answer with the contract codes and create no job', async (t) => {
  const { srv, o } = await setup(t, { files: { '/p/9191_q_image.tgz': pkg('9.19.1') } });
  const post = (body: unknown, query = '') =>
    srv.api('POST', `/api/cluster/software/download${query}`, { body });
  const cases: [unknown, string, number, string, string | undefined][] = [
    [{ url: 'not a url' }, '', 400, '39387137', 'url'],
    [{ url: '' }, '', 400, '39387137', 'url'],
    [{ url: 'file:///etc/passwd' }, '', 400, '39387138', 'url'],
    [{ url: 'gopher://h/x.tgz' }, '', 400, '39387138', 'url'],
    [{ url: `${o.url}/` }, '', 400, '10551885', 'url'],
    [{ url: `${o.url}/${'a'.repeat(256)}` }, '', 400, '10551799', 'url'],
    [{ url: `${o.url}/p/x.tgz`, colour: 1 }, '', 400, '262179', undefined],
    [{ url: `${o.url}/p/x.tgz` }, '?return_timeout=121', 400, '262185', 'return_timeout'],
    [{ url: `${o.url}/p/x.tgz` }, '?return_timeout=abc', 400, '262185', 'return_timeout'],
    [{ url: `${o.url}/p/x.tgz` }, '?fields=uuid', 400, '262179', undefined],
    [{ url: `${o.url}/p/x.tgz`, password: 5 }, '', 400, '262185', 'password'],
  ];
  for (const [body, query, status, code, target] of cases) {
    const res = await post(body, query);
    assert.equal(res.status, status, JSON.stringify(body) + query);
    const err = (res.json as { error: { code: string; target?: string; message: string } }).error;
    assert.equal(err.code, code, JSON.stringify(body) + query);
    assert.equal(err.target, target, JSON.stringify(body) + query);
    assert.equal(res.headers.location, undefined);
  }
  const scheme = await post({ url: 'FILE:///x.tgz' });
  assert.equal(
    (scheme.json as { error: { message: string } }).error.message,
    'Unsupported URL scheme "file". Supported schemes are HTTP://, HTTPS://, FTP:// and FTPS://.',
  );
  const jobs = await srv.api('GET', '/api/cluster/jobs?return_records=false');
  assert.equal((jobs.json as { num_records: number }).num_records, 0, 'no job was created');
  assert.equal(o.requests.length, 0, 'no request reached the origin');

  const first = await post({ url: `${o.url}/p/9191_q_image.tgz` }, '?return_timeout=30');
  assert.equal(first.status, 201);
  const same = await post({ url: `${o.url}/other/9191_q_image.tgz` });
  assert.equal(same.status, 409);
  assert.deepEqual(same.json, {
    error: {
      message: 'Package image with the same name already exists: "9191_q_image.tgz".',
      code: '10551327',
    },
  });
});

test('one transfer at a time: a second download gets 409 10551382 while the first runs; cancel ends it', async (t) => {
  const { srv, o } = await setup(t, {
    files: {
      '/slow/9201_q_image.tgz': { size: 10_000_000, generate: (off, len) => Buffer.alloc(len, off % 251) },
    },
    modes: { '/slow/9201_q_image.tgz': { kind: 'trickleThenStop', bytes: 50_000, intervalMs: 1 } },
  });
  const started = await srv.api('POST', '/api/cluster/software/download', {
    body: { url: `${o.url}/slow/9201_q_image.tgz` },
  });
  assert.equal(started.status, 202);
  const href = jobHrefOf(started.json);
  const running = await waitForJob(srv, href, { states: ['running'] });
  assert.equal(running.state, 'running');

  const second = await srv.api('POST', '/api/cluster/software/download', {
    body: { url: `${o.url}/slow/other.tgz` },
  });
  assert.equal(second.status, 409);
  assert.deepEqual(second.json, {
    error: {
      message: 'Software get operation already in progress. Only one package transfer can run at a time.',
      code: '10551382',
    },
  });
  const status = await srv.api('GET', '/api/cluster/software/download');
  assert.equal((status.json as Body).state, 'running');
  assert.equal((status.json as Body).code, 10551382);

  // progress appears while bytes arrive
  const deadline = Date.now() + 20_000;
  let message = '';
  while (Date.now() < deadline) {
    message = (await waitForJob(srv, href, { states: ['running'] })).message;
    if (/^Package download in progress: \d+% \(\d+ MiB of 9 MiB\)$/.test(message)) break;
  }
  assert.match(message, /^Package download in progress: \d+% \(\d+ MiB of 9 MiB\)$/);

  const pause = await srv.api('PATCH', `${href}?action=pause`);
  assert.deepEqual(pause.json, {
    error: { message: 'This job does not support pause or resume.', code: '458783' },
  });
  const noAction = await srv.api('PATCH', href);
  assert.deepEqual(noAction.json, {
    error: { message: 'No values were supplied to apply.', code: '262190' },
  });
  const badAction = await srv.api('PATCH', `${href}?action=stop`);
  assert.equal((badAction.json as { error: { code: string; target: string } }).error.target, 'action');

  const cancel = await srv.api('PATCH', `${href}?action=cancel`);
  assert.equal(cancel.status, 200);
  assert.deepEqual(cancel.json, {});
  const ended = await srv.api('GET', href);
  const e = ended.json as Body;
  assert.equal(e.state, 'failure', 'the job is terminal when the cancel answers');
  assert.equal(e.code, 10551381);
  assert.equal(e.message, 'Package download cancelled by user request.');
  assert.deepEqual(await stagingFiles(srv), [], 'the partial file is removed');
  const again = await srv.api('PATCH', `${href}?action=cancel`);
  assert.deepEqual(again.json, {
    error: { message: 'The job is already in a terminal state.', code: '458762' },
  });
  const packages = await srv.api('GET', '/api/cluster/software/packages?return_records=false');
  assert.equal((packages.json as { num_records: number }).num_records, 0);
});

test('return_timeout runs out while the job continues: 202 with Location', async (t) => {
  const { srv, o } = await setup(t, {
    files: { '/s/9211_q_image.tgz': pkg(null) },
    modes: { '/s/9211_q_image.tgz': { kind: 'stallHeaders' } },
  });
  const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=1', {
    body: { url: `${o.url}/s/9211_q_image.tgz` },
  });
  assert.equal(res.status, 202);
  assert.equal(res.headers.location, jobHrefOf(res.json));
  await srv.api('PATCH', `${jobHrefOf(res.json)}?action=cancel`);
});

test('failures name their cause: 401, 500, refused, wrong length, drop, not a package, duplicate version, too large, stall', async (t) => {
  const good = pkg('9.22.1');
  const { srv, o } = await setup(
    t,
    {
      files: {
        '/ok/first.tgz': good,
        '/ok/again.tgz': good,
        '/bad/random.tgz': Buffer.alloc(3000, 3),
        '/bad/500.tgz': good,
        '/bad/short.tgz': good,
        '/bad/drop.tgz': pkg('9.22.2', 300_000),
        '/bad/big.tgz': good,
        '/bad/stall.tgz': good,
      },
      modes: {
        '/bad/500.tgz': { kind: 'serverError' },
        '/bad/short.tgz': { kind: 'wrongLength', announce: 'longer', by: 100 },
        '/bad/drop.tgz': { kind: 'dropMidBody' },
        '/bad/big.tgz': { kind: 'oversize', announce: 50_000_000 },
        '/bad/stall.tgz': { kind: 'trickleThenStop', bytes: 10, intervalMs: 1 },
      },
    },
    { config: { maxPackageBytes: 10_000_000, idleTimeoutSeconds: 1, resumeAttempts: 0 } },
  );
  const run = async (url: string, body: Body = {}): Promise<{ code: string; message: string }> => {
    const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
      body: { url, ...body },
    });
    if (res.status === 201) return { code: '0', message: 'success' };
    return (res.json as { error: { code: string; message: string } }).error;
  };
  assert.deepEqual(await run(`${o.url}/ok/first.tgz`), { code: '0', message: 'success' });
  assert.deepEqual(await run(`${o.url}/ok/again.tgz`), {
    code: '10551327',
    message: 'Package version "9.22.1" already exists in the repository.',
  });
  assert.deepEqual(await run(`${o.url}/bad/random.tgz`), {
    code: '10551359',
    message:
      'The file "random.tgz" is not a valid software package: it is not a readable gzip-compressed tar archive.',
  });
  assert.deepEqual(await run(`${o.url}/bad/500.tgz`), {
    code: '10551381',
    message: `Package download failed: the server returned HTTP 500 Internal Server Error for ${o.url}/bad/500.tgz.`,
  });
  assert.deepEqual(await run(`${o.url}/bad/short.tgz`), {
    code: '10551381',
    message: `Package download failed: received ${good.length} bytes, expected ${good.length + 100}.`,
  });
  assert.match(
    (await run(`${o.url}/bad/drop.tgz`)).message,
    /^Package download failed: received \d+ bytes, expected \d+\.$/,
  );
  assert.deepEqual(await run(`${o.url}/bad/big.tgz`), {
    code: '10551381',
    message: 'Package download failed: the package is larger than the limit of 10000000 bytes.',
  });
  assert.deepEqual(await run(`${o.url}/bad/stall.tgz`), {
    code: '10551381',
    message: `Package download failed: timed out after 1 seconds waiting for 127.0.0.1:${o.port}.`,
  });

  const closed = await origin(t, { files: {} });
  const port = closed.port;
  await closed.close();
  assert.deepEqual(await run(`http://127.0.0.1:${port}/x.tgz`), {
    code: '10551381',
    message: `Package download failed: connection refused by 127.0.0.1:${port}.`,
  });

  const names = (await srv.api('GET', '/api/cluster/software/packages?fields=file_name')).json as {
    records: Body[];
  };
  assert.deepEqual(
    names.records.map((r) => r.file_name),
    ['first.tgz'],
  );
  assert.deepEqual(await stagingFiles(srv), []);
  const files = (await readdir(join(srv.dataDir, 'packages'))).filter((f) => !f.startsWith('.'));
  assert.deepEqual(files, ['first.tgz'], 'failed downloads leave no file');
});

test('wrong origin credentials fail with a hint; URL userinfo works and is never stored', async (t) => {
  const { srv, o } = await setup(t, {
    files: { '/u/9231_q_image.tgz': pkg(null), '/u/9232_q_image.tgz': pkg(null) },
    auth: { username: 'pkguser', password: 'pkgpass' },
  });
  const wrong = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${o.url}/u/9231_q_image.tgz`, username: 'pkguser', password: 'Wr0ngPassw0rd!' },
  });
  assert.equal(wrong.status, 400);
  assert.equal(
    (wrong.json as { error: { message: string } }).error.message,
    `Package download failed: the server returned HTTP 401 Unauthorized: check the username and password for ${o.url}/u/9231_q_image.tgz.`,
  );
  const withUserinfo = `http://pkguser:pkgpass@127.0.0.1:${o.port}/u/9232_q_image.tgz?token=abc`;
  const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: withUserinfo },
  });
  assert.equal(ok.status, 201, ok.text);
  const rec = await srv.api('GET', '/api/cluster/software/packages/9.23.2?fields=source_url');
  assert.equal((rec.json as Body).source_url, `${o.url}/u/9232_q_image.tgz`);
});

test('HTTPS: trusted through the configured CA bundle; an untrusted certificate names its subject; insecure hosts skip checks', async (t) => {
  const pki = await testPki();
  const trusted = await origin(t, { files: { '/t/9241_q_image.tgz': pkg(null) }, tls: pki.leaf });
  const untrusted = await origin(t, {
    files: { '/t/9242_q_image.tgz': pkg(null), '/t/9243_q_image.tgz': pkg(null) },
    tls: pki.untrusted,
  });
  const srvTmp = await startTestServer(t);
  const caFile = join(srvTmp.dataDir, 'ca.pem');
  await writeFile(caFile, pki.ca.cert);
  const srv = await startTestServer(t, { config: { caFiles: [caFile], insecureHosts: ['localhost'] } });
  const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${trusted.url}/t/9241_q_image.tgz` },
  });
  assert.equal(ok.status, 201, ok.text);
  const bad = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${untrusted.url}/t/9242_q_image.tgz` },
  });
  assert.equal(bad.status, 400);
  const msg = (bad.json as { error: { message: string } }).error.message;
  assert.ok(
    msg.startsWith('Package download failed: TLS certificate verification failed for 127.0.0.1: '),
    msg,
  );
  assert.ok(msg.includes(UNTRUSTED_CN), msg);
  const insecure = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `https://localhost:${untrusted.port}/t/9243_q_image.tgz` },
  });
  assert.equal(insecure.status, 201, insecure.text);
  assert.ok(
    srv.logs.some((l) => l.includes('"level":40') && l.includes('localhost')),
    'skipping verification logs a warning',
  );
});

test('download host policy: a denied destination fails the job and names the policy', async (t) => {
  const { srv, o } = await setup(
    t,
    { files: { '/d/9251_q_image.tgz': pkg(null) } },
    { config: { denyHosts: ['127.0.0.0/8'] } },
  );
  const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${o.url}/d/9251_q_image.tgz` },
  });
  assert.equal(res.status, 400);
  assert.equal(
    (res.json as { error: { message: string } }).error.message,
    'Package download failed: the destination 127.0.0.1 (127.0.0.1) is denied by the download host policy.',
  );
  assert.equal(o.requests.length, 0);
  const meta = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: 'http://169.254.169.254/latest/9251_q_image.tgz' },
  });
  assert.match(
    (meta.json as { error: { message: string } }).error.message,
    /denied by the download host policy/,
  );
});

test('delete: a job removes the file and the record; missing versions and an empty repository get 404', async (t) => {
  const { srv, o } = await setup(t, {
    files: { '/x/9261_q_image.tgz': pkg(null), '/x/9262_q_image.tgz': pkg(null) },
  });
  const empty = await srv.api('DELETE', '/api/cluster/software/packages/9.26.1');
  assert.equal(empty.status, 404);
  assert.deepEqual(empty.json, {
    error: { message: 'The repository does not contain any packages.', code: '10551315' },
  });
  for (const name of ['9261_q_image.tgz', '9262_q_image.tgz']) {
    const r = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
      body: { url: `${o.url}/x/${name}` },
    });
    assert.equal(r.status, 201);
  }
  const missing = await srv.api('DELETE', '/api/cluster/software/packages/9.99.9');
  assert.deepEqual(missing.json, {
    error: { message: 'Package "9.99.9" does not exist on the system.', code: '10551325', target: 'version' },
  });
  assert.equal(missing.status, 404);

  const del = await srv.api('DELETE', '/api/cluster/software/packages/9.26.1');
  assert.equal(del.status, 202);
  assert.equal(del.headers.location, undefined);
  const job = await waitForJob(srv, jobHrefOf(del.json));
  assert.equal(job.state, 'success');
  const full = await srv.api('GET', jobHrefOf(del.json));
  assert.equal((full.json as Body).description, 'DELETE /api/cluster/software/packages/9.26.1');
  const gone = await srv.api('GET', '/api/cluster/software/packages/9.26.1');
  assert.deepEqual(gone.json, { error: { message: "entry doesn't exist", code: '4', target: 'version' } });
  await assert.rejects(stat(join(srv.dataDir, 'packages', '9261_q_image.tgz')));

  const waited = await srv.api('DELETE', '/api/cluster/software/packages/9.26.2?return_timeout=30');
  assert.equal(waited.status, 200);
  assert.ok(jobHrefOf(waited.json));
  const none = await srv.api('GET', '/api/cluster/software/packages');
  assert.deepEqual((none.json as Body).records, []);
});

test('secrets: the origin password appears nowhere in the database, the data folder, the log or any response', async (t) => {
  const secret = 'Zq7-Distinctive-Pw-93';
  const { srv, o } = await setup(t, {
    files: { '/s/9271_q_image.tgz': pkg(null), '/s/9272_q_image.tgz': pkg(null) },
    auth: { username: 'pkguser', password: secret },
    modes: { '/s/missing.tgz': { kind: 'notFound' } },
  });
  const responses: string[] = [];
  const call = async (method: string, path: string, body?: unknown): Promise<void> => {
    const r = await srv.api(method, path, body === undefined ? {} : { body });
    responses.push(JSON.stringify(r.headers), r.text);
  };
  await call('POST', '/api/cluster/software/download?return_timeout=30', {
    url: `${o.url}/s/9271_q_image.tgz`,
    username: 'pkguser',
    password: secret,
  });
  await call('POST', '/api/cluster/software/download?return_timeout=30', {
    url: `http://pkguser:${secret}@127.0.0.1:${o.port}/s/9272_q_image.tgz`,
  });
  await call('POST', '/api/cluster/software/download?return_timeout=30', {
    url: `${o.url}/s/missing.tgz`,
    username: 'pkguser',
    password: secret,
  });
  await call('POST', '/api/cluster/software/download?return_timeout=30', {
    url: `http://pkguser:${secret}@127.0.0.1:${o.port}/s/missing2.tgz`,
  });
  await call('POST', '/api/cluster/software/download', {
    url: `http://pkguser:${secret}@127.0.0.1:${o.port}/s/9271_q_image.tgz`,
  });
  await call('GET', `/api/cluster/jobs?fields=*&password=${secret}`);
  await call('GET', '/api/cluster/jobs?fields=*');
  await call('GET', '/api/cluster/software/packages?fields=*');
  await call('GET', '/api/cluster/software/download');
  assert.equal(
    ((await srv.api('GET', '/api/cluster/software/packages?return_records=false')).json as Body).num_records,
    2,
  );
  srv.server.database.db.pragma('wal_checkpoint(PASSIVE)');
  for (const file of await filesUnder(srv.dataDir)) {
    const bytes = await readFile(file);
    assert.ok(!bytes.includes(secret), `password found in ${file}`);
    assert.ok(!bytes.includes(Buffer.from(secret, 'utf16le')), `password found in ${file} (utf16)`);
  }
  for (const line of srv.logs) assert.ok(!line.includes(secret), `password found in the log: ${line}`);
  for (const r of responses) assert.ok(!r.includes(secret), `password found in a response: ${r}`);
});

test('delete: the version the cluster runs cannot be deleted', async (t) => {
  const { srv, o } = await setup(t, { files: { '/r/9161_q_image.tgz': pkg(null) } });
  const r = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${o.url}/r/9161_q_image.tgz` },
  });
  assert.equal(r.status, 201);
  const del = await srv.api('DELETE', '/api/cluster/software/packages/9.16.1');
  assert.equal(del.status, 409);
  assert.deepEqual(del.json, {
    error: {
      message: 'Package "9.16.1" is the version the cluster runs and cannot be deleted.',
      code: '8',
      target: 'version',
    },
  });
  const still = await srv.api('GET', '/api/cluster/software/packages/9.16.1');
  assert.equal(still.status, 200);
});

test('the transfer time limit ends a download that takes too long with 10551383', async (t) => {
  const { srv, o } = await setup(
    t,
    {
      files: {
        '/l/9281_q_image.tgz': { size: 5_000_000, generate: (off, len) => Buffer.alloc(len, off % 7) },
      },
      modes: { '/l/9281_q_image.tgz': { kind: 'trickleThenStop', bytes: 1_000_000, intervalMs: 5 } },
    },
    { config: { transferTimeLimitSeconds: 1 } },
  );
  const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
    body: { url: `${o.url}/l/9281_q_image.tgz` },
  });
  assert.equal(res.status, 400);
  assert.deepEqual(res.json, {
    error: { message: 'The package download exceeded the time limit of 1 seconds.', code: '10551383' },
  });
  assert.deepEqual(await stagingFiles(srv), []);
});

test('transferWorker off: downloads run on the server thread with the same success, failure and cancel', async (t) => {
  const image = pkg('9.17.3', 300_000);
  const { srv, o } = await setup(
    t,
    {
      files: {
        '/w/9173_q_image.tgz': image,
        '/w/slow_image.tgz': { size: 10_000_000, generate: (off, len) => Buffer.alloc(len, off % 251) },
      },
      modes: {
        '/w/missing_image.tgz': { kind: 'notFound' },
        '/w/slow_image.tgz': { kind: 'trickleThenStop', bytes: 50_000, intervalMs: 1 },
      },
    },
    { config: { transferWorker: false } },
  );
  const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
    body: { url: `${o.url}/w/9173_q_image.tgz` },
  });
  assert.equal(ok.status, 201, ok.text);
  const record = await srv.api('GET', '/api/cluster/software/packages/9.17.3?fields=sha256,size');
  assert.equal((record.json as Body).sha256, sha(image));
  assert.equal((record.json as Body).size, image.length);

  const missing = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
    body: { url: `${o.url}/w/missing_image.tgz` },
  });
  assert.equal(missing.status, 400);
  assert.match((missing.json as { error: { message: string } }).error.message, /404 Not Found/);

  const slow = await srv.api('POST', '/api/cluster/software/download', {
    body: { url: `${o.url}/w/slow_image.tgz` },
  });
  const href = jobHrefOf(slow.json);
  await waitForJob(srv, href, { states: ['running'] });
  assert.equal((await srv.api('PATCH', `${href}?action=cancel`)).status, 200);
  assert.equal(
    ((await srv.api('GET', href)).json as Body).message,
    'Package download cancelled by user request.',
  );
  assert.deepEqual(await stagingFiles(srv), [], 'the partial file is removed');
});
