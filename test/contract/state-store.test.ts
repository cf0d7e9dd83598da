import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { SqliteStateStore } from '../../src/adapters/storage/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../src/core/ports/state-store.js';
import { sqliteBackends } from './sqlite-backends.js';

interface OpenedStateStore {
  readonly store: StateStore;
  /** A store on a new connection to the same database (a restart); throws where the backend is not shared. */
  readonly restart: () => StateStore;
}

interface StateStoreBackend {
  readonly name: string;
  readonly shared: boolean;
  readonly open: (t: TestContext) => Promise<OpenedStateStore>;
}

function stateStoreContract({ name, shared, open }: StateStoreBackend): void {
  void describe(`StateStore contract on ${name}`, () => {
    void it('returns undefined for a key never set', async (t) => {
      const { store } = await open(t);
      assert.equal(await store.get('cluster'), undefined);
    });

    void it('returns what was set, for every kind of JSON document', async (t) => {
      const { store } = await open(t);
      const docs: Record<string, unknown> = {
        object: { uuid: 'u1', name: 'cluster1', nested: { list: [1, 'two', null, true], empty: {} } },
        array: [{ a: 1 }, { b: [2, 3] }],
        string: 'text with "quotes" and ünïcode',
        number: 1.5,
        zero: 0,
        boolean: false,
        null: null,
      };
      for (const [key, value] of Object.entries(docs)) await store.set(key, value);
      for (const [key, value] of Object.entries(docs)) assert.deepEqual(await store.get(key), value, key);
    });

    void it('replaces the whole value instead of merging', async (t) => {
      const { store } = await open(t);
      await store.set('download', { state: 'running', percent: 10 });
      await store.set('download', { state: 'idle' });
      assert.deepEqual(await store.get('download'), { state: 'idle' });
    });

    void it('keeps keys independent', async (t) => {
      const { store } = await open(t);
      await store.set('a', 1);
      await store.set('b', 2);
      await store.set('a', 3);
      assert.equal(await store.get('a'), 3);
      assert.equal(await store.get('b'), 2);
    });

    void it('rejects a value with no JSON form and keeps the previous one', async (t) => {
      const { store } = await open(t);
      await store.set('k', { v: 1 });
      await assert.rejects(store.set('k', undefined), TypeError);
      await assert.rejects(
        store.set('k', () => 1),
        TypeError,
      );
      assert.deepEqual(await store.get('k'), { v: 1 });
    });

    if (!shared) return;

    void it('keeps values across a restart', async (t) => {
      const { store, restart } = await open(t);
      await store.set('cluster', { name: 'c1' });
      assert.deepEqual(await restart().get('cluster'), { name: 'c1' });
    });
  });
}

for (const backend of sqliteBackends) {
  stateStoreContract({
    name: backend.name,
    shared: backend.shared,
    open: async (t) => {
      const { database, connectAgain } = await backend.open(t);
      return {
        store: new SqliteStateStore(database),
        restart: () => {
          if (connectAgain === undefined) throw new Error(`${backend.name} cannot be opened twice`);
          return new SqliteStateStore(connectAgain());
        },
      };
    },
  });
}
