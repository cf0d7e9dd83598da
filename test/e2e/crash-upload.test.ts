/**
 * Crash safety of uploads (issue 6, item 1): the real server process is killed with SIGKILL while an upload
 * body is streaming in, and while an uploaded package is being committed, then restarted on the same folder.
 *
 * Kill windows: (1) the body is sent 3 MiB at once and then trickled, and never finished, so the upload job
 * is running with bytes in `packages/.staging`; the kill comes once that file holds data. (2) a complete
 * 96 MiB package is sent at full speed and the kill fires as soon as its final name appears in the
 * repository, i.e. between the hard link and the package row / the job end (see crash-download.test.ts).
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writePackage } from '../../src/adapters/images/package-writer.js';
import { basicAuth, CLOSING, partHead, startUpload } from '../helpers/multipart.js';
import { pollUntil, whenEntry } from '../helpers/poll.js';
import {
  assertInterrupted,
  assertReconciled,
  allJobs,
  databaseFile,
  stagedBytes,
  stagingFiles,
} from '../helpers/repository-checks.js';
import { integrityCheck, PROCESS_ADMIN_PASSWORD, spawnServer } from '../helpers/server-process.js';

const MIB = 1048576;
const CONFIG = { minFreeBytes: 0, logLevel: 'warn' };
const AUTH = basicAuth('admin', PROCESS_ADMIN_PASSWORD);

test('kill -9 while an upload body streams in: the upload job ends interrupted, nothing is left', async (t) => {
  const first = await spawnServer(t, { config: CONFIG });
  const upload = startUpload(first.url, AUTH);
  upload.req.write(partHead('9311_q_image.tgz'));
  upload.req.write(Buffer.alloc(3 * MIB, 1));
  const drip = setInterval(() => {
    if (!upload.req.destroyed) upload.req.write(Buffer.alloc(64 * 1024, 2));
  }, 50);
  t.after(() => {
    clearInterval(drip);
    upload.req.destroy();
  });

  const uuid = await pollUntil('a running upload job with bytes on disk', async () => {
    const jobs = await allJobs(first.api);
    const job = jobs.find(
      (j) => j.description === 'POST /api/cluster/software/upload' && j.state === 'running',
    );
    return job !== undefined && (await stagedBytes(first.dataDir)) >= MIB ? job.uuid : undefined;
  });
  await first.kill9();
  clearInterval(drip);
  const outcome = await upload.done;
  assert.ok('error' in outcome, 'the client sees the connection break');
  assert.ok((await stagingFiles(first.dataDir)).length > 0, 'the kill left a temporary file behind');
  assert.equal(integrityCheck(databaseFile(first.dataDir)), 'ok');

  const second = await spawnServer(t, { dataDir: first.dataDir, config: CONFIG });
  await assertReconciled(second.api, second.dataDir);
  await assertInterrupted(second.api, uuid, 10551359);
  // Uploads do not change the download status (D22).
  const status = await second.api('GET', '/api/cluster/software/download?fields=state');
  assert.deepEqual(status.json, { state: 'not_started' });
  assert.equal(await second.stop(), 0);
  assert.equal(integrityCheck(databaseFile(second.dataDir)), 'ok');
});

test('kill -9 during the commit of an upload: the package is whole with its record, or absent with it', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'clusterimage-crash-up-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const name = '9312_q_image.tgz';
  const file = join(work, name);
  const written = await writePackage(file, { version: '9.31.2', size: 96 * MIB });

  const first = await spawnServer(t, { config: CONFIG });
  const repo = join(first.dataDir, 'packages');
  const linked = whenEntry(repo, name);
  const upload = startUpload(first.url, AUTH);
  upload.req.write(partHead(name));
  const source = createReadStream(file);
  source.on('end', () => {
    upload.req.end(CLOSING);
  });
  source.pipe(upload.req, { end: false });
  t.after(() => {
    source.destroy();
    upload.req.destroy();
  });
  await linked;
  await first.kill9();
  await upload.done;
  assert.equal(integrityCheck(databaseFile(first.dataDir)), 'ok');

  const second = await spawnServer(t, { dataDir: first.dataDir, config: CONFIG });
  await assertReconciled(second.api, second.dataDir);
  const job = (await allJobs(second.api)).find((j) => j.description === 'POST /api/cluster/software/upload');
  assert.ok(job !== undefined, 'the upload job exists');
  const kept = (await second.api('GET', `/api/cluster/software/packages?file_name=${name}&fields=size`))
    .json as {
    records: { size: number }[];
  };
  t.diagnostic(
    `kill after the link: job ${job.state} (${job.message}); package ${kept.records.length === 1 ? 'kept' : 'removed'}`,
  );
  if (job.state === 'success') assert.equal(kept.records.length, 1);
  else await assertInterrupted(second.api, job.uuid, 10551359);
  if (kept.records.length === 1) {
    assert.equal(kept.records[0]?.size, written.bytes);
    assert.equal((await stat(join(repo, name))).size, written.bytes);
  }
  assert.equal(await second.stop(), 0);
  assert.equal(integrityCheck(databaseFile(second.dataDir)), 'ok');
});
