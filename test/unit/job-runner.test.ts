import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSqliteDatabase } from '../../src/adapters/storage/sqlite/sqlite-database.js';
import { SqliteJobStore } from '../../src/adapters/storage/sqlite/sqlite-job-store.js';
import { failures } from '../../src/core/errors.js';
import { abortCauseOf } from '../../src/core/jobs/abort-reasons.js';
import { JobRunner } from '../../src/core/jobs/job-runner.js';
import type { JobEnd, JobStore } from '../../src/core/ports/job-store.js';
import { ManualClock } from '../../src/core/ports/clock.js';

let n = 0;
const ids = { uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };

function realStore(t: { after: (fn: () => void) => void }): SqliteJobStore {
  const db = openSqliteDatabase(':memory:');
  t.after(() => {
    db.close();
  });
  return new SqliteJobStore(db);
}

/** The real store, whose `finish` fails the first `failures` times, as on a full disk. */
function flakyFinish(store: SqliteJobStore, failuresLeft: number): JobStore {
  let left = failuresLeft;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'finish') {
        return async (uuid: string, end: JobEnd) => {
          if (left-- > 0) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
          return target.finish(uuid, end);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

test('a job whose end-state write fails at first still ends, once the store accepts it', async (t) => {
  const store = realStore(t);
  const runner = new JobRunner(flakyFinish(store, 2), new ManualClock(), ids, 'node-01');
  const job = await runner.start(
    { kind: 'download', description: 'd', message: 'm', cancellable: true },
    () => Promise.resolve('success'),
  );
  const final = await runner.waitFor(job.uuid, 30_000);
  assert.equal(final?.state, 'success');
  assert.equal((await store.get(job.uuid))?.state, 'success');
});

test('a handler that throws something unexpected ends the job in failure 262145 and reports a fault', async (t) => {
  const store = realStore(t);
  const runner = new JobRunner(store, new ManualClock(), ids, 'node-01');
  const faults: Error[] = [];
  runner.on('fault', (err) => faults.push(err));
  const job = await runner.start(
    { kind: 'download', description: 'd', message: 'm', cancellable: true },
    () => Promise.reject(new TypeError('boom')),
  );
  const final = await runner.waitFor(job.uuid, 30_000);
  assert.deepEqual(
    [final?.state, final?.code, final?.message],
    ['failure', 262145, 'Unexpected application exception.'],
  );
  assert.equal(faults[0]?.message, 'boom');
});

test('cancel aborts the handler with the cancel cause and resolves with the stored failure', async (t) => {
  const store = realStore(t);
  const runner = new JobRunner(store, new ManualClock(), ids, 'node-01');
  const job = await runner.start(
    { kind: 'download', description: 'd', message: 'm', cancellable: true },
    (ctx) =>
      new Promise<string>((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          reject(
            abortCauseOf(ctx.signal) === 'cancel' ? failures.downloadCancelled() : new Error('wrong cause'),
          );
        });
      }),
  );
  assert.equal(runner.isRunning(['download']), true);
  assert.equal(await runner.waitFor(job.uuid, 10), undefined, 'still running');
  const final = await runner.cancel(job.uuid);
  assert.equal(final?.message, 'Package download cancelled by user request.');
  assert.equal((await store.get(job.uuid))?.code, 10551381);
  assert.equal(runner.isRunning(['download']), false);
});

test('start resolves before the handler runs, so an accepting request does not wait for its first steps', async (t) => {
  const store = realStore(t);
  const runner = new JobRunner(store, new ManualClock(), ids, 'node-01');
  let ran = false;
  const job = await runner.start({ kind: 'download', description: 'd', message: 'm', cancellable: true }, () => {
    ran = true;
    return Promise.resolve('success');
  });
  assert.equal(ran, false);
  assert.equal((await store.get(job.uuid))?.state, 'running', 'the row exists before the handler starts');
  assert.equal(runner.isRunning(['download']), true, 'and the job counts as running');
  assert.equal((await runner.waitFor(job.uuid, 30_000))?.state, 'success');
  assert.equal(ran, true);
});

test('a job cancelled before its handler started hands the handler an aborted signal and ends as it says', async (t) => {
  const store = realStore(t);
  const runner = new JobRunner(store, new ManualClock(), ids, 'node-01');
  const job = await runner.start({ kind: 'download', description: 'd', message: 'm', cancellable: true }, (ctx) =>
    abortCauseOf(ctx.signal) === 'cancel'
      ? Promise.reject(failures.downloadCancelled())
      : Promise.resolve('success'),
  );
  const final = await runner.cancel(job.uuid);
  assert.deepEqual([final?.state, final?.code], ['failure', 10551381]);
});
