import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { startFtpOrigin, type FtpOrigin, type FtpOriginOptions } from '../helpers/ftp-origin.js';
import { makeTestCertificates } from '../helpers/ftp-tls.js';
import { jobHrefOf, waitForJob } from '../helpers/wait-for-job.js';
import { startTestServer } from '../helpers/with-server.js';

type Body = Record<string, unknown>;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const pkg = (version: string | null, payload = 4096): Buffer =>
  buildPackageBuffer({ version, members: [{ name: 'image.bin', data: randomBytes(payload) }] });

async function ftp(t: TestContext, options: FtpOriginOptions): Promise<FtpOrigin> {
  const o = await startFtpOrigin(options);
  t.after(() => o.close());
  return o;
}

const errorOf = (json: unknown): { code: string; message: string } =>
  (json as { error: { code: string; message: string } }).error;

test('FTP: login, passive binary transfer, the same intake path as HTTP', async (t) => {
  const image = pkg('9.41.1', 500_000);
  const o = await ftp(t, {
    files: { '/pub/9411_q_image.tgz': image, '/pub/other.tgz': pkg(null) },
    credentials: { username: 'ftpuser', password: 'ftp-Secret-1' },
  });
  const srv = await startTestServer(t);
  const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: o.url('/pub/9411_q_image.tgz'), username: 'ftpuser', password: 'ftp-Secret-1' },
  });
  assert.equal(ok.status, 201, ok.text);
  const rec = await srv.api('GET', '/api/cluster/software/packages/9.41.1?fields=sha256,size,source_url');
  assert.equal((rec.json as Body).sha256, sha(image));
  assert.equal((rec.json as Body).size, image.length);
  assert.equal((rec.json as Body).source_url, o.url('/pub/9411_q_image.tgz'));

  const wrong = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: o.url('/pub/other.tgz'), username: 'ftpuser', password: 'nope-nope' },
  });
  assert.equal(wrong.status, 400);
  const w = errorOf(wrong.json);
  assert.equal(w.code, '10551381');
  assert.match(
    w.message,
    /^Package download failed: the FTP server replied 530 .*check the username and password/,
  );
  assert.ok(!w.message.includes('nope-nope'));

  const missing = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: o.url('/pub/missing.tgz'), username: 'ftpuser', password: 'ftp-Secret-1' },
  });
  assert.match(errorOf(missing.json).message, /^Package download failed: the FTP server replied 550 /);
  const names = (await readdir(join(srv.dataDir, 'packages'))).filter((n) => !n.startsWith('.'));
  assert.deepEqual(names, ['9411_q_image.tgz']);
});

test('FTP: anonymous login, a transfer that drops is resumed with REST, SIZE gives a percent', async (t) => {
  const image = pkg('9.42.1', 2_000_000);
  const o = await ftp(t, { files: { '/9421_q_image.tgz': image }, dropAfterBytes: 700_000, dropTimes: 2 });
  const srv = await startTestServer(t);
  const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
    body: { url: o.url('/9421_q_image.tgz') },
  });
  assert.equal(ok.status, 201, ok.text);
  const rec = await srv.api('GET', '/api/cluster/software/packages/9.42.1?fields=sha256');
  assert.equal((rec.json as Body).sha256, sha(image), 'the hash covers the whole file across resumes');
  assert.ok(
    o.commands.some((c) => c.startsWith('REST ')),
    'resumed with REST',
  );
  assert.ok(o.commands.some((c) => c.startsWith('USER anonymous')));
});

test('FTP: cancel stops a stalled transfer and leaves nothing behind', async (t) => {
  const o = await ftp(t, {
    files: { '/9431_q_image.tgz': pkg('9.43.1', 3_000_000) },
    stallAfterBytes: 100_000,
  });
  const srv = await startTestServer(t);
  const res = await srv.api('POST', '/api/cluster/software/download', {
    body: { url: o.url('/9431_q_image.tgz') },
  });
  const href = jobHrefOf(res.json);
  const deadline = Date.now() + 20_000;
  let message = '';
  while (Date.now() < deadline && !message.includes('%'))
    message = (await waitForJob(srv, href, { states: ['running'] })).message;
  assert.match(message, /^Package download in progress: \d+% \(\d+ MiB of 2 MiB\)$/);
  const cancel = await srv.api('PATCH', `${href}?action=cancel`);
  assert.equal(cancel.status, 200);
  const job = await waitForJob(srv, href);
  assert.equal(job.message, 'Package download cancelled by user request.');
  assert.deepEqual(await readdir(join(srv.dataDir, 'packages', '.staging')).catch(() => []), []);
});

test('FTPS: explicit TLS trusted through the CA bundle; an untrusted certificate fails', async (t) => {
  const certs = await makeTestCertificates();
  const trusted = await ftp(t, {
    files: { '/9441_q_image.tgz': pkg(null) },
    tls: { key: certs.key, cert: certs.cert },
  });
  const probe = await startTestServer(t);
  const caFile = join(probe.dataDir, 'ftp-ca.pem');
  await writeFile(caFile, certs.caPem);
  const srv = await startTestServer(t, { config: { caFiles: [caFile] } });
  const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: trusted.url('/9441_q_image.tgz', 'ftps') },
  });
  assert.equal(ok.status, 201, ok.text);
  const plain = await startTestServer(t);
  const bad = await plain.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: trusted.url('/9441_q_image.tgz', 'ftps') },
  });
  assert.equal(bad.status, 400);
  assert.match(
    errorOf(bad.json).message,
    /^Package download failed: TLS certificate verification failed for 127\.0\.0\.1: /,
  );
});
