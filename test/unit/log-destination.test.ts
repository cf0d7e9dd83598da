import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BatchedLogDestination } from '../../src/log-destination.js';

async function logFile(t: TestContext): Promise<{ path: string; fd: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'clusterimage-log-'));
  const path = join(dir, 'server.log');
  const fd = openSync(path, 'a');
  t.after(async () => {
    closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });
  return { path, fd };
}

function flushed(destination: BatchedLogDestination): Promise<void> {
  return new Promise((resolve, reject) => {
    destination.flush((err) => {
      if (err === undefined) resolve();
      else reject(err);
    });
  });
}

void describe('BatchedLogDestination', () => {
  void it('writes every line, in order, across turns of the event loop', async (t) => {
    const { path, fd } = await logFile(t);
    const destination = new BatchedLogDestination(fd);
    t.after(() => {
      destination.close();
    });
    const expected: string[] = [];
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 50; i++) {
        const line = `{"turn":${turn},"i":${i},"text":"é"}\n`;
        expected.push(line);
        destination.write(line);
      }
      await nextTurn();
    }
    await flushed(destination);
    assert.equal(readFileSync(path, 'utf8'), expected.join(''));
  });

  void it('keeps the order when flush() starts a batch that was scheduled', async (t) => {
    const { path, fd } = await logFile(t);
    const destination = new BatchedLogDestination(fd);
    t.after(() => {
      destination.close();
    });
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}\n`);
    const first = flushed(destination);
    for (const line of lines.slice(0, 100)) destination.write(line);
    const second = flushed(destination);
    for (const line of lines.slice(100)) destination.write(line);
    await Promise.all([first, second, flushed(destination)]);
    assert.equal(readFileSync(path, 'utf8'), lines.join(''));
  });

  void it('calls flush back at once when nothing is pending', async (t) => {
    const { fd } = await logFile(t);
    const destination = new BatchedLogDestination(fd);
    t.after(() => {
      destination.close();
    });
    await flushed(destination);
    destination.write('one\n');
    await flushed(destination);
    await flushed(destination);
  });
});
