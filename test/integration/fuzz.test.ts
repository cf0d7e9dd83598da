/**
 * Hostile input (issue 6, item 5): property-based requests with fast-check against a real server on a
 * loopback port. Methods, paths (known and unknown, dot segments, percent escapes, raw bytes), query strings
 * (known parameters with random values, unknown names, duplicates), headers (Accept, Content-Type,
 * Authorization variants, malformed framing) and bodies (malformed JSON, huge, deeply nested, wrong types,
 * unicode, control characters, duplicate keys, multipart garbage) go out byte for byte over TCP.
 *
 * Every answer must be below 500, every non-2xx answer must be the ONTAP envelope
 * `{"error":{"message":string,"code":numeric string[,"target":string]}}` as application/hal+json, and the
 * server must answer `GET /api/cluster` after each request. Download URLs in generated bodies only ever
 * name 127.0.0.1 on a closed port, or are invalid.
 *
 * Runs: FUZZ_RUNS (default 300; the bench runs 10000). FUZZ_SEED replays a reported failure.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildRequest, rawExchange, type RawOutcome, type RawResponse } from '../helpers/raw-http.js';
import { ADMIN_PASSWORD, startTestServer } from '../helpers/with-server.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const BODY_LIMIT = 1024 * 1024;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

// ---- paths

const UUID = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const KNOWN_PATHS = [
  '/api/cluster',
  '/api/cluster/software',
  '/api/cluster/software/download',
  '/api/cluster/software/upload',
  '/api/cluster/software/packages',
  '/api/cluster/software/packages/9.16.1',
  '/api/cluster/software/history',
  '/api/cluster/jobs',
  `/api/cluster/jobs/${UUID}`,
  '/api',
  '/api/',
  '/api//cluster/jobs',
  '/',
  '/docs/api/openapi.json',
];

const segment = fc.oneof(
  fc.constantFrom(
    '.',
    '..',
    '%2e',
    '%2e%2e',
    '.%2e',
    '%2F',
    '%2f..%2f',
    '%00',
    '%zz',
    '%',
    '%2',
    '%25',
    '%u0041',
    '~',
    '*',
    ';',
    ',',
    '!',
    "'",
    '(',
    ')',
    '@',
    ':',
    '=',
    '+',
    '$',
    '&',
    '?',
    '#',
    '%3F',
    '%23',
    '%20',
    'cluster',
    'jobs',
    'software',
    'packages',
    'download',
    'upload',
    'history',
    '9.16.1',
    UUID,
    '{uuid}',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '%C0%AE',
    '%E2%80%AE',
    '%FF',
  ),
  fc.string({ maxLength: 12, unit: 'grapheme' }).map((s) => encodeURIComponent(s)),
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{0,16}$/),
);

const pathArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_PATHS) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...KNOWN_PATHS, '/api/cluster/software/packages', '/api/cluster/jobs'),
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom('', '/', '//'),
      )
      .map(
        ([base, segs, tail]) =>
          (segs.length === 0 ? base : `${base.replace(/\/$/, '')}/${segs.join('/')}`) + tail,
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.constantFrom('/', '//'))
      .map(([segs, separator]) => `/${segs.join(separator)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '*',
      'http://127.0.0.1/api/cluster',
      '/api/cluster\\..\\jobs',
      '//api/cluster',
      '/API/CLUSTER',
      '/api/cluster%2Fjobs',
      '/api/cluster/jobs/%2e%2e/software',
    ),
  },
);

// ---- query strings

const KNOWN_PARAMS = [
  'fields',
  'max_records',
  'return_records',
  'return_timeout',
  'order_by',
  'offset',
  'pretty',
  'ignore_unknown_fields',
  'state',
  'uuid',
  'version',
  'action',
  'code',
  'message',
  'description',
  'start_time',
  'end_time',
  'node.name',
  'error.code',
  'error.message',
  'file_name',
  'create_time',
  'size',
  'sha256',
  'password',
  'url',
  'validate_only',
  'skip_warnings',
  'nodes_to_update',
  'records',
  'num_records',
  '_links',
];
const VALUES = [
  '',
  '*',
  '**',
  'true',
  'false',
  'True',
  'FALSE',
  '-1',
  '0',
  '1',
  '120',
  '121',
  '1e3',
  '0x10',
  '9999999999999999999999',
  'NaN',
  'a|b',
  '!null',
  'null',
  '<5',
  '>=2025-01-01T00:00:00%2B00:00',
  '1..5',
  '..',
  '{',
  '}',
  'uuid,state',
  'version,create_time',
  '!uuid',
  'a.{b,c}',
  'nodes.{name',
  '"x"',
  '%',
  '%zz',
  '%00',
  '+',
  'uuid+asc',
  'uuid%20desc',
  'state sideways',
  'cancel',
  'pause',
  '*download*',
  '\\',
  "'",
  '%E2%80%AE',
];

const paramName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KNOWN_PARAMS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._[\]-]{1,12}$/) },
);
const paramValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: 'grapheme' }).map((s) => encodeURIComponent(s)) },
  { weight: 1, arbitrary: fc.integer({ min: -1000, max: 100000 }).map(String) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9*!|<>=.,{}"%+-]{0,24}$/) },
);
const queryArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 5,
    arbitrary: fc
      .array(fc.tuple(paramName, paramValue, fc.boolean()), { maxLength: 5 })
      .map((pairs) => pairs.map(([n, v, bare]) => (bare && v === '' ? n : `${n}=${v}`)).join('&'))
      .map((q) => (q === '' ? '' : `?${q}`)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '?',
      '??',
      '?&&',
      '?=',
      '?fields=uuid&fields=state',
      '?return_timeout=1&return_timeout=1',
      '?password=x',
      '?a=b#frag',
      '?%zz=1',
    ),
  },
);

// ---- headers

function authArb(): fc.Arbitrary<string | null> {
  const valid = `Basic ${b64(`admin:${ADMIN_PASSWORD}`)}`;
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(valid) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constant(null),
        fc.constantFrom(
          '',
          'Basic',
          'Basic ',
          'Basic ===',
          'Basic !!!!',
          `Bearer ${b64('token')}`,
          `basic ${b64(`admin:${ADMIN_PASSWORD}`)}`,
          `Basic  ${b64(`admin:${ADMIN_PASSWORD}`)}`,
          `Basic ${b64('admin')}`,
          `Basic ${b64(':')}`,
          `Basic ${b64(':x')}`,
          `Basic ${b64('admin:wrong')}`,
          `Basic ${b64('nobody:x')}`,
          `Basic ${b64(`admin:${ADMIN_PASSWORD}`)}x`,
          `Digest username="admin"`,
          `Basic ${b64(`ädmin:${ADMIN_PASSWORD}`)}`,
        ),
        fc.string({ maxLength: 30 }).map((s) => `Basic ${b64(s)}`),
        fc.stringMatching(/^[ -~]{0,40}$/),
      ),
    },
  );
}

const acceptArb = fc.option(
  fc.constantFrom(
    'application/json',
    'application/hal+json',
    '*/*',
    'text/html',
    '',
    'application/json;q=0.5, */*;q=0.1',
    'application/xml',
    'APPLICATION/JSON',
    'application/json, application/hal+json',
  ),
  { nil: undefined },
);
const contentTypeArb = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/plain',
    'multipart/form-data; boundary=X',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/mixed; boundary=X',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    '',
    'application/hal+json',
    'json',
    '*/*',
    ';;;',
  ),
  { nil: undefined },
);
const extraHeaders = fc.array(
  fc.oneof(
    fc.constantFrom<[string, string]>(
      ['X-Dot-Client-App', 'netapp.ontap.na_ontap_rest_info/22.7.0'],
      ['Expect', '100-continue'],
      ['Transfer-Encoding', 'identity'],
      ['Content-Encoding', 'gzip'],
      ['X-Forwarded-For', '10.0.0.1'],
      ['Cookie', 'a=b'],
      ['Range', 'bytes=0-1'],
      ['If-None-Match', '*'],
    ),
    fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,12}$/), fc.stringMatching(/^[ -~]{0,40}$/)),
  ),
  { maxLength: 3 },
);

// ---- bodies

function urlArb(port: number): fc.Arbitrary<unknown> {
  const local = `127.0.0.1:${port}`;
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `http://${local}/images/9161_q_image.tgz`,
        `https://${local}/a/b.tgz`,
        `ftp://${local}/x.tgz`,
        `ftps://${local}/x.tgz`,
        `HTTP://${local}/UP.TGZ`,
        `http://u:p@${local}/x.tgz`,
        `http://${local}/`,
        `http://${local}/..`,
        `http://${local}/%2e%2e`,
        `http://${local}/a%00b.tgz`,
        `http://${local}/${'a'.repeat(300)}`,
        `http://${local}/x.tgz?token=1#f`,
      ),
    },
    {
      weight: 2,
      arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/).map((name) => `http://${local}/${name}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        'not a url',
        'file:///etc/passwd',
        'gopher://x/y.tgz',
        'http://',
        'http://[::1',
        '://',
        'http:///x.tgz',
        'javascript:alert(1)',
        'data:,x',
        '\u0000',
        'http://\u00e9\u00e9/',
        'ftp://',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 2 }),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
      ),
    },
  );
}

const FIELD_NAMES = [
  'url',
  'username',
  'password',
  'version',
  'action',
  'file',
  'state',
  'uuid',
  'records',
  '__proto__',
  'constructor',
  '',
];

/** A JSON value whose keys never include `url` (the only field that can start network access). */
const safeJson = fc
  .jsonValue({ maxDepth: 3 })
  .map((v) => JSON.parse(JSON.stringify(v).replaceAll('"url"', '"uri"')) as unknown);

function bodyArb(port: number): fc.Arbitrary<{ bytes: Buffer; contentLength: boolean }> {
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
  const u = urlArb(port);
  const nested = fc
    .integer({ min: 1, max: 20_000 })
    .chain((depth) =>
      fc.constantFrom(
        Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`),
        Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
        Buffer.from(`{"url":${'['.repeat(depth)}${']'.repeat(depth)}}`),
      ),
    );
  const text = fc.oneof(
    fc.constantFrom(
      '{',
      '}',
      '{"a":}',
      '{"url"',
      'nul',
      '[]',
      '1',
      '"s"',
      'null',
      'true',
      '{}',
      ' {} ',
      '{}{}',
      '{"a":1,}',
      "{'a':1}",
      '\uFEFF{}',
      '{"a":NaN}',
      '{"a":1e999}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '\u0000\u0001\u0002',
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{}}}',
    ),
    fc.string({ maxLength: 64, unit: 'binary' }),
  );
  const objects = fc.oneof(
    fc.record({ url: u }, { requiredKeys: [] }),
    fc.record(
      {
        url: u,
        username: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        password: fc.oneof(fc.string(), fc.boolean(), fc.constant(null)),
      },
      { requiredKeys: ['url'] },
    ),
    fc.dictionary(fc.constantFrom(...FIELD_NAMES.filter((n) => n !== 'url')), safeJson, { maxKeys: 4 }),
    fc.tuple(u, safeJson).map(([url, extra]) => ({ url, extra })),
  );
  const duplicateKeys = fc
    .tuple(u, u)
    .map(([a, b]) =>
      Buffer.from(`{"url":${JSON.stringify(a)},"url":${JSON.stringify(b)},"password":"x","password":1}`),
    );
  const multipart = fc
    .tuple(
      fc.constantFrom('X', 'Y', ''),
      fc.constantFrom('file', 'other', '', 'file"; x="'),
      fc.option(
        fc.constantFrom(
          'a.tgz',
          '9161_q_image.tgz',
          '',
          '../../etc/passwd',
          'x'.repeat(300),
          'a\u0000b.tgz',
          '\u00e9.tgz',
        ),
        { nil: undefined },
      ),
      fc.uint8Array({ maxLength: 256 }),
      fc.constantFrom(
        '--X--\r\n',
        '--X--',
        '',
        '--Y--\r\n',
        '\r\n--X\r\nContent-Disposition: form-data; name="file"; filename="b.tgz"\r\n\r\nzz\r\n--X--\r\n',
      ),
    )
    .map(([boundary, name, filename, data, end]) => {
      const disposition =
        filename === undefined
          ? `form-data; name="${name}"`
          : `form-data; name="${name}"; filename="${filename}"`;
      return Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`),
        Buffer.from(data),
        Buffer.from(`\r\n${end}`),
      ]);
    });
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.constant(Buffer.alloc(0)) },
      { weight: 4, arbitrary: objects.map(json) },
      { weight: 3, arbitrary: text.map((s) => Buffer.from(s, 'utf8')) },
      { weight: 1, arbitrary: nested },
      { weight: 1, arbitrary: duplicateKeys },
      { weight: 2, arbitrary: multipart },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          Buffer.alloc(BODY_LIMIT + 4096, 0x61),
          Buffer.from(`{"url":"${'a'.repeat(BODY_LIMIT)}"}`),
        ),
      },
    )
    .chain((bytes) =>
      fc.record({
        bytes: fc.constant(bytes),
        contentLength: fc.boolean().map((b) => b || bytes.length === 0),
      }),
    );
}

/** Requests that break HTTP framing itself: Node's parser rejects them before Fastify sees them. */
const malformed = fc.constantFrom(
  Buffer.from('GARBAGE\r\n\r\n'),
  Buffer.from('GET /api/cluster HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
  Buffer.from('GET /api/cluster HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n'),
  Buffer.from(
    'POST /api/cluster/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
  ),
  Buffer.from('GET /api/cluster HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n'),
  Buffer.from('GET /api/clu ster HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  Buffer.from('G@T /api/cluster HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  Buffer.from(
    `GET /api/cluster HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
  ),
  Buffer.from(
    'POST /api/cluster/software/download HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n',
  ),
  Buffer.from('GET /api/cluster\u0000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'),
  Buffer.from(
    `GET /api/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${b64(`admin:${ADMIN_PASSWORD}`)}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
  ),
  Buffer.from(
    `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nAuthorization: Basic ${b64(`admin:${ADMIN_PASSWORD}`)}\r\n\r\n`,
  ),
);

interface Generated {
  readonly request: Buffer;
  readonly label: string;
  readonly method: string;
  readonly bodyBytes: number;
}

function requestArb(port: number): fc.Arbitrary<Generated> {
  const method = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('TRACE', 'PROPFIND', 'MKCOL', 'SEARCH', 'CONNECT', 'get', 'FOO'),
    },
  );
  const wellFormed = fc
    .record({
      method,
      path: pathArb,
      query: queryArb,
      auth: authArb(),
      accept: acceptArb,
      contentType: contentTypeArb,
      extra: extraHeaders,
      body: bodyArb(port),
    })
    .map((r): Generated => {
      const headers: [string, string][] = [];
      if (r.auth !== null) headers.push(['Authorization', r.auth]);
      if (r.accept !== undefined) headers.push(['Accept', r.accept]);
      if (r.contentType !== undefined) headers.push(['Content-Type', r.contentType]);
      headers.push(...r.extra);
      const body = r.body.bytes.length === 0 && r.body.contentLength ? null : r.body.bytes;
      const chunked = body !== null && !r.body.contentLength;
      if (chunked) headers.push(['Transfer-Encoding', 'chunked']);
      const payload = chunked
        ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
        : body;
      const target = `${r.path}${r.query}`;
      return {
        request: buildRequest(r.method, target, headers, payload, { contentLength: !chunked }),
        label: `${r.method} ${target.slice(0, 200)} [${headers.map(([n, v]) => `${n}: ${v.slice(0, 60)}`).join('; ')}] body ${body?.length ?? 0} bytes${chunked ? ' chunked' : ''}: ${JSON.stringify(body?.subarray(0, 120).toString('latin1') ?? '')}`,
        method: r.method,
        bodyBytes: body?.length ?? 0,
      };
    });
  return fc.oneof(
    { weight: 30, arbitrary: wellFormed },
    {
      weight: 1,
      arbitrary: malformed.map((bytes): Generated => ({
        request: bytes,
        label: `malformed: ${JSON.stringify(bytes.subarray(0, 120).toString('latin1'))}`,
        method: '?',
        bodyBytes: 0,
      })),
    },
  );
}

function assertEnvelope(res: RawResponse, label: string): void {
  assert.equal(
    res.headers['content-type'],
    'application/hal+json',
    `content type of a ${res.status}: ${label}`,
  );
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    assert.fail(
      `a ${res.status} whose body is not JSON: ${res.body.toString('utf8').slice(0, 200)} for ${label}`,
    );
  }
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), label);
  assert.deepEqual(Object.keys(body), ['error'], `${res.body.toString('utf8')} for ${label}`);
  const error = (body as { error: unknown }).error as Record<string, unknown>;
  assert.ok(typeof error === 'object', label);
  for (const key of Object.keys(error))
    assert.ok(['message', 'code', 'target'].includes(key), `unexpected key ${key}: ${label}`);
  assert.equal(typeof error.message, 'string', label);
  assert.match(String(error.code), /^\d+$/, label);
  assert.equal(typeof error.code, 'string', label);
  if ('target' in error) assert.equal(typeof error.target, 'string', label);
}

function check(outcome: RawOutcome, g: Generated): void {
  if (outcome.kind === 'closed') {
    // Only a body over the limit may be cut off without an answer (the server stops reading it).
    assert.ok(
      g.bodyBytes > BODY_LIMIT,
      `connection closed without an answer (${outcome.error ?? 'no error'}): ${g.label}`,
    );
    return;
  }
  const res = outcome.response;
  assert.ok(
    res.status < 500,
    `status ${res.status}: ${res.body.toString('utf8').slice(0, 300)} for ${g.label}`,
  );
  if (res.status >= 200 && res.status < 400) return;
  if (g.method === 'HEAD') {
    assert.equal(
      res.headers['content-type'],
      'application/hal+json',
      `content type of a HEAD ${res.status}: ${g.label}`,
    );
    return;
  }
  assertEnvelope(res, g.label);
}

test('fuzz: hostile requests never get a 5xx, always get the ONTAP envelope, and the server stays up', async (t) => {
  const srv = await startTestServer(t, { config: { connectTimeoutSeconds: 2, idleTimeoutSeconds: 2 } });
  const { hostname, port } = new URL(srv.url);
  const closed = await closedPort();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(requestArb(closed), async (g) => {
      runs++;
      const outcome = await rawExchange(hostname, Number(port), g.request).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}: ${g.label}`);
      });
      check(outcome, g);
      const alive = await srv.api('GET', '/api/cluster?fields=name');
      assert.equal(alive.status, 200, `the server stopped answering after ${g.label}`);
    }),
    { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), includeErrorInReport: true },
  );
  t.diagnostic(`${runs} requests (FUZZ_RUNS=${RUNS})`);
  const faults = srv.logs.filter((l) => l.includes('"level":50'));
  const ids = faults.map((l) => (JSON.parse(l) as { reqId?: string }).reqId);
  for (const l of srv.logs)
    if (ids.some((id) => id !== undefined && l.includes(`"${id}"`))) console.error(l.slice(0, 400));
  assert.deepEqual(faults, [], 'no request caused an unexpected fault in the log');
});
