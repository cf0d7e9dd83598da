import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  createDownloaders,
  type DownloaderSettings,
} from '../../../src/adapters/downloaders/downloader-set.js';
import { WorkerDownloader } from '../../../src/adapters/downloaders/transfer-worker.js';
import { FsImageStore } from '../../../src/adapters/images/fs-image-store.js';
import { buildPackageBuffer } from '../../../src/adapters/images/package-writer.js';
import { JobFailure } from '../../../src/core/errors.js';
import { parseDownloadRequest } from '../../../src/core/model/download-request.js';
import type { DownloadProgress } from '../../../src/core/ports/downloader.js';
import { collectingSink, sha256Of, startHttpOrigin, type OriginOptions } from '../../helpers/http-origin.js';
import { tempDir } from '../../helpers/package-fixtures.js';
import { pollUntil } from '../../helpers/poll.js';

const SETTINGS: DownloaderSettings = {
  connectTimeoutMs: 5000,
  idleTimeoutMs: 5000,
  maxRedirects: 5,
  resumeAttempts: 0,
  caPem: [],
  insecureHosts: [],
  allowHosts: [],
  denyHosts: [],
};
const PKG = buildPackageBuffer({
  version: '9.16.1',
  members: [{ name: 'image.bin', data: Buffer.alloc(700_000, 7) }],
});

function workerDownloader(t: TestContext, warnings: string[] = []): WorkerDownloader {
  const warn = (message: string): void => {
    warnings.push(message);
  };
  const d = new WorkerDownloader(SETTINGS, warn, createDownloaders(SETTINGS, warn));
  t.after(() => d.close());
  return d;
}

async function origin(t: TestContext, options: OriginOptions) {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

async function store(t: TestContext): Promise<FsImageStore> {
  return new FsImageStore(join(await tempDir(t), 'packages'));
}

async function stagingFiles(images: FsImageStore): Promise<string[]> {
  return readdir(join(images.directory, '.staging')).catch(() => []);
}

void test('a staged download runs in the worker: digest, size and inspection come back, credentials reach the origin', async (t) => {
  const o = await origin(t, {
    files: { '/9161_q_image.tgz': PKG },
    auth: { username: 'u', password: 'p:w' },
  });
  const images = await store(t);
  const staged = await images.stage({ maxBytes: 1 << 30, verb: 'download' });
  const progress: DownloadProgress[] = [];
  const result = await workerDownloader(t).download(
    parseDownloadRequest(`${o.url}/9161_q_image.tgz`, 'u', 'p:w'),
    staged.stream,
    { signal: new AbortController().signal, maxBytes: 1 << 30, onProgress: (p) => progress.push(p) },
  );
  assert.deepEqual(result, { bytes: PKG.length, total: PKG.length });
  assert.deepEqual(progress[0], { received: 0, total: PKG.length });
  const image = await staged.complete();
  assert.equal(image.sha256, sha256Of(PKG));
  assert.equal(image.size, PKG.length);
  assert.deepEqual(image.inspection, { kind: 'archive', versionMember: '9.16.1' });
  await image.commit('9161_q_image.tgz');
  assert.deepEqual(await images.list(), ['9161_q_image.tgz']);
  assert.equal(o.requests[0]?.hadAuth, true);
});

void test('origin failures come back as the same catalogue failure, and the staged file can be removed', async (t) => {
  const o = await origin(t, { files: {}, mode: { kind: 'notFound' } });
  const images = await store(t);
  const staged = await images.stage({ maxBytes: 1 << 30, verb: 'download' });
  const err = await workerDownloader(t)
    .download(parseDownloadRequest(`${o.url}/x_image.tgz`, undefined, undefined), staged.stream, {
      signal: new AbortController().signal,
      maxBytes: 1 << 30,
      onProgress: () => undefined,
    })
    .then(
      () => null,
      (e: unknown) => e,
    );
  assert.ok(err instanceof JobFailure, String(err));
  assert.equal(err.code, '10551381');
  assert.match(err.message, /404 Not Found/);
  await staged.abort();
  assert.deepEqual(await stagingFiles(images), []);
});

void test('aborting rejects with the signal reason; the staged file is then closed and removed', async (t) => {
  const o = await origin(t, {
    files: { '/slow_image.tgz': PKG },
    mode: { kind: 'trickleThenStop', bytes: 1000, intervalMs: 5 },
  });
  const images = await store(t);
  const staged = await images.stage({ maxBytes: 1 << 30, verb: 'download' });
  const controller = new AbortController();
  let progressed = (): void => undefined;
  const started = new Promise<void>((resolve) => {
    progressed = resolve;
  });
  const download = workerDownloader(t).download(
    parseDownloadRequest(`${o.url}/slow_image.tgz`, undefined, undefined),
    staged.stream,
    {
      signal: controller.signal,
      maxBytes: 1 << 30,
      onProgress: () => {
        progressed();
      },
    },
  );
  await started;
  const reason = new Error('cancelled by the test');
  controller.abort(reason);
  assert.deepEqual(await Promise.allSettled([download]), [{ status: 'rejected', reason }]);
  await staged.abort();
  assert.ok(staged.stream.closed, 'the sink closed its fd');
  assert.deepEqual(await stagingFiles(images), []);
});

void test('a worker that stops mid-transfer fails the download; the next download starts a new worker', async (t) => {
  const o = await origin(t, {
    files: { '/slow_image.tgz': PKG, '/9161_q_image.tgz': PKG },
    modes: { '/slow_image.tgz': { kind: 'trickleThenStop', bytes: 1000, intervalMs: 5 } },
  });
  const images = await store(t);
  const d = workerDownloader(t);
  const staged = await images.stage({ maxBytes: 1 << 30, verb: 'download' });
  let firstProgress = (): void => undefined;
  const progressed = new Promise<void>((resolve) => {
    firstProgress = resolve;
  });
  const running = d.download(
    parseDownloadRequest(`${o.url}/slow_image.tgz`, undefined, undefined),
    staged.stream,
    {
      signal: new AbortController().signal,
      maxBytes: 1 << 30,
      onProgress: () => {
        firstProgress();
      },
    },
  );
  await progressed;
  await d.close();
  const err = await running.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof JobFailure, String(err));
  assert.equal(err.code, '262145');
  await staged.abort();
  assert.deepEqual(await stagingFiles(images), []);

  const again = await images.stage({ maxBytes: 1 << 30, verb: 'download' });
  const result = await d.download(
    parseDownloadRequest(`${o.url}/9161_q_image.tgz`, undefined, undefined),
    again.stream,
    {
      signal: new AbortController().signal,
      maxBytes: 1 << 30,
      onProgress: () => undefined,
    },
  );
  assert.equal(result.bytes, PKG.length);
  assert.equal((await again.complete()).sha256, sha256Of(PKG));
  await again.abort();
});

void test('a sink that is not a fresh staged file is served on this thread', async (t) => {
  const o = await origin(t, { files: { '/9161_q_image.tgz': PKG } });
  const out = collectingSink();
  const result = await workerDownloader(t).download(
    parseDownloadRequest(`${o.url}/9161_q_image.tgz`, undefined, undefined),
    out.sink,
    { signal: new AbortController().signal, maxBytes: 1 << 30, onProgress: () => undefined },
  );
  assert.equal(result.bytes, PKG.length);
  assert.equal(out.sha256(), sha256Of(PKG));
});

void test('the worker thread runs at a lower CPU priority than the thread that serves the API (Linux)', async (t) => {
  const d = workerDownloader(t);
  d.start();
  const niceOf = async (tid: string): Promise<number> => {
    const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => '');
    // Field 19 (nice), counted after the parenthesised command name, which may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  };
  const niceValues = async (): Promise<number[]> =>
    Promise.all((await readdir('/proc/self/task')).map((tid) => niceOf(tid)));
  if (process.platform !== 'linux') return;
  const own = await niceOf(String(process.pid));
  const lowered = await pollUntil('a thread with a raised nice value', async () =>
    (await niceValues()).some((n) => n === Math.min(19, own + 10)),
  );
  assert.equal(lowered, true);
  assert.equal(await niceOf(String(process.pid)), own, 'the main thread keeps its priority');
});
