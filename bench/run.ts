/**
 * clusterimage benchmark: the real server as a child process against peer tools, side by side, on 127.0.0.1.
 *
 *   npm run bench                         all scenarios
 *   npm run bench -- http ftp api         some of them
 *   npm run bench -- --write-docs         and write docs/performance.md
 *
 * Scenarios: download-http (http), download-https (https), download-ftp (ftp), upload, upload-https, api,
 * eventloop. Knobs (environment): see KNOBS below or `npm run bench -- --help`.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { BenchContext } from './lib/context.js';
import { stopAll, timedRun, versionOf, which } from './lib/procs.js';
import { checksTable, failedSection, markdownTable, printSection, sectionMarkdown, type Section } from './lib/report.js';
import { envFlag, envInt } from './lib/util.js';
import { apiScenario } from './scenarios/api.js';
import { eventLoopScenario } from './scenarios/eventloop.js';
import { fuzzScenario } from './scenarios/fuzz.js';
import { downloadScenario, uploadScenario } from './scenarios/transfer.js';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<Section>> = {
  'download-http': (ctx) => downloadScenario(ctx, 'http'),
  'download-https': (ctx) => downloadScenario(ctx, 'https'),
  'download-ftp': (ctx) => downloadScenario(ctx, 'ftp'),
  upload: (ctx) => uploadScenario(ctx, false),
  'upload-https': (ctx) => uploadScenario(ctx, true),
  api: apiScenario,
  eventloop: eventLoopScenario,
  fuzz: fuzzScenario,
};
const ALIASES: Record<string, string> = { http: 'download-http', https: 'download-https', ftp: 'download-ftp', eld: 'eventloop' };
const DEFAULT_ORDER = ['download-http', 'download-https', 'download-ftp', 'upload', 'upload-https', 'api', 'eventloop', 'fuzz'];

const KNOBS: [string, string, string][] = [
  ['BENCH_RUNS', '3', 'measured A/B pairs per transfer scenario (median reported)'],
  ['BENCH_WARMUP', '1', 'warm-up pairs before them, not counted'],
  ['BENCH_SIZE_MIB', '2048', 'payload of the transfer fixture, MiB'],
  ['BENCH_API_SECONDS', '10', 'duration of each load run in the api scenario'],
  ['BENCH_API_CONNECTIONS', '50', 'connections of each load run'],
  ['BENCH_API_RUNS', '3', 'load runs per side and phase (alternating; the ratio is of the medians)'],
  ['BENCH_ACCEPT_N', '200', 'POST download accepts measured'],
  ['BENCH_ELD_CLIENTS', '200', 'concurrent polling clients in the eventloop scenario'],
  ['BENCH_ELD_SIZE_MIB', '1024', 'download size in the eventloop scenario, MiB'],
  ['BENCH_FUZZ_RUNS', '10000', 'cases of the fuzz scenario'],
  ['BENCH_ELD_IDLE_MS', '3000', 'how long the eventloop scenario\'s clients poll before the download starts (their idle phase)'],
  ['BENCH_ELD_THINK_MS', '100', 'pause between a client\'s requests (each client polls at up to 10 Hz; 0 = closed loop, a stress test)'],
  ['BENCH_LOG_LEVEL', 'info', 'the server\'s log level (its log goes to a file)'],
  ['BENCH_CPU_PROF', '', 'folder: run every server child with --cpu-prof into it (then: node --import tsx bench/tools/cpuprofile-top.ts <file>)'],
  ['BENCH_TRANSFER_WORKER', '1', '0 = servers run downloads on their main thread (config transferWorker: false), for an A/B comparison'],
  ['BENCH_NODE_ARGS', '', 'extra node flags for every server child, space-separated (e.g. --perf-basic-prof, for JS frames in `perf report`)'],
  ['BENCH_DIR', '$TMPDIR', 'where the temporary folder (fixtures, data folders) is made; must be on the disk to measure'],
  ['BENCH_KEEP', '', '1 = keep the temporary folder (logs) after the run'],
  ['BENCH_TIMEOUT_S', '1800', 'hard limit for the whole bench'],
  ['BENCH_NO_NGINX / BENCH_NO_VSFTPD / BENCH_NO_WRK', '', '1 = use the Node fallbacks even when the tools are installed'],
];

function usage(): string {
  return `Usage: npm run bench -- [--write-docs] [scenario...]

Scenarios: ${DEFAULT_ORDER.join(', ')} (aliases: ${Object.entries(ALIASES).map(([a, s]) => `${a}=${s}`).join(', ')})
Default: all of them.

Environment:
${KNOBS.map(([k, d, t]) => `  ${k.padEnd(24)} ${`(${d || '-'})`.padEnd(10)} ${t}`).join('\n')}
`;
}

async function machineFacts(workDir: string): Promise<string[]> {
  const df = await timedRun('df', ['-h', '--output=source,fstype,size,avail', workDir], 10_000).catch(() => null);
  const dfLine = df?.stdout.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
  const tool = (name: string, args: string[], pick: (s: string) => string): string => {
    if (which(name) === null) return `${name}: not installed`;
    const v = versionOf(name, args);
    return v === null ? `${name}: ?` : pick(v);
  };
  const vsftpd = which('vsftpd') === null ? 'vsftpd: not installed' : `vsftpd ${versionOf('dpkg-query', ['-W', '-f=${Version}', 'vsftpd']) ?? '?'}`;
  return [
    `nproc ${availableParallelism()} (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, kernel ${release()}`,
    `disk of the temporary folder: ${dfLine.length >= 4 ? `${dfLine[0] ?? ''} (${dfLine[1] ?? ''}), ${dfLine[2] ?? ''} size, ${dfLine[3] ?? ''} free` : '?'}`,
    `node ${process.version}; ${[
      tool('curl', ['-V'], (v) => v.split(' ').slice(0, 2).join(' ')),
      tool('nginx', ['-v'], (v) => v.replace('nginx version: ', '')),
      vsftpd,
      tool('wrk', ['-v'], (v) => v.split(' ').slice(0, 2).join(' ')),
      tool('dd', ['--version'], (v) => v),
    ].join('; ')}`,
  ];
}

function commandLine(args: readonly string[]): string {
  const env = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v ?? ''}`);
  return [...env, 'npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
}

function docsMarkdown(when: Date, command: string, facts: string[], sections: Section[]): string {
  const all = sections.flatMap((s) => s.checks.map((c) => ({ ...c, name: `${s.id}: ${c.name}` })));
  return `# Performance

Measured by \`npm run bench\` (\`bench/run.ts\`). Every figure below comes from one run of the bench on the
machine described, each next to its peer tool measured in the same run (alternating A/B runs, median). Ratios
are what matters: absolute figures on this 2-core VM are CPU- and page-cache-bound and move 10-40% between
runs (see \`../shared/perf/BASELINE.md\` for the machine's limits).

## How to run

\`\`\`
npm run bench                               # all scenarios, ~10 min
npm run bench -- http ftp api               # some (aliases: http, https, ftp, eld)
npm run bench -- --write-docs               # also rewrite this file
BENCH_RUNS=5 BENCH_SIZE_MIB=1024 npm run bench -- upload
\`\`\`

The bench builds the project, generates the packages (\`writePackage\`), starts the real server as a child
process (\`node bin/clusterimage.js serve --port 0 [--insecure-http] --data-dir <tmp> --config <tmp>\`) and the
origins on 127.0.0.1, and stops everything by itself. Missing tools are replaced by labelled fallbacks: a Node
fs-stream HTTP(S) origin for nginx, the test suite's Node FTP origin for vsftpd, an undici load loop for wrk.
\`apt-get install nginx-light vsftpd wrk\` gives the intended peers.

| variable | default | meaning |
|---|---|---|
${KNOBS.map(([k, d, t]) => `| \`${k}\` | ${d === '' ? '-' : `\`${d}\``} | ${t} |`).join('\n')}

## Latest results

- date: ${when.toISOString()}
- command: \`${command}\`
${facts.map((f) => `- ${f}`).join('\n')}

### Summary

${markdownTable(checksTable(all))}

${sections.map((s) => sectionMarkdown(s).replace(/^## /, '### ')).join('\n')}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage());
    return 0;
  }
  const writeDocs = args.includes('--write-docs');
  const names: string[] = [];
  for (const a of args.filter((x) => !x.startsWith('--'))) {
    const name = ALIASES[a] ?? a;
    if (!(name in SCENARIOS)) {
      process.stderr.write(`unknown scenario "${a}"\n\n${usage()}`);
      return 2;
    }
    if (!names.includes(name)) names.push(name);
  }
  const selected = names.length > 0 ? DEFAULT_ORDER.filter((n) => names.includes(n)) : DEFAULT_ORDER;
  if (which('curl') === null && selected.some((s) => s.startsWith('download') || s.startsWith('upload'))) {
    process.stderr.write('curl is required for the transfer scenarios (apt-get install curl)\n');
    return 2;
  }

  const ctx = new BenchContext();
  const keep = envFlag('BENCH_KEEP');
  const hardLimit = setTimeout(() => {
    process.stderr.write(`\nbench: hard time limit reached (BENCH_TIMEOUT_S); stopping children\n`);
    void stopAll().finally(() => process.exit(3));
  }, envInt('BENCH_TIMEOUT_S', 1800, 10) * 1000);
  hardLimit.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}; stopping children\n`);
      void stopAll().finally(() => {
        void ctx.close(keep).finally(() => process.exit(130));
      });
    });
  }

  const when = new Date();
  const facts = await machineFacts(ctx.workDir);
  process.stdout.write(`clusterimage bench ${when.toISOString()}\n${facts.map((f) => `  ${f}`).join('\n')}\n  scenarios: ${selected.join(', ')}; temporary folder ${ctx.workDir}\n`);
  const sections: Section[] = [];
  let crashed = 0;
  try {
    for (const name of selected) {
      const run = SCENARIOS[name];
      if (run === undefined) continue;
      const t0 = performance.now();
      let section: Section;
      try {
        section = await run(ctx);
      } catch (err) {
        crashed++;
        section = failedSection(name, `${name}: FAILED`, err);
      }
      process.stdout.write(`  (${name} took ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
      sections.push(section);
      printSection(section);
    }
  } finally {
    await stopAll();
    await ctx.close(keep);
  }

  const all = sections.flatMap((s) => s.checks.map((c) => ({ ...c, name: `${s.id}: ${c.name}` })));
  process.stdout.write(`\n## Summary (${((Date.now() - when.getTime()) / 1000).toFixed(0)} s)\n\n${markdownTable(checksTable(all))}\n`);
  const profiles = ctx.listProfiles();
  if (profiles.length > 0) process.stdout.write(`\nCPU profiles:\n${profiles.map((p) => `  ${p}`).join('\n')}\n`);
  if (keep) process.stdout.write(`\nkept ${ctx.workDir}\n`);
  if (writeDocs) {
    const path = resolve(import.meta.dirname, '..', 'docs', 'performance.md');
    writeFileSync(path, docsMarkdown(when, commandLine(args), facts, sections));
    process.stdout.write(`\nwrote ${path}\n`);
  }
  return crashed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exitCode = 1;
  },
);
