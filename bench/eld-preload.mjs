// Preloaded into the server child by the eventloop scenario (node --import=<this file> bin/clusterimage.js …), so the
// real server's event-loop delay is measured from inside without changing src/. On SIGUSR2 it writes the
// histogram since the previous SIGUSR2 to $BENCH_ELD_FILE (with a sequence number) and resets it.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';

const out = process.env.BENCH_ELD_FILE;
if (out !== undefined && out !== '') {
  const resolution = 10;
  const histogram = monitorEventLoopDelay({ resolution });
  histogram.enable();
  let seq = 0;
  process.on('SIGUSR2', () => {
    seq++;
    const stats = {
      seq,
      resolutionMs: resolution,
      maxMs: histogram.max / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      meanMs: histogram.mean / 1e6,
      count: histogram.count,
    };
    histogram.reset();
    writeFileSync(out, JSON.stringify(stats));
  });
}
