import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { HostPolicy, type HostPolicyConfig } from '../../../src/adapters/downloaders/host-policy.js';
import { HttpDownloader } from '../../../src/adapters/downloaders/http-downloader.js';
import type { HostLookup } from '../../../src/adapters/downloaders/resolve-destination.js';
import { parseDownloadRequest } from '../../../src/core/model/download-request.js';
import { collectingSink, sha256Of, startHttpOrigin, type OriginOptions } from '../../helpers/http-origin.js';
import { failureOf } from '../../helpers/job-failure.js';

const PKG = randomBytes(50_000);

/** Resolves the test names; every address actually connected to is loopback. */
const lookup: HostLookup = (host) => {
  const table: Record<string, string[]> = {
    'pkg.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'mixed.test': ['127.0.0.1', 'fe80::1'],
    'denied-name.test': ['127.0.0.1'],
  };
  const found = table[host];
  return found === undefined
    ? Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }))
    : Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

function downloader(config: HostPolicyConfig = { allow: [], deny: [] }): HttpDownloader {
  return new HttpDownloader({ policy: new HostPolicy(config), lookup });
}

async function origin(t: { after: (fn: () => Promise<void>) => void }, options: OriginOptions) {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

async function fetchInto(d: HttpDownloader, url: string) {
  const out = collectingSink();
  await d.download(parseDownloadRequest(url, undefined, undefined), out.sink, {
    signal: new AbortController().signal,
    onProgress: () => undefined,
    maxBytes: 1 << 30,
  });
  return out;
}

void test('loopback is allowed by default, by IP and by a name resolving to it', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG } });
  assert.equal((await fetchInto(downloader(), `${o.url}/p.tgz`)).sha256(), sha256Of(PKG));
  assert.equal((await fetchInto(downloader(), `http://pkg.test:${o.port}/p.tgz`)).sha256(), sha256Of(PKG));
});

void test('a denied IP literal fails before any connection', async () => {
  const failure = await failureOf(fetchInto(downloader(), 'http://169.254.169.254/latest/meta-data/p.tgz'));
  assert.equal(failure.code, '10551381');
  assert.equal(
    failure.message,
    'Package download failed: the destination 169.254.169.254 (169.254.169.254) is denied by the download host policy.',
  );
  const mapped = await failureOf(fetchInto(downloader(), 'http://[::ffff:169.254.169.254]/p.tgz'));
  assert.match(mapped.message, /denied by the download host policy/);
});

void test('a deny entry for loopback refuses the local origin, which never sees a request', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG } });
  const failure = await failureOf(
    fetchInto(downloader({ allow: [], deny: ['127.0.0.0/8'] }), `${o.url}/p.tgz`),
  );
  assert.match(failure.message, /the destination 127\.0\.0\.1 \(127\.0\.0\.1\) is denied/);
  assert.equal(o.requests.length, 0);
});

void test('a name resolving to a denied address is refused, naming both', async () => {
  const failure = await failureOf(fetchInto(downloader(), 'http://metadata.test/p.tgz'));
  assert.equal(
    failure.message,
    'Package download failed: the destination metadata.test (169.254.169.254) is denied by the download host policy.',
  );
});

void test('a name with one denied candidate address among allowed ones is refused', async () => {
  const failure = await failureOf(fetchInto(downloader(), 'http://mixed.test/p.tgz'));
  assert.match(failure.message, /mixed\.test \(fe80::1\) is denied/);
});

void test('a denied host name is refused even though its address is allowed', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG } });
  const failure = await failureOf(
    fetchInto(
      downloader({ allow: [], deny: ['*.name.test', 'denied-name.test'] }),
      `http://denied-name.test:${o.port}/p.tgz`,
    ),
  );
  assert.match(failure.message, /denied-name\.test \(127\.0\.0\.1\) is denied/);
  assert.equal(o.requests.length, 0);
});

void test('a redirect to a denied destination is refused; the first hop was served', async (t) => {
  const o = await origin(t, {
    files: {},
    modes: {
      '/ip.tgz': { kind: 'redirect', location: 'http://169.254.169.254/latest/p.tgz' },
      '/name.tgz': { kind: 'redirect', location: 'http://metadata.test/p.tgz' },
    },
  });
  const byIp = await failureOf(fetchInto(downloader(), `${o.url}/ip.tgz`));
  assert.match(byIp.message, /169\.254\.169\.254 \(169\.254\.169\.254\) is denied/);
  const byName = await failureOf(fetchInto(downloader(), `${o.url}/name.tgz`));
  assert.match(byName.message, /metadata\.test \(169\.254\.169\.254\) is denied/);
  assert.equal(o.requests.length, 2);
});

void test('with an allow list, a redirect to a name outside it is refused even on an allowed port and address', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG } });
  o.setMode('/r.tgz', { kind: 'redirect', location: `http://denied-name.test:${o.port}/p.tgz` });
  const failure = await failureOf(
    fetchInto(downloader({ allow: ['pkg.test'], deny: [] }), `http://pkg.test:${o.port}/r.tgz`),
  );
  assert.equal(
    failure.message,
    'Package download failed: the destination denied-name.test (127.0.0.1) is denied by the download host policy.',
  );
  assert.deepEqual(
    o.requests.map((r) => r.path),
    ['/r.tgz'],
  );
  const allowed = await fetchInto(
    downloader({ allow: ['*.test'], deny: [] }),
    `http://pkg.test:${o.port}/r.tgz`,
  );
  assert.equal(allowed.sha256(), sha256Of(PKG));
});
