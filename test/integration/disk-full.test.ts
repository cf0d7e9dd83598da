/**
 * Disk full (issue 6, item 3): the data folder is a 20 MiB filesystem that this test mounts (root is needed, as
 * in CI): a tmpfs, and an ext4 image on a loop device, where the staged file's direct writes reach a real block
 * device and fail there. Packages larger than the space are downloaded and uploaded, with and without an announced size:
 * - announced (Content-Length): refused by the free-space check before the body is stored;
 * - not announced (chunked): the device really fills up, the write fails with ENOSPC.
 * Either way the job fails with failures.noSpace (10551391, answered 500 when waited for), the partial file
 * is removed (the space is free again), and the server keeps serving, including a next transfer that fits.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, rmdir, statfs, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { patternFile, startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js';
import { basicAuth, CLOSING, partHead, startUpload } from '../helpers/multipart.js';
import { assertReconciled, allJobs, repositoryFiles, stagingFiles } from '../helpers/repository-checks.js';
import { waitForJob } from '../helpers/wait-for-job.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/with-server.js';

const MIB = 1048576;
const BIG = 30 * MIB;
const noSpace = (verb: string): { message: string; code: string } => ({
  message: `Package ${verb} failed: no space left on the device that holds the package repository.`,
  code: '10551391',
});

type SmallFs = 'tmpfs' | 'ext4';

/** Mounts a 20 MiB filesystem on a new folder; null (with the reason) when this machine does not allow it. */
async function mountSmallFs(t: TestContext, kind: SmallFs): Promise<string | null> {
  const dir = await mkdtemp(join(tmpdir(), 'clusterimage-full-'));
  const image = `${dir}.img`;
  try {
    if (kind === 'tmpfs') {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    } else {
      await writeFile(image, '');
      await truncate(image, 20 * MIB);
      execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
    }
  } catch (err) {
    await rmdir(dir);
    await rm(image, { force: true });
    const reason = `cannot mount a ${kind} (needs root and mount(8)): ${(err as Error).message.split('\n')[0] ?? ''}`;
    t.diagnostic(reason);
    t.skip(reason);
    return null;
  }
  t.after(async () => {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
    await rmdir(dir);
    await rm(image, { force: true });
  });
  return dir;
}

async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

async function assertCleanAndServing(srv: TestServer, freeBefore: number): Promise<void> {
  assert.deepEqual(await stagingFiles(srv.dataDir), [], 'the partial file is removed');
  assert.deepEqual(await repositoryFiles(srv.dataDir), []);
  assert.ok((await freeBytes(srv.dataDir)) >= freeBefore - 2 * MIB, 'the space is free again');
  const cluster = await srv.api('GET', '/api/cluster');
  assert.equal(cluster.status, 200, 'the server keeps serving');
  await assertReconciled((m, path, o) => srv.api(m, path, o), srv.dataDir);
}

/** Writes `total` bytes of the file part with backpressure; stops when the server closes the connection. */
async function sendFilePart(upload: ReturnType<typeof startUpload>, total: number): Promise<void> {
  const { req, done } = upload;
  const chunk = Buffer.alloc(MIB, 9);
  for (let sent = 0; sent < total && !req.destroyed; sent += MIB) {
    if (!req.write(chunk)) {
      const outcome = await Promise.race([once(req, 'drain').then(() => 'drain'), done.then(() => 'done')]);
      if (outcome === 'done') return;
    }
  }
  if (!req.destroyed) req.end(CLOSING);
}

for (const kind of ['tmpfs', 'ext4'] as const) {
  test(`a full disk (${kind}) fails transfers with the no-space error, leaves nothing behind, and the server keeps serving`, async (t) => {
    const mount = await mountSmallFs(t, kind);
    if (mount === null) return;
    const small = buildPackageBuffer({
      version: '9.40.9',
      members: [{ name: 'image.bin', data: Buffer.alloc(2 * MIB, 4) }],
    });
    const origin: HttpOrigin = await startHttpOrigin({
      files: {
        '/big/known.tgz': patternFile(BIG),
        '/big/unknown.tgz': patternFile(BIG),
        '/ok/9409_q_image.tgz': small,
      },
      modes: { '/big/unknown.tgz': { kind: 'chunked' } },
    });
    t.after(() => origin.close());

    await t.test('with the data folder on the small device', async (st) => {
      const srv = await startTestServer(st, { dataDir: mount, config: { minFreeBytes: 0 } });
      const freeBefore = await freeBytes(mount);
      assert.ok(freeBefore < BIG, `the device (${freeBefore} bytes free) is smaller than the package`);

      for (const path of ['/big/known.tgz', '/big/unknown.tgz']) {
        const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
          body: { url: `${origin.url}${path}` },
        });
        assert.equal(res.status, 500, `${path}: ${res.text}`);
        assert.deepEqual(res.json, { error: noSpace('download') }, path);
        assert.equal(res.headers['content-type'], 'application/hal+json');
        await assertCleanAndServing(srv, freeBefore);
      }
      const status = await srv.api('GET', '/api/cluster/software/download');
      assert.deepEqual(status.json, { state: 'failure', ...noSpace('download'), code: 10551391 });

      const auth = basicAuth('admin', ADMIN_PASSWORD);
      for (const announced of [true, false]) {
        const before = new Set((await allJobs((m, path, o) => srv.api(m, path, o))).map((j) => j.uuid));
        const upload = startUpload(srv.url, auth, '?return_timeout=60');
        const body = BIG + partHead('9408_q_image.tgz').length + CLOSING.length;
        if (announced) {
          upload.req.removeHeader('transfer-encoding');
          upload.req.setHeader('content-length', String(body));
        }
        upload.req.write(partHead('9408_q_image.tgz'));
        await sendFilePart(upload, BIG);
        const outcome = await upload.done;
        if ('response' in outcome) {
          assert.equal(outcome.response.statusCode, 500, outcome.body);
          assert.deepEqual(JSON.parse(outcome.body), { error: noSpace('upload') });
        }
        const added = (await allJobs((m, path, o) => srv.api(m, path, o))).filter((j) => !before.has(j.uuid));
        assert.equal(added.length, 1, 'one upload job');
        const job = added[0];
        assert.ok(job?.description === 'POST /api/cluster/software/upload');
        const ended = await waitForJob(srv, `/api/cluster/jobs/${job.uuid}`);
        assert.equal(ended.state, 'failure', `announced=${String(announced)}`);
        assert.equal(ended.message, noSpace('upload').message, `announced=${String(announced)}`);
        assert.equal(ended.code, 10551391);
        await assertCleanAndServing(srv, freeBefore);
      }

      // A package that fits still goes in.
      const ok = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
        body: { url: `${origin.url}/ok/9409_q_image.tgz` },
      });
      assert.equal(ok.status, 201, ok.text);
      assert.deepEqual(await repositoryFiles(srv.dataDir), ['9409_q_image.tgz']);
      const rows = srv.server.database.db.pragma('integrity_check') as { integrity_check: string }[];
      assert.deepEqual(rows, [{ integrity_check: 'ok' }]);
    });
  });
}
