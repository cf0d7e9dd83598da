import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import type { Section } from '../lib/report.js';
import { envInt } from '../lib/util.js';

/**
 * Issue 6's property-based run at full size: the suite's fuzz test (test/integration/fuzz.test.ts, a real
 * server on 127.0.0.1 and fast-check) with FUZZ_RUNS cases (default 10000). It reports how many requests were
 * sent and whether every answer held the properties (no 5xx, always the ONTAP envelope, server still up).
 */
export async function fuzzScenario(_ctx: BenchContext): Promise<Section> {
  const runs = envInt('BENCH_FUZZ_RUNS', 10_000, 1);
  const root = resolve(import.meta.dirname, '..', '..');
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(process.execPath, ['--test', '--import', 'tsx', 'test/integration/fuzz.test.ts'], {
      cwd: root,
      env: { ...process.env, FUZZ_RUNS: String(runs) },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (c) => {
      done({ code: c, output: out });
    });
  });
  const seconds = (Date.now() - started) / 1000;
  const sent = /# (\d+) requests \(FUZZ_RUNS=/.exec(output)?.[1] ?? '?';
  const failure = /counterexample[^\n]*|Property failed[^\n]*/i.exec(output)?.[0];
  process.stdout.write(`  fuzz: ${sent} requests in ${seconds.toFixed(0)} s, exit ${String(code)}\n`);
  return {
    id: 'fuzz',
    title: 'Hostile input: property-based fuzzing of every route',
    setup: [
      `\`FUZZ_RUNS=${runs} node --test --import tsx test/integration/fuzz.test.ts\`: a real server on 127.0.0.1, fast-check requests sent byte for byte (methods, paths, query strings, headers, malformed/huge/nested JSON, multipart garbage)`,
    ],
    tables: [
      {
        headers: ['cases', 'requests sent', 'seconds', 'result'],
        rows: [[String(runs), sent, seconds.toFixed(0), code === 0 ? 'all properties held' : 'FAILED']],
      },
    ],
    checks: [
      {
        name: 'no 5xx, always the ONTAP envelope, server stays up',
        target: `>= 10000 cases`,
        value: `${runs} cases`,
        pass: code === 0 && runs >= 10_000,
      },
    ],
    notes: failure === undefined ? [] : [`first failure: ${failure}`],
  };
}
