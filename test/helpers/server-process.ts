import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { pollUntil } from './poll.js';
import { callApi, type ApiOptions, type ApiResponse } from './with-server.js';

/** The repository root (this file is test/helpers/server-process.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'clusterimage.js');
const DIST_MAIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** A distinct admin password for spawned servers. */
export const PROCESS_ADMIN_PASSWORD = 'Pr0cess-Adm1n-Pw';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function distIsCurrent(): boolean {
  try {
    return statSync(DIST_MAIN).mtimeMs >= newestMtime(join(REPO_ROOT, 'src'));
  } catch {
    return false;
  }
}

/**
 * Makes sure `dist/` is at least as new as `src/`, since `bin/clusterimage.js` runs the build. `npm run check`
 * builds before testing, so in CI this is a no-op; a local run of one test file builds once, under a lock
 * folder so that test files running in parallel do not build at the same time.
 */
export async function ensureBuilt(): Promise<void> {
  if (distIsCurrent()) return;
  const lock = join(REPO_ROOT, '.tmp', 'build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // removed meanwhile
      }
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for too long`);
      await delay(200);
    }
  }
  try {
    if (distIsCurrent()) return;
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (built.status !== 0) {
      // tsc still emits on type errors (the typecheck reports those); only a missing entry point is fatal.
      if (!distIsCurrent()) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
      process.stderr.write(`warning: npm run build reported errors:\n${built.stdout}${built.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface SpawnOptions {
  /** Data folder; a fresh temporary one (removed after the test) when absent. */
  readonly dataDir?: string;
  /** Settings written to a JSON config file passed with `--config`. */
  readonly config?: Record<string, unknown>;
  /** Extra environment. */
  readonly env?: Record<string, string>;
  readonly adminPassword?: string;
  /** How long to wait for the "listening" line. */
  readonly startDeadlineMs?: number;
}

export interface ServerProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  readonly api: (method: string, path: string, options?: ApiOptions) => Promise<ApiResponse>;
  /** SIGKILL, then waits until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful shutdown), then waits for the exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/**
 * Runs `node bin/clusterimage.js serve --port 0 --insecure-http --data-dir <dir>` as a real child process
 * on 127.0.0.1 and waits for its `clusterimage listening on <url>` line. Killed after the test if still alive.
 */
export async function spawnServer(t: TestContext, options: SpawnOptions = {}): Promise<ServerProcess> {
  await ensureBuilt();
  let dataDir = options.dataDir;
  if (dataDir === undefined) {
    const made = await mkdtemp(join(tmpdir(), 'clusterimage-proc-'));
    dataDir = made;
    t.after(() => rm(made, { recursive: true, force: true }));
  }
  const args = [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--insecure-http', '--data-dir', dataDir];
  if (options.config !== undefined) {
    const file = join(await mkdtemp(join(tmpdir(), 'clusterimage-conf-')), 'config.json');
    await writeFile(file, JSON.stringify(options.config));
    t.after(() => rm(dirname(file), { recursive: true, force: true }));
    args.push('--config', file);
  }
  const password = options.adminPassword ?? PROCESS_ADMIN_PASSWORD;
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env, CLUSTERIMAGE_ADMIN_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s: string) => chunks.push(s));
  child.stderr.on('data', (s: string) => chunks.push(s));
  const state = { exited: false };
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => {
      state.exited = true;
      resolveExit();
    });
  });
  t.after(async () => {
    if (!state.exited) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const output = (): string => chunks.join('');
  const deadline = Date.now() + (options.startDeadlineMs ?? 30_000);
  let url: string | null = null;
  while (url === null) {
    const m = /clusterimage listening on (\S+)/.exec(output());
    if (m?.[1] !== undefined) url = m[1];
    else if (state.exited) throw new Error(`server exited before listening:\n${output()}`);
    else if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not print its listening line in time:\n${output()}`);
    } else await delay(20);
  }
  const base = url;
  if (child.pid === undefined) throw new Error('no pid');
  const pid = child.pid;
  return {
    url: base,
    dataDir,
    pid,
    child,
    output,
    exited,
    api: (method, path, apiOptions) =>
      callApi(base, method, path, { user: 'admin', password, ...apiOptions }),
    kill9: async () => {
      if (!state.exited) process.kill(pid, 'SIGKILL');
      await exited;
    },
    stop: async () => {
      if (!state.exited) process.kill(pid, 'SIGTERM');
      await exited;
      return child.exitCode;
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly stdin?: string;
  readonly env?: Record<string, string>;
}

export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly done: Promise<CliResult>;
}

/** Starts `node bin/clusterimage.js <args>` (built already) with only PATH and `env`, feeding `stdin`. */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => out.push(s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => err.push(s));
  child.stdin.end(options.stdin ?? '');
  const done = new Promise<CliResult>((resolveDone) => {
    child.once('close', (code) => {
      resolveDone({ code, stdout: out.join(''), stderr: err.join('') });
    });
  });
  return { child, stdout: () => out.join(''), stderr: () => err.join(''), done };
}

/** Runs `node bin/clusterimage.js <args>` to completion, feeding `stdin`. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  await ensureBuilt();
  return startCli(args, options).done;
}

export interface ServingCli extends RunningCli {
  /** The URL from the `listening on <url>` line. */
  readonly url: string;
}

/**
 * Starts `node bin/clusterimage.js serve <args>` with only PATH and `env`, adding no flags of its own (unlike
 * spawnServer), and waits for the `listening on <url>` line on stdout. Stopped with SIGTERM after the test
 * if still running.
 */
export async function serveCli(
  t: TestContext,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ServingCli> {
  await ensureBuilt();
  const cli = startCli(['serve', ...args], { env });
  const running = (): boolean => cli.child.exitCode === null && cli.child.signalCode === null;
  t.after(async () => {
    if (running()) cli.child.kill('SIGTERM');
    await cli.done;
  });
  const url = await pollUntil('the listening line', () => {
    const found = /listening on (\S+)/.exec(cli.stdout())?.[1];
    if (found === undefined && !running()) throw new Error('serve exited before listening');
    return found;
  }).catch((err: unknown) => {
    throw new Error(`${String(err)}; stdout: ${cli.stdout()} stderr: ${cli.stderr()}`);
  });
  return { ...cli, url };
}

/** `PRAGMA integrity_check` on a database file, opened read-only; 'ok' when sound. */
export function integrityCheck(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('\n');
  } finally {
    db.close();
  }
}
