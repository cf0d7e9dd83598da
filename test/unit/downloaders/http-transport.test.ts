import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { HostPolicy } from '../../../src/adapters/downloaders/host-policy.js';
import {
  HttpDownloader,
  type HttpDownloaderOptions,
} from '../../../src/adapters/downloaders/http-downloader.js';
import { parseDownloadRequest } from '../../../src/core/model/download-request.js';
import type { DownloadProgress } from '../../../src/core/ports/downloader.js';
import { collectingSink, startHttpOrigin, type OriginOptions } from '../../helpers/http-origin.js';
import { failureOf } from '../../helpers/job-failure.js';

const PKG = randomBytes(200_000);

interface After {
  after: (fn: () => Promise<void> | void) => void;
}

function downloader(options: Partial<HttpDownloaderOptions> = {}): HttpDownloader {
  return new HttpDownloader({ policy: new HostPolicy(), ...options });
}

async function origin(t: After, options: OriginOptions) {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

function start(d: HttpDownloader, url: string, opts: { signal?: AbortSignal; maxBytes?: number } = {}) {
  const out = collectingSink();
  const progress: DownloadProgress[] = [];
  const promise = d.download(parseDownloadRequest(url, undefined, undefined), out.sink, {
    signal: opts.signal ?? new AbortController().signal,
    onProgress: (p) => progress.push(p),
    maxBytes: opts.maxBytes ?? 1 << 30,
  });
  return { promise, out, progress };
}

/** A TCP listener that accepts and never answers: for TLS it never finishes the handshake. */
async function silentServer(t: After): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });
  return (server.address() as AddressInfo).port;
}

void test('a body cut short by the origin fails as a length mismatch with the bytes received', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, mode: { kind: 'dropMidBody' } });
  const { promise, out } = start(downloader(), `${o.url}/p.tgz`);
  const failure = await failureOf(promise);
  assert.equal(out.bytes(), PKG.length / 2);
  assert.equal(
    failure.message,
    `Package download failed: received ${PKG.length / 2} bytes, expected ${PKG.length}.`,
  );
  assert.equal(o.requests.length, 1, 'without Accept-Ranges there is no resume');
});

void test('Content-Length longer than the body sent: length mismatch', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': PKG },
    mode: { kind: 'wrongLength', announce: 'longer', by: 10 },
  });
  const failure = await failureOf(start(downloader(), `${o.url}/p.tgz`).promise);
  assert.equal(
    failure.message,
    `Package download failed: received ${PKG.length} bytes, expected ${PKG.length + 10}.`,
  );
});

void test('Content-Length shorter than the bytes sent: exactly Content-Length bytes reach the sink', async (t) => {
  // HTTP/1.1 framing ends the body at Content-Length; the excess is not part of the entity (curl behaves the
  // same). What matters is that nothing past the announced length is written and the count is reported.
  const o = await origin(t, {
    files: { '/p.tgz': PKG },
    mode: { kind: 'wrongLength', announce: 'shorter', by: 10 },
  });
  const { promise, out } = start(downloader(), `${o.url}/p.tgz`);
  const result = await promise;
  assert.deepEqual(result, { bytes: PKG.length - 10, total: PKG.length - 10 });
  assert.ok(out.contents().equals(PKG.subarray(0, PKG.length - 10)));
});

void test('connection refused names the host and port', async () => {
  // A port that was just free: listen, note it, close.
  const closed = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => {
        resolve(p);
      });
    });
  });
  const failure = await failureOf(start(downloader(), `http://127.0.0.1:${closed}/p.tgz`).promise);
  assert.equal(failure.message, `Package download failed: connection refused by 127.0.0.1:${closed}.`);
});

void test('idle timeout: headers that never come', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, mode: { kind: 'stallHeaders' } });
  const failure = await failureOf(start(downloader({ idleTimeoutMs: 300 }), `${o.url}/p.tgz`).promise);
  assert.equal(
    failure.message,
    `Package download failed: timed out after 0.3 seconds waiting for 127.0.0.1:${o.port}.`,
  );
});

void test('idle timeout: a body that trickles and then stops', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': PKG },
    mode: { kind: 'trickleThenStop', bytes: 5, intervalMs: 5 },
  });
  const { promise, out } = start(downloader({ idleTimeoutMs: 300 }), `${o.url}/p.tgz`);
  const failure = await failureOf(promise);
  assert.equal(
    failure.message,
    `Package download failed: timed out after 0.3 seconds waiting for 127.0.0.1:${o.port}.`,
  );
  assert.equal(out.bytes(), 5);
});

void test('connect timeout: a TLS handshake that never completes', async (t) => {
  const port = await silentServer(t);
  const failure = await failureOf(
    start(downloader({ connectTimeoutMs: 300 }), `https://127.0.0.1:${port}/p.tgz`).promise,
  );
  assert.equal(
    failure.message,
    `Package download failed: timed out after 0.3 seconds waiting for 127.0.0.1:${port}.`,
  );
});

void test('a host that does not resolve (injected resolver)', async () => {
  const lookup = (host: string) =>
    Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
  const failure = await failureOf(start(downloader({ lookup }), 'http://no-such-host.test/p.tgz').promise);
  assert.equal(failure.message, 'Package download failed: cannot resolve host "no-such-host.test".');
});

void test('a resolver answering no address counts as unresolvable', async () => {
  const failure = await failureOf(
    start(downloader({ lookup: () => Promise.resolve([]) }), 'http://empty.test/p.tgz').promise,
  );
  assert.equal(failure.message, 'Package download failed: cannot resolve host "empty.test".');
});

void test('a Content-Length above maxBytes fails before the body is read', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, mode: { kind: 'oversize', announce: 10 * 2 ** 40 } });
  const { promise, out, progress } = start(downloader(), `${o.url}/p.tgz`, { maxBytes: 1_000_000 });
  const failure = await failureOf(promise);
  assert.equal(
    failure.message,
    'Package download failed: the package is larger than the limit of 1000000 bytes.',
  );
  assert.equal(out.bytes(), 0);
  assert.equal(progress.length, 0);
});

void test('a body of unknown length that grows past maxBytes is stopped', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, mode: { kind: 'chunked' } });
  const failure = await failureOf(start(downloader(), `${o.url}/p.tgz`, { maxBytes: 50_000 }).promise);
  assert.equal(
    failure.message,
    'Package download failed: the package is larger than the limit of 50000 bytes.',
  );
});

void test('abort stops the transfer and rejects with signal.reason', async (t) => {
  const o = await origin(t, {
    files: { '/p.tgz': PKG },
    mode: { kind: 'trickleThenStop', bytes: 1000, intervalMs: 5 },
  });
  const controller = new AbortController();
  const reason = new Error('cancelled by test');
  const { promise, progress } = start(downloader(), `${o.url}/p.tgz`, { signal: controller.signal });
  while (progress.length < 3) await new Promise((resolve) => setImmediate(resolve));
  controller.abort(reason);
  await assert.rejects(promise, (err) => err === reason);
});

void test('abort while waiting for headers rejects with signal.reason', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG }, mode: { kind: 'stallHeaders' } });
  const controller = new AbortController();
  const { promise } = start(downloader(), `${o.url}/p.tgz`, { signal: controller.signal });
  while (o.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
  controller.abort('stop');
  await assert.rejects(promise, (err) => err === 'stop');
});

void test('an already aborted signal rejects without contacting the origin', async (t) => {
  const o = await origin(t, { files: { '/p.tgz': PKG } });
  const controller = new AbortController();
  const reason = new Error('early');
  controller.abort(reason);
  await assert.rejects(
    start(downloader(), `${o.url}/p.tgz`, { signal: controller.signal }).promise,
    (err) => err === reason,
  );
  assert.equal(o.requests.length, 0);
});

void test('abort during name resolution rejects with signal.reason', async () => {
  const controller = new AbortController();
  const lookup = () => new Promise<never>(() => undefined);
  const { promise } = start(downloader({ lookup }), 'http://slow-dns.test/p.tgz', {
    signal: controller.signal,
  });
  controller.abort('dns-stop');
  await assert.rejects(promise, (err) => err === 'dns-stop');
});
