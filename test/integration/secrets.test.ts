/**
 * Secrets (issue 6, item 6): every flow runs with distinctive passwords (the first admin's, a CLI-made
 * user's, an origin's, and a wrong one), then the SQLite files (with -wal and -shm, while the server runs and
 * after it stopped), the whole data folder, the server's captured output at log level trace, the CLI's
 * output and every response are searched for them, plain, UTF-16, URL-encoded and base64 (at each of the
 * three byte alignments, so a secret inside a longer encoded string, like `user:password`, is found too).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { startHttpOrigin } from '../helpers/http-origin.js';
import { basicAuth, CLOSING, partHead, startUpload } from '../helpers/multipart.js';
import { runCli, spawnServer } from '../helpers/server-process.js';
import { waitForJob } from '../helpers/wait-for-job.js';
import type { ApiOptions } from '../helpers/with-server.js';

const SECRETS = {
  admin: 'Adm-Qz7Kp2Vw9-Distinct',
  user: 'Usr-Lm4Xc8Rt1-Distinct',
  origin: 'Org-Hy6Bn3Jd5-Distinct',
  wrong: 'Wrg-Pe2Tg7Fs4-Distinct',
} as const;

/** Byte patterns whose presence anywhere means the secret leaked, in any of the forms it could take. */
function needles(secret: string): { form: string; bytes: Buffer }[] {
  const out = [
    { form: 'plain', bytes: Buffer.from(secret) },
    { form: 'utf16le', bytes: Buffer.from(secret, 'utf16le') },
    { form: 'url-encoded', bytes: Buffer.from(encodeURIComponent(secret)) },
  ];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k, 0x3a), Buffer.from(secret)]).toString('base64');
    // Drop the group that mixes in the prefix and the last one, which depends on what follows.
    const core = encoded.slice(k === 0 ? 0 : 4, -4);
    out.push({ form: `base64 (alignment ${k})`, bytes: Buffer.from(core) });
  }
  return out;
}

const ALL_NEEDLES = Object.entries(SECRETS).flatMap(([name, secret]) =>
  needles(secret).map((n) => ({ ...n, name })),
);

function leaks(where: string, bytes: Buffer): string[] {
  return ALL_NEEDLES.filter((n) => bytes.includes(n.bytes)).map(
    (n) => `${n.name} password (${n.form}) in ${where}`,
  );
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

test('no password is stored, logged or answered, in any form', async (t) => {
  const v1 = buildPackageBuffer({
    version: '9.50.1',
    members: [{ name: 'image.bin', data: Buffer.alloc(50_000, 1) }],
  });
  const v2 = buildPackageBuffer({
    version: '9.50.2',
    members: [{ name: 'image.bin', data: Buffer.alloc(50_000, 2) }],
  });
  const v3 = buildPackageBuffer({
    version: '9.50.3',
    members: [{ name: 'image.bin', data: Buffer.alloc(50_000, 3) }],
  });
  const origin = await startHttpOrigin({
    files: { '/s/9501_q_image.tgz': v1, '/s/9502_q_image.tgz': v2 },
    auth: { username: 'pkguser', password: SECRETS.origin },
  });
  t.after(() => origin.close());

  const srv = await spawnServer(t, {
    adminPassword: SECRETS.admin,
    config: { logLevel: 'trace', minFreeBytes: 0 },
  });
  const cliOutput: string[] = [];
  const cli = async (args: string[], stdin?: string): Promise<void> => {
    const r = await runCli(
      [...args, '--data-dir', srv.dataDir],
      stdin === undefined ? {} : { stdin: `${stdin}\n` },
    );
    cliOutput.push(r.stdout, r.stderr);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  };
  await cli(['user', 'add', 'ops', '--role', 'admin', '--password-stdin'], SECRETS.user);
  await cli(['user', 'add', 'viewer', '--role', 'readonly', '--password-stdin'], SECRETS.user);
  await cli(['user', 'passwd', 'viewer', '--password-stdin'], SECRETS.user);
  await cli(['user', 'list', '--json']);

  const responses: string[] = [];
  const ops: ApiOptions = { user: 'ops', password: SECRETS.user };
  const call = async (method: string, path: string, options: ApiOptions = {}): Promise<unknown> => {
    const r = await srv.api(method, path, { ...ops, ...options });
    responses.push(JSON.stringify(r.headers), r.text);
    return r.json;
  };
  const dl = '/api/cluster/software/download?return_timeout=30';
  const port = origin.port;

  // Logins: the first admin, the CLI-made user, wrong passwords, a readonly user refused a write.
  await call('GET', '/api/cluster', { user: 'admin', password: SECRETS.admin });
  await call('GET', '/api/cluster');
  for (let i = 0; i < 3; i++)
    await call('GET', '/api/cluster/jobs', { user: 'ops', password: SECRETS.wrong });
  await call('GET', '/api/cluster', { user: SECRETS.wrong, password: SECRETS.wrong });
  await call('POST', dl, {
    user: 'viewer',
    body: { url: `${origin.url}/s/9501_q_image.tgz`, username: 'pkguser', password: SECRETS.origin },
  });

  // Downloads: body credentials, URL userinfo (and a token in the query), failures with credentials.
  await call('POST', dl, {
    body: { url: `${origin.url}/s/9501_q_image.tgz`, username: 'pkguser', password: SECRETS.origin },
  });
  await call('POST', dl, {
    body: {
      url: `http://pkguser:${SECRETS.origin}@127.0.0.1:${port}/s/9502_q_image.tgz?token=${SECRETS.origin}`,
    },
  });
  await call('POST', dl, {
    body: { url: `${origin.url}/s/missing.tgz`, username: 'pkguser', password: SECRETS.origin },
  });
  await call('POST', dl, {
    body: { url: `http://pkguser:${SECRETS.origin}@127.0.0.1:${port}/s/missing2.tgz` },
  });
  await call('POST', dl, { body: { url: `http://pkguser:${SECRETS.origin}@127.0.0.1:1/s/refused.tgz` } });
  await call('POST', dl, { body: { url: `ftp://pkguser:${SECRETS.origin}@127.0.0.1:1/s/refused.tgz` } });
  await call('POST', dl, { body: { url: `http://pkguser:${SECRETS.origin}@no-such-host.invalid/s/x.tgz` } });
  await call('POST', dl, {
    body: { url: `${origin.url}/s/wrong.tgz`, username: 'pkguser', password: SECRETS.wrong },
  });
  await call('POST', dl, {
    body: { url: `http://pkguser:${SECRETS.origin}@127.0.0.1:${port}/s/9501_q_image.tgz` },
  });
  await call('POST', dl, { body: { url: `gopher://pkguser:${SECRETS.origin}@127.0.0.1/x.tgz` } });
  await call('POST', dl, { body: { url: `http://pkguser:${SECRETS.origin}@127.0.0.1:${port}/` } });
  await call('POST', dl, { body: { url: `${origin.url}/s/x.tgz`, password: 5, username: SECRETS.origin } });
  await call('POST', `/api/cluster/software/download?password=${SECRETS.origin}`, {
    body: { url: `${origin.url}/s/x.tgz` },
  });
  await call('GET', `/api/cluster/jobs?password=${SECRETS.origin}`);

  // Upload and delete.
  const upload = startUpload(srv.url, basicAuth('ops', SECRETS.user), '?return_timeout=30');
  upload.req.end(Buffer.concat([partHead('9503_q_image.tgz'), v3, CLOSING]));
  const uploaded = await upload.done;
  assert.ok('response' in uploaded);
  responses.push(JSON.stringify(uploaded.response.headers), uploaded.body);
  assert.equal(uploaded.response.statusCode, 201, uploaded.body);
  const del = (await call('DELETE', '/api/cluster/software/packages/9.50.3?return_timeout=30')) as {
    job: { uuid: string };
  };
  await waitForJob(
    { api: (m, p) => srv.api(m, p, ops) } as Parameters<typeof waitForJob>[0],
    `/api/cluster/jobs/${del.job.uuid}`,
  );

  // Queries.
  await call('GET', '/api/cluster/jobs?fields=*');
  await call('GET', '/api/cluster/jobs?fields=**&state=failure');
  await call('GET', '/api/cluster/software/packages?fields=*');
  await call('GET', '/api/cluster/software/download');
  await call('GET', '/api/cluster/software/history');
  const listed = (await call('GET', '/api/cluster/software/packages?fields=version')) as {
    records: { version: string }[];
  };
  assert.deepEqual(listed.records.map((r) => r.version).sort(), ['9.50.1', '9.50.2'], 'the flows really ran');

  const found: string[] = [];
  const searchFolder = async (when: string): Promise<void> => {
    const files = await filesUnder(srv.dataDir);
    assert.ok(files.some((f) => f.endsWith('clusterimage.db')));
    for (const file of files) found.push(...leaks(`${file} (${when})`, await readFile(file)));
  };
  await searchFolder('server running');
  assert.equal(await srv.stop(), 0);
  await searchFolder('server stopped');
  found.push(...leaks('the server output', Buffer.from(srv.output())));
  found.push(...leaks('the CLI output', Buffer.from(cliOutput.join('\n'))));
  responses.forEach((r, i) => found.push(...leaks(`response #${i}`, Buffer.from(r))));
  assert.deepEqual(found, []);
  assert.ok(
    srv.output().includes('"level":10') ||
      srv.output().includes('"level":20') ||
      srv.output().includes('"level":30'),
    'the log was captured',
  );
});
