import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { passWorker, type RemotePass } from '../../../src/adapters/images/pass-worker.js';
import { tempDir } from '../../helpers/package-fixtures.js';

function write(pass: RemotePass, batch: Buffer, length: number, position: number) {
  return new Promise<{ err: NodeJS.ErrnoException | null; back: Buffer | null }>((resolve) => {
    pass.write(batch, length, length, position, (err, back) => {
      resolve({ err, back });
    });
  });
}

void test('a pass worker hashes and writes the batches it is given, and gives their memory back', async (t) => {
  const path = join(await tempDir(t), 'out.bin');
  const fd = openSync(path, 'w');
  t.after(() => {
    closeSync(fd);
  });
  const data = randomBytes(3 * 65536 + 100);
  const pass = passWorker().open(fd);
  const batches = [0, 65536, 131072, 196608].map((at) => {
    const batch = Buffer.allocUnsafeSlow(65536);
    const n = data.copy(batch, 0, at);
    return { batch, n, at };
  });
  // All in flight at once: replies may come back in any order.
  const results = await Promise.all(batches.map(({ batch, n, at }) => write(pass, batch, n, at)));
  for (const [i, { err, back }] of results.entries()) {
    assert.equal(err, null);
    assert.ok(back !== null);
    assert.equal(back.length, 65536, 'the same memory comes back');
    assert.equal(batches[i]?.batch.length, 0, 'the sender no longer holds the batch');
  }
  const digest = await pass.finish();
  assert.equal(digest.sha256, createHash('sha256').update(data).digest('hex'));
  assert.deepEqual(digest.inspection, { kind: 'not_archive' });
  assert.deepEqual(readFileSync(path), data);
});

void test('a write error reaches the sender with its errno code, and the buffer still comes back', async (t) => {
  const path = join(await tempDir(t), 'read-only.bin');
  writeFileSync(path, '');
  const fd = openSync(path, 'r');
  t.after(() => {
    closeSync(fd);
  });
  const pass = passWorker().open(fd);
  const { err, back } = await write(pass, Buffer.alloc(4096, 7), 4096, 0);
  assert.equal(err?.code, 'EBADF');
  assert.equal(back?.length, 4096);
  pass.close();
});

void test('a closed pass is refused, and batches must be whole buffers', async () => {
  const pass = passWorker().open(-1);
  pass.close();
  const { err, back } = await write(pass, Buffer.alloc(4096), 4096, 0);
  assert.match(err?.message ?? '', /closed/);
  assert.equal(back?.length, 4096);
  await assert.rejects(pass.finish(), /no longer knows this pass/);
  const other = passWorker().open(-1);
  assert.throws(() => {
    other.write(Buffer.alloc(8192).subarray(4096), 4096, 4096, 0, () => undefined);
  }, RangeError);
  other.close();
});

void test('a pass worker that dies fails its passes once it has exited, and the next pass gets a new one', async (t) => {
  const path = join(await tempDir(t), 'out.bin');
  const fd = openSync(path, 'w');
  t.after(() => {
    closeSync(fd);
  });
  const pass = passWorker().open(fd);
  // A length beyond the buffer makes the worker throw: an uncaught error ends the thread.
  const crashed = await write(pass, Buffer.alloc(4096), 8192, 0);
  assert.ok(crashed.err instanceof Error, 'the pending write fails');
  assert.equal(crashed.back, null);
  const later = await write(pass, Buffer.alloc(4096), 4096, 0);
  assert.ok(
    later.err instanceof Error,
    'a later write on the same pass fails at once, with no reply to wait for',
  );
  await assert.rejects(pass.finish());

  const next = passWorker().open(fd);
  const data = Buffer.alloc(4096, 5);
  const ok = await write(next, Buffer.from(data), 4096, 0);
  assert.equal(ok.err, null);
  const digest = await next.finish();
  assert.equal(digest.sha256, createHash('sha256').update(data).digest('hex'));
});
