/**
 * Download host policy (issue 6, item 8): a denied destination is refused before any connection to it,
 * whether it is named directly (in any IP spelling), reached through a redirect from an allowed origin, or
 * reached through a DNS name that resolves to it (`localhost` and its aliases, resolved by the system
 * resolver from /etc/hosts). Every refusal is the job failure 10551381 naming the host and the address, and
 * the denied origin never sees a request. Loopback only: 127.0.0.1, 127.0.0.2 and ::1.
 */
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import { buildPackageBuffer } from '../../src/adapters/images/package-writer.js';
import { startDripOrigin, type DripOrigin } from '../helpers/drip-origin.js';
import { startHttpOrigin, type HttpOrigin } from '../helpers/http-origin.js';
import { startTestServer, type TestServer } from '../helpers/with-server.js';

const pkg = buildPackageBuffer({
  version: '9.60.1',
  members: [{ name: 'image.bin', data: Buffer.alloc(1000, 1) }],
});

async function denied(srv: TestServer, url: string, host: string, address: string): Promise<void> {
  const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', { body: { url } });
  assert.equal(res.status, 400, `${url}: ${res.text}`);
  assert.deepEqual(
    res.json,
    {
      error: {
        message: `Package download failed: the destination ${host} (${address}) is denied by the download host policy.`,
        code: '10551381',
      },
    },
    url,
  );
}

async function origin(t: TestContext): Promise<HttpOrigin> {
  const o = await startHttpOrigin({ files: { '/p/9601_q_image.tgz': pkg } });
  t.after(() => o.close());
  return o;
}

/** An origin on another loopback address that would serve anything; it must never be asked. */
async function forbiddenOrigin(t: TestContext, host: string): Promise<DripOrigin> {
  const o = await startDripOrigin({
    host,
    size: pkg.length,
    headBytes: pkg.length,
    dripBytes: 0,
    intervalMs: 10,
  });
  t.after(() => o.close());
  return o;
}

async function canListen(host: string): Promise<boolean> {
  const server = createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => {
      resolve(false);
    });
    server.listen(0, host, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

test('direct: a denied address is refused in every spelling, before connecting', async (t) => {
  const o = await origin(t);
  const srv = await startTestServer(t, { config: { denyHosts: ['127.0.0.0/8'] } });
  const p = o.port;
  await denied(srv, `${o.url}/p/9601_q_image.tgz`, '127.0.0.1', '127.0.0.1');
  for (const spelling of ['2130706433', '0x7f000001', '127.1', '0177.0.0.1', '127.000.000.001']) {
    // The URL parser normalises every IPv4 spelling, so the policy sees the address itself.
    await denied(srv, `http://${spelling}:${p}/p/9601_q_image.tgz`, '127.0.0.1', '127.0.0.1');
  }
  await denied(srv, `http://[::ffff:127.0.0.1]:${p}/p/9601_q_image.tgz`, '::ffff:7f00:1', '::ffff:7f00:1');
  await denied(srv, `ftp://127.0.0.1:${p}/p/9601_q_image.tgz`, '127.0.0.1', '127.0.0.1');
  await denied(srv, 'http://169.254.169.254/latest/9601_q_image.tgz', '169.254.169.254', '169.254.169.254');
  assert.equal(o.requests.length, 0, 'the origin was never contacted');

  await t.test('IPv6 loopback denied by ::1/128', async (st) => {
    if (!(await canListen('::1'))) {
      st.diagnostic('no IPv6 loopback on this machine');
      st.skip('no IPv6 loopback on this machine');
      return;
    }
    const v6 = await forbiddenOrigin(st, '::1');
    const srv6 = await startTestServer(st, { config: { denyHosts: ['::1/128'] } });
    await denied(srv6, `http://[::1]:${v6.port}/p/9601_q_image.tgz`, '::1', '::1');
    assert.equal(v6.requests.length, 0);
  });
});

test('redirect: an allowed origin that redirects to a denied address is refused at that hop', async (t) => {
  const target = await forbiddenOrigin(t, '127.0.0.2');
  const o = await origin(t);
  o.setMode('/r/deny.tgz', {
    kind: 'redirect',
    location: `http://127.0.0.2:${target.port}/p/9601_q_image.tgz`,
  });
  o.setMode('/r/meta.tgz', { kind: 'redirect', location: 'http://169.254.169.254/latest/9601_q_image.tgz' });
  o.setMode('/r/name.tgz', {
    kind: 'redirect',
    location: `http://localhost:${target.port}/p/9601_q_image.tgz`,
  });
  o.setMode('/r/v4mapped.tgz', {
    kind: 'redirect',
    location: `http://[::ffff:127.0.0.2]:${target.port}/p/9601_q_image.tgz`,
  });

  // Deny list: 127.0.0.2 and the name localhost.
  const srv = await startTestServer(t, { config: { denyHosts: ['127.0.0.2/32', 'localhost'] } });
  await denied(srv, `${o.url}/r/deny.tgz`, '127.0.0.2', '127.0.0.2');
  await denied(srv, `${o.url}/r/meta.tgz`, '169.254.169.254', '169.254.169.254');
  await denied(srv, `${o.url}/r/name.tgz`, 'localhost', (await lookup('localhost')).address);
  await denied(srv, `${o.url}/r/v4mapped.tgz`, '::ffff:7f00:2', '::ffff:7f00:2');

  // Allow list that holds only the first origin's address: the hop to 127.0.0.2 falls outside it.
  const allowOnly = await startTestServer(t, { config: { allowHosts: ['127.0.0.1/32'] } });
  await denied(allowOnly, `${o.url}/r/deny.tgz`, '127.0.0.2', '127.0.0.2');
  assert.equal(target.requests.length, 0, 'the denied origin was never contacted');
  assert.ok(o.requests.length >= 5, 'the allowed origin was asked and answered with the redirects');

  // The same origin without the policy: the redirect is followed (the test setup itself works).
  const open = await startTestServer(t);
  const followed = await open.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${o.url}/r/deny.tgz` },
  });
  // The forbidden origin serves filler bytes, so the job gets as far as recognising the package.
  assert.equal((followed.json as { error: { code: string } }).error.code, '10551359', followed.text);
  assert.equal(target.requests.length, 1);
});

test('DNS: a name that resolves to a denied address is refused, whatever the spelling of the name', async (t) => {
  const o = await origin(t);
  const resolved = (await lookup('localhost', { all: true })).map((a) => a.address);
  const first = resolved[0] ?? '127.0.0.1';
  const loopbacks = ['127.0.0.0/8', '::1/128'];
  const path = `:${o.port}/p/9601_q_image.tgz`;

  const byAddress = await startTestServer(t, { config: { denyHosts: loopbacks } });
  await denied(byAddress, `http://localhost${path}`, 'localhost', first);
  await denied(byAddress, `http://LOCALHOST${path}`, 'localhost', first);

  // Allowing the name does not unlock a denied address (the name may be rebound in DNS).
  const nameAllowed = await startTestServer(t, {
    config: { allowHosts: ['localhost'], denyHosts: loopbacks },
  });
  await denied(nameAllowed, `http://localhost${path}`, 'localhost', first);

  // An allow list that holds neither the name nor its addresses.
  const elsewhere = await startTestServer(t, { config: { allowHosts: ['10.0.0.0/8', 'files.example.com'] } });
  await denied(elsewhere, `http://localhost${path}`, 'localhost', first);
  await denied(elsewhere, `ftp://localhost${path}`, 'localhost', first);

  // Denying the name itself, in any case and with a trailing dot.
  const byName = await startTestServer(t, { config: { denyHosts: ['LocalHost.'] } });
  await denied(byName, `http://localhost${path}`, 'localhost', first);
  assert.equal(o.requests.length, 0, 'the origin was never contacted');

  const allowed = await startTestServer(t, { config: { allowHosts: ['localhost'] } });
  const ok = await allowed.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `http://localhost${path}` },
  });
  assert.equal(ok.status, 201, ok.text);
});
