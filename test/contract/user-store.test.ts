import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, type TestContext } from 'node:test';
import { SqliteUserStore } from '../../src/adapters/storage/sqlite/sqlite-user-store.js';
import type { UserRecord, UserStore } from '../../src/core/ports/user-store.js';
import { sqliteBackends } from './sqlite-backends.js';

interface OpenedUserStore {
  readonly store: UserStore;
  /** A store on another connection to the same database (another process); throws where not shared. */
  readonly other: () => UserStore;
}

interface UserStoreBackend {
  readonly name: string;
  readonly shared: boolean;
  readonly open: (t: TestContext) => Promise<OpenedUserStore>;
}

function user(name: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return { name, role: 'admin', passwordHash: `scrypt$32768$8$1$c2FsdA==$${name}`, ...overrides };
}

function userStoreContract({ name, shared, open }: UserStoreBackend): void {
  void describe(`UserStore contract on ${name}`, () => {
    void it('returns an added user field for field', async (t) => {
      const { store } = await open(t);
      const admin = user('admin');
      const viewer = user('viewer', { role: 'readonly' });
      assert.equal(await store.add(admin), true);
      assert.equal(await store.add(viewer), true);
      assert.deepEqual(await store.get('admin'), admin);
      assert.deepEqual(await store.get('viewer'), viewer);
    });

    void it('returns undefined for an unknown name', async (t) => {
      const { store } = await open(t);
      assert.equal(await store.get('nobody'), undefined);
    });

    void it('refuses a taken name and keeps the existing user', async (t) => {
      const { store } = await open(t);
      const first = user('admin');
      await store.add(first);
      assert.equal(await store.add(user('admin', { role: 'readonly', passwordHash: 'other' })), false);
      assert.deepEqual(await store.list(), [first]);
    });

    void it('lists users sorted by name', async (t) => {
      const { store } = await open(t);
      assert.deepEqual(await store.list(), []);
      for (const n of ['mallory', 'Bob', 'alice', 'carol', 'alice2']) await store.add(user(n));
      const names = (await store.list()).map((u) => u.name);
      assert.deepEqual(names, ['Bob', 'alice', 'alice2', 'carol', 'mallory']);
      assert.deepEqual(names, [...names].sort());
    });

    void it('removes a user once', async (t) => {
      const { store } = await open(t);
      await store.add(user('a'));
      await store.add(user('b'));
      assert.equal(await store.remove('a'), true);
      assert.equal(await store.remove('a'), false);
      assert.equal(await store.remove('zed'), false);
      assert.equal(await store.get('a'), undefined);
      assert.deepEqual(await store.list(), [user('b')]);
    });

    void it('replaces a password hash, and reports a missing user', async (t) => {
      const { store } = await open(t);
      await store.add(user('admin', { role: 'readonly' }));
      assert.equal(await store.setPasswordHash('admin', 'scrypt$new'), true);
      assert.deepEqual(
        await store.get('admin'),
        user('admin', { role: 'readonly', passwordHash: 'scrypt$new' }),
      );
      assert.equal(await store.setPasswordHash('ghost', 'scrypt$new'), false);
      assert.equal(await store.get('ghost'), undefined);
    });

    void it('changes the revision on every add, password change and removal, and only then', async (t) => {
      const { store } = await open(t);
      const seen = [await store.revision()];
      const expectChange = async (what: string): Promise<void> => {
        const now = await store.revision();
        assert.ok(!seen.includes(now), `revision ${now} after ${what} was seen before (${seen.join(', ')})`);
        seen.push(now);
      };
      assert.equal(await store.revision(), seen.at(-1), 'revision moved without a change');
      await store.add(user('a'));
      await expectChange('add');
      await store.setPasswordHash('a', 'scrypt$2');
      await expectChange('password change');
      await store.add(user('b'));
      await expectChange('second add');
      await store.remove('a');
      await expectChange('remove');
      await store.add(user('a'));
      await expectChange('re-add of a removed name');
      assert.equal(await store.revision(), seen.at(-1), 'revision moved without a change');
      await store.list();
      await store.get('a');
      assert.equal(await store.revision(), seen.at(-1), 'reads moved the revision');
    });

    if (!shared) return;

    void it('sees users and revision changes made through another connection', async (t) => {
      const { store, other } = await open(t);
      const second = other();
      const start = await store.revision();
      assert.equal(await second.revision(), start);

      assert.equal(await second.add(user('remote')), true);
      const afterAdd = await store.revision();
      assert.notEqual(afterAdd, start);
      assert.deepEqual(await store.get('remote'), user('remote'));

      assert.equal(await store.setPasswordHash('remote', 'scrypt$changed'), true);
      const afterChange = await second.revision();
      assert.notEqual(afterChange, afterAdd);
      assert.equal((await second.get('remote'))?.passwordHash, 'scrypt$changed');

      assert.equal(await second.remove('remote'), true);
      const afterRemove = await store.revision();
      assert.ok(![start, afterAdd, afterChange].includes(afterRemove));
      assert.equal(await store.get('remote'), undefined);
    });
  });
}

const execFileAsync = promisify(execFile);
const databaseModule = new URL('../../src/adapters/storage/sqlite/sqlite-database.ts', import.meta.url).href;
const userStoreModule = new URL('../../src/adapters/storage/sqlite/sqlite-user-store.ts', import.meta.url)
  .href;

void describe('SqliteUserStore revision across processes', () => {
  void it('moves when a user is added by another process', async (t) => {
    const backend = sqliteBackends.find((b) => b.shared);
    assert.ok(backend);
    const { database, location } = await backend.open(t);
    const store = new SqliteUserStore(database);
    const before = await store.revision();
    const script = `
      const { openSqliteDatabase } = await import(${JSON.stringify(databaseModule)});
      const { SqliteUserStore } = await import(${JSON.stringify(userStoreModule)});
      const database = openSqliteDatabase(process.argv[1]);
      await new SqliteUserStore(database).add({ name: 'child', role: 'readonly', passwordHash: 'h' });
      database.close();`;
    await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, location]);
    assert.notEqual(await store.revision(), before);
    assert.deepEqual(await store.get('child'), { name: 'child', role: 'readonly', passwordHash: 'h' });
  });
});

for (const backend of sqliteBackends) {
  userStoreContract({
    name: backend.name,
    shared: backend.shared,
    open: async (t) => {
      const { database, connectAgain } = await backend.open(t);
      return {
        store: new SqliteUserStore(database),
        other: () => {
          if (connectAgain === undefined) throw new Error(`${backend.name} cannot be opened twice`);
          return new SqliteUserStore(connectAgain());
        },
      };
    },
  });
}
