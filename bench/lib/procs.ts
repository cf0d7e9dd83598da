import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { sleep, waitUntil } from './util.js';

/** Every child the bench started, so that each can be stopped by its own pid however the bench ends. */
const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills the children still running (SIGTERM, then SIGKILL), each by its own pid. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`. Resolves once the child is gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    resolve();
  }));
  child.kill(signal);
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => {
    resolve('timeout');
  }, graceMs).unref());
  if ((await Promise.race([exited, timer])) === 'timeout' && !hasExited(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Spawns with stdout+stderr into `logPath` (a file, so a chatty child never blocks on a pipe). */
export function spawnLogged(command: string, args: readonly string[], logPath: string, options: SpawnOptions = {}): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    const child = spawn(command, args, { ...options, stdio: ['ignore', fd, fd] });
    child.on('error', () => undefined);
    return track(child);
  } finally {
    closeSync(fd);
  }
}

/** Waits until `pattern` matches the log file; fails early if the child exits. */
export async function waitForLog(child: ChildProcess, logPath: string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return waitUntil(`${pattern.source} in ${logPath}`, timeoutMs, () => {
    let text: string;
    try {
      text = readFileSync(logPath, 'utf8');
    } catch {
      text = '';
    }
    const m = pattern.exec(text);
    if (m !== null) return m;
    if (hasExited(child)) throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before "${pattern.source}"; log ${logPath}:\n${text.slice(-2000)}`);
    return null;
  });
}

/** Whether `tool` is on PATH (or an absolute executable). */
export function which(tool: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out !== '' ? out : null;
}

/** First line of a command's output (stdout or stderr), or null if it cannot run. */
export function versionOf(command: string, args: readonly string[]): string | null {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
  if (r.error !== undefined) return null;
  const text = `${r.stdout}${r.stderr}`.trim();
  return text.split('\n')[0] ?? null;
}

export interface TimedRun {
  readonly seconds: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion and returns its wall time; rejects after `timeoutMs` (child killed). */
export function timedRun(command: string, args: readonly string[], timeoutMs: number): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 1_000_000) stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 1_000_000) stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ seconds: Number(process.hrtime.bigint() - start) / 1e9, code, stdout, stderr });
    });
  });
}

/** `sync`, so that dirty pages of one run are not written back during the next. */
export async function syncDisks(): Promise<void> {
  await timedRun('sync', [], 120_000).catch(() => undefined);
}

/** A free TCP port on 127.0.0.1 (for tools that cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => {
    resolve();
  }));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resident set size of a process in KiB, from /proc; null when it is gone. */
export function rssKib(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; reports the peak. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #peak = 0;
  #samples = 0;

  constructor(pid: number, intervalMs = 50) {
    this.#pid = pid;
    this.#sample();
    this.#timer = setInterval(() => {
      this.#sample();
    }, intervalMs);
  }

  #sample(): void {
    const kib = rssKib(this.#pid);
    if (kib === null) return;
    this.#samples++;
    if (kib > this.#peak) this.#peak = kib;
  }

  /** Peak RSS in KiB over the sampling period. */
  stop(): { peakKib: number; samples: number } {
    clearInterval(this.#timer);
    this.#sample();
    return { peakKib: this.#peak, samples: this.#samples };
  }
}

/** RSS at rest: the median of a few samples spaced out. */
export async function idleRssKib(pid: number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < 5; i++) {
    const v = rssKib(pid);
    if (v !== null) values.push(v);
    await sleep(40);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? 0;
}
