/**
 * Fallback origins for the bench when nginx or vsftpd are not installed, run as a separate process:
 *   node --import tsx bench/node-origin.ts http <wwwDir> <certPem> <keyPem>   -> prints "HTTP <port>" and "HTTPS <port>"
 *   node --import tsx bench/node-origin.ts ftp <file>                         -> prints "FTP <port>"
 * HTTP(S) streams files with fs read streams (1 MiB reads); FTP is the test suite's loopback FTP server,
 * serving the file from memory.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { basename, join, normalize } from 'node:path';
import { startFtpOrigin } from '../test/helpers/ftp-origin.js';

async function serveFile(www: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
  if (path.includes('..')) {
    res.writeHead(400).end();
    return;
  }
  const file = join(www, path);
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file, { highWaterMark: 1 << 20 }).on('error', () => res.destroy()).pipe(res);
}

async function readWhole(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(buf, at, Math.min(1 << 24, size - at), at);
      if (bytesRead === 0) throw new Error('short read');
      at += bytesRead;
    }
    return buf;
  } finally {
    await handle.close();
  }
}

async function main(): Promise<void> {
  const [kind, a, b, c] = process.argv.slice(2);
  if (kind === 'http' && a !== undefined && b !== undefined && c !== undefined) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      serveFile(a, req, res).catch(() => res.destroy());
    };
    const plain = createHttpServer(handler);
    const secure = createHttpsServer({ cert: readFileSync(b), key: readFileSync(c) }, handler);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    process.stdout.write(`HTTP ${(plain.address() as AddressInfo).port}\nHTTPS ${(secure.address() as AddressInfo).port}\n`);
    return;
  }
  if (kind === 'ftp' && a !== undefined) {
    const content = await readWhole(a);
    const origin = await startFtpOrigin({ files: { [`/${basename(a)}`]: content }, allowAnonymous: true });
    process.stdout.write(`FTP ${origin.port}\n`);
    process.once('SIGTERM', () => {
      void origin.close().then(() => process.exit(0));
    });
    return;
  }
  process.stderr.write('usage: node-origin.ts http <www> <cert> <key> | ftp <file>\n');
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`node-origin: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
