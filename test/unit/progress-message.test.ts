import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { progressMessage, throttle } from '../../src/core/services/progress-message.js';

test('progress messages follow D9', () => {
  const MiB = 1048576;
  assert.equal(progressMessage('download', 921 * MiB + 5, 2048 * MiB), 'Package download in progress: 44% (921 MiB of 2048 MiB)');
  assert.equal(progressMessage('download', 10 * MiB, null), 'Package download in progress: 10 MiB');
  assert.equal(progressMessage('upload', 2048 * MiB, 2048 * MiB), 'Package upload in progress: 100% (2048 MiB of 2048 MiB)');
  assert.equal(progressMessage('download', 0, 0), 'Package download in progress: 0 MiB');
});

test('throttle emits at once, holds back bursts, and delivers the last held message later', async () => {
  let clock = 0;
  const seen: string[] = [];
  const report = throttle(50, () => clock, (m) => seen.push(m));
  report('a');
  report('b');
  report('c');
  assert.deepEqual(seen, ['a']);
  clock = 60;
  const deadline = Date.now() + 5000;
  while (seen.length < 2 && Date.now() < deadline) await delay(10);
  assert.deepEqual(seen, ['a', 'c'], 'the latest held message is emitted, the one in between is dropped');
  report('d');
  assert.deepEqual(seen, ['a', 'c']);
});
