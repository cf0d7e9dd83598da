import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'clusterimage.js');

export interface Proc {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  readonly exited: Promise<number | null>;
}

export function run(args: string[], env: Record<string, string> = {}, stdin?: string): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  if (stdin !== undefined) child.stdin.end(stdin);
  else child.stdin.end();
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, out: () => out, err: () => err, exited };
}

export async function until<T>(what: string, fn: () => T | undefined, p: Proc, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = fn();
    if (v !== undefined) return v;
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} did not happen; stdout: ${p.out()} stderr: ${p.err()}`);
}

export async function serve(
  t: TestContext,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ p: Proc; url: string }> {
  const p = run(['serve', ...args], env);
  t.after(async () => {
    if (p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });
  const url = await until('listening', () => /listening on (\S+)/.exec(p.out())?.[1], p);
  return { p, url };
}

export async function tmp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clusterimage-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
