import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'undici';
import type { BenchContext } from '../lib/context.js';
import type { Check, Section } from '../lib/report.js';
import { AUTH_HEADER, jobUuidOf, type ServerProcess } from '../lib/server.js';
import { envInt, fmt, maxOf, percentile, sleep, waitUntil } from '../lib/util.js';

interface EldStats {
  readonly seq: number;
  /** The monitor's timer period: every recorded interval includes it, so a delay is the interval minus it. */
  readonly resolutionMs: number;
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly count: number;
}

/** Asks the preload in the server (bench/eld-preload.mjs) for the histogram since the last ask, and resets it. */
async function readEld(server: ServerProcess, file: string, lastSeq: number): Promise<EldStats> {
  process.kill(server.pid, 'SIGUSR2');
  return waitUntil('event-loop stats from the server', 5000, () => {
    if (!existsSync(file)) return null;
    try {
      const stats = JSON.parse(readFileSync(file, 'utf8')) as EldStats;
      if (stats.seq <= lastSeq) return null;
      const r = stats.resolutionMs;
      return { ...stats, maxMs: Math.max(0, stats.maxMs - r), p99Ms: Math.max(0, stats.p99Ms - r), meanMs: Math.max(0, stats.meanMs - r) };
    } catch {
      return null;
    }
  }, 20);
}

/** Read through a function: the loops' own conditions would otherwise narrow `done` to false. */
function isDone(state: { done: boolean }): boolean {
  return state.done;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Tally {
  jobPolls: number;
  listCalls: number;
  non200: number;
  wrong: number;
  transportErrors: number;
  firstProblem: string | null;
  latencies: number[];
}

export async function eventLoopScenario(ctx: BenchContext): Promise<Section> {
  const clients = envInt('BENCH_ELD_CLIENTS', 200, 1);
  const sizeMib = envInt('BENCH_ELD_SIZE_MIB', 1024, 1);
  const thinkMs = envInt('BENCH_ELD_THINK_MS', 100, 0);
  const idleMs = envInt('BENCH_ELD_IDLE_MS', 3000, 500);
  const fixture = await ctx.fixture('bench_9993_eld.tgz', '9.99.3', sizeMib);
  const small = await ctx.smallFixture();
  const origins = await ctx.httpOrigins();
  const eldFile = join(ctx.workDir, 'eld.json');
  const server = await ctx.startServer('eventloop', { eldFile });
  process.stdout.write(`\n# eventloop: ${clients} clients polling while a ${fmt(fixture.bytes / 1048576)} MiB download runs (${origins.http.label})\n`);
  const pool = new Pool(server.url, { connections: clients, pipelining: 1, connect: { rejectUnauthorized: false } });
  const probe = new Client(server.url, { connect: { rejectUnauthorized: false } });
  try {
    // A package in the list, and the job the clients poll while no download runs.
    const warmJob = await server.downloadAndWait({ url: origins.http.url(small.fileName) });
    await server.ensureNoPackage(fixture.version);
    let seq = (await readEld(server, eldFile, 0)).seq;

    const newTally = (): Tally => ({ jobPolls: 0, listCalls: 0, non200: 0, wrong: 0, transportErrors: 0, firstProblem: null, latencies: [] });
    const phases = { idle: newTally(), download: newTally() };
    // What the clients poll, and which phase their answers count for; the POST switches both.
    const target = { uuid: warmJob, states: ['success'], tally: phases.idle };
    const problem = (tally: Tally, what: string): void => {
      tally.firstProblem ??= what;
    };
    const state = { done: false, endState: '', endMs: 0 };
    let t0 = 0;
    const deadline = Date.now() + 600_000;

    const client = async (n: number): Promise<void> => {
      for (let i = n; !state.done && Date.now() < deadline; i++) {
        const poll = i % 2 === 0;
        const { uuid, states, tally } = target;
        const path = poll ? `/api/cluster/jobs/${uuid}` : '/api/cluster/software/packages';
        const started = performance.now();
        try {
          const res = await pool.request({ path, method: 'GET', headers: { authorization: AUTH_HEADER }, headersTimeout: 30_000, bodyTimeout: 30_000 });
          const text = await res.body.text();
          tally.latencies.push(performance.now() - started);
          if (poll) tally.jobPolls++;
          else tally.listCalls++;
          if (res.statusCode !== 200) {
            tally.non200++;
            problem(tally, `${path}: ${res.statusCode} ${text.slice(0, 200)}`);
            continue;
          }
          const json: unknown = JSON.parse(text);
          if (poll) {
            const ok = isRecord(json) && json.uuid === uuid && typeof json.state === 'string' && states.includes(json.state) && typeof json.message === 'string';
            if (!ok) {
              tally.wrong++;
              problem(tally, `job answer: ${text.slice(0, 200)}`);
            } else if (tally === phases.download && json.state === 'success' && !isDone(state)) {
              state.done = true;
              state.endState = 'success';
              state.endMs = performance.now() - t0;
            }
          } else {
            const records = isRecord(json) ? json.records : undefined;
            const ok = isRecord(json) && Array.isArray(records) && json.num_records === records.length && records.length >= 1 &&
              records.every((r) => isRecord(r) && typeof r.version === 'string');
            if (!ok) {
              tally.wrong++;
              problem(tally, `package list: ${text.slice(0, 200)}`);
            }
          }
        } catch (err) {
          tally.transportErrors++;
          problem(tally, `${path}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (thinkMs > 0) await sleep(thinkMs);
      }
    };

    // The probe: a trivial request (GET / answers a redirect, no auth, no store) every 10 ms.
    const probeLatencies = { idle: [] as number[], download: [] as number[] };
    const prober = async (): Promise<void> => {
      while (!state.done && Date.now() < deadline) {
        const into = target.tally === phases.idle ? probeLatencies.idle : probeLatencies.download;
        const started = performance.now();
        try {
          const r = await probe.request({ path: '/', method: 'GET', headersTimeout: 30_000 });
          await r.body.dump();
          into.push(performance.now() - started);
        } catch {
          target.tally.transportErrors++;
        }
        await sleep(10);
      }
    };
    const pollers = Promise.all([...Array.from({ length: clients }, (_, i) => client(i)), prober()]);

    // Idle phase: the same clients on the same connections, polling the finished warm-up job.
    await sleep(idleMs);
    const idleEld = await readEld(server, eldFile, seq);
    seq = idleEld.seq;

    const post = await server.call('POST', '/api/cluster/software/download?return_timeout=0', { url: origins.http.url(fixture.fileName) });
    const uuid = jobUuidOf(post.json);
    if (post.status !== 202 || uuid === null) {
      state.done = true;
      await pollers;
      throw new Error(`POST download: ${post.status} ${post.text.slice(0, 300)}`);
    }
    t0 = performance.now();
    target.uuid = uuid;
    target.states = ['queued', 'running', 'success'];
    target.tally = phases.download;

    // A failed job ends the loops too (the clients only look for success).
    const watcher = async (): Promise<void> => {
      while (!state.done && Date.now() < deadline) {
        await sleep(500);
        const job = await server.job(uuid).catch(() => null);
        if (job?.state === 'failure') {
          state.done = true;
          state.endState = `failure: ${job.message}`;
          state.endMs = performance.now() - t0;
        }
      }
    };
    await Promise.all([pollers, watcher()]);
    const busyEld = await readEld(server, eldFile, seq);
    if (state.endState !== 'success') throw new Error(`the download did not succeed: ${state.endState || 'timed out'}`);

    const seconds = state.endMs / 1000;
    const rate = fixture.bytes / 1048576 / seconds;
    const idle = phases.idle;
    const busy = phases.download;
    const served = (t: Tally): number => t.jobPolls + t.listCalls;
    const bad = (t: Tally): number => t.non200 + t.wrong + t.transportErrors;
    const latencyCell = (l: number[]): string => `${fmt(percentile(l, 50), 1)} / ${fmt(percentile(l, 99), 1)} / ${fmt(maxOf(l), 1)}`;
    const probeCell = (l: number[]): string => `${fmt(percentile(l, 99), 1)} / ${fmt(maxOf(l), 1)}`;
    const checks: Check[] = [
      { name: 'max event-loop delay during the download (inside the server)', target: '< 50 ms', value: `${fmt(busyEld.maxMs, 1)} ms`, pass: busyEld.maxMs < 50 },
      {
        name: 'answers that were not 200 / not correct / transport errors (idle + download)',
        target: '0',
        value: `${idle.non200 + busy.non200} / ${idle.wrong + busy.wrong} / ${idle.transportErrors + busy.transportErrors}`,
        pass: bad(idle) + bad(busy) === 0,
      },
    ];
    const firstProblem = idle.firstProblem ?? busy.firstProblem;
    return {
      id: 'eventloop',
      title: `Event loop under load: ${clients} clients polling while a ${fmt(fixture.bytes / 1048576)} MiB download runs`,
      setup: [
        `server: the real server (--insecure-http) with \`bench/eld-preload.mjs\` preloaded with node --import: it runs \`perf_hooks.monitorEventLoopDelay({ resolution: 10 })\` inside the server process and reports on SIGUSR2 (src/ is unchanged); delays shown are the recorded intervals minus the 10 ms timer period`,
        `${clients} clients (undici Pool, ${clients} connections, think time ${thinkMs} ms) alternate GET /api/cluster/jobs/{uuid} and GET /api/cluster/software/packages; every answer is checked (200, job uuid and state, records/num_records)`,
        `idle: the clients open their connections and poll the finished warm-up job for ${fmt(idleMs / 1000, 1)} s (this phase holds the burst of ${clients} new connections); download: the same clients poll the download's job from the POST until it succeeds`,
        'probe: one more connection sends the cheapest request (GET /, a redirect without auth) every 10 ms; its latency includes queueing behind the clients, so its max is an upper bound, not the loop delay',
        `origin: ${origins.http.label}`,
      ],
      tables: [
        {
          headers: ['measure', 'idle (clients polling)', 'during download'],
          rows: [
            ['event-loop delay max, ms (inside)', fmt(idleEld.maxMs, 1), fmt(busyEld.maxMs, 1)],
            ['event-loop delay p99, ms (inside)', fmt(idleEld.p99Ms, 1), fmt(busyEld.p99Ms, 1)],
            ['event-loop delay mean, ms (inside)', fmt(idleEld.meanMs, 1), fmt(busyEld.meanMs, 1)],
            ['probe GET / latency p99 / max, ms (outside)', probeCell(probeLatencies.idle), probeCell(probeLatencies.download)],
            ['client request latency p50 / p99 / max, ms', latencyCell(idle.latencies), latencyCell(busy.latencies)],
            ['answers (job polls + package lists)', `${served(idle)} (${idle.jobPolls} + ${idle.listCalls}), ${fmt(served(idle) / (idleMs / 1000))} req/s`, `${served(busy)} (${busy.jobPolls} + ${busy.listCalls}), ${fmt(served(busy) / seconds)} req/s`],
            ['download: seconds, MiB/s', '', `${fmt(seconds, 2)} s, ${fmt(rate)} MiB/s`],
          ],
        },
      ],
      checks,
      notes: firstProblem !== null ? [`first problem seen: ${firstProblem}`] : [],
    };
  } finally {
    await probe.close().catch(() => undefined);
    await pool.close().catch(() => undefined);
    await server.stop();
  }
}
