import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config-schema.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { ThrottleSettings } from '../../src/http/login-throttle.js';
import type { Clock } from '../../src/core/ports/clock.js';

export const ADMIN_PASSWORD = 'Adm1n-Pa55-Test';

/** Generous limits so tests that send wrong credentials on purpose do not lock each other out. */
export const LENIENT_THROTTLE: ThrottleSettings = {
  slowAfter: 1000,
  lockAfter: 100000,
  windowMs: 60_000,
  lockMs: 1000,
  stepDelayMs: 0,
  maxDelayMs: 0,
};

export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  readonly dataDir: string;
  readonly config: Config;
  /** Every log line the server wrote, as text. */
  readonly logs: string[];
  api(method: string, path: string, options?: ApiOptions): Promise<ApiResponse>;
}

export interface ApiOptions {
  readonly body?: unknown;
  readonly rawBody?: string | Buffer;
  readonly user?: string;
  readonly password?: string;
  /** false = no Authorization header. */
  readonly auth?: boolean;
  readonly headers?: Record<string, string>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: unknown;
}

const insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });

export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  options: ApiOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.auth !== false) {
    const user = options.user ?? 'admin';
    const password = options.password ?? ADMIN_PASSWORD;
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(`${baseUrl}${path}`, {
    method: method as 'GET',
    headers,
    ...(body !== undefined ? { body } : {}),
    dispatcher: insecureAgent,
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

export interface StartOptions {
  readonly config?: Partial<Record<keyof Config, unknown>>;
  readonly dataDir?: string;
  readonly throttle?: ThrottleSettings;
  readonly https?: boolean;
  readonly keepDataDir?: boolean;
  /** Time source of the server (jobs' times, retention); the system clock by default. */
  readonly clock?: Clock;
}

/** Starts a real server on 127.0.0.1 port 0 with a temp data folder; stopped and removed after the test. */
export async function startTestServer(t: TestContext, options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'clusterimage-test-')));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const config = loadConfig({
    env: {},
    flags: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      insecureHttp: options.https !== true,
      minFreeBytes: 0,
      ...(options.config ?? {}),
    },
  });
  const server = await startServer({
    config,
    logger: pino({ level: 'info' }, sink),
    adminPassword: ADMIN_PASSWORD,
    throttle: options.throttle ?? LENIENT_THROTTLE,
    notice: (line) => logs.push(line),
    progressIntervalMs: 0,
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  t.after(async () => {
    await server.close();
    if (options.keepDataDir !== true && options.dataDir === undefined)
      await rm(dataDir, { recursive: true, force: true });
  });
  return {
    server,
    url: server.url,
    dataDir,
    config,
    logs,
    api: (method, path, apiOptions) => callApi(server.url, method, path, apiOptions),
  };
}
