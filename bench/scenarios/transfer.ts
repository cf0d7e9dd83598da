import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, Fixture } from '../lib/context.js';
import { idleRssKib, RssSampler, syncDisks, timedRun, versionOf } from '../lib/procs.js';
import type { Check, Section } from '../lib/report.js';
import { ADMIN_PASSWORD, type ServerProcess } from '../lib/server.js';
import { fmt, maxOf, median, MIB, minOf } from '../lib/util.js';

interface Run {
  readonly seconds: number;
  /** Server runs only: peak RSS during the run minus RSS at rest just before it, and the peak itself. */
  readonly growthKib?: number;
  readonly peakKib?: number;
}

const RSS_LIMIT_MIB = 64;

/**
 * Runs A and B alternately: warm-ups first (not counted), then `runs` pairs, swapping which goes first on
 * every pair so that neither always runs on a page cache the other just warmed or dirtied.
 */
async function alternate(ctx: BenchContext, labels: [string, string], a: () => Promise<Run>, b: () => Promise<Run>): Promise<{ a: Run[]; b: Run[]; warm: Run[] }> {
  const line = (tag: string, label: string, r: Run, bytes: number): string =>
    `${tag} ${label}: ${r.seconds.toFixed(2)} s, ${fmt(bytes / MIB / r.seconds)} MiB/s${r.growthKib !== undefined ? `, RSS +${fmt(r.growthKib / 1024, 1)} MiB` : ''}`;
  const bytes = (await ctx.bigFixture()).bytes;
  const warm: Run[] = [];
  for (let w = 0; w < ctx.warmups; w++) {
    const first = await a();
    warm.push(first);
    process.stdout.write(`  ${line('warm-up', labels[0], first, bytes)}\n`);
    process.stdout.write(`  ${line('warm-up', labels[1], await b(), bytes)}\n`);
  }
  const ra: Run[] = [];
  const rb: Run[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    const tag = `run ${i + 1}/${ctx.runs}`;
    if (i % 2 === 0) {
      ra.push(await a());
      process.stdout.write(`  ${line(tag, labels[0], ra[ra.length - 1] as Run, bytes)}\n`);
      rb.push(await b());
      process.stdout.write(`  ${line(tag, labels[1], rb[rb.length - 1] as Run, bytes)}\n`);
    } else {
      rb.push(await b());
      process.stdout.write(`  ${line(tag, labels[1], rb[rb.length - 1] as Run, bytes)}\n`);
      ra.push(await a());
      process.stdout.write(`  ${line(tag, labels[0], ra[ra.length - 1] as Run, bytes)}\n`);
    }
  }
  return { a: ra, b: rb, warm };
}

async function verifyPackage(server: ServerProcess, fixture: Fixture): Promise<void> {
  const answer = await server.call('GET', `/api/cluster/software/packages/${fixture.version}?fields=sha256,size`);
  const json = answer.json as { sha256?: unknown; size?: unknown } | undefined;
  if (answer.status !== 200 || json?.sha256 !== fixture.sha256 || json.size !== fixture.bytes) {
    throw new Error(`package ${fixture.version} after the transfer: ${answer.status} ${answer.text.slice(0, 300)}`);
  }
}

/** One server run: RSS at rest, then sample every 50 ms while `transfer` runs; verify, delete, sync. */
async function serverRun(server: ServerProcess, fixture: Fixture, transfer: () => Promise<void>): Promise<Run> {
  await server.ensureNoPackage(fixture.version);
  const idle = await idleRssKib(server.pid);
  const sampler = new RssSampler(server.pid, 50);
  const t0 = performance.now();
  try {
    await transfer();
  } catch (err) {
    sampler.stop();
    throw err;
  }
  const seconds = (performance.now() - t0) / 1000;
  const peak = sampler.stop();
  await verifyPackage(server, fixture);
  await server.deletePackage(fixture.version);
  await syncDisks();
  return { seconds, growthKib: Math.max(0, peak.peakKib - idle), peakKib: peak.peakKib };
}

/** One peer run: a command that writes `out`, checked for size, then removed; sync. */
async function peerRun(command: string, args: string[], out: string, fixture: Fixture): Promise<Run> {
  rmSync(out, { force: true });
  await syncDisks();
  const run = await timedRun(command, args, 900_000);
  if (run.code !== 0) throw new Error(`${command} exited ${run.code}: ${run.stderr.slice(0, 500)}`);
  const size = statSync(out).size;
  rmSync(out, { force: true });
  await syncDisks();
  if (size !== fixture.bytes) throw new Error(`${command} wrote ${size} bytes, expected ${fixture.bytes}`);
  return { seconds: run.seconds };
}

function summarize(
  id: string,
  title: string,
  setup: string[],
  labels: [string, string],
  runs: { a: Run[]; b: Run[]; warm: Run[] },
  fixture: Fixture,
  target: number,
  notes: string[],
): Section {
  const mibs = (r: Run): number => fixture.bytes / MIB / r.seconds;
  const aRates = runs.a.map(mibs);
  const bRates = runs.b.map(mibs);
  const aMed = median(aRates);
  const bMed = median(bRates);
  const ratio = aMed / bMed;
  const growth = runs.a.map((r) => (r.growthKib ?? 0) / 1024);
  const maxGrowth = maxOf(growth);
  const perRun = runs.a.map((r, i) => {
    const peer = runs.b[i];
    return [
      String(i + 1),
      r.seconds.toFixed(2),
      fmt(mibs(r)),
      fmt((r.growthKib ?? 0) / 1024, 1),
      peer === undefined ? '' : peer.seconds.toFixed(2),
      peer === undefined ? '' : fmt(mibs(peer)),
      peer === undefined ? '' : fmt(mibs(r) / mibs(peer), 2),
    ];
  });
  const checks: Check[] = [
    { name: `throughput ratio (${labels[0]} / ${labels[1]})`, target: `>= ${target.toFixed(1)}`, value: fmt(ratio, 2), pass: ratio >= target },
    { name: 'server peak RSS growth over idle (max of runs)', target: `<= ${RSS_LIMIT_MIB} MiB`, value: `${fmt(maxGrowth, 1)} MiB`, pass: maxGrowth <= RSS_LIMIT_MIB },
  ];
  return {
    id,
    title,
    setup: [...setup, `file: ${fmt(fixture.bytes / MIB, 1)} MiB; ${runs.a.length} measured pairs (+ warm-up), alternating, order swapped every pair; \`sync\` before every run`],
    tables: [
      {
        headers: ['measure', labels[0], labels[1], 'ratio'],
        rows: [
          ['median MiB/s', fmt(aMed), fmt(bMed), fmt(ratio, 2)],
          ['MiB/s range', `${fmt(minOf(aRates))}-${fmt(maxOf(aRates))}`, `${fmt(minOf(bRates))}-${fmt(maxOf(bRates))}`, ''],
          ['median s', fmt(median(runs.a.map((r) => r.seconds)), 2), fmt(median(runs.b.map((r) => r.seconds)), 2), ''],
          ['peak RSS growth, MiB (max / median)', `${fmt(maxGrowth, 1)} / ${fmt(median(growth), 1)}`, '', ''],
          ...(runs.warm.length > 0
            ? [['first (warm-up) run after start: MiB/s, RSS growth MiB', `${fmt(mibs(runs.warm[0] as Run))}, +${fmt((runs.warm[0]?.growthKib ?? 0) / 1024, 1)}`, '', '']]
            : []),
        ],
      },
      { headers: ['pair', `${labels[0]} s`, 'MiB/s', 'RSS +MiB', `${labels[1]} s`, 'MiB/s', 'ratio'], rows: perRun },
    ],
    checks,
    notes,
  };
}

const SERVER_NOTE =
  'The server figure is the wall time from the POST to the job\'s success (return_timeout=120 answers when the job ends): ' +
  'it includes sha256, gzip/tar inspection, fsync of the file and the folder, and the commit. The peer only writes the file (no hash, no fsync).';

export async function downloadScenario(ctx: BenchContext, kind: 'http' | 'https' | 'ftp'): Promise<Section> {
  const fixture = await ctx.bigFixture();
  const origin = kind === 'ftp' ? await ctx.ftpOrigin(fixture) : (await ctx.httpOrigins())[kind];
  const cert = await ctx.cert();
  const server = await ctx.startServer(`download-${kind}`);
  try {
    const url = origin.url(fixture.fileName);
    const out = join(server.dataDir, 'peer-curl.bin');
    const curlArgs = ['-sS', '-f', '-o', out, ...(kind === 'https' ? ['--cacert', cert.certPath] : []), url];
    const labels: [string, string] = ['clusterimage', 'curl -o file'];
    process.stdout.write(`\n# download-${kind}: ${origin.label}, ${url}\n`);
    const runs = await alternate(
      ctx,
      labels,
      () => serverRun(server, fixture, async () => {
        await server.downloadAndWait({ url });
      }),
      () => peerRun('curl', curlArgs, out, fixture),
    );
    const target = kind === 'http' ? 1.0 : 0.9;
    return summarize(
      `download-${kind}`,
      `Download over ${kind.toUpperCase()}: POST /api/cluster/software/download vs curl`,
      [
        `origin: ${origin.label} on 127.0.0.1${kind === 'https' ? ' (self-signed certificate, trusted by the server through `caFiles`, by curl through `--cacert`)' : ''}`,
        `server: \`node bin/clusterimage.js serve --insecure-http\` (child process, log level ${process.env.BENCH_LOG_LEVEL ?? 'info'}), data folder on the same file system as curl's output`,
        `peer: \`curl ${curlArgs.join(' ').replace(out, '<data folder>/peer-curl.bin')}\` (${versionOf('curl', ['-V'])?.split(' ').slice(0, 2).join(' ') ?? 'curl'})`,
      ],
      labels,
      runs,
      fixture,
      target,
      [SERVER_NOTE],
    );
  } finally {
    await server.stop();
  }
}

export async function uploadScenario(ctx: BenchContext, tls: boolean): Promise<Section> {
  const fixture = await ctx.bigFixture();
  const server = await ctx.startServer(tls ? 'upload-https' : 'upload', { tls });
  try {
    const resp = join(server.dataDir, '..', 'upload-response.json');
    const url = `${server.url}/api/cluster/software/upload?return_timeout=120`;
    const curlArgs = ['-sS', '-o', resp, '-w', '%{http_code}', '-u', `admin:${ADMIN_PASSWORD}`, '-F', `file=@${fixture.path}`, ...(tls ? ['-k'] : []), url];
    const out = join(server.dataDir, 'peer-dd.bin');
    const ddArgs = [`if=${fixture.path}`, `of=${out}`, 'bs=1M', 'conv=fdatasync', 'status=none'];
    const labels: [string, string] = ['curl -F upload', 'dd conv=fdatasync'];
    process.stdout.write(`\n# upload${tls ? '-https' : ''}: ${url}\n`);
    const runs = await alternate(
      ctx,
      labels,
      () => serverRun(server, fixture, async () => {
        const run = await timedRun('curl', curlArgs, 900_000);
        if (run.code !== 0 || run.stdout.trim() !== '201') {
          throw new Error(`upload: curl exit ${run.code}, HTTP ${run.stdout.trim()} ${run.stderr.slice(0, 300)}`);
        }
      }),
      () => peerRun('dd', ddArgs, out, fixture),
    );
    return summarize(
      tls ? 'upload-https' : 'upload',
      `Upload${tls ? ' over HTTPS' : ''}: curl -F to POST /api/cluster/software/upload vs dd`,
      [
        `server: \`node bin/clusterimage.js serve${tls ? '' : ' --insecure-http'}\` (child process${tls ? ', its own self-signed certificate, curl -k' : ''})`,
        `client: \`curl -sS -u admin:*** -F file=@<fixture> '${server.url.replace(/:\d+$/, ':<port>')}/api/cluster/software/upload?return_timeout=120'\`, timed as a whole process, 201 required`,
        `peer: \`dd if=<fixture> of=<data folder>/peer-dd.bin bs=1M conv=fdatasync\`; the fixture is in the page cache for both`,
      ],
      labels,
      runs,
      fixture,
      0.8,
      [
        'The upload figure is curl\'s whole run: the multipart body over loopback, then the answer once the job has recognised, fsynced and committed the package.',
      ],
    );
  } finally {
    await server.stop();
  }
}
