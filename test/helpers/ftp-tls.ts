import { testPki } from './tls.js';

export interface TestCertificates {
  /** The CA certificate (PEM) that signed `cert`; trust it through `caPem`. */
  readonly caPem: string;
  /** Leaf certificate for `localhost` and 127.0.0.1, and its key (PEM). */
  readonly cert: string;
  readonly key: string;
}

/** The test PKI of `tls.ts` (a CA and a leaf it signed, made at test time) in the shape the FTP tests use. */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const pki = await testPki();
  return { caPem: pki.ca.cert, cert: pki.leaf.cert, key: pki.leaf.key };
}
