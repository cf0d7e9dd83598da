import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { jobHrefOf, waitForJob } from '../helpers/wait-for-job.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/with-server.js';

type Body = Record<string, unknown>;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const pkg = (version: string | null, payload = 4096): Buffer =>
  buildPackageBuffer({ version, members: [{ name: 'image.bin', data: randomBytes(payload) }] });
const AUTH = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

interface Part {
  readonly name: string;
  readonly filename?: string;
  readonly data: Buffer | string;
}

function multipart(parts: readonly Part[], boundary = 'b0undary42'): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition =
      p.filename === undefined
        ? `form-data; name="${p.name}"`
        : `form-data; name="${p.name}"; filename="${p.filename}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(srv: TestServer, parts: readonly Part[], query = '') {
  const { body, contentType } = multipart(parts);
  return srv.api('POST', `/api/cluster/software/upload${query}`, {
    rawBody: body,
    headers: { 'content-type': contentType },
  });
}

async function staging(srv: TestServer): Promise<string[]> {
  return readdir(join(srv.dataDir, 'packages', '.staging')).catch(() => []);
}

test('upload one file part: 202 and a job that stores the package, or 201 with return_timeout', async (t) => {
  const srv = await startTestServer(t);
  const image = pkg('9.31.1', 300_000);
  const res = await upload(srv, [{ name: 'file', filename: 'c:\\images\\9311_q_image.tgz', data: image }]);
  assert.equal(res.status, 202, res.text);
  const href = jobHrefOf(res.json);
  assert.equal(res.headers.location, href);
  const job = await waitForJob(srv, href);
  assert.equal(job.state, 'success', JSON.stringify(job));
  const full = await srv.api('GET', href);
  assert.equal((full.json as Body).description, 'POST /api/cluster/software/upload');
  const rec = await srv.api(
    'GET',
    '/api/cluster/software/packages/9.31.1?fields=file_name,size,sha256,source_url',
  );
  assert.deepEqual(rec.json, {
    version: '9.31.1',
    file_name: '9311_q_image.tgz',
    size: image.length,
    sha256: sha(image),
    _links: { self: { href: '/api/cluster/software/packages/9.31.1' } },
  });
  assert.equal(sha(await readFile(join(srv.dataDir, 'packages', '9311_q_image.tgz'))), sha(image));

  const waited = await upload(
    srv,
    [{ name: 'file', filename: '9321_q_image.tgz', data: pkg(null) }],
    '?return_timeout=30',
  );
  assert.equal(waited.status, 201);
  assert.equal(waited.headers.location, jobHrefOf(waited.json));
  const status = await srv.api('GET', '/api/cluster/software/download');
  assert.equal((status.json as Body).state, 'not_started', 'uploads do not change the download status');
});

test('request-level refusals: not multipart, no file part, a field part, a file without a name, two files', async (t) => {
  const srv = await startTestServer(t);
  const notMultipart = await srv.api('POST', '/api/cluster/software/upload', { body: { file: 'x' } });
  assert.equal(notMultipart.status, 400);
  assert.deepEqual(notMultipart.json, {
    error: { message: 'The request must be multipart/form-data.', code: '10551808' },
  });
  const noBoundary = await srv.api('POST', '/api/cluster/software/upload', {
    rawBody: '{}',
    headers: { 'content-type': 'multipart/form-data' },
  });
  assert.equal(noBoundary.status, 400, 'found by the 10,000-case fuzz run: this was a 500');
  assert.equal((noBoundary.json as { error: { code: string } }).error.code, '10551808');
  const none = await upload(srv, []);
  assert.deepEqual(none.json, {
    error: { message: 'Missing required value for "file".', code: '262212', target: 'file' },
  });
  const field = await upload(srv, [
    { name: 'comment', data: 'hello' },
    { name: 'file', filename: 'a.tgz', data: pkg('1.0') },
  ]);
  assert.equal(field.status, 400);
  assert.deepEqual(field.json, { error: { message: 'Unexpected argument "comment".', code: '262179' } });
  const nameless = await upload(srv, [{ name: 'file', data: 'abc' }]);
  assert.equal(nameless.status, 400);
  assert.equal((nameless.json as { error: { code: string; target: string } }).error.target, 'file');
  const long = await upload(srv, [{ name: 'file', filename: `${'x'.repeat(256)}.tgz`, data: pkg('1.0') }]);
  assert.deepEqual(long.json, {
    error: { message: 'The file name is too long.', code: '10551799', target: 'file' },
  });

  const two = await upload(srv, [
    { name: 'file', filename: '9331_q_image.tgz', data: pkg(null) },
    { name: 'file', filename: '9332_q_image.tgz', data: pkg(null) },
  ]);
  assert.equal(two.status, 400);
  assert.deepEqual((two.json as Body).error, {
    message: 'More than one file was provided; send exactly one part named "file".',
    code: '10551807',
  });
  assert.match(
    String(two.headers.location),
    /^\/api\/cluster\/jobs\//,
    'the job had started: its link is given',
  );
  const list = await srv.api('GET', '/api/cluster/software/packages?return_records=false');
  assert.equal((list.json as Body).num_records, 0);
  assert.deepEqual(await staging(srv), []);
  const alive = await srv.api('GET', '/api/cluster');
  assert.equal(alive.status, 200);
});

test('upload rules shared with download: same file name, same version, not a package, size limit', async (t) => {
  const srv = await startTestServer(t, { config: { maxPackageBytes: 100_000 } });
  const first = await upload(
    srv,
    [{ name: 'file', filename: 'a.tgz', data: pkg('9.34.1') }],
    '?return_timeout=30',
  );
  assert.equal(first.status, 201);
  const sameName = await upload(
    srv,
    [{ name: 'file', filename: 'a.tgz', data: pkg('9.34.2') }],
    '?return_timeout=30',
  );
  assert.equal(sameName.status, 409);
  assert.equal((sameName.json as { error: { code: string } }).error.code, '10551327');
  const bigSameName = await upload(srv, [{ name: 'file', filename: 'a.tgz', data: randomBytes(3_000_000) }]);
  assert.equal(bigSameName.status, 409, 'refused before the body is read');
  assert.equal((await srv.api('GET', '/api/cluster')).status, 200, 'the server survives a refusal mid-body');
  const sameVersion = await upload(
    srv,
    [{ name: 'file', filename: 'b.tgz', data: pkg('9.34.1') }],
    '?return_timeout=30',
  );
  assert.deepEqual(sameVersion.json, {
    error: { message: 'Package version "9.34.1" already exists in the repository.', code: '10551327' },
  });
  const junk = await upload(
    srv,
    [{ name: 'file', filename: 'junk.tgz', data: 'not a package at all' }],
    '?return_timeout=30',
  );
  assert.equal((junk.json as { error: { code: string } }).error.code, '10551359');
  const big = await upload(
    srv,
    [{ name: 'file', filename: 'big.tgz', data: Buffer.alloc(300_000, 1) }],
    '?return_timeout=30',
  );
  assert.equal(big.status, 400);
  assert.deepEqual((big.json as Body).error, {
    message: 'Package upload failed: the package is larger than the limit of 100000 bytes.',
    code: '10551359',
  });
  assert.deepEqual(await staging(srv), []);
  const names = (await readdir(join(srv.dataDir, 'packages'))).filter((n) => !n.startsWith('.'));
  assert.deepEqual(names, ['a.tgz']);
});

test('a client that disconnects mid-upload leaves nothing behind and its job fails', async (t) => {
  const srv = await startTestServer(t);
  const image = pkg('9.35.1', 2_000_000);
  const { body, contentType } = multipart([{ name: 'file', filename: '9351_q_image.tgz', data: image }]);
  const url = new URL(`${srv.url}/api/cluster/software/upload`);
  const req = httpRequest({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: { 'content-type': contentType, 'content-length': String(body.length), authorization: AUTH },
  });
  req.on('error', () => undefined);
  req.write(body.subarray(0, 600_000));
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const running = (await srv.api('GET', '/api/cluster/jobs?state=running&return_records=false'))
      .json as Body;
    if (running.num_records === 1) break;
  }
  req.destroy();
  const deadline = Date.now() + 20_000;
  let jobs: Body[] = [];
  while (Date.now() < deadline) {
    jobs = (
      (await srv.api('GET', '/api/cluster/jobs?fields=state,message,code,description')).json as {
        records: Body[];
      }
    ).records;
    if (jobs.length > 0 && jobs.every((j) => j.state === 'failure')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(jobs.length, 1);
  const job = jobs[0];
  assert.ok(job);
  assert.equal(job.state, 'failure');
  assert.equal(job.description, 'POST /api/cluster/software/upload');
  assert.match(String(job.message), /^Package upload failed: the client disconnected after \d+ bytes\.$/);
  assert.deepEqual(await staging(srv), []);
  const list = await srv.api('GET', '/api/cluster/software/packages?return_records=false');
  assert.equal((list.json as Body).num_records, 0);
  const next = await upload(
    srv,
    [{ name: 'file', filename: '9351_q_image.tgz', data: image }],
    '?return_timeout=30',
  );
  assert.equal(next.status, 201, 'the transfer slot was released');
});

test('cancelling an upload job stops the transfer and answers with the failure', async (t) => {
  const srv = await startTestServer(t);
  const image = pkg('9.36.1', 1_000_000);
  const { body, contentType } = multipart([{ name: 'file', filename: '9361_q_image.tgz', data: image }]);
  const url = new URL(`${srv.url}/api/cluster/software/upload`);
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': String(body.length), authorization: AUTH },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, 200_000));
  });
  let uuid: string | undefined;
  const deadline = Date.now() + 20_000;
  while (uuid === undefined && Date.now() < deadline) {
    const list = (await srv.api('GET', '/api/cluster/jobs?state=running')).json as { records: Body[] };
    uuid = list.records[0]?.uuid as string | undefined;
  }
  assert.ok(uuid);
  const cancel = await srv.api('PATCH', `/api/cluster/jobs/${uuid}?action=cancel`);
  assert.equal(cancel.status, 200);
  const res = await answered;
  assert.equal(res.status, 400);
  assert.deepEqual(JSON.parse(res.text), {
    error: { message: 'Package upload cancelled by user request.', code: '10551359' },
  });
  const job = await waitForJob(srv, `/api/cluster/jobs/${uuid}`);
  assert.equal(job.code, 10551359);
  assert.deepEqual(await staging(srv), []);
});

test('an upload body that takes longer than the transfer limit is answered 10551373 and the connection closed', async (t) => {
  const srv = await startTestServer(t, { config: { transferTimeLimitSeconds: 1 } });
  const { body, contentType } = multipart([
    { name: 'file', filename: '9371_q_image.tgz', data: pkg('9.37.1', 500_000) },
  ]);
  const url = new URL(`${srv.url}/api/cluster/software/upload`);
  const answer = await new Promise<{ status: number; text: string; connection: string | undefined }>(
    (resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': contentType,
            'content-length': String(body.length),
            authorization: AUTH,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString(),
              connection: res.headers.connection,
            });
          });
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 100_000));
    },
  );
  assert.equal(answer.status, 400);
  assert.deepEqual(JSON.parse(answer.text), {
    error: { message: 'The package upload exceeded the time limit of 1 seconds.', code: '10551373' },
  });
  assert.equal(answer.connection, 'close');
  assert.deepEqual(await staging(srv), []);
});
