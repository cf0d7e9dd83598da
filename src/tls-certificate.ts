import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface ServerCertificate {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint, colon-separated hex (as browsers and `openssl x509 -fingerprint` show it). */
  readonly fingerprint: string;
  /** Whether it was made just now. */
  readonly created: boolean;
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/**
 * The certificate the server presents: the user's own when configured, otherwise a self-signed one kept in
 * `<dataDir>/tls/` (made on the first start, with the private key readable by the owner only).
 */
export async function loadServerCertificate(
  dataDir: string,
  certFile: string,
  keyFile: string,
  hostName: string,
): Promise<ServerCertificate> {
  if (certFile !== '' && keyFile !== '') {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { cert, key, fingerprint: fingerprintOf(cert), created: false };
  }
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'server-cert.pem');
  const keyPath = join(dir, 'server-key.pem');
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { cert, key, fingerprint: fingerprintOf(cert), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'clusterimage' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          ...(hostName !== '' && hostName !== '0.0.0.0' && hostName !== '::' && !/^[\d.:]+$/.test(hostName)
            ? [{ type: 2 as const, value: hostName }]
            : /^[\d.:]+$/.test(hostName) &&
                hostName !== '0.0.0.0' &&
                hostName !== '::' &&
                hostName !== '127.0.0.1'
              ? [{ type: 7 as const, ip: hostName }]
              : []),
        ],
      },
    ],
  });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, fingerprint: fingerprintOf(pems.cert), created: true };
}
