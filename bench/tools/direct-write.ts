/**
 * What writing a package costs the machine: 1 MiB writes, four in flight, into a new file in the bench folder,
 * then an fsync, through the page cache and with O_DIRECT from page-aligned buffers (what the staged sink does).
 * Prints wall time and this process's CPU for each, alternating. The page-cache path's writeback runs in kernel
 * threads, so its CPU here is a lower bound.
 *   node --import tsx bench/tools/direct-write.ts [MiB=2048] [pairs=3]
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, constants, fsyncSync, mkdtempSync, openSync, rmSync, write } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alignedBuffer } from '../../src/adapters/images/aligned-buffer.js';

const UNIT = 1 << 20;
const IN_FLIGHT = 4;
const mib = Number(process.argv[2] ?? 2048);
const pairs = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'direct-write-'));

async function run(direct: boolean): Promise<string> {
  const path = join(dir, direct ? 'direct.bin' : 'buffered.bin');
  const flags =
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (direct ? constants.O_DIRECT : 0);
  const fd = openSync(path, flags, 0o600);
  const buffers = Array.from({ length: IN_FLIGHT }, () => randomFillSync(alignedBuffer(UNIT)));
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  await Promise.all(
    buffers.map(async (buffer) => {
      while (next < mib) {
        const position = next++ * UNIT;
        await new Promise<void>((resolve, reject) => {
          write(fd, buffer, 0, UNIT, position, (err) => {
            if (err === null) resolve();
            else reject(err);
          });
        });
      }
    }),
  );
  fsyncSync(fd);
  closeSync(fd);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  rmSync(path);
  return `${direct ? 'O_DIRECT  ' : 'page cache'}: ${(mib / seconds).toFixed(0)} MiB/s, user ${(used.user / 1e6).toFixed(2)} s, system ${(used.system / 1e6).toFixed(2)} s`;
}

try {
  for (let i = 0; i < pairs; i++) {
    for (const direct of i % 2 === 0 ? [true, false] : [false, true]) console.log(await run(direct));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
