import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { HostPolicy } from '../../../src/adapters/downloaders/host-policy.js';
import {
  HttpDownloader,
  type HttpDownloaderOptions,
} from '../../../src/adapters/downloaders/http-downloader.js';
import { parseDownloadRequest } from '../../../src/core/model/download-request.js';
import { collectingSink, sha256Of, startHttpOrigin, type OriginOptions } from '../../helpers/http-origin.js';
import { testPki, UNTRUSTED_CN } from '../../helpers/tls.js';
import { failureOf } from '../../helpers/job-failure.js';

const PKG = randomBytes(150_000);

function downloader(options: Partial<HttpDownloaderOptions> = {}): HttpDownloader {
  return new HttpDownloader({ policy: new HostPolicy(), ...options });
}

async function origin(t: { after: (fn: () => Promise<void>) => void }, options: OriginOptions) {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

async function fetchInto(d: HttpDownloader, url: string) {
  const out = collectingSink();
  const result = await d.download(parseDownloadRequest(url, 'u', 'p'), out.sink, {
    signal: new AbortController().signal,
    onProgress: () => undefined,
    maxBytes: 1 << 30,
  });
  return { result, out };
}

void test('HTTPS with a certificate from a CA given in caPem, by IP and by name', async (t) => {
  const pki = await testPki();
  const o = await origin(t, { files: { '/p.tgz': PKG }, tls: pki.leaf });
  const d = downloader({ caPem: [pki.ca.cert] });
  const byIp = await fetchInto(d, `${o.url}/p.tgz`);
  assert.equal(byIp.out.sha256(), sha256Of(PKG));
  const lookup = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  const byName = await fetchInto(
    downloader({ caPem: [pki.ca.cert], lookup }),
    `https://localhost:${o.port}/p.tgz`,
  );
  assert.equal(byName.out.sha256(), sha256Of(PKG));
  assert.equal(o.requests[1]?.headers.host, `localhost:${o.port}`);
});

void test('without the CA the same certificate is refused before any request is sent', async (t) => {
  const pki = await testPki();
  const o = await origin(t, { files: { '/p.tgz': PKG }, tls: pki.leaf });
  const failure = await failureOf(fetchInto(downloader(), `${o.url}/p.tgz`));
  assert.match(
    failure.message,
    /^Package download failed: TLS certificate verification failed for 127\.0\.0\.1: /,
  );
  assert.match(failure.message, /subject CN=localhost/);
  assert.equal(o.requests.length, 0);
});

void test('an untrusted self-signed certificate: the message names its subject', async (t) => {
  const pki = await testPki();
  const o = await origin(t, { files: { '/p.tgz': PKG }, tls: pki.untrusted });
  const failure = await failureOf(fetchInto(downloader({ caPem: [pki.ca.cert] }), `${o.url}/p.tgz`));
  assert.equal(
    failure.message,
    `Package download failed: TLS certificate verification failed for 127.0.0.1: the certificate is self-signed (subject CN=${UNTRUSTED_CN}).`,
  );
});

void test('a trusted certificate for another name is refused (host name check)', async (t) => {
  const pki = await testPki();
  const o = await origin(t, { files: { '/p.tgz': PKG }, tls: pki.leaf });
  const lookup = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  const failure = await failureOf(
    fetchInto(downloader({ caPem: [pki.ca.cert], lookup }), `https://packages.test:${o.port}/p.tgz`),
  );
  assert.equal(
    failure.message,
    'Package download failed: TLS certificate verification failed for packages.test: the certificate does not match the host name (subject CN=localhost).',
  );
  assert.equal(o.requests.length, 0);
});

void test('insecureHosts skips verification for that host only and warns on every connection', async (t) => {
  const pki = await testPki();
  const o = await origin(t, { files: { '/p.tgz': PKG }, tls: pki.untrusted });
  const warnings: [string, Record<string, unknown>][] = [];
  const d = downloader({ insecureHosts: ['127.0.0.1'], warn: (m, obj) => warnings.push([m, obj]) });
  await fetchInto(d, `${o.url}/p.tgz`);
  const { out } = await fetchInto(d, `${o.url}/p.tgz`);
  assert.equal(out.sha256(), sha256Of(PKG));
  assert.equal(warnings.length, 2);
  assert.deepEqual(warnings[0]?.[1], { host: '127.0.0.1', port: o.port });

  const lookup = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
  const other = downloader({ insecureHosts: ['127.0.0.1'], lookup, warn: () => undefined });
  const failure = await failureOf(fetchInto(other, `https://localhost:${o.port}/p.tgz`));
  assert.match(failure.message, /TLS certificate verification failed for localhost/);
});
