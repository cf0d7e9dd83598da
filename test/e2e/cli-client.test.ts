/**
 * The command-line client end to end: `node bin/clusterimage.js` processes talking to a real `serve` process
 * (HTTPS with its self-signed certificate) and to a loopback package origin in this test process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startHttpOrigin, type HttpOrigin, type OriginOptions } from '../helpers/http-origin.js';
import { buildPackageBuffer, tempDir } from '../helpers/package-fixtures.js';
import { pollUntil } from '../helpers/poll.js';
import {
  ensureBuilt,
  serveCli,
  REPO_ROOT as ROOT,
  startCli,
  type CliOptions,
  type CliResult,
  type RunningCli,
} from '../helpers/server-process.js';

const BIN = join(ROOT, 'bin', 'clusterimage.js');
const ADMIN_PASSWORD = 'Cl1-Adm1n-Secret';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

type Json = Record<string, unknown>;

await ensureBuilt();

interface Server {
  readonly url: string;
  readonly dataDir: string;
  /** The server's self-signed certificate, for --ca-file. */
  readonly certFile: string;
}

/** `clusterimage serve --port 0` over HTTPS in a temp data folder; stopped with SIGTERM after the test. */
async function startServer(t: TestContext): Promise<Server> {
  const dir = await tempDir(t, 'clusterimage-cli-');
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify({ minFreeBytes: 0 }));
  const { url } = await serveCli(
    t,
    ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--config', configFile],
    { CLUSTERIMAGE_ADMIN_PASSWORD: ADMIN_PASSWORD, CLUSTERIMAGE_LOG_LEVEL: 'warn' },
  );
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  return { url, dataDir, certFile: join(dataDir, 'tls', 'server-cert.pem') };
}

function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A client bound to `srv`: URL and password from the environment, trust through --ca-file. */
function clientOf(srv: Server): { run: (args: readonly string[], options?: CliOptions) => Promise<CliResult>; start: (args: readonly string[], options?: CliOptions) => RunningCli } {
  const env = { CLUSTERIMAGE_URL: srv.url, CLUSTERIMAGE_PASSWORD: ADMIN_PASSWORD };
  const full = (args: readonly string[]): string[] => [...args, '--ca-file', srv.certFile];
  return {
    run: (args, options = {}) => cli(full(args), { ...options, env: { ...env, ...options.env } }),
    start: (args, options = {}) => startCli(full(args), { ...options, env: { ...env, ...options.env } }),
  };
}

function json(result: CliResult): Json {
  const parsed: unknown = JSON.parse(result.stdout);
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), result.stdout);
  return parsed as Json;
}

function show(result: CliResult): string {
  return `exit ${String(result.code)}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

async function origin(t: TestContext, options: OriginOptions): Promise<HttpOrigin> {
  const o = await startHttpOrigin(options);
  t.after(() => o.close());
  return o;
}

const pkg = (version: string, payload: number): Buffer =>
  buildPackageBuffer({ version, members: [{ name: 'image.bin', data: randomBytes(payload) }] });
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => { done(); }));
  return port;
}

test('help: the main help lists the client commands; every command has --help with an example; usage errors exit 2', async () => {
  const main = await cli(['--help']);
  assert.equal(main.code, 0);
  for (const c of ['package get', 'package upload', 'package show', 'package delete', 'package download-status', 'job show', 'job watch', 'job cancel', 'cluster show', 'serve']) {
    assert.ok(main.stdout.includes(c), `main help lacks ${c}`);
  }
  for (const args of [
    ['package', 'get', '--help'],
    ['package', 'upload', '--help'],
    ['package', 'show', '--help'],
    ['package', 'delete', '--help'],
    ['package', 'download-status', '--help'],
    ['package', '--help'],
    ['job', 'show', '--help'],
    ['job', 'watch', '--help'],
    ['job', 'cancel', '--help'],
    ['job', '--help'],
    ['cluster', 'show', '--help'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^Usage: clusterimage /, args.join(' '));
    assert.match(r.stdout, /Example:\n {2}\S/, args.join(' '));
  }

  const env = { CLUSTERIMAGE_PASSWORD: 'x', CLUSTERIMAGE_URL: 'https://127.0.0.1:1' };
  const usage: [string[], RegExp][] = [
    [['package', 'get'], /exactly one URL is required\nRun "clusterimage package get --help"/],
    [['package', 'get', 'http://h/p.tgz', '--password', 'secret'], /never taken as an argument: use --password-stdin/],
    [['package', 'frob'], /unknown package command "frob"/],
    [['package', 'show', '--bogus'], /Unknown option '--bogus'[\s\S]*Run "clusterimage package show --help"/],
    [['package', 'delete'], /exactly one version is required/],
    [['package', 'upload', join(tmpdir(), 'no-such-clusterimage-file.tgz')], /cannot read/],
    [['job', 'watch'], /exactly one job uuid is required/],
    [['job', 'cancel', 'a', 'b'], /exactly one job uuid is required/],
    [['cluster', 'list'], /unknown cluster command "list"/],
    [['cluster', 'show', '--insecure', '--ca-file', 'x.pem'], /either --insecure or --ca-file/],
    [['cluster', 'show', '--url', 'ftp://h:1'], /--url must start with https:\/\/ or http:\/\//],
    [['cluster', 'show', '--ca-file', join(tmpdir(), 'no-such-ca.pem')], /cannot read --ca-file/],
  ];
  for (const [args, message] of usage) {
    const r = await cli(args, { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${show(r)}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
  const none = await cli(['job']);
  assert.equal(none.code, 2);

  const noPassword = await cli(['cluster', 'show', '--url', 'https://127.0.0.1:1']);
  assert.equal(noPassword.code, 2, show(noPassword));
  assert.match(noPassword.stderr, /set CLUSTERIMAGE_PASSWORD/);
  const stdinTaken = await cli(['package', 'get', 'http://h/p.tgz', '--password-stdin'], { stdin: 'pw\n', env: { CLUSTERIMAGE_URL: 'https://127.0.0.1:1' } });
  assert.equal(stdinTaken.code, 2, show(stdinTaken));
  assert.match(stdinTaken.stderr, /set CLUSTERIMAGE_PASSWORD \(standard input carries the --password-stdin secret\)/);
});

test('connection refused: exit 1 with a sentence naming the URL to check, in text and in --json', async () => {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const r = await cli(['cluster', 'show', '--url', url], { env: { CLUSTERIMAGE_PASSWORD: 'x' } });
  assert.equal(r.code, 1, show(r));
  assert.equal(r.stderr, `Error: Connection refused by 127.0.0.1:${port}: is the clusterimage server running at ${url}? Check --url or CLUSTERIMAGE_URL.\n`);
  const j = await cli(['package', 'show', '--json'], { env: { CLUSTERIMAGE_PASSWORD: 'x', CLUSTERIMAGE_URL: url } });
  assert.equal(j.code, 1);
  assert.deepEqual(json(j), { error: { message: r.stderr.slice('Error: '.length, -1), code: 'ECONNREFUSED' } });
});

test('TLS, credentials and roles: untrusted without --ca-file, --ca-file and --insecure work, 401 and 403 explained; cluster show', async (t) => {
  const srv = await startServer(t);
  const env = { CLUSTERIMAGE_URL: srv.url, CLUSTERIMAGE_PASSWORD: ADMIN_PASSWORD };

  const untrusted = await cli(['cluster', 'show'], { env });
  assert.equal(untrusted.code, 1, show(untrusted));
  assert.match(untrusted.stderr, /^Error: The server's TLS certificate is not trusted \(self-signed certificate\)\. Pass the CA or the server certificate with --ca-file FILE, or use --insecure/);

  const trusted = await cli(['cluster', 'show', '--ca-file', srv.certFile], { env });
  assert.equal(trusted.code, 0, show(trusted));
  assert.match(trusted.stdout, /^Cluster Name: +cluster1\n/);
  assert.match(trusted.stdout, /^Version: +9\.16\.1$/m);
  assert.match(trusted.stdout, /^Release: +NetApp Release 9\.16\.1: /m);
  assert.match(trusted.stdout, /^Node +Model +Version\n-+ +-+ +-+\ncluster1-01 +SIMBOX +9\.16\.1\ncluster1-02 +SIMBOX +9\.16\.1\n$/m);

  const insecure = await cli(['cluster', 'show', '--insecure', '--json'], { env });
  assert.equal(insecure.code, 0, show(insecure));
  const c = json(insecure);
  assert.equal(c.name, 'cluster1');
  assert.match(String(c.uuid), UUID);
  assert.deepEqual({ ...(c.version as Json), full: undefined }, { full: undefined, generation: 9, major: 16, minor: 1 });
  assert.deepEqual(c.software, { version: '9.16.1', state: 'completed' });
  assert.deepEqual(c.nodes, [
    { name: 'cluster1-01', model: 'SIMBOX', version: '9.16.1' },
    { name: 'cluster1-02', model: 'SIMBOX', version: '9.16.1' },
  ]);

  const viaFlags = await cli(['cluster', 'show', '--url', srv.url, '--user', 'admin', '--ca-file', srv.certFile], { env: { CLUSTERIMAGE_PASSWORD: ADMIN_PASSWORD } });
  assert.equal(viaFlags.code, 0, show(viaFlags));

  const wrong = await cli(['cluster', 'show', '--ca-file', srv.certFile], { env: { ...env, CLUSTERIMAGE_PASSWORD: 'wrong' } });
  assert.equal(wrong.code, 1, show(wrong));
  assert.equal(
    wrong.stderr,
    'Error: User is not authorized. (code 6)\nCheck the user name and password: user "admin" (--user or CLUSTERIMAGE_USER) and CLUSTERIMAGE_PASSWORD.\n',
  );
  const wrongJson = await cli(['cluster', 'show', '--json', '--ca-file', srv.certFile], { env: { ...env, CLUSTERIMAGE_PASSWORD: 'wrong' } });
  assert.deepEqual(json(wrongJson), { error: { message: 'User is not authorized.', code: '6', status: 401 } });

  const added = await cli(['user', 'add', 'ops', '--role', 'readonly', '--password-stdin', '--data-dir', srv.dataDir], { stdin: 'Ops-Pa55\n' });
  assert.equal(added.code, 0, show(added));
  const ops = { ...env, CLUSTERIMAGE_USER: 'ops', CLUSTERIMAGE_PASSWORD: 'Ops-Pa55' };
  const readOk = await cli(['package', 'show', '--ca-file', srv.certFile], { env: ops });
  assert.equal(readOk.code, 0, show(readOk));
  assert.equal(readOk.stdout, 'There are no packages in the repository.\n');
  const denied = await cli(['package', 'delete', '9.16.1', '--ca-file', srv.certFile], { env: ops });
  assert.equal(denied.code, 1, show(denied));
  assert.equal(
    denied.stderr,
    'Error: not authorized for that command (code 6)\nThe user "ops" may only read: this command needs a user with the admin role.\n',
  );
});

test('package get, show, download-status, delete and job show against a loopback origin', async (t) => {
  const srv = await startServer(t);
  const { run } = clientOf(srv);
  const first = pkg('9.17.1', 300_000);
  const second = pkg('9.18.1', 200_000);
  const third = pkg('9.19.1', 100_000);
  const o = await origin(t, {
    files: { '/images/9171_q_image.tgz': first, '/open/9181_q_image.tgz': second, '/open/9191_q_image.tgz': third },
    auth: { username: 'pkguser', password: 'pkgpass' },
  });
  const open = await origin(t, { files: { '/open/9181_q_image.tgz': second, '/open/9191_q_image.tgz': third } });

  const before = await run(['package', 'download-status', '--json']);
  assert.equal(before.code, 0, show(before));
  assert.deepEqual(json(before), { state: 'not_started', message: 'No package download has been started.', code: 10551384 });

  // Origin credentials: the password comes from standard input and travels in the request body only.
  const url = `${o.url}/images/9171_q_image.tgz`;
  const got = await run(['package', 'get', url, '--username', 'pkguser', '--password-stdin'], { stdin: 'pkgpass\n' });
  assert.equal(got.code, 0, show(got));
  assert.match(got.stderr, new RegExp(`^Downloading ${url} \\(job ${UUID.source}\\)\\n`));
  assert.equal(got.stdout, `Package 9.17.1 is in the repository (9171_q_image.tgz, ${(first.length / 1024).toFixed(1)} KiB).\n`);
  assert.ok(o.requests.some((r) => r.hadAuth && r.path === '/images/9171_q_image.tgz'));
  assert.ok(!got.stdout.includes('pkgpass') && !got.stderr.includes('pkgpass'));

  // The same file name again: the server's 409, its message and code; exit 1.
  const dup = await run(['package', 'get', url, '--username', 'pkguser', '--password-stdin'], { stdin: 'pkgpass\n' });
  assert.equal(dup.code, 1, show(dup));
  assert.equal(dup.stderr, 'Error: Package image with the same name already exists: "9171_q_image.tgz". (code 10551327)\n');
  const dupJson = await run(['package', 'get', url, '--json']);
  assert.equal(dupJson.code, 1);
  assert.deepEqual(json(dupJson), {
    error: { message: 'Package image with the same name already exists: "9171_q_image.tgz".', code: '10551327', status: 409 },
  });

  // --json: the final job and the stored package.
  const gotJson = await run(['package', 'get', `${open.url}/open/9181_q_image.tgz`, '--json']);
  assert.equal(gotJson.code, 0, show(gotJson));
  assert.equal(gotJson.stderr, '');
  const gj = json(gotJson);
  const job = gj.job as Json;
  assert.equal(job.state, 'success');
  assert.equal(job.description, 'POST /api/cluster/software/download');
  const stored = gj.package as Json;
  assert.equal(stored.version, '9.18.1');
  assert.equal(stored.size, second.length);
  assert.equal(stored.sha256, sha(second));
  assert.equal(stored.file_name, '9181_q_image.tgz');

  // A failed job: its message and code, exit 1; download-status shows it.
  const missing = await run(['package', 'get', `${open.url}/open/9999_q_image.tgz`]);
  assert.equal(missing.code, 1, show(missing));
  assert.match(
    missing.stderr,
    new RegExp(`Error: Package download failed: the server returned HTTP 404 Not Found for ${open.url}/open/9999_q_image\\.tgz\\. \\(code 10551381\\)\\n$`),
  );
  const missingJson = await run(['package', 'get', `${open.url}/open/9998_q_image.tgz`, '--json']);
  assert.equal(missingJson.code, 1);
  const mj = json(missingJson);
  assert.equal((mj.job as Json).state, 'failure');
  assert.deepEqual(mj.error, { message: (mj.job as Json).message, code: '10551381' });
  const status = await run(['package', 'download-status']);
  assert.equal(status.code, 0, show(status));
  assert.match(status.stdout, /^State: +failure\nMessage: +Package download failed: the server returned HTTP 404 Not Found for .*\nCode: +10551381\n$/);

  // --no-wait: the job at once; job watch follows it to the end.
  const noWait = await run(['package', 'get', `${open.url}/open/9191_q_image.tgz`, '--no-wait', '--json']);
  assert.equal(noWait.code, 0, show(noWait));
  const ref = json(noWait).job as Json;
  assert.match(String(ref.uuid), UUID);
  assert.equal(ref.href, `/api/cluster/jobs/${String(ref.uuid)}`);
  const watched = await run(['job', 'watch', String(ref.uuid)]);
  assert.equal(watched.code, 0, show(watched));
  assert.equal(watched.stdout, `Job ${String(ref.uuid)} succeeded: success\n`);
  assert.match(watched.stderr, /^Job [0-9a-f-]{36}: POST \/api\/cluster\/software\/download\n/);
  const watchedJson = await run(['job', 'watch', String(ref.uuid), '--json']);
  assert.equal(watchedJson.code, 0);
  assert.equal((json(watchedJson).job as Json).state, 'success');

  const statusJson = await run(['package', 'download-status', '--json']);
  assert.deepEqual(json(statusJson), { state: 'success', message: 'success', code: 0 });

  // show: the repository as a table, as JSON, with chosen fields, and one version.
  const table = await run(['package', 'show']);
  assert.equal(table.code, 0, show(table));
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^Package Version +Create Time +Size +File Name$/);
  assert.match(lines[1] ?? '', /^-+ +-+ +-+ +-+$/);
  assert.deepEqual(lines.slice(2).map((l) => l.split(/ +/)[0]), ['9.17.1', '9.18.1', '9.19.1']);
  assert.match(lines[2] ?? '', /^9\.17\.1 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 +\d+\.\d KiB +9171_q_image\.tgz$/);
  const listed = json(await run(['package', 'show', '--json']));
  assert.equal(listed.num_records, 3);
  const records = listed.records as Json[];
  assert.deepEqual(records.map((r) => r.version), ['9.17.1', '9.18.1', '9.19.1']);
  const firstRecord: Json = records[0] ?? {};
  assert.equal(firstRecord.size, first.length);
  assert.equal(firstRecord.file_name, '9171_q_image.tgz');
  const shaTable = await run(['package', 'show', '--fields', 'version,sha256']);
  assert.match(shaTable.stdout, /^Package Version +SHA-256\n/);
  assert.ok(shaTable.stdout.includes(sha(first)));
  const one = await run(['package', 'show', '9.18.1', '--fields', 'version,sha256,source_url', '--json']);
  assert.equal(one.code, 0, show(one));
  const oneJson = json(one);
  assert.equal(oneJson.sha256, sha(second));
  assert.equal(oneJson.source_url, `${open.url}/open/9181_q_image.tgz`);
  const oneText = await run(['package', 'show', '9.18.1']);
  assert.match(oneText.stdout, /^Package Version: 9\.18\.1\nCreate Time: +\S+\nSize: +\S+ KiB\nFile Name: +9181_q_image\.tgz\n$/);
  const badFields = await run(['package', 'show', '--fields', 'version,colour']);
  assert.equal(badFields.code, 1, show(badFields));
  assert.equal(badFields.stderr, 'Error: The value "colour" is invalid for field "fields" (code 262197)\n');

  // job show: the list and one job.
  const jobs = await run(['job', 'show']);
  assert.equal(jobs.code, 0, show(jobs));
  assert.match(jobs.stdout, /^UUID +Description +State +Code +Start Time +Message\n/);
  assert.match(jobs.stdout, /POST \/api\/cluster\/software\/download +failure +10551381 /);
  const jobsJson = json(await run(['job', 'show', '--json']));
  const jobRecords = jobsJson.records as Json[];
  assert.equal(jobsJson.num_records, jobRecords.length);
  assert.equal(jobRecords.length, 5);
  assert.ok(jobRecords.every((r) => typeof r.uuid === 'string' && typeof r.state === 'string'));
  const oneJob = await run(['job', 'show', String(ref.uuid)]);
  assert.equal(oneJob.code, 0, show(oneJob));
  assert.match(oneJob.stdout, new RegExp(`^UUID: +${String(ref.uuid)}\nDescription: +POST /api/cluster/software/download\nState: +success\nCode: +0\n`));
  const oneJobJson = json(await run(['job', 'show', String(ref.uuid), '--json']));
  assert.equal(oneJobJson.uuid, ref.uuid);
  assert.deepEqual(oneJobJson.node, { name: 'cluster1-01' });
  const unknownJob = await run(['job', 'show', '00000000-0000-4000-8000-000000000000']);
  assert.equal(unknownJob.code, 1);
  assert.equal(unknownJob.stderr, "Error: entry doesn't exist (code 4)\n");

  // delete: waits for the job; --json gives it; --no-wait returns the job; a missing version is the server's 404.
  const deleted = await run(['package', 'delete', '9.18.1']);
  assert.equal(deleted.code, 0, show(deleted));
  assert.equal(deleted.stdout, 'Package 9.18.1 deleted.\n');
  assert.match(deleted.stderr, /^Deleting package 9\.18\.1 \(job [0-9a-f-]{36}\)\n$/);
  const deletedJson = await run(['package', 'delete', '9.17.1', '--json']);
  assert.equal(deletedJson.code, 0, show(deletedJson));
  const dj = json(deletedJson).job as Json;
  assert.equal(dj.state, 'success');
  assert.equal(dj.description, 'DELETE /api/cluster/software/packages/9.17.1');
  const deleteNoWait = await run(['package', 'delete', '9.19.1', '--no-wait']);
  assert.equal(deleteNoWait.code, 0, show(deleteNoWait));
  const uuid = UUID.exec(deleteNoWait.stdout)?.[0] ?? '';
  assert.match(deleteNoWait.stdout, /^Package delete: job \S+ started \(\/api\/cluster\/jobs\/\S+\)\.\nFollow it with: clusterimage job watch \S+\n$/);
  assert.equal((await run(['job', 'watch', uuid])).code, 0);
  const gone = await run(['package', 'delete', '9.18.1']);
  assert.equal(gone.code, 1, show(gone));
  assert.equal(gone.stderr, 'Error: The repository does not contain any packages. (code 10551315)\n');
  const empty = await run(['package', 'show', '--json']);
  assert.deepEqual(json(empty), { records: [], num_records: 0 });
});

test('package upload: streamed with plain progress lines off a terminal, --json, --no-wait, duplicate name', async (t) => {
  const srv = await startServer(t);
  const { run } = clientOf(srv);
  const dir = await tempDir(t, 'clusterimage-cli-');
  const file = join(dir, 'custom_image.tgz');
  const made = await cli(['package', 'create', '--version', '9.20.1', '--size', String(3 * 1024 * 1024), file]);
  assert.equal(made.code, 0, show(made));
  const bytes = await readFile(file);

  const up = await run(['package', 'upload', file]);
  assert.equal(up.code, 0, show(up));
  assert.equal(up.stdout, 'Package 9.20.1 is in the repository (custom_image.tgz, 3.0 MiB).\n');
  const lines = up.stderr.trimEnd().split('\n');
  assert.equal(lines[0], `Uploading ${file} (3.0 MiB)`);
  const progress = lines.slice(1);
  assert.ok(progress.length >= 4, up.stderr);
  const percents = progress.map((l) => {
    const m = /^Package upload: (\d+)% \(\S+ \S+ of 3\.0 MiB(?:, [^)]*)?\)$/.exec(l);
    assert.ok(m !== null, `not a progress line: ${l}`);
    return Number(m[1]);
  });
  assert.deepEqual([...percents].sort((a, b) => a - b), percents, 'percent only grows');
  assert.equal(percents.at(-1), 100);
  assert.ok(progress.at(-1)?.startsWith('Package upload: 100% (3.0 MiB of 3.0 MiB'));

  const stored = json(await run(['package', 'show', '9.20.1', '--fields', 'sha256,size', '--json']));
  assert.equal(stored.sha256, sha(bytes));
  assert.equal(stored.size, bytes.length);

  const dup = await run(['package', 'upload', file]);
  assert.equal(dup.code, 1, show(dup));
  assert.match(dup.stderr, /Error: Package image with the same name already exists: "custom_image\.tgz"\. \(code 10551327\)\n$/);

  const second = join(dir, 'second.tgz');
  await writeFile(second, pkg('9.21.1', 50_000));
  const upJson = await run(['package', 'upload', second, '--json']);
  assert.equal(upJson.code, 0, show(upJson));
  assert.equal(upJson.stderr, '');
  const uj = json(upJson);
  assert.equal((uj.job as Json).state, 'success');
  assert.equal((uj.job as Json).description, 'POST /api/cluster/software/upload');
  assert.equal((uj.package as Json).version, '9.21.1');
  assert.equal((uj.package as Json).file_name, 'second.tgz');

  const third = join(dir, 'third.tgz');
  await writeFile(third, pkg('9.22.1', 50_000));
  const noWait = await run(['package', 'upload', third, '--no-wait', '--json']);
  assert.equal(noWait.code, 0, show(noWait));
  const ref = json(noWait).job as Json;
  assert.match(String(ref.uuid), UUID);
  assert.equal((await run(['job', 'watch', String(ref.uuid)])).code, 0);

  const notPackage = join(dir, 'notes.tgz');
  await writeFile(notPackage, 'not a package\n');
  const bad = await run(['package', 'upload', notPackage]);
  assert.equal(bad.code, 1, show(bad));
  assert.match(bad.stderr, /Error: The file "notes\.tgz" is not a valid software package: it is not a readable gzip-compressed tar archive\. \(code 10551359\)\n$/);
});

test('a running download: progress lines while waiting, job watch follows it, job cancel ends both with the job failure', async (t) => {
  const srv = await startServer(t);
  const { run, start } = clientOf(srv);
  const image = pkg('9.23.1', 4 * 1024 * 1024);
  const o = await origin(t, {
    files: { '/slow/9231_q_image.tgz': image },
    modes: { '/slow/9231_q_image.tgz': { kind: 'trickleThenStop', bytes: 200_000, intervalMs: 5 } },
  });

  const getting = start(['package', 'get', `${o.url}/slow/9231_q_image.tgz`]);
  const uuid = await pollUntil('the job uuid', () => new RegExp(`\\(job (${UUID.source})\\)`).exec(getting.stderr())?.[1]);
  // Plain progress from the job message (D9) once the server has reported bytes.
  await pollUntil('a download progress line', () => /^Package download: \d+% \([^)]* of 4\.0 MiB/m.test(getting.stderr()));

  const watching = start(['job', 'watch', uuid]);
  await pollUntil('job watch progress', () => /^Package download: \d+% \([^)]* of 4\.0 MiB/m.test(watching.stderr()));

  const cancelled = await run(['job', 'cancel', uuid]);
  assert.equal(cancelled.code, 0, show(cancelled));
  assert.equal(cancelled.stdout, `Job ${uuid} cancelled: failure, Package download cancelled by user request.\n`);

  const got = await getting.done;
  assert.equal(got.code, 1, show(got));
  assert.match(got.stderr, /\nError: Package download cancelled by user request\. \(code 10551381\)\n$/);
  const watched = await watching.done;
  assert.equal(watched.code, 1, show(watched));
  assert.match(watched.stderr, /\nError: Package download cancelled by user request\. \(code 10551381\)\n$/);

  const again = await run(['job', 'cancel', uuid, '--json']);
  assert.equal(again.code, 1, show(again));
  assert.deepEqual(json(again), { error: { message: 'The job is already in a terminal state.', code: '458762', status: 400 } });
  const watchJson = await run(['job', 'watch', uuid, '--json']);
  assert.equal(watchJson.code, 1);
  const wj = json(watchJson);
  assert.equal((wj.job as Json).state, 'failure');
  assert.deepEqual(wj.error, { message: 'Package download cancelled by user request.', code: '10551381' });
});

/** `script` (util-linux) runs a command on a pseudo-terminal: stdin, stdout and stderr are then TTYs. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));

test('on a terminal: the password is prompted for without echo, and uploads draw a live progress bar', { skip: SCRIPT === undefined ? 'no script(1) for a pseudo-terminal' : false }, async (t) => {
  const srv = await startServer(t);
  const dir = await tempDir(t, 'clusterimage-cli-');
  const file = join(dir, 'tty_image.tgz');
  assert.equal((await cli(['package', 'create', '--version', '9.24.1', '--size', String(2 * 1024 * 1024), file])).code, 0);
  const onTerminal = (args: readonly string[], env: Record<string, string>): RunningCli => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn(SCRIPT ?? 'script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TERM: 'dumb', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (s: string) => out.push(s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => out.push(s));
    const done = new Promise<CliResult>((finish) => {
      child.once('close', (code) => {
        finish({ code, stdout: out.join(''), stderr: '' });
      });
    });
    return { child, stdout: () => out.join(''), stderr: () => '', done };
  };

  const prompted = onTerminal(['cluster', 'show', '--url', srv.url, '--ca-file', srv.certFile], {});
  await pollUntil('the password prompt', () => prompted.stdout().includes(`Password for admin at ${srv.url}: `));
  prompted.child.stdin?.write(`${ADMIN_PASSWORD}\r`);
  const shown = await prompted.done;
  assert.equal(shown.code, 0, show(shown));
  assert.match(shown.stdout, /Cluster Name: +cluster1/);
  assert.ok(!shown.stdout.includes(ADMIN_PASSWORD), 'the password is not echoed');
  prompted.child.stdin?.end();

  const uploading = onTerminal(['package', 'upload', file, '--url', srv.url, '--ca-file', srv.certFile], { CLUSTERIMAGE_PASSWORD: ADMIN_PASSWORD });
  uploading.child.stdin?.end();
  const up = await uploading.done;
  assert.equal(up.code, 0, show(up));
  assert.ok(up.stdout.includes('\r\x1b[2KPackage upload ['), JSON.stringify(up.stdout));
  assert.match(up.stdout, /\[#+\] 100% 2\.0 MiB of 2\.0 MiB/);
  assert.match(up.stdout, /Package 9\.24\.1 is in the repository \(tty_image\.tgz, 2\.0 MiB\)\./);
});
