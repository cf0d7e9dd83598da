import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostPolicy } from '../../../src/adapters/downloaders/host-policy.js';

const open = new HostPolicy();

void describe('HostPolicy defaults', () => {
  void test('loopback and private ranges are allowed', () => {
    for (const a of [
      '127.0.0.1',
      '::1',
      '10.1.2.3',
      '172.16.0.9',
      '192.168.1.1',
      'fd12::1',
      '203.0.113.7',
      '2001:db8::1',
    ]) {
      assert.equal(open.permits('files.example.com', a), true, a);
    }
  });

  void test('link-local and cloud metadata addresses are denied', () => {
    for (const a of [
      '169.254.0.1',
      '169.254.169.254',
      'fe80::1',
      'fe80::1%eth0',
      'febf::1',
      'fd00:ec2::254',
      '100.100.100.200',
    ]) {
      assert.equal(open.permits('files.example.com', a), false, a);
    }
    assert.equal(open.permits('fec0::1', 'fec0::1'), true, 'just outside fe80::/10');
  });

  void test('IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry', () => {
    assert.equal(open.permits('h', '::ffff:169.254.169.254'), false);
    assert.equal(open.permits('h', '::ffff:a9fe:a9fe'), false);
    assert.equal(open.permits('h', '::ffff:127.0.0.1'), true);
  });

  void test('the GCP metadata host name is denied whatever it resolves to, in any case and with a trailing dot', () => {
    assert.equal(open.permits('metadata.google.internal', '10.0.0.1'), false);
    assert.equal(open.permits('Metadata.Google.Internal.', '10.0.0.1'), false);
  });

  void test('an unparseable address is denied', () => {
    assert.equal(open.permits('h', 'not-an-ip'), false);
  });
});

void describe('HostPolicy lists', () => {
  void test('deny CIDRs (IPv4, IPv6, IPv4-mapped) and names', () => {
    const p = new HostPolicy({
      allow: [],
      deny: ['10.0.0.0/8', '2001:db8::/32', '::ffff:192.168.0.0/112', 'bad.example.com', '*.evil.test'],
    });
    assert.equal(p.permits('h', '10.200.0.1'), false);
    assert.equal(p.permits('h', '11.0.0.1'), true);
    assert.equal(p.permits('h', '2001:db8:ffff::1'), false);
    assert.equal(p.permits('h', '2001:db9::1'), true);
    assert.equal(p.permits('h', '192.168.7.7'), false, 'mapped CIDR entry applies to plain IPv4');
    assert.equal(p.permits('h', '192.169.0.1'), true);
    assert.equal(p.permits('BAD.example.com', '8.8.8.8'), false);
    assert.equal(p.permits('a.b.evil.test', '8.8.8.8'), false);
    assert.equal(p.permits('evil.test', '8.8.8.8'), true, 'a wildcard does not match its own apex');
  });

  void test('a non-empty allow list denies everything it does not name', () => {
    const p = new HostPolicy({ allow: ['files.example.com', '192.0.2.0/24'], deny: [] });
    assert.equal(p.permits('files.example.com', '8.8.8.8'), true);
    assert.equal(p.permits('other.example.com', '192.0.2.10'), true);
    assert.equal(p.permits('other.example.com', '8.8.8.8'), false);
    assert.equal(p.permits('127.0.0.1', '127.0.0.1'), false);
  });

  void test('deny wins over allow', () => {
    const p = new HostPolicy({ allow: ['10.0.0.0/8', '*.example.com'], deny: ['10.9.9.9', 'x.example.com'] });
    assert.equal(p.permits('a.example.com', '10.1.1.1'), true);
    assert.equal(p.permits('a.example.com', '10.9.9.9'), false);
    assert.equal(p.permits('x.example.com', '10.1.1.1'), false);
  });

  void test('an allow CIDR unlocks a default-denied address; an allowed name does not', () => {
    const byAddress = new HostPolicy({ allow: ['169.254.10.0/24'], deny: [] });
    assert.equal(byAddress.permits('device.local', '169.254.10.5'), true);
    assert.equal(byAddress.permits('device.local', '169.254.169.254'), false);
    const byName = new HostPolicy({ allow: ['*.corp.test'], deny: [] });
    assert.equal(
      byName.permits('pkg.corp.test', '169.254.169.254'),
      false,
      'DNS rebinding to metadata stays denied',
    );
    const metaName = new HostPolicy({ allow: ['metadata.google.internal'], deny: [] });
    assert.equal(metaName.permits('metadata.google.internal', '10.0.0.1'), true);
  });

  void test('invalid entries are rejected when the policy is built', () => {
    assert.throws(
      () => new HostPolicy({ allow: ['10.0.0.0/33'], deny: [] }),
      /Invalid host policy entry "10\.0\.0\.0\/33"/,
    );
    assert.throws(() => new HostPolicy({ allow: [], deny: ['not a host'] }), TypeError);
    assert.throws(() => new HostPolicy({ allow: [], deny: ['*'] }), TypeError);
  });
});
