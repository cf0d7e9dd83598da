import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bufferReclaimer } from '../../src/buffer-reclaimer.js';

/** Minor collections the calling code runs synchronously, counted from the isolate's own GC entries. */
async function minorCollectionsDuring(fn: () => void): Promise<number> {
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { detail } = entry as unknown as { detail?: { kind?: number } };
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  fn();
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return minor;
}

void test('the reclaimer runs a minor collection each time the byte count passes the next step, and only then', async () => {
  const MIB = 1 << 20;
  const reclaim = bufferReclaimer(4 * MIB);
  const below = await minorCollectionsDuring(() => {
    for (let n = 0; n < 4 * MIB; n += 64 * 1024) reclaim(n);
  });
  // Steps at 4 MiB, then 4 MiB past each collection: 4, 9 and 14 MiB here, and 16 MiB does not reach 18.
  const crossing = await minorCollectionsDuring(() => {
    for (const n of [4 * MIB, 5 * MIB, 9 * MIB, 12 * MIB, 14 * MIB, 16 * MIB]) reclaim(n);
  });
  assert.ok(below <= 1, `no forced collection below the first step (saw ${below})`);
  assert.ok(crossing >= 3, `three forced collections (saw ${crossing})`);
});

void test('taking the collector does not leave gc() exposed to the program', () => {
  bufferReclaimer();
  assert.equal((globalThis as { gc?: unknown }).gc, undefined);
});

void test('a node started with --expose-gc keeps the flag for the contexts made afterwards', () => {
  const script = [
    "import { runInNewContext } from 'node:vm';",
    "import { bufferReclaimer } from './src/buffer-reclaimer.ts';",
    'bufferReclaimer()(1 << 30);',
    "process.stdout.write(typeof runInNewContext('gc'));",
  ].join('\n');
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    },
  );
  assert.equal(out, 'function');
});
