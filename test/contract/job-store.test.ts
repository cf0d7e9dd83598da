import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { SqliteJobStore } from '../../src/adapters/storage/sqlite/sqlite-job-store.js';
import type { Job } from '../../src/core/model/job.js';
import type { JobStore } from '../../src/core/ports/job-store.js';
import { sqliteBackends } from './sqlite-backends.js';

type JobStoreFactory = (t: TestContext) => Promise<JobStore>;

const T0 = Date.parse('2025-03-28T14:00:00.123Z');

function job(uuid: string, overrides: Partial<Job> = {}): Job {
  return {
    uuid,
    kind: 'download',
    description: `POST /api/cluster/software/download`,
    state: 'running',
    message: 'Downloading package.',
    code: 0,
    startTime: new Date(T0),
    endTime: null,
    nodeName: 'node-01',
    ...overrides,
  };
}

function ended(uuid: string, endMs: number, overrides: Partial<Job> = {}): Job {
  return job(uuid, { state: 'success', message: 'Done.', endTime: new Date(endMs), ...overrides });
}

function uuids(jobs: readonly Job[]): string[] {
  return jobs.map((j) => j.uuid);
}

function jobStoreContract(name: string, open: JobStoreFactory): void {
  void describe(`JobStore contract on ${name}`, () => {
    void it('returns a created job field for field, times as Dates with millisecond precision', async (t) => {
      const store = await open(t);
      const created = job('a1', { kind: 'upload', description: 'd', message: 'm', nodeName: 'n2' });
      await store.create(created);
      const got = await store.get('a1');
      assert.deepEqual(got, created);
      assert.ok(got.startTime instanceof Date);
      assert.equal(got.startTime.getTime(), T0);
    });

    void it('stores a job created already terminal, with its end time and code', async (t) => {
      const store = await open(t);
      const created = ended('t1', T0 + 5, { state: 'failure', code: 10551381, message: 'gone' });
      await store.create(created);
      assert.deepEqual(await store.get('t1'), created);
    });

    void it('returns undefined for an unknown uuid', async (t) => {
      const store = await open(t);
      assert.equal(await store.get('missing'), undefined);
    });

    void it('rejects a second job with the same uuid and keeps the first', async (t) => {
      const store = await open(t);
      await store.create(job('dup', { message: 'first' }));
      await assert.rejects(store.create(job('dup', { message: 'second' })));
      assert.equal((await store.get('dup'))?.message, 'first');
      assert.equal((await store.list()).length, 1);
    });

    void it('lists every job oldest startTime first, ties by uuid', async (t) => {
      const store = await open(t);
      assert.deepEqual(await store.list(), []);
      await store.create(job('c', { startTime: new Date(T0 + 10) }));
      await store.create(ended('b', T0 + 20, { startTime: new Date(T0) }));
      await store.create(job('a', { startTime: new Date(T0 + 10) }));
      await store.create(job('d', { startTime: new Date(T0 - 1), state: 'queued' }));
      assert.deepEqual(uuids(await store.list()), ['d', 'b', 'a', 'c']);
    });

    void it('replaces the message of a queued, running or paused job and nothing else', async (t) => {
      const store = await open(t);
      for (const state of ['queued', 'running', 'paused'] as const) {
        const before = job(state, { state });
        await store.create(before);
        assert.equal(await store.updateMessage(state, `now ${state}`), true);
        assert.deepEqual(await store.get(state), { ...before, message: `now ${state}` });
      }
    });

    void it('refuses to change the message of a terminal or missing job', async (t) => {
      const store = await open(t);
      const done = ended('done', T0 + 1);
      await store.create(done);
      assert.equal(await store.updateMessage('done', 'late progress'), false);
      assert.deepEqual(await store.get('done'), done);
      assert.equal(await store.updateMessage('missing', 'x'), false);
      assert.equal(await store.get('missing'), undefined);
    });

    void it('finishes a non-terminal job with state, code, message and end time', async (t) => {
      const store = await open(t);
      const running = job('r');
      await store.create(running);
      const endTime = new Date(T0 + 1500);
      assert.equal(
        await store.finish('r', { state: 'failure', code: 10551359, message: 'broken', endTime }),
        true,
      );
      assert.deepEqual(await store.get('r'), {
        ...running,
        state: 'failure',
        code: 10551359,
        message: 'broken',
        endTime,
      });

      await store.create(job('q', { state: 'queued' }));
      await store.create(job('p', { state: 'paused' }));
      assert.equal(await store.finish('q', { state: 'success', code: 0, message: 'ok', endTime }), true);
      assert.equal(await store.finish('p', { state: 'success', code: 0, message: 'ok', endTime }), true);
      assert.deepEqual(uuids(await store.listUnfinished()), []);
    });

    void it('does not finish a job twice and leaves the first end untouched', async (t) => {
      const store = await open(t);
      await store.create(job('once'));
      const first = { state: 'success', code: 0, message: 'first', endTime: new Date(T0 + 1) } as const;
      assert.equal(await store.finish('once', first), true);
      const after = await store.get('once');
      assert.equal(
        await store.finish('once', {
          state: 'failure',
          code: 1,
          message: 'second',
          endTime: new Date(T0 + 2),
        }),
        false,
      );
      assert.deepEqual(await store.get('once'), after);
      assert.equal(after?.message, 'first');
    });

    void it('lets exactly one of two racing finish calls win', async (t) => {
      const store = await open(t);
      await store.create(job('race'));
      const endTime = new Date(T0 + 1);
      const results = await Promise.all([
        store.finish('race', { state: 'success', code: 0, message: 'a', endTime }),
        store.finish('race', { state: 'failure', code: 2, message: 'b', endTime }),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 1);
    });

    void it('returns false when finishing an unknown job and creates nothing', async (t) => {
      const store = await open(t);
      const end = { state: 'success', code: 0, message: 'x', endTime: new Date(T0) } as const;
      assert.equal(await store.finish('ghost', end), false);
      assert.deepEqual(await store.list(), []);
    });

    void it('purges only terminal jobs that ended strictly before the cutoff and counts them', async (t) => {
      const store = await open(t);
      const cutoff = T0 + 1000;
      await store.create(ended('old-success', cutoff - 1));
      await store.create(ended('old-failure', cutoff - 500, { state: 'failure', code: 3 }));
      await store.create(ended('at-cutoff', cutoff));
      await store.create(ended('recent', cutoff + 1));
      await store.create(job('ancient-running', { startTime: new Date(0) }));
      await store.create(job('ancient-queued', { startTime: new Date(0), state: 'queued' }));
      await store.create(job('ancient-paused', { startTime: new Date(0), state: 'paused' }));
      assert.equal(await store.purgeEndedBefore(new Date(cutoff)), 2);
      assert.deepEqual(uuids(await store.list()).sort(), [
        'ancient-paused',
        'ancient-queued',
        'ancient-running',
        'at-cutoff',
        'recent',
      ]);
      assert.equal(await store.purgeEndedBefore(new Date(cutoff)), 0);
      assert.equal(await store.purgeEndedBefore(new Date(8.64e15)), 2);
      assert.deepEqual(uuids(await store.list()), ['ancient-paused', 'ancient-queued', 'ancient-running']);
    });

    void it('lists unfinished jobs (queued, running, paused), oldest startTime first, ties by uuid', async (t) => {
      const store = await open(t);
      await store.create(job('r2', { startTime: new Date(T0 + 5) }));
      await store.create(job('p1', { startTime: new Date(T0 + 5), state: 'paused' }));
      await store.create(ended('s1', T0 + 9, { startTime: new Date(T0) }));
      await store.create(ended('f1', T0 + 9, { startTime: new Date(T0 + 1), state: 'failure', code: 9 }));
      await store.create(job('q1', { startTime: new Date(T0 + 1), state: 'queued' }));
      const unfinished = await store.listUnfinished();
      assert.deepEqual(uuids(unfinished), ['q1', 'p1', 'r2']);
      assert.deepEqual(unfinished[1], job('p1', { startTime: new Date(T0 + 5), state: 'paused' }));

      await store.finish('q1', {
        state: 'failure',
        code: 10551381,
        message: 'interrupted',
        endTime: new Date(T0 + 10),
      });
      assert.deepEqual(uuids(await store.listUnfinished()), ['p1', 'r2']);
    });
  });
}

for (const backend of sqliteBackends) {
  jobStoreContract(backend.name, async (t) => new SqliteJobStore((await backend.open(t)).database));

  // SqliteJobStore caches rows for get(); these pin the cases where a cache could drift from the table.
  void describe(`SqliteJobStore read cache on ${backend.name}`, () => {
    void it('keeps two stores on one connection coherent', async (t) => {
      const { database } = await backend.open(t);
      const a = new SqliteJobStore(database);
      const b = new SqliteJobStore(database);
      await a.create(job('shared'));
      assert.equal((await b.get('shared'))?.state, 'running');
      await a.updateMessage('shared', 'half way');
      assert.equal((await b.get('shared'))?.message, 'half way');
      await b.finish('shared', { state: 'success', code: 0, message: 'done', endTime: new Date(T0 + 1) });
      assert.equal((await a.get('shared'))?.state, 'success');
      await a.purgeEndedBefore(new Date(T0 + 2));
      assert.equal(await b.get('shared'), undefined);
    });

    void it('does not keep writes that a surrounding transaction rolled back', async (t) => {
      const { database } = await backend.open(t);
      const store = new SqliteJobStore(database);
      await store.create(job('tx', { message: 'before' }));
      assert.equal((await store.get('tx'))?.message, 'before');
      let inside: Promise<unknown>[] = [];
      assert.throws(() =>
        database.transaction(() => {
          // The async methods run their statement synchronously, so it lands inside this transaction.
          inside = [
            store.updateMessage('tx', 'rolled back'),
            store.get('tx'),
            store.create(job('tx-new')),
            store.get('tx-new'),
          ];
          throw new Error('abort');
        }),
      );
      await Promise.all(inside);
      assert.equal((await store.get('tx'))?.message, 'before');
      assert.equal(await store.get('tx-new'), undefined);
    });

    void it('hands out independent objects, so a caller mutating one changes nothing stored', async (t) => {
      const { database } = await backend.open(t);
      const store = new SqliteJobStore(database);
      await store.create(job('m'));
      const first = await store.get('m');
      first?.startTime.setTime(0);
      assert.equal((await store.get('m'))?.startTime.getTime(), T0);
    });

    void it('stays correct past the cache size', async (t) => {
      const { database } = await backend.open(t);
      const store = new SqliteJobStore(database);
      const count = 5000;
      for (let i = 0; i < count; i += 1) await store.create(job(`j${String(i).padStart(5, '0')}`));
      for (let i = 0; i < count; i += 1) await store.get(`j${String(i).padStart(5, '0')}`);
      await store.updateMessage('j00000', 'evicted long ago');
      await store.updateMessage('j04999', 'still cached');
      assert.equal((await store.get('j00000'))?.message, 'evicted long ago');
      assert.equal((await store.get('j04999'))?.message, 'still cached');
      assert.equal((await store.list()).length, count);
    });
  });
}
