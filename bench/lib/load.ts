import { Pool } from 'undici';
import { timedRun, which } from './procs.js';
import { percentile } from './util.js';

export interface LoadResult {
  readonly tool: string;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  readonly errors: number;
}

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly headers?: Record<string, string>;
  /** Stop after this many requests, if that comes before `seconds` are up (undici loop only). */
  readonly requests?: number;
  /** Headers and body timeout per request in ms, 0 for none (undici loop only; default 5000). */
  readonly timeoutMs?: number;
}

export function loadToolName(): string {
  return process.env.BENCH_NO_WRK === undefined && which('wrk') !== null
    ? 'wrk -t1'
    : 'node undici.Pool loop (FALLBACK: wrk missing)';
}

/** wrk -t1 when installed (it takes less CPU than any Node client), else a small undici Pool load generator. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (process.env.BENCH_NO_WRK === undefined && which('wrk') !== null) return runWrk(spec);
  return runUndiciLoad(spec);
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  switch (unit) {
    case 'us':
      return n / 1000;
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    case 'm':
      return n * 60_000;
    default:
      return Number.NaN;
  }
}

export function parseWrk(out: string): Omit<LoadResult, 'tool'> {
  const lat = (label: string): number => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m)\\b`, 'm').exec(out);
    return m?.[1] !== undefined && m[2] !== undefined ? toMs(m[1], m[2]) : Number.NaN;
  };
  const maxLine = /^\s*Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s|m)\b/m.exec(out);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const sockErrors = sock === null ? 0 : sock.slice(1).reduce((n, v) => n + Number(v), 0);
  return {
    requests,
    rps,
    p50Ms: lat('50%'),
    p99Ms: lat('99%'),
    maxMs: maxLine?.[1] !== undefined && maxLine[2] !== undefined ? toMs(maxLine[1], maxLine[2]) : Number.NaN,
    errors: non2xx + sockErrors,
  };
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const args = ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--latency', '--timeout', '5s'];
  for (const [k, v] of Object.entries(spec.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(spec.url);
  const run = await timedRun('wrk', args, (spec.seconds + 30) * 1000);
  if (run.code !== 0) throw new Error(`wrk failed (${run.code}): ${run.stderr}${run.stdout}`);
  return { tool: 'wrk', ...parseWrk(run.stdout) };
}

/** GET requests from a Node undici Pool, one loop per connection, until the time or the request count is used up. */
export async function runUndiciLoad(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, {
    connections: spec.connections,
    pipelining: 1,
    connect: { rejectUnauthorized: false },
  });
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + spec.seconds * 1000;
  const path = `${url.pathname}${url.search}`;
  const limit = spec.requests ?? Infinity;
  const timeoutMs = spec.timeoutMs ?? 5000;
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && sent < limit) {
      sent++;
      const t0 = performance.now();
      try {
        const res = await pool.request({ path, method: 'GET', headers: spec.headers ?? {}, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
        await res.body.dump();
        if (res.statusCode < 200 || res.statusCode >= 400) errors++;
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  return {
    tool: 'undici-loop',
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.reduce((m, v) => (v > m ? v : m), 0),
    errors,
  };
}
