import { generate } from 'selfsigned';

export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

/** Certificates made at test time, never committed. */
export interface TestPki {
  /** A test CA; trust it via `caPem`. */
  readonly ca: KeyPair;
  /** Signed by `ca`, valid for `localhost` and `127.0.0.1`, CN `localhost`. */
  readonly leaf: KeyPair;
  /** Self-signed, CN `untrusted.clusterimage.test`, SAN `127.0.0.1` and `localhost`: nobody trusts it. */
  readonly untrusted: KeyPair;
}

export const UNTRUSTED_CN = 'untrusted.clusterimage.test';

let cached: Promise<TestPki> | null = null;

/** One PKI per test process: EC keys keep generation fast. */
export function testPki(): Promise<TestPki> {
  cached ??= makePki();
  return cached;
}

const SERVER_SAN = {
  name: 'subjectAltName',
  altNames: [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ],
} as const;

async function makePki(): Promise<TestPki> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 86_400_000);
  const ca = await generate([{ name: 'commonName', value: 'clusterimage test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { ...SERVER_SAN, altNames: [...SERVER_SAN.altNames] },
    ],
  });
  const untrusted = await generate([{ name: 'commonName', value: UNTRUSTED_CN }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { ...SERVER_SAN, altNames: [...SERVER_SAN.altNames] },
    ],
  });
  return {
    ca: { key: ca.private, cert: ca.cert },
    leaf: { key: leaf.private, cert: leaf.cert },
    untrusted: { key: untrusted.private, cert: untrusted.cert },
  };
}
