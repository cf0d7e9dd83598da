import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { HostPolicy } from '../../../src/adapters/downloaders/host-policy.js';
import {
  HttpDownloader,
  type HttpDownloaderOptions,
} from '../../../src/adapters/downloaders/http-downloader.js';
import { parseDownloadRequest } from '../../../src/core/model/download-request.js';
import type { DownloadProgress } from '../../../src/core/ports/downloader.js';
import { collectingSink, sha256Of, startHttpOrigin, type OriginOptions } from '../../helpers/http-origin.js';
import { failureOf } from '../../helpers/job-failure.js';

const PKG = randomBytes(300_000);
const USER = 'pkguser';
const PASS = 'pkg:pass w0rd';

function downloader(options: Partial<HttpDownloaderOptions> = {}): HttpDownloader {
  return new HttpDownloader({ policy: new HostPolicy(), ...options });
}

async function origin(t: { after: (fn: () => Promise<void>) => void }, options: OriginOptions) {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

async function fetchInto(d: HttpDownloader, url: string, user?: string, pass?: string, maxBytes = 1 << 30) {
  const out = collectingSink();
  const progress: DownloadProgress[] = [];
  const result = await d.download(parseDownloadRequest(url, user, pass), out.sink, {
    signal: new AbortController().signal,
    onProgress: (p) => progress.push(p),
    maxBytes,
  });
  return { result, out, progress };
}

void test('downloads the whole file, reports progress and the sha256 matches', async (t) => {
  const o = await origin(t, { files: { '/images/97_q_image.tgz': PKG } });
  const { result, out, progress } = await fetchInto(downloader(), `${o.url}/images/97_q_image.tgz`);
  assert.deepEqual(result, { bytes: PKG.length, total: PKG.length });
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.deepEqual(progress[0], { received: 0, total: PKG.length });
  assert.deepEqual(progress.at(-1), { received: PKG.length, total: PKG.length });
  assert.equal(o.requests.length, 1);
  assert.equal(o.requests[0]?.method, 'GET');
  assert.equal(o.requests[0].hadAuth, false);
});

void test('a body without Content-Length (chunked) is accepted and total is null', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, mode: { kind: 'chunked' } });
  const { result, out, progress } = await fetchInto(downloader(), `${o.url}/p.tgz`);
  assert.deepEqual(result, { bytes: PKG.length, total: null });
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.deepEqual(progress[0], { received: 0, total: null });
});

void test('body credentials are sent pre-emptively as Basic and the query string reaches the origin', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, auth: { username: USER, password: PASS } });
  const { out } = await fetchInto(downloader(), `${o.url}/p.tgz?token=abc`, USER, PASS);
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.equal(o.requests.length, 1, 'no 401 round trip: credentials go with the first request');
  assert.equal(o.requests[0]?.hadAuth, true);
  assert.equal(o.requests[0].path, '/p.tgz?token=abc');
});

void test('URL userinfo is used as credentials and never appears in the request line', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, auth: { username: USER, password: PASS } });
  const url = o.url.replace('://', `://${USER}:${encodeURIComponent(PASS)}@`);
  const { out } = await fetchInto(downloader(), `${url}/p.tgz`);
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.equal(o.requests[0]?.hadAuth, true);
  assert.equal(o.requests[0].path, '/p.tgz');
});

void test('401: the message says to check the username and password and never shows them', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, auth: { username: USER, password: PASS } });
  const failure = await failureOf(
    fetchInto(downloader(), `${o.url}/p.tgz?sig=s3cret`, USER, 'wrong-password'),
  );
  assert.equal(failure.code, '10551381');
  assert.equal(
    failure.message,
    `Package download failed: the server returned HTTP 401 Unauthorized: check the username and password for ${o.url}/p.tgz.`,
  );
  assert.doesNotMatch(failure.message, /wrong-password|s3cret|pkguser/);
});

void test('404 and 500 fail with the status, the reason phrase and the safe URL', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': PKG },
    modes: { '/gone.tgz': { kind: 'notFound' }, '/err.tgz': { kind: 'serverError' } },
  });
  const notFound = await failureOf(fetchInto(downloader(), `${o.url}/gone.tgz#frag`));
  assert.equal(
    notFound.message,
    `Package download failed: the server returned HTTP 404 Not Found for ${o.url}/gone.tgz.`,
  );
  const serverError = await failureOf(fetchInto(downloader(), `${o.url}/err.tgz`));
  assert.equal(
    serverError.message,
    `Package download failed: the server returned HTTP 500 Internal Server Error for ${o.url}/err.tgz.`,
  );
});

void test('only 200 is success: a 503 fails even though a retry would succeed', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, mode: { kind: 'failFirst', count: 1 } });
  const failure = await failureOf(fetchInto(downloader(), `${o.url}/p.tgz`));
  assert.match(failure.message, /HTTP 503 Service Unavailable/);
  const { out } = await fetchInto(downloader(), `${o.url}/p.tgz`);
  assert.equal(out.sha256(), sha256Of(PKG));
});

void test('same-host redirects are followed and keep the credentials', async (t) => {
  const o = await origin(t, {
    files: { '/b/final/p.tgz': PKG },
    auth: { username: USER, password: PASS },
    modes: {
      '/a/p.tgz': { kind: 'redirect', location: '/b/p.tgz', status: 301 },
      '/b/p.tgz': { kind: 'redirect', location: 'final/p.tgz', status: 307 },
    },
  });
  const { out } = await fetchInto(downloader(), `${o.url}/a/p.tgz`, USER, PASS);
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.deepEqual(
    o.requests.map((r) => [r.path, r.hadAuth]),
    [
      ['/a/p.tgz', true],
      ['/b/p.tgz', true],
      ['/b/final/p.tgz', true],
    ],
  );
});

void test('a redirect to another port drops the credentials; the second origin never sees them', async (t) => {
  const second = await origin(t, { files: { '/p.tgz': PKG } });
  const first = await origin(t, {
    files: {},
    auth: { username: USER, password: PASS },
    modes: { '/p.tgz': { kind: 'redirect', location: `${second.url}/p.tgz` } },
  });
  const { out } = await fetchInto(downloader(), `${first.url}/p.tgz`, USER, PASS);
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.equal(first.requests[0]?.hadAuth, true);
  assert.equal(second.requests.length, 1);
  assert.equal(second.requests[0]?.hadAuth, false);
  assert.equal(second.requests[0].headers.authorization, undefined);
});

void test('a redirect to another host name on the same port and address drops the credentials', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG } });
  o.setMode('/start.tgz', { kind: 'redirect', location: `http://mirror.test:${o.port}/p.tgz` });
  const lookup = (name: string) =>
    Promise.resolve(name === 'mirror.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
  const { out } = await fetchInto(downloader({ lookup }), `${o.url}/start.tgz`, USER, PASS);
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.deepEqual(
    o.requests.map((r) => [r.path, r.hadAuth, r.headers.host]),
    [
      ['/start.tgz', true, `127.0.0.1:${o.port}`],
      ['/p.tgz', false, `mirror.test:${o.port}`],
    ],
  );
});

void test('more than maxRedirects redirects fail', async (t) => {
  const modes: NonNullable<OriginOptions['modes']> = {};
  for (let i = 0; i < 7; i++) modes[`/r${i}.tgz`] = { kind: 'redirect', location: `/r${i + 1}.tgz` };
  const o = await origin(t, { files: {}, modes });
  const failure = await failureOf(fetchInto(downloader(), `${o.url}/r0.tgz`));
  assert.equal(failure.message, 'Package download failed: more than 5 redirects.');
  assert.equal(o.requests.length, 6);
});

void test('exactly maxRedirects redirects succeed', async (t) => {
  const modes: NonNullable<OriginOptions['modes']> = {};
  for (let i = 0; i < 5; i++) modes[`/r${i}.tgz`] = { kind: 'redirect', location: `/r${i + 1}.tgz` };
  const o = await origin(t, { files: { '/r5.tgz': PKG }, modes });
  const { out } = await fetchInto(downloader(), `${o.url}/r0.tgz`);
  assert.equal(out.sha256(), sha256Of(PKG));
});

void test('a redirect without Location, or to a non-HTTP scheme, is refused', async (t) => {
  const o = await origin(t, {
    files: {},
    modes: {
      '/none.tgz': { kind: 'redirect', location: null },
      '/file.tgz': { kind: 'redirect', location: 'file:///etc/passwd' },
      '/ftp.tgz': { kind: 'redirect', location: 'ftp://127.0.0.1/p.tgz' },
    },
  });
  for (const path of ['/none.tgz', '/file.tgz', '/ftp.tgz']) {
    const failure = await failureOf(fetchInto(downloader(), `${o.url}${path}`));
    assert.equal(
      failure.message,
      `Package download failed: the server sent a redirect without a usable location from ${o.url}${path}.`,
    );
  }
  assert.equal(o.requests.length, 3);
});
