import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { spawnLogged, stopChild, waitForLog } from './procs.js';
import { sleep } from './util.js';

export const ADMIN_PASSWORD = 'Bench-Adm1n-Pa55';
export const AUTH_HEADER = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const ROOT = resolve(import.meta.dirname, '..', '..');

export interface ServerStartOptions {
  readonly dataDir: string;
  /** Serve HTTPS (the server's own self-signed certificate) instead of --insecure-http. */
  readonly tls: boolean;
  /** Settings written to a JSON file passed with --config. */
  readonly config: Record<string, unknown>;
  readonly logPath: string;
  /** Node options put before the script (preload, --cpu-prof, which NODE_OPTIONS does not allow). */
  readonly nodeArgs?: readonly string[];
  readonly extraEnv?: Record<string, string>;
}

export interface ApiAnswer {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
}

interface JobView {
  readonly uuid: string;
  readonly state: string;
  readonly message: string;
  readonly code: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function jobUuidOf(json: unknown): string | null {
  if (!isRecord(json) || !isRecord(json.job)) return null;
  return typeof json.job.uuid === 'string' ? json.job.uuid : null;
}

function asJob(json: unknown): JobView | null {
  if (!isRecord(json) || typeof json.uuid !== 'string' || typeof json.state !== 'string') return null;
  return {
    uuid: json.uuid,
    state: json.state,
    message: typeof json.message === 'string' ? json.message : '',
    code: typeof json.code === 'number' ? json.code : 0,
  };
}

/** The real clusterimage server as a child process (`node bin/clusterimage.js serve`), and a small API client. */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
  readonly logPath: string;
  readonly dispatcher: Dispatcher;

  private constructor(child: ChildProcess, url: string, dataDir: string, logPath: string) {
    this.child = child;
    this.url = url;
    this.dataDir = dataDir;
    this.logPath = logPath;
    this.dispatcher = new Agent({ connect: { rejectUnauthorized: false }, keepAliveTimeout: 30_000 });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(options: ServerStartOptions): Promise<ServerProcess> {
    const configPath = join(options.dataDir, '..', `server-config-${Date.now()}.json`);
    writeFileSync(configPath, JSON.stringify(options.config, null, 2));
    const args = [
      ...(options.nodeArgs ?? []),
      join(ROOT, 'bin', 'clusterimage.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      options.dataDir,
      '--config',
      configPath,
      ...(options.tls ? [] : ['--insecure-http']),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, CLUSTERIMAGE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...options.extraEnv };
    delete env.NODE_OPTIONS;
    const child = spawnLogged(process.execPath, args, options.logPath, { env, cwd: ROOT });
    const m = await waitForLog(child, options.logPath, /clusterimage listening on (\S+) /, 30_000);
    const url = m[1] ?? '';
    return new ServerProcess(child, url, options.dataDir, options.logPath);
  }

  async call(method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await request(`${this.url}${path}`, {
      method,
      headers: {
        authorization: AUTH_HEADER,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      dispatcher: this.dispatcher,
      headersTimeout: 180_000,
      bodyTimeout: 180_000,
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, text, json };
  }

  async job(uuid: string): Promise<JobView> {
    const answer = await this.call('GET', `/api/cluster/jobs/${uuid}`);
    const job = asJob(answer.json);
    if (answer.status !== 200 || job === null) throw new Error(`GET job ${uuid}: ${answer.status} ${answer.text.slice(0, 300)}`);
    return job;
  }

  /** Polls a job until it ends; returns it. */
  async waitJob(uuid: string, timeoutMs: number, intervalMs = 20): Promise<JobView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.job(uuid);
      if (job.state === 'success' || job.state === 'failure') return job;
      if (Date.now() > deadline) throw new Error(`job ${uuid} still ${job.state} after ${timeoutMs} ms: ${job.message}`);
      await sleep(intervalMs);
    }
  }

  /**
   * POST /api/cluster/software/download and wait until the job succeeds (return_timeout=120 answers 201 at the
   * job's end; a 202 after 120 s falls back to polling). Throws when the job fails.
   */
  async downloadAndWait(body: Record<string, string>, timeoutMs = 900_000): Promise<string> {
    const answer = await this.call('POST', '/api/cluster/software/download?return_timeout=120', body);
    const uuid = jobUuidOf(answer.json);
    if (answer.status === 201 && uuid !== null) return uuid;
    if (answer.status === 202 && uuid !== null) {
      const job = await this.waitJob(uuid, timeoutMs, 50);
      if (job.state === 'success') return uuid;
      throw new Error(`download job failed: ${job.code} ${job.message}`);
    }
    throw new Error(`POST download: ${answer.status} ${answer.text.slice(0, 400)}`);
  }

  /** DELETE /api/cluster/software/packages/<version> and wait for its job. */
  async deletePackage(version: string): Promise<void> {
    const answer = await this.call('DELETE', `/api/cluster/software/packages/${encodeURIComponent(version)}?return_timeout=60`);
    if (answer.status === 200) return;
    const uuid = jobUuidOf(answer.json);
    if (answer.status === 202 && uuid !== null) {
      const job = await this.waitJob(uuid, 120_000, 50);
      if (job.state === 'success') return;
      throw new Error(`delete job failed: ${job.message}`);
    }
    throw new Error(`DELETE package ${version}: ${answer.status} ${answer.text.slice(0, 300)}`);
  }

  /** Deletes the package if present (404 is fine). */
  async ensureNoPackage(version: string): Promise<void> {
    const answer = await this.call('GET', `/api/cluster/software/packages/${encodeURIComponent(version)}`);
    if (answer.status === 200) await this.deletePackage(version);
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM', 30_000);
    await this.dispatcher.close().catch(() => undefined);
  }
}
