import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { test, type TestContext } from 'node:test';
import {
  FtpDownloader,
  type FtpDownloaderOptions,
} from '../../../src/adapters/downloaders/ftp-downloader.js';
import { failures, JobFailure } from '../../../src/core/errors.js';
import { parseDownloadRequest } from '../../../src/core/model/download-request.js';
import type { DownloadProgress, DownloadResult } from '../../../src/core/ports/downloader.js';
import { sha256Of, startFtpOrigin, type FtpOrigin, type FtpOriginOptions } from '../../helpers/ftp-origin.js';
import { makeTestCertificates, type TestCertificates } from '../../helpers/ftp-tls.js';

const MiB = 1024 * 1024;
const PASSWORD = 'pkg-s3cret-pw';

/** Hashes what it is given; answers asynchronously with a small buffer so the downloader must wait for 'drain'. */
class HashSink extends Writable {
  readonly #hash = createHash('sha256');
  bytes = 0;
  constructor() {
    super({ highWaterMark: 64 * 1024 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    setImmediate(callback);
  }
  /** Ends the sink (the downloader never does) and waits until every buffered chunk went through the hash. */
  async digest(): Promise<string> {
    this.end();
    await finished(this);
    return this.#hash.digest('hex');
  }
}

async function origin(t: TestContext, options: FtpOriginOptions): Promise<FtpOrigin> {
  const server = await startFtpOrigin(options);
  t.after(() => server.close());
  return server;
}

interface Run {
  readonly sink: HashSink;
  readonly progress: DownloadProgress[];
  readonly result: Promise<DownloadResult>;
}

function run(
  url: string,
  options: FtpDownloaderOptions & {
    username?: string;
    password?: string;
    maxBytes?: number;
    signal?: AbortSignal;
  } = {},
): Run {
  const { username, password, maxBytes, signal, ...downloaderOptions } = options;
  const downloader = new FtpDownloader({
    checkAddress: () => Promise.resolve('127.0.0.1'),
    ...downloaderOptions,
  });
  const sink = new HashSink();
  const progress: DownloadProgress[] = [];
  const result = downloader.download(parseDownloadRequest(url, username, password), sink, {
    signal: signal ?? new AbortController().signal,
    onProgress: (p) => progress.push(p),
    maxBytes: maxBytes ?? 1024 * MiB,
  });
  return { sink, progress, result };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the download to fail');
}

async function jobFailure(promise: Promise<unknown>): Promise<JobFailure> {
  const err = await rejection(promise);
  assert.ok(err instanceof JobFailure, `expected a JobFailure, got ${String(err)}`);
  assert.equal(err.code, '10551381');
  return err;
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let certificates: Promise<TestCertificates> | undefined;
const certs = (): Promise<TestCertificates> => (certificates ??= makeTestCertificates());

void test('downloads with a username and password; the sink gets every byte and stays open', async (t) => {
  const file = 3 * MiB + 123;
  const o = await origin(t, {
    files: { '/pub/image.tgz': file },
    credentials: { username: 'pkguser', password: PASSWORD },
  });
  const r = run(o.url('/pub/image.tgz'), { username: 'pkguser', password: PASSWORD });
  assert.deepEqual(await r.result, { bytes: file, total: file });
  assert.deepEqual(r.progress[0], { received: 0, total: file });
  assert.deepEqual(r.progress.at(-1), { received: file, total: file });
  assert.equal(r.sink.writableEnded, false);
  assert.equal(r.sink.destroyed, false);
  assert.equal(await r.sink.digest(), sha256Of(file));
  assert.ok(o.commands.includes('USER pkguser'));
  assert.ok(o.commands.includes('TYPE I'));
  assert.ok(o.commands.some((c) => c === 'EPSV'));
  assert.ok(!o.commands.some((c) => c.includes(PASSWORD)));
});

void test('a wrong password fails with the 530 reply and a hint, never the password', async (t) => {
  const o = await origin(t, {
    files: { '/a.tgz': 10 },
    credentials: { username: 'pkguser', password: PASSWORD },
  });
  const failure = await jobFailure(
    run(o.url('/a.tgz'), { username: 'pkguser', password: 'wrong-pw-123' }).result,
  );
  assert.equal(
    failure.message,
    `Package download failed: the FTP server replied 530 Login incorrect.: check the username and password for ftp://127.0.0.1:${o.port}/a.tgz.`,
  );
  assert.ok(!failure.message.includes('wrong-pw-123'));
});

void test('URL userinfo is used as credentials and never shown', async (t) => {
  const o = await origin(t, {
    files: { '/a.tgz': 10 },
    credentials: { username: 'pkguser', password: PASSWORD },
  });
  const failure = await jobFailure(run(`ftp://pkguser:bad-secret-9@127.0.0.1:${o.port}/a.tgz`).result);
  assert.match(failure.message, /replied 530 /);
  assert.ok(!failure.message.includes('bad-secret-9'));
  assert.ok(!failure.message.includes('pkguser:'));
  const ok = run(`ftp://pkguser:${PASSWORD}@127.0.0.1:${o.port}/a.tgz`);
  assert.equal((await ok.result).bytes, 10);
});

void test('logs in anonymously without credentials', async (t) => {
  const data = Buffer.from('anonymous package bytes');
  const o = await origin(t, { files: { '/a.tgz': data } });
  const r = run(o.url('/a.tgz'));
  assert.deepEqual(await r.result, { bytes: data.length, total: data.length });
  assert.equal(await r.sink.digest(), sha256Of(data));
  assert.ok(o.commands.includes('USER anonymous'));
});

void test('a server that refuses anonymous login says so', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 10 }, credentials: { username: 'u', password: PASSWORD } });
  const failure = await jobFailure(run(o.url('/a.tgz')).result);
  assert.match(failure.message, /replied 530 Login incorrect\.: the server does not allow anonymous login/);
});

void test('a missing file fails with 550 before any transfer', async (t) => {
  const o = await origin(t, { files: {} });
  const failure = await jobFailure(run(o.url('/pub/missing.tgz')).result);
  assert.equal(
    failure.message,
    `Package download failed: the FTP server replied 550 Could not get file size.: the file does not exist or is not readable for ftp://127.0.0.1:${o.port}/pub/missing.tgz.`,
  );
  assert.ok(!o.commands.some((c) => c.startsWith('RETR')));
});

void test('a missing file on a server without SIZE fails with the 550 of RETR', async (t) => {
  const o = await origin(t, { files: {}, supportSize: false });
  const failure = await jobFailure(run(o.url('/missing.tgz')).result);
  assert.match(
    failure.message,
    /replied 550 Failed to open file\.: the file does not exist or is not readable/,
  );
});

void test('a data connection dropped mid-transfer fails when resuming is off', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 2 * MiB }, dropAfterBytes: 700_000 });
  const failure = await jobFailure(run(o.url('/a.tgz'), { resumeAttempts: 0 }).result);
  assert.match(
    failure.message,
    /replied 426 Connection closed; transfer aborted\.: the data connection was closed/,
  );
});

void test('a data connection closed early followed by 226 is a length mismatch, not success', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 2 * MiB }, dropAfterBytes: 700_000, dropReply: 226 });
  const failure = await jobFailure(run(o.url('/a.tgz'), { resumeAttempts: 0 }).result);
  assert.match(failure.message, /^Package download failed: received \d+ bytes, expected 2097152\.$/);
});

void test('resumes with REST after repeated drops and delivers the exact file', async (t) => {
  const file = 4 * MiB + 5;
  const o = await origin(t, { files: { '/a.tgz': file }, dropAfterBytes: 900_000, dropTimes: 3 });
  const r = run(o.url('/a.tgz'), { resumeAttempts: 3 });
  assert.deepEqual(await r.result, { bytes: file, total: file });
  assert.equal(await r.sink.digest(), sha256Of(file));
  const rests = o.commands.filter((c) => c.startsWith('REST '));
  assert.equal(rests.length, 3);
  assert.equal(o.commands.filter((c) => c.startsWith('RETR ')).length, 4);
  assert.equal(r.progress.filter((p) => p.received === 0).length, 1);
});

void test('gives up after resumeAttempts drops', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 3 * MiB }, dropAfterBytes: 500_000, dropTimes: 5 });
  await jobFailure(run(o.url('/a.tgz'), { resumeAttempts: 2 }).result);
  assert.equal(o.commands.filter((c) => c.startsWith('RETR ')).length, 3);
});

void test('resumes without SIZE too', async (t) => {
  const file = 2 * MiB;
  const o = await origin(t, { files: { '/a.tgz': file }, supportSize: false, dropAfterBytes: 600_000 });
  const r = run(o.url('/a.tgz'), { resumeAttempts: 1 });
  assert.deepEqual(await r.result, { bytes: file, total: null });
  assert.equal(await r.sink.digest(), sha256Of(file));
});

void test('a server that cannot resume fails with a REST hint', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 2 * MiB }, supportRest: false, dropAfterBytes: 600_000 });
  const failure = await jobFailure(run(o.url('/a.tgz'), { resumeAttempts: 2 }).result);
  assert.match(
    failure.message,
    /replied 502 REST not implemented\.: the server cannot resume a transfer \(REST\)/,
  );
});

void test('a stalled transfer fails with the idle timeout', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 2 * MiB }, stallAfterBytes: 300_000 });
  const failure = await jobFailure(run(o.url('/a.tgz'), { idleTimeoutMs: 200, resumeAttempts: 0 }).result);
  assert.equal(
    failure.message,
    `Package download failed: timed out after 0.2 seconds waiting for 127.0.0.1:${o.port}.`,
  );
  await eventually(() => o.openSockets() === 0, 'the origin to see every socket closed');
});

void test('a transfer that stalled once is resumed', async (t) => {
  const file = 2 * MiB;
  const o = await origin(t, { files: { '/a.tgz': file }, stallAfterBytes: 300_000, stallTimes: 1 });
  const r = run(o.url('/a.tgz'), { idleTimeoutMs: 200, resumeAttempts: 1 });
  assert.deepEqual(await r.result, { bytes: file, total: file });
  assert.equal(await r.sink.digest(), sha256Of(file));
});

void test('FTPS with a certificate from a CA given in caPem, connecting to the checked address', async (t) => {
  const c = await certs();
  const file = MiB + 1;
  const o = await origin(t, { files: { '/a.tgz': file }, tls: { key: c.key, cert: c.cert } });
  const checked: string[] = [];
  const r = run(`ftps://localhost:${o.port}/a.tgz`, {
    caPem: [c.caPem],
    checkAddress: (host) => {
      checked.push(host);
      return Promise.resolve('127.0.0.1');
    },
  });
  assert.deepEqual(await r.result, { bytes: file, total: file });
  assert.equal(await r.sink.digest(), sha256Of(file));
  assert.deepEqual(checked, ['localhost']);
  assert.deepEqual(o.commands.slice(0, 1), ['AUTH TLS']);
  assert.ok(o.commands.includes('PROT P'));
});

void test('FTPS resumes over TLS data connections', async (t) => {
  const c = await certs();
  const file = 2 * MiB;
  const o = await origin(t, { files: { '/a.tgz': file }, tls: c, dropAfterBytes: 400_000, dropTimes: 2 });
  const r = run(`ftps://localhost:${o.port}/a.tgz`, { caPem: [c.caPem] });
  assert.deepEqual(await r.result, { bytes: file, total: file });
  assert.equal(await r.sink.digest(), sha256Of(file));
});

void test('FTPS with an untrusted certificate fails TLS verification', async (t) => {
  const c = await certs();
  const o = await origin(t, { files: { '/a.tgz': 10 }, tls: c });
  const failure = await jobFailure(run(`ftps://localhost:${o.port}/a.tgz`).result);
  assert.match(
    failure.message,
    /^Package download failed: TLS certificate verification failed for localhost: /,
  );
  assert.ok(!o.commands.some((c) => c.startsWith('USER')));
});

void test('FTPS certificate checks against the host name in the URL', async (t) => {
  const c = await certs();
  const o = await origin(t, { files: { '/a.tgz': 10 }, tls: c });
  const failure = await jobFailure(
    run(`ftps://files.example.test:${o.port}/a.tgz`, { caPem: [c.caPem] }).result,
  );
  assert.match(
    failure.message,
    /TLS certificate verification failed for files\.example\.test: the certificate does not match/,
  );
});

void test('insecureHosts skips verification for that host and warns', async (t) => {
  const c = await certs();
  const o = await origin(t, { files: { '/a.tgz': 1000 }, tls: c });
  const warnings: Record<string, unknown>[] = [];
  const r = run(`ftps://LOCALHOST:${o.port}/a.tgz`, {
    insecureHosts: ['localhost'],
    warn: (_message, details) => warnings.push(details),
  });
  assert.equal((await r.result).bytes, 1000);
  // ftps is not a WHATWG special scheme, so the host keeps the case it was written in.
  assert.deepEqual(warnings, [{ host: 'LOCALHOST', url: `ftps://LOCALHOST:${o.port}/a.tgz` }]);
});

void test('ftps:// against a server without TLS says the server does not support FTPS', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 10 } });
  const failure = await jobFailure(run(o.url('/a.tgz', 'ftps')).result);
  assert.match(
    failure.message,
    /replied 502 AUTH not supported\.: the server does not support FTPS for ftps:/,
  );
});

void test('without SIZE the size is unknown and the download still works', async (t) => {
  const file = MiB + 17;
  const o = await origin(t, { files: { '/a.tgz': file }, supportSize: false });
  const r = run(o.url('/a.tgz'));
  assert.deepEqual(await r.result, { bytes: file, total: null });
  assert.deepEqual(r.progress[0], { received: 0, total: null });
  assert.equal(await r.sink.digest(), sha256Of(file));
});

void test('falls back to PASV when EPSV is refused', async (t) => {
  const file = 100_000;
  const o = await origin(t, { files: { '/a.tgz': file }, supportEpsv: false });
  const r = run(o.url('/a.tgz'));
  assert.equal((await r.result).bytes, file);
  assert.equal(await r.sink.digest(), sha256Of(file));
  assert.ok(o.commands.includes('PASV'));
});

void test('a SIZE above maxBytes fails before RETR', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 2 * MiB } });
  const failure = await jobFailure(run(o.url('/a.tgz'), { maxBytes: MiB }).result);
  assert.equal(failure.message, failures.tooLarge(MiB).message);
  assert.ok(!o.commands.some((c) => c.startsWith('RETR')));
});

void test('without SIZE, maxBytes stops the transfer once exceeded', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 3 * MiB }, supportSize: false });
  const r = run(o.url('/a.tgz'), { maxBytes: MiB });
  const failure = await jobFailure(r.result);
  assert.equal(failure.message, failures.tooLarge(MiB).message);
  assert.ok(r.sink.bytes <= MiB);
});

void test('aborting mid-transfer rejects with the reason and closes every socket', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 8 * MiB }, stallAfterBytes: 1 * MiB });
  const controller = new AbortController();
  const r = run(o.url('/a.tgz'), { signal: controller.signal });
  await eventually(() => r.sink.bytes > 0, 'the first bytes');
  const reason = new Error('cancelled by test');
  controller.abort(reason);
  assert.equal(await rejection(r.result), reason);
  await eventually(() => o.openSockets() === 0, 'the origin to see every socket closed');
});

void test('an already aborted signal fails before connecting', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 10 } });
  const reason = new Error('gone');
  const r = run(o.url('/a.tgz'), { signal: AbortSignal.abort(reason) });
  assert.equal(await rejection(r.result), reason);
  assert.equal(o.commands.length, 0);
});

void test('connection refused names host and port', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  assert.ok(address !== null && typeof address !== 'string');
  await new Promise((resolve) => probe.close(resolve));
  const failure = await jobFailure(run(`ftp://127.0.0.1:${address.port}/a.tgz`).result);
  assert.equal(failure.message, `Package download failed: connection refused by 127.0.0.1:${address.port}.`);
});

void test('a destination refused by checkAddress fails with its failure', async () => {
  const denied = failures.hostDenied('files.example.test', '169.254.169.254');
  const failure = await rejection(
    run('ftp://files.example.test/a.tgz', { checkAddress: () => Promise.reject(denied) }).result,
  );
  assert.equal(failure, denied);
});

void test('a sink that fails ends the download with the sink error', async (t) => {
  const o = await origin(t, { files: { '/a.tgz': 4 * MiB } });
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(_chunk: Buffer, _encoding, callback) {
      callback(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
    },
  });
  const downloader = new FtpDownloader({ checkAddress: () => Promise.resolve('127.0.0.1') });
  const err = await rejection(
    downloader.download(parseDownloadRequest(o.url('/a.tgz'), undefined, undefined), sink, {
      signal: new AbortController().signal,
      onProgress: () => undefined,
      maxBytes: 1024 * MiB,
    }),
  );
  assert.ok(err instanceof Error);
  assert.equal((err as Error & { code?: string }).code, 'ENOSPC');
  await eventually(() => o.openSockets() === 0, 'the origin to see every socket closed');
});

void test('a server that accepts but never greets fails with the connect timeout', async (t) => {
  const accepted = new Set<Socket>();
  const silent = createServer((socket) => {
    socket.on('error', () => undefined);
    accepted.add(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  const address = silent.address();
  assert.ok(address !== null && typeof address !== 'string');
  const failure = await jobFailure(
    run(`ftp://127.0.0.1:${address.port}/a.tgz`, { connectTimeoutMs: 150, idleTimeoutMs: 60_000 }).result,
  );
  assert.equal(
    failure.message,
    `Package download failed: timed out after 0.15 seconds waiting for 127.0.0.1:${address.port}.`,
  );
});
