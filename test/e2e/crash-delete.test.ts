/**
 * Crash safety of package deletes (issue 6, item 1): the real server process is killed with SIGKILL while a
 * `DELETE /api/cluster/software/packages/{version}` runs, then restarted on the same data folder.
 *
 * A delete job unlinks the file, fsyncs the folder, then deletes the row and ends the job: a window of a
 * few milliseconds. Three kills aim at it: (a) right after the request's bytes were handed to the socket,
 * before any answer; (b) as soon as the 202 with the job link arrives; (c) as soon as the package file
 * disappears from the repository (between the unlink and the row delete, or just after). Every outcome is
 * legal (package still there with its row, or gone with its row; job interrupted with 10551323, already
 * successful, or never created); the invariants must hold for all of them.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { startHttpOrigin } from '../helpers/http-origin.js';
import { basicAuth } from '../helpers/multipart.js';
import { whenEntry } from '../helpers/poll.js';
import { allJobs, assertInterrupted, assertReconciled, databaseFile } from '../helpers/repository-checks.js';
import {
  integrityCheck,
  PROCESS_ADMIN_PASSWORD,
  spawnServer,
  type ServerProcess,
} from '../helpers/server-process.js';
import { jobHrefOf } from '../helpers/wait-for-job.js';

const CONFIG = { minFreeBytes: 0, logLevel: 'warn' };

/** Writes a raw DELETE on a fresh connection; resolves once the bytes are handed to the kernel. */
function rawDelete(srv: ServerProcess, version: string): Promise<void> {
  const { hostname, port } = new URL(srv.url);
  return new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `DELETE /api/cluster/software/packages/${version} HTTP/1.1\r\nHost: ${hostname}\r\n` +
          `Authorization: ${basicAuth('admin', PROCESS_ADMIN_PASSWORD)}\r\nContent-Length: 0\r\n\r\n`,
        () => {
          resolve();
        },
      );
    });
    socket.on('error', () => undefined);
    socket.on('close', () => undefined);
    socket.once('error', reject);
  });
}

test('kill -9 during package deletes: each package is whole with its record or gone with it', async (t) => {
  const versions = ['9.32.1', '9.32.2', '9.32.3'];
  const files: Record<string, Buffer> = {};
  for (const v of versions) {
    files[`/d/${v.replaceAll('.', '')}_q_image.tgz`] = buildPackageBuffer({
      version: v,
      members: [{ name: 'image.bin', data: Buffer.alloc(4 * 1048576, 5) }],
    });
  }
  const origin = await startHttpOrigin({ files });
  t.after(() => origin.close());

  let srv = await spawnServer(t, { config: CONFIG });
  const dataDir = srv.dataDir;
  const repo = join(dataDir, 'packages');
  for (const path of Object.keys(files)) {
    const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=60', {
      body: { url: `${origin.url}${path}` },
    });
    assert.equal(res.status, 201, res.text);
  }
  assert.equal((await assertReconciled(srv.api, dataDir)).length, 3);

  const kills: { what: string; version: string; run: (s: ServerProcess) => Promise<string | null> }[] = [
    {
      what: 'request sent, no answer yet',
      version: versions[0] ?? '',
      run: async (s) => {
        await rawDelete(s, versions[0] ?? '');
        return null;
      },
    },
    {
      what: '202 received',
      version: versions[1] ?? '',
      run: async (s) => {
        const res = await s.api('DELETE', `/api/cluster/software/packages/${versions[1] ?? ''}`);
        assert.equal(res.status, 202, res.text);
        return jobHrefOf(res.json).split('/').pop() ?? null;
      },
    },
    {
      what: 'file unlinked',
      version: versions[2] ?? '',
      run: async (s) => {
        const name = `${(versions[2] ?? '').replaceAll('.', '')}_q_image.tgz`;
        const gone = whenEntry(repo, name, true);
        const answer = s.api('DELETE', `/api/cluster/software/packages/${versions[2] ?? ''}`);
        await gone;
        answer.catch(() => undefined);
        return null;
      },
    },
  ];

  for (const kill of kills) {
    const uuid = await kill.run(srv);
    await srv.kill9();
    assert.equal(integrityCheck(databaseFile(dataDir)), 'ok', `database after the kill at "${kill.what}"`);
    srv = await spawnServer(t, { dataDir, config: CONFIG });
    await assertReconciled(srv.api, dataDir);
    const description = `DELETE /api/cluster/software/packages/${kill.version}`;
    const job = (await allJobs(srv.api)).find((j) => j.description === description);
    const still = await srv.api('GET', `/api/cluster/software/packages/${kill.version}`);
    t.diagnostic(
      `kill at "${kill.what}": job ${job === undefined ? 'never created' : `${job.state} (${job.message})`}; ` +
        `package ${still.status === 200 ? 'kept' : 'gone'}`,
    );
    if (uuid !== null) assert.ok(job !== undefined && job.uuid === uuid, 'the answered job exists');
    if (job !== undefined) {
      if (job.state === 'success') assert.equal(still.status, 404, 'a successful delete removed the package');
      else await assertInterrupted(srv.api, job.uuid, 10551323);
    }
    // Whatever happened, deleting again finishes the job, or says the package is gone.
    const again = await srv.api('DELETE', `/api/cluster/software/packages/${kill.version}?return_timeout=30`);
    assert.ok(again.status === 200 || again.status === 404, again.text);
    await assertReconciled(srv.api, dataDir);
  }
  assert.equal(await srv.stop(), 0);
  assert.equal(integrityCheck(databaseFile(dataDir)), 'ok');
});
