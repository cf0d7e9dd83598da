/**
 * How long the server takes to accept a burst of new connections and answer one request on each, idle and
 * while a download runs, next to bench/bare-fastify.ts measured at the same moments.
 *   npm run build && node --import tsx bench/tools/connection-burst.ts [connections=200]
 */
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Pool } from 'undici';
import { DownloadChain } from '../lib/chain.js';
import { BenchContext } from '../lib/context.js';
import { spawnLogged, stopChild, waitForLog } from '../lib/procs.js';
import { AUTH_HEADER } from '../lib/server.js';
import { fmt, percentile, sleep } from '../lib/util.js';

const BENCH_DIR = resolve(import.meta.dirname, '..');
const connections = Number(process.argv[2] ?? 200);

/** Opens `connections` new connections at once, one GET on each; returns each request's latency. */
async function burst(origin: string, path: string, headers: Record<string, string>): Promise<number[]> {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  try {
    return await Promise.all(
      Array.from({ length: connections }, async () => {
        const started = performance.now();
        const answer = await pool.request({ path, method: 'GET', headers });
        await answer.body.text();
        if (answer.statusCode !== 200) throw new Error(`${path}: ${answer.statusCode}`);
        return performance.now() - started;
      }),
    );
  } finally {
    await pool.close();
  }
}

function show(label: string, latencies: number[]): void {
  process.stdout.write(
    `${label.padEnd(34)} p50 ${fmt(percentile(latencies, 50), 1).padStart(7)} ms   max ${fmt(Math.max(...latencies), 1).padStart(7)} ms\n`,
  );
}

const ctx = new BenchContext();
const small = await ctx.smallFixture();
const big = await ctx.bigFixture();
const origins = await ctx.httpOrigins();
const server = await ctx.startServer('connection-burst');
const jobUuid = await server.downloadAndWait({ url: origins.http.url(small.fileName) });
const jobPath = `/api/cluster/jobs/${jobUuid}`;
const jobFile = join(ctx.workDir, 'burst-job.json');
writeFileSync(jobFile, (await server.call('GET', jobPath)).text);
const bareLog = join(ctx.workDir, 'burst-bare.log');
const bare = spawnLogged(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'bare-fastify.ts'), jobFile], bareLog, {
  cwd: resolve(BENCH_DIR, '..'),
});
try {
  const bareOrigin = `http://127.0.0.1:${(await waitForLog(bare, bareLog, /BARE (\d+)/, 20_000))[1] ?? ''}`;
  const auth = { authorization: AUTH_HEADER };
  process.stdout.write(`# ${String(connections)} new connections at once, one GET ${jobPath} on each\n`);
  await burst(server.url, jobPath, auth);
  await burst(bareOrigin, jobPath, {});
  show('idle: clusterimage', await burst(server.url, jobPath, auth));
  show('idle: bare Fastify', await burst(bareOrigin, jobPath, {}));
  const chain = new DownloadChain(server, origins.http.url(big.fileName), big.version);
  await chain.start();
  try {
    await sleep(500);
    for (let i = 0; i < 2; i++) {
      show('download running: clusterimage', await burst(server.url, jobPath, auth));
      show('download running: bare Fastify', await burst(bareOrigin, jobPath, {}));
    }
  } finally {
    await chain.stop();
  }
} finally {
  await stopChild(bare, 'SIGTERM', 5000);
  await server.stop();
  await ctx.close(false);
}
