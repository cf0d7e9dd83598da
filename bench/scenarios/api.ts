import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { DownloadChain } from '../lib/chain.js';
import type { BenchContext } from '../lib/context.js';
import { loadToolName, runLoad, type LoadResult } from '../lib/load.js';
import { spawnLogged, stopChild, syncDisks, waitForLog } from '../lib/procs.js';
import type { Check, Section } from '../lib/report.js';
import { AUTH_HEADER, jobUuidOf, type ServerProcess } from '../lib/server.js';
import { envInt, fmt, maxOf, median, percentile } from '../lib/util.js';

const BENCH_DIR = resolve(import.meta.dirname, '..');

interface Pair {
  readonly bare: LoadResult[];
  readonly server: LoadResult[];
}

/** An origin that accepts the request and never answers: a download that stays running until cancelled. */
async function startStallOrigin(): Promise<{ url: (name: string) => string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {
    // never answer
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => {
        r();
      }));
    },
  };
}

async function measurePairs(label: string, bareUrl: string, serverUrl: string, runs: number, seconds: number, connections: number): Promise<Pair> {
  const bare: LoadResult[] = [];
  const srv: LoadResult[] = [];
  const show = (who: string, r: LoadResult): void => {
    process.stdout.write(`  ${label} ${who}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, max ${fmt(r.maxMs, 1)} ms, errors ${r.errors}\n`);
  };
  for (let i = 0; i < runs; i++) {
    const order: ['bare' | 'server', string][] = i % 2 === 0 ? [['bare', bareUrl], ['server', serverUrl]] : [['server', serverUrl], ['bare', bareUrl]];
    for (const [who, url] of order) {
      const r = await runLoad({ url, connections, seconds, headers: who === 'server' ? { authorization: AUTH_HEADER } : {} });
      show(who, r);
      (who === 'bare' ? bare : srv).push(r);
    }
  }
  return { bare, server: srv };
}

interface AcceptResult {
  readonly latenciesMs: number[];
  readonly conflicts: number;
  readonly others: number;
}

/**
 * p99 latency of accepting POST /api/cluster/software/download?return_timeout=0. One transfer at a time is
 * allowed, so each accepted job (pointed at a stalled origin) is cancelled and seen to fail before the next
 * POST; every POST uses a fresh file name. Only 202 answers are counted; a 409 would be reported apart.
 */
async function measureAccept(server: ServerProcess, count: number, warmup: number): Promise<AcceptResult> {
  const stall = await startStallOrigin();
  const latenciesMs: number[] = [];
  let conflicts = 0;
  let others = 0;
  try {
    for (let i = 0; i < count + warmup; i++) {
      const t0 = performance.now();
      const answer = await server.call('POST', '/api/cluster/software/download?return_timeout=0', { url: stall.url(`bench-accept-${i}.tgz`) });
      const ms = performance.now() - t0;
      const uuid = jobUuidOf(answer.json);
      if (answer.status === 202 && uuid !== null) {
        if (i >= warmup) latenciesMs.push(ms);
        const cancel = await server.call('PATCH', `/api/cluster/jobs/${uuid}?action=cancel`);
        if (cancel.status >= 300) throw new Error(`cancel ${uuid}: ${cancel.status} ${cancel.text.slice(0, 200)}`);
        const job = await server.waitJob(uuid, 30_000, 5);
        if (job.state !== 'failure') throw new Error(`cancelled job ${uuid} ended ${job.state}`);
      } else if (answer.status === 409) {
        conflicts++;
      } else {
        others++;
        if (others > 10) throw new Error(`POST download: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
  } finally {
    await stall.close();
  }
  return { latenciesMs, conflicts, others };
}

function loadRow(phase: string, who: string, rs: LoadResult[]): string[] {
  return [
    phase,
    who,
    fmt(median(rs.map((r) => r.rps))),
    fmt(median(rs.map((r) => r.p50Ms)), 2),
    fmt(median(rs.map((r) => r.p99Ms)), 2),
    fmt(maxOf(rs.map((r) => r.maxMs)), 1),
    String(rs.reduce((n, r) => n + r.errors, 0)),
  ];
}

export async function apiScenario(ctx: BenchContext): Promise<Section> {
  const seconds = envInt('BENCH_API_SECONDS', 10, 1);
  const connections = envInt('BENCH_API_CONNECTIONS', 50, 1);
  const runs = envInt('BENCH_API_RUNS', 3, 1);
  const acceptCount = envInt('BENCH_ACCEPT_N', 200, 1);
  const small = await ctx.smallFixture();
  const big = await ctx.bigFixture();
  const origins = await ctx.httpOrigins();
  const server = await ctx.startServer('api');
  const tool = loadToolName();
  process.stdout.write(`\n# api: ${tool}, ${connections} connections, ${seconds} s per run\n`);
  let bare: ReturnType<typeof spawnLogged> | null = null;
  try {
    const jobUuid = await server.downloadAndWait({ url: origins.http.url(small.fileName) });
    const jobAnswer = await server.call('GET', `/api/cluster/jobs/${jobUuid}`);
    const jobFile = join(ctx.workDir, 'bare-job.json');
    writeFileSync(jobFile, jobAnswer.text);
    const bareLog = join(ctx.workDir, 'bare-fastify.log');
    bare = spawnLogged(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'bare-fastify.ts'), jobFile], bareLog, { cwd: resolve(BENCH_DIR, '..') });
    const port = (await waitForLog(bare, bareLog, /BARE (\d+)/, 20_000))[1] ?? '';
    const path = `/api/cluster/jobs/${jobUuid}`;
    const bareUrl = `http://127.0.0.1:${port}${path}`;
    const serverUrl = `${server.url}${path}`;

    // Warm both up (JIT, connection set-up, the credential cache).
    await runLoad({ url: bareUrl, connections, seconds: 2 });
    await runLoad({ url: serverUrl, connections, seconds: 2, headers: { authorization: AUTH_HEADER } });

    const idle = await measurePairs('idle', bareUrl, serverUrl, runs, seconds, connections);

    const chain = new DownloadChain(server, origins.http.url(big.fileName), big.version);
    await chain.start();
    let busy: Pair;
    try {
      busy = await measurePairs('during download', bareUrl, serverUrl, runs, seconds, connections);
    } finally {
      await chain.stop();
    }
    if (chain.error !== null) throw new Error(`the background download failed: ${chain.error}`);

    // The downloads above leave gigabytes of dirty pages: let writeback finish so it does not skew the accepts.
    await syncDisks();
    process.stdout.write(`  accept: ${acceptCount} sequential POST download?return_timeout=0 (each cancelled before the next)\n`);
    const accept = await measureAccept(server, acceptCount, 10);

    const ratio = (p: Pair): number => median(p.server.map((r) => r.rps)) / median(p.bare.map((r) => r.rps));
    const p99 = (rs: LoadResult[]): number => median(rs.map((r) => r.p99Ms));
    const acceptP99 = percentile(accept.latenciesMs, 99);
    const errors = [...idle.bare, ...idle.server, ...busy.bare, ...busy.server].reduce((n, r) => n + r.errors, 0);
    const checks: Check[] = [
      { name: 'GET job throughput / bare Fastify, idle', target: '>= 0.8', value: fmt(ratio(idle), 2), pass: ratio(idle) >= 0.8 },
      { name: 'GET job p99, idle', target: '< 5 ms', value: `${fmt(p99(idle.server), 2)} ms`, pass: p99(idle.server) < 5 },
      { name: 'GET job throughput / bare Fastify, during a download', target: '>= 0.8', value: fmt(ratio(busy), 2), pass: ratio(busy) >= 0.8 },
      { name: 'GET job p99, during a download', target: '< 5 ms', value: `${fmt(p99(busy.server), 2)} ms`, pass: p99(busy.server) < 5 },
      { name: 'POST download accept p99 (202 only)', target: '< 5 ms', value: `${fmt(acceptP99, 2)} ms`, pass: acceptP99 < 5 },
      { name: 'non-2xx / socket errors under load', target: '0', value: String(errors), pass: errors === 0 },
    ];
    const chainRate = chain.activeSeconds > 0 ? (chain.completed * big.bytes) / 1048576 / chain.activeSeconds : Number.NaN;
    return {
      id: 'api',
      title: 'API cost: GET /api/cluster/jobs/{uuid} vs a bare Fastify route, and POST download accept latency',
      setup: [
        `load: ${tool === 'wrk -t1' ? `\`wrk -t1 -c${connections} -d${seconds}s --latency -H 'Authorization: Basic …' URL\`` : tool}, ${runs} run(s) per side per phase, alternating, after a 2 s warm-up of each`,
        'bare: `bench/bare-fastify.ts`, Fastify 5 in its own process, no auth, returning the same job JSON the server returned',
        'server: the real server with its defaults (--insecure-http, log level ' + (process.env.BENCH_LOG_LEVEL ?? 'info') + ' to a file; as on ONTAP, a successful GET gets no access line unless GET auditing is on, which `bench/tools/instructions-per-request.sh` also measures), Basic auth on every request',
        `"during a download": a loop of ${fmt(big.bytes / 1048576)} MiB downloads from the HTTP origin keeps one transfer running (${chain.completed} completed during the measurement${Number.isFinite(chainRate) ? `, ~${fmt(chainRate)} MiB/s` : ''}); the bare route is measured under the same load`,
        `accept: ${acceptCount} sequential POSTs (after 10 warm-ups) to a stalled origin, each job cancelled and seen failed before the next POST (one transfer at a time), after a sync; conflicts (409) ${accept.conflicts}, other answers ${accept.others}`,
      ],
      tables: [
        {
          headers: ['phase', 'target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'],
          rows: [
            loadRow('idle', 'bare Fastify', idle.bare),
            loadRow('idle', 'clusterimage GET job', idle.server),
            loadRow('download running', 'bare Fastify', busy.bare),
            loadRow('download running', 'clusterimage GET job', busy.server),
          ],
        },
        {
          headers: ['POST download?return_timeout=0 (202)', 'n', 'p50 ms', 'p99 ms', 'max ms'],
          rows: [['accept latency', String(accept.latenciesMs.length), fmt(percentile(accept.latenciesMs, 50), 2), fmt(acceptP99, 2), fmt(maxOf(accept.latenciesMs), 2)]],
        },
      ],
      checks,
      notes: [
        'Both servers and the load generator share the 2 cores; the ratio, not the absolute req/s, is the figure to compare.',
      ],
    };
  } finally {
    if (bare !== null) await stopChild(bare, 'SIGTERM', 5000);
    await server.stop();
  }
}
