import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostPolicy } from '../../../src/adapters/downloaders/host-policy.js';
import {
  HttpDownloader,
  type HttpDownloaderOptions,
} from '../../../src/adapters/downloaders/http-downloader.js';
import { parseDownloadRequest } from '../../../src/core/model/download-request.js';
import type { DownloadProgress } from '../../../src/core/ports/downloader.js';
import {
  collectingSink,
  patternFile,
  sha256Of,
  startHttpOrigin,
  type OriginOptions,
} from '../../helpers/http-origin.js';
import { failureOf } from '../../helpers/job-failure.js';

/** Several MiB, not a multiple of anything convenient, so each resume offset is odd. */
const FILE = patternFile(5 * 1024 * 1024 + 12_345);

function downloader(options: Partial<HttpDownloaderOptions> = {}): HttpDownloader {
  return new HttpDownloader({ policy: new HostPolicy(), ...options });
}

async function origin(t: { after: (fn: () => Promise<void>) => void }, options: OriginOptions) {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

async function fetchInto(d: HttpDownloader, url: string, user?: string, pass?: string) {
  const out = collectingSink(false);
  const progress: DownloadProgress[] = [];
  const result = await d.download(parseDownloadRequest(url, user, pass), out.sink, {
    signal: new AbortController().signal,
    onProgress: (p) => progress.push(p),
    maxBytes: 1 << 30,
  });
  return { result, out, progress };
}

void test('resumes across three drops; the sink sees every byte once and the sha256 is the whole file', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': FILE },
    ranges: true,
    auth: { username: 'u', password: 'p' },
    mode: { kind: 'dropMidBody', times: 3 },
  });
  const { result, out, progress } = await fetchInto(downloader(), `${o.url}/p.tgz`, 'u', 'p');
  assert.deepEqual(result, { bytes: FILE.size, total: FILE.size });
  assert.equal(out.bytes(), FILE.size);
  assert.equal(out.sha256(), sha256Of(FILE));
  assert.deepEqual(progress.at(-1), { received: FILE.size, total: FILE.size });

  assert.equal(o.requests.length, 4);
  assert.equal(o.requests[0]?.headers.range, undefined);
  let offset = 0;
  let remaining = FILE.size;
  for (const r of o.requests.slice(1)) {
    offset += Math.floor(remaining / 2);
    remaining = FILE.size - offset;
    assert.equal(r.headers.range, `bytes=${offset}-`);
    assert.equal(r.headers['if-range'], `"v1-${FILE.size}"`);
    assert.equal(r.hadAuth, true);
  }
});

void test('gives up after resumeAttempts and reports the bytes received', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': FILE },
    ranges: true,
    mode: { kind: 'dropMidBody', times: 10 },
  });
  const failure = await failureOf(fetchInto(downloader({ resumeAttempts: 2 }), `${o.url}/p.tgz`));
  assert.equal(o.requests.length, 3);
  assert.match(
    failure.message,
    new RegExp(`^Package download failed: received \\d+ bytes, expected ${FILE.size}\\.$`),
  );
  assert.doesNotMatch(failure.message, new RegExp(`received ${FILE.size} bytes`));
});

void test('an entity that changed (If-Range no longer matches) is not spliced: length mismatch', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': FILE },
    ranges: true,
    mode: { kind: 'dropMidBody', times: 1, changeEtag: true },
  });
  const failure = await failureOf(fetchInto(downloader(), `${o.url}/p.tgz`));
  const half = Math.floor(FILE.size / 2);
  assert.equal(failure.message, `Package download failed: received ${half} bytes, expected ${FILE.size}.`);
  assert.equal(o.requests.length, 2, 'one resume attempt, answered with a full 200 and refused');
});

void test('resumeAttempts 0 disables resume', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': FILE },
    ranges: true,
    mode: { kind: 'dropMidBody', times: 1 },
  });
  await failureOf(fetchInto(downloader({ resumeAttempts: 0 }), `${o.url}/p.tgz`));
  assert.equal(o.requests.length, 1);
});

void test('an idle timeout mid-body is resumed too', async (t) => {
  const small = Buffer.alloc(64, 7);
  const o = await origin(t, {
    files: { '/p.tgz': small },
    ranges: true,
    modes: { '/p.tgz': { kind: 'trickleThenStop', bytes: 3, intervalMs: 1 } },
  });
  const d = downloader({ idleTimeoutMs: 300 });
  const pending = fetchInto(d, `${o.url}/p.tgz`);
  while (o.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
  o.setMode('/p.tgz', { kind: 'serve' });
  const { out, result } = await pending;
  assert.equal(result.bytes, small.length);
  assert.equal(out.sha256(), sha256Of(small));
  assert.equal(o.requests[1]?.headers.range, 'bytes=3-');
});
