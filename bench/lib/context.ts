import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writePackage } from '../../src/adapters/images/package-writer.js';
import { makeCertificate, startFtpOrigin, startHttpOrigins, type CertFiles, type HttpOrigins, type Origin } from './origins.js';
import { ServerProcess } from './server.js';
import { envInt, MIB } from './util.js';

export interface Fixture {
  readonly fileName: string;
  readonly path: string;
  readonly bytes: number;
  readonly version: string;
  readonly sha256: string;
}

export interface ServerVariant {
  readonly tls?: boolean;
  /** Preload bench/eld-preload.mjs and have it write event-loop delay stats to this file. */
  readonly eldFile?: string;
}

/** Everything the scenarios share: the temp folder, fixtures, origins (started on first use) and servers. */
export class BenchContext {
  readonly workDir: string;
  readonly wwwDir: string;
  readonly runs: number;
  readonly warmups: number;
  readonly sizeMib: number;
  readonly cpuProfDir: string | null;
  readonly #fixtures = new Map<string, Fixture>();
  #cert: CertFiles | null = null;
  #http: HttpOrigins | null = null;
  #ftp: Origin | null = null;
  #servers = 0;
  readonly #cleanups: (() => Promise<void>)[] = [];

  constructor() {
    const base = process.env.BENCH_DIR ?? tmpdir();
    mkdirSync(base, { recursive: true });
    this.workDir = mkdtempSync(join(base, 'clusterimage-bench-'));
    // Origins may run as another user (nginx workers as nobody, vsftpd's ftp user): the path must be readable.
    chmodSync(this.workDir, 0o755);
    this.wwwDir = join(this.workDir, 'www');
    mkdirSync(this.wwwDir, { mode: 0o755 });
    chmodSync(this.wwwDir, 0o755);
    this.runs = envInt('BENCH_RUNS', 3, 1);
    this.warmups = envInt('BENCH_WARMUP', 1, 0);
    this.sizeMib = envInt('BENCH_SIZE_MIB', 2048, 1);
    const prof = process.env.BENCH_CPU_PROF;
    this.cpuProfDir = prof !== undefined && prof !== '' ? resolve(prof) : null;
  }

  /** A generated valid package in the origin folder (made once per name). */
  async fixture(fileName: string, version: string, sizeMib: number): Promise<Fixture> {
    const known = this.#fixtures.get(fileName);
    if (known !== undefined) return known;
    const path = join(this.wwwDir, fileName);
    const t0 = performance.now();
    const written = await writePackage(path, { version, size: sizeMib * MIB });
    chmodSync(path, 0o644);
    if (sizeMib >= 64) {
      process.stdout.write(`  fixture ${fileName}: ${(written.bytes / MIB).toFixed(1)} MiB, version ${version}, made in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    const fixture: Fixture = { fileName, path, bytes: written.bytes, version, sha256: written.sha256 };
    this.#fixtures.set(fileName, fixture);
    return fixture;
  }

  /** The main large fixture (BENCH_SIZE_MIB, default 2 GiB). */
  bigFixture(): Promise<Fixture> {
    return this.fixture('bench_9991_image.tgz', '9.99.1', this.sizeMib);
  }

  /** A 1 MiB package, for a quick finished job and a non-empty package list. */
  smallFixture(): Promise<Fixture> {
    return this.fixture('bench_9992_small.tgz', '9.99.2', 1);
  }

  async cert(): Promise<CertFiles> {
    this.#cert ??= await makeCertificate(this.workDir);
    return this.#cert;
  }

  async httpOrigins(): Promise<HttpOrigins> {
    if (this.#http === null) {
      const small = await this.smallFixture();
      const origins = await startHttpOrigins(this.workDir, this.wwwDir, await this.cert(), small.fileName);
      this.#cleanups.push(() => origins.http.stop());
      this.#http = origins;
    }
    return this.#http;
  }

  async ftpOrigin(fixture: Fixture): Promise<Origin> {
    if (this.#ftp === null) {
      const origin = await startFtpOrigin(this.workDir, this.wwwDir, fixture.path, fixture.fileName);
      this.#cleanups.push(() => origin.stop());
      this.#ftp = origin;
    }
    return this.#ftp;
  }

  /** Starts the real server (a child process) with a fresh data folder; the caller stops it. */
  async startServer(name: string, variant: ServerVariant = {}): Promise<ServerProcess> {
    const n = ++this.#servers;
    const root = join(this.workDir, `server-${n}-${name}`);
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { recursive: true });
    // Extra node flags for every server, e.g. BENCH_NODE_ARGS=--perf-basic-prof for `perf report` with JS frames.
    const nodeArgs: string[] = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const extraEnv: Record<string, string> = { CLUSTERIMAGE_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' };
    if (this.cpuProfDir !== null) {
      mkdirSync(this.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${this.cpuProfDir}`, `--cpu-prof-name=${name}-${process.pid}-${n}.cpuprofile`);
    }
    if (variant.eldFile !== undefined) {
      nodeArgs.push(`--import=${resolve(import.meta.dirname, '..', 'eld-preload.mjs')}`);
      extraEnv.BENCH_ELD_FILE = variant.eldFile;
    }
    const cert = await this.cert();
    return ServerProcess.start({
      dataDir,
      tls: variant.tls === true,
      config: {
        caFiles: [cert.certPath],
        jobRetentionSeconds: 86_400,
        // The bench talks to the server at full speed from one address; it never sends wrong credentials.
        transferTimeLimitSeconds: 3600,
        ...(process.env.BENCH_TRANSFER_WORKER === '0' ? { transferWorker: false } : {}),
      },
      logPath: join(root, 'server.log'),
      nodeArgs,
      extraEnv,
    });
  }

  listProfiles(): string[] {
    if (this.cpuProfDir === null) return [];
    try {
      return readdirSync(this.cpuProfDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(this.cpuProfDir ?? '', f));
    } catch {
      return [];
    }
  }

  async close(keep: boolean): Promise<void> {
    for (const fn of this.#cleanups.reverse()) await fn().catch(() => undefined);
    if (!keep) rmSync(this.workDir, { recursive: true, force: true });
  }
}
