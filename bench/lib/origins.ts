import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import { request } from 'undici';
import { freePort, spawnLogged, stopChild, waitForLog, which } from './procs.js';
import { sleep } from './util.js';

const BENCH_DIR = resolve(import.meta.dirname, '..');

export interface Origin {
  /** What serves the bytes, for the report: "nginx 1.22.1", "Node fs-stream origin (fallback)"… */
  readonly label: string;
  readonly url: (fileName: string) => string;
  readonly stop: () => Promise<void>;
}

export interface CertFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

/** A self-signed certificate for 127.0.0.1 (made with the `selfsigned` package the server already depends on). */
export async function makeCertificate(dir: string): Promise<CertFiles> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 7 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const certPath = join(dir, 'origin-cert.pem');
  const keyPath = join(dir, 'origin-key.pem');
  writeFileSync(certPath, pems.cert, { mode: 0o644 });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  return { certPath, keyPath };
}

async function waitHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await request(url, { method: 'HEAD', headersTimeout: 2000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
      throw new Error(`HEAD ${url}: ${res.statusCode}`);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

export interface HttpOrigins {
  readonly http: Origin;
  readonly https: Origin;
}

/** nginx (sendfile) on HTTP and HTTPS when installed, else the Node fs-stream origin. Serves `wwwDir`. */
export async function startHttpOrigins(workDir: string, wwwDir: string, cert: CertFiles, probeFile: string): Promise<HttpOrigins> {
  if (process.env.BENCH_NO_NGINX === undefined && which('nginx') !== null) {
    try {
      return await startNginx(workDir, wwwDir, cert, probeFile);
    } catch (err) {
      process.stdout.write(`! nginx did not start (${err instanceof Error ? err.message : String(err)}); using the Node origin\n`);
    }
  } else {
    process.stdout.write('! nginx not found (apt-get install nginx-light): using the Node fs-stream origin (fallback)\n');
  }
  return startNodeHttp(workDir, wwwDir, cert, probeFile);
}

async function startNginx(workDir: string, wwwDir: string, cert: CertFiles, probeFile: string): Promise<HttpOrigins> {
  const dir = join(workDir, 'nginx');
  mkdirSync(dir, { recursive: true });
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const asRoot = process.getuid?.() === 0;
  const conf = `daemon off;
${asRoot ? 'user nobody nogroup;' : ''}
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 65;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${httpPort};
    listen 127.0.0.1:${httpsPort} ssl;
    ssl_certificate ${cert.certPath};
    ssl_certificate_key ${cert.keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${wwwDir};
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const log = join(dir, 'stdout.log');
  const child = spawnLogged('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], log);
  try {
    await waitHttp(`http://127.0.0.1:${httpPort}/${probeFile}`, 10_000);
  } catch (err) {
    await stopChild(child, 'SIGTERM', 5000);
    throw err;
  }
  const label = 'nginx (sendfile)';
  const stop = (): Promise<void> => stopChild(child, 'SIGTERM', 10_000);
  return {
    http: { label, url: (f) => `http://127.0.0.1:${httpPort}/${f}`, stop },
    https: { label: `${label}, TLS`, url: (f) => `https://127.0.0.1:${httpsPort}/${f}`, stop: () => Promise.resolve() },
  };
}

async function startNodeHttp(workDir: string, wwwDir: string, cert: CertFiles, probeFile: string): Promise<HttpOrigins> {
  const log = join(workDir, 'node-origin-http.log');
  const child = spawnLogged(
    process.execPath,
    ['--import', 'tsx', join(BENCH_DIR, 'node-origin.ts'), 'http', wwwDir, cert.certPath, cert.keyPath],
    log,
    { cwd: resolve(BENCH_DIR, '..') },
  );
  const m = await waitForLog(child, log, /HTTP (\d+)\nHTTPS (\d+)/, 20_000);
  const [httpPort, httpsPort] = [m[1] ?? '', m[2] ?? ''];
  await waitHttp(`http://127.0.0.1:${httpPort}/${probeFile}`, 10_000);
  const label = 'Node fs-stream origin (FALLBACK: nginx missing)';
  const stop = (): Promise<void> => stopChild(child, 'SIGTERM', 5000);
  return {
    http: { label, url: (f) => `http://127.0.0.1:${httpPort}/${f}`, stop },
    https: { label: `${label}, TLS`, url: (f) => `https://127.0.0.1:${httpsPort}/${f}`, stop: () => Promise.resolve() },
  };
}

/** Logs in anonymously and asks SIZE: proves the FTP server can serve `fileName`. */
async function probeFtp(port: number, fileName: string, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('FTP probe timed out'));
    }, timeoutMs);
    const script: [string | null, string][] = [
      [null, '220'],
      ['USER anonymous', '331'],
      ['PASS bench@', '230'],
      ['TYPE I', '200'],
      [`SIZE /${fileName}`, '213'],
    ];
    let step = 0;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (data: string) => {
      buffered += data;
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        const line = buffered.slice(0, i).trim();
        buffered = buffered.slice(i + 1);
        if (/^\d{3}-/.test(line)) continue;
        const expected = script[step]?.[1];
        if (expected === undefined || !line.startsWith(expected)) {
          clearTimeout(timer);
          socket.destroy();
          reject(new Error(`FTP probe: expected ${expected ?? '?'}, got "${line}"`));
          return;
        }
        step++;
        const next = script[step];
        if (next === undefined) {
          clearTimeout(timer);
          socket.end('QUIT\r\n');
          resolvePromise();
          return;
        }
        socket.write(`${next[0] ?? ''}\r\n`);
      }
    });
  });
}

/** vsftpd (anonymous, passive, sendfile) serving `wwwDir` when installed and running as root, else the Node FTP origin. */
export async function startFtpOrigin(workDir: string, wwwDir: string, filePath: string, fileName: string): Promise<Origin> {
  const asRoot = process.getuid?.() === 0;
  if (process.env.BENCH_NO_VSFTPD === undefined && which('vsftpd') !== null && asRoot) {
    try {
      return await startVsftpd(workDir, wwwDir, fileName);
    } catch (err) {
      process.stdout.write(`! vsftpd did not start (${err instanceof Error ? err.message : String(err)}); using the Node FTP origin\n`);
    }
  } else {
    process.stdout.write(
      `! vsftpd ${asRoot ? 'not found (apt-get install vsftpd)' : 'needs root'}: using the Node FTP origin from test/helpers (fallback)\n`,
    );
  }
  const log = join(workDir, 'node-origin-ftp.log');
  const child = spawnLogged(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'node-origin.ts'), 'ftp', filePath], log, {
    cwd: resolve(BENCH_DIR, '..'),
  });
  const m = await waitForLog(child, log, /FTP (\d+)/, 120_000);
  const port = Number(m[1]);
  await probeFtp(port, fileName, 10_000);
  return {
    label: 'Node FTP origin, test/helpers/ftp-origin.ts, file in memory (FALLBACK: vsftpd missing)',
    url: (f) => `ftp://127.0.0.1:${port}/${f}`,
    stop: () => stopChild(child, 'SIGTERM', 5000),
  };
}

async function startVsftpd(workDir: string, wwwDir: string, fileName: string): Promise<Origin> {
  const dir = join(workDir, 'vsftpd');
  mkdirSync(dir, { recursive: true });
  const empty = '/var/run/vsftpd/empty';
  if (!existsSync(empty)) mkdirSync(empty, { recursive: true, mode: 0o755 });
  const port = await freePort();
  const pasvMin = 30000 + Math.floor(Math.random() * 300) * 100;
  const conf = `listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=${port}
background=NO
anonymous_enable=YES
anon_root=${wwwDir}
local_enable=NO
write_enable=NO
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=${pasvMin}
pasv_max_port=${pasvMin + 49}
port_enable=YES
secure_chroot_dir=${empty}
seccomp_sandbox=NO
use_sendfile=YES
xferlog_enable=NO
dirmessage_enable=NO
vsftpd_log_file=${dir}/vsftpd.log
`;
  const confPath = join(dir, 'vsftpd.conf');
  writeFileSync(confPath, conf);
  const child = spawnLogged('vsftpd', [confPath], join(dir, 'stdout.log'));
  try {
    let lastError: unknown = null;
    for (let i = 0; i < 50; i++) {
      try {
        await probeFtp(port, fileName, 3000);
        lastError = null;
        break;
      } catch (err) {
        lastError = err;
        await sleep(100);
      }
    }
    if (lastError instanceof Error) throw lastError;
    if (lastError !== null) throw new Error('FTP probe failed');
  } catch (err) {
    await stopChild(child, 'SIGTERM', 5000);
    throw err;
  }
  return {
    label: 'vsftpd (anonymous, passive, sendfile)',
    url: (f) => `ftp://127.0.0.1:${port}/${f}`,
    stop: () => stopChild(child, 'SIGTERM', 5000),
  };
}
