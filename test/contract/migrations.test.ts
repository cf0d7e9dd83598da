import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Migration,
  MigrationError,
  assertMigrationList,
  pendingMigrations,
} from '../../src/adapters/storage/migrate.js';
import { sqliteMigrations } from '../../src/adapters/storage/sqlite/migrations.js';
import type { OpenSqliteOptions, SqliteDatabase } from '../../src/adapters/storage/sqlite/sqlite-database.js';
import { sqliteBackends } from './sqlite-backends.js';

const m1: Migration = { id: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER) STRICT;' };
const m2: Migration = { id: 2, name: 'two', sql: 'CREATE TABLE two (y TEXT) STRICT;' };
const m3: Migration = { id: 3, name: 'three', sql: 'CREATE TABLE three (z TEXT) STRICT;' };
// Creates a table, then fails: the table must not survive.
const broken: Migration = {
  id: 2,
  name: 'broken',
  sql: 'CREATE TABLE half (x TEXT); INSERT INTO nowhere VALUES (1);',
};

interface AppliedRow {
  id: number;
  name: string;
  applied_at: number;
}

function applied(database: SqliteDatabase): AppliedRow[] {
  return database.db.prepare<[], AppliedRow>('SELECT id, name, applied_at FROM migrations ORDER BY id').all();
}

function schema(database: SqliteDatabase): string[] {
  return database.db
    .prepare<[], string>(
      "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name",
    )
    .pluck()
    .all();
}

function tableExists(database: SqliteDatabase, table: string): boolean {
  return (
    database.db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !==
    undefined
  );
}

void describe('migration planning', () => {
  void it('runs everything on a fresh database and the rest on a partly migrated one', () => {
    assert.deepEqual(pendingMigrations([], [m1, m2, m3]), [m1, m2, m3]);
    assert.deepEqual(pendingMigrations([1], [m1, m2, m3]), [m2, m3]);
    assert.deepEqual(pendingMigrations([2, 1], [m1, m2, m3]), [m3]);
    assert.deepEqual(pendingMigrations([1, 2, 3], [m1, m2, m3]), []);
  });

  void it('refuses a database with an id newer than this build, naming both ids', () => {
    assert.throws(
      () => pendingMigrations([1, 2, 3], [m1, m2]),
      (err: unknown) =>
        err instanceof MigrationError &&
        /migration 3\b/.test(err.message) &&
        /newest known is 2\b/.test(err.message),
    );
  });

  void it('refuses applied ids that are not a prefix of the known list, naming both ids', () => {
    assert.throws(
      () => pendingMigrations([1, 3], [m1, m2, m3]),
      (err: unknown) =>
        err instanceof MigrationError &&
        /migration 3 applied/.test(err.message) &&
        /migration 2 missing/.test(err.message),
    );
    assert.throws(() => pendingMigrations([2], [m1, m2, m3]), /migration 2 applied but migration 1 missing/);
  });

  void it('rejects a known list that is not numbered 1..n', () => {
    assert.throws(() => {
      assertMigrationList([m2, m1]);
    }, MigrationError);
    assert.throws(() => {
      assertMigrationList([m1, m3]);
    }, /position 2 holds id 3/);
    assertMigrationList(sqliteMigrations);
  });
});

for (const backend of sqliteBackends) {
  void describe(`SQLite database on ${backend.name}`, () => {
    void it('migrates a fresh database, recording every migration', async (t) => {
      const { database } = await backend.open(t);
      assert.deepEqual(
        applied(database).map((r) => [r.id, r.name]),
        sqliteMigrations.map((m) => [m.id, m.name]),
      );
      for (const table of ['jobs', 'packages', 'state', 'users', 'user_revision']) {
        assert.ok(tableExists(database, table), table);
      }
      assert.equal(database.integrityCheck(), 'ok');
    });

    void it('opens with synchronous=NORMAL, foreign keys on and a 5 s busy timeout', async (t) => {
      const { database, location } = await backend.open(t);
      const { db } = database;
      assert.equal(db.pragma('journal_mode', { simple: true }), location === ':memory:' ? 'memory' : 'wal');
      assert.equal(db.pragma('synchronous', { simple: true }), 1);
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
    });

    void it('rolls a failed transaction back before rethrowing and stays usable', async (t) => {
      const { database } = await backend.open(t);
      const insert = database.db.prepare("INSERT INTO state (key, value) VALUES (?, '1')");
      const boom = new Error('boom');
      assert.throws(
        () =>
          database.transaction(() => {
            insert.run('a');
            throw boom;
          }),
        (err: unknown) => err === boom,
      );
      assert.equal(database.db.inTransaction, false);
      assert.equal(
        database.transaction(() => insert.run('b').changes),
        1,
      );
      const keys = database.db.prepare<[], string>('SELECT key FROM state ORDER BY key').pluck().all();
      assert.deepEqual(keys, ['b']);
    });

    void it('rolls back an inner failure without losing the outer transaction', async (t) => {
      const { database } = await backend.open(t);
      const insert = database.db.prepare("INSERT INTO state (key, value) VALUES (?, '1')");
      database.transaction(() => {
        insert.run('outer');
        assert.throws(() =>
          database.transaction(() => {
            insert.run('inner');
            throw new Error('inner fails');
          }),
        );
      });
      const keys = database.db.prepare<[], string>('SELECT key FROM state ORDER BY key').pluck().all();
      assert.deepEqual(keys, ['outer']);
    });

    void it('refuses an async transaction body and rolls its writes back', async (t) => {
      const { database } = await backend.open(t);
      const insert = database.db.prepare("INSERT INTO state (key, value) VALUES (?, '1')");
      let pending: Promise<void> | undefined;
      assert.throws(
        () =>
          database.transaction(() => {
            insert.run('early');
            pending = Promise.resolve();
            return pending;
          }),
        TypeError,
      );
      await pending;
      assert.equal(database.db.prepare('SELECT count(*) AS n FROM state').pluck().get(), 0);
    });

    void it('fails to open when a migration fails', async (t) => {
      await assert.rejects(
        backend.open(t, { migrations: [m1, broken] }),
        (err: unknown) => err instanceof MigrationError && /migration 2 \(broken\) failed/.test(err.message),
      );
    });

    // The rest needs a second connection to the same database (a restart or another process).
    if (!backend.shared) return;

    void it('rolls back the partial effects of a failed migration', async (t) => {
      const { connectAgain } = await backend.open(t, { migrations: [m1] });
      assert.throws(() => connectAgain?.({ migrations: [m1, broken] }), MigrationError);
      const reopened = again(connectAgain);
      assert.equal(tableExists(reopened, 'half'), false);
      assert.deepEqual(
        applied(reopened).map((r) => r.id),
        [1],
      );
    });

    void it('does nothing when reopened by the same build', async (t) => {
      const { database, connectAgain } = await backend.open(t);
      const before = { applied: applied(database), schema: schema(database) };
      database.close();
      const reopened = again(connectAgain);
      assert.deepEqual({ applied: applied(reopened), schema: schema(reopened) }, before);
      assert.equal(reopened.integrityCheck(), 'ok');
    });

    void it('applies only the new migrations when a newer build opens the database', async (t) => {
      const { database, connectAgain } = await backend.open(t, { migrations: [m1] });
      const first = applied(database);
      const upgraded = again(connectAgain, { migrations: [m1, m2, m3] });
      const rows = applied(upgraded);
      assert.deepEqual(rows[0], first[0]);
      assert.deepEqual(
        rows.map((r) => r.id),
        [1, 2, 3],
      );
      assert.ok(tableExists(upgraded, 'three'));
    });

    void it('refuses to open a database migrated by a newer build, naming both ids', async (t) => {
      const { database, connectAgain } = await backend.open(t);
      const newest = sqliteMigrations.length;
      database.db
        .prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)')
        .run(newest + 1, 'from-the-future', Date.now());
      assert.throws(
        () => connectAgain?.(),
        (err: unknown) =>
          err instanceof MigrationError &&
          err.message.includes(`migration ${newest + 1},`) &&
          err.message.includes(`newest known is ${newest}`),
      );
    });

    void it('refuses to open a database whose history is not a prefix of this build', async (t) => {
      const { database, connectAgain } = await backend.open(t, { migrations: [m1, m2] });
      database.db.prepare('DELETE FROM migrations WHERE id = 1').run();
      assert.throws(
        () => connectAgain?.({ migrations: [m1, m2, m3] }),
        /migration 2 applied but migration 1 missing/,
      );
    });
  });
}

function again(
  connect: ((options?: OpenSqliteOptions) => SqliteDatabase) | undefined,
  options?: OpenSqliteOptions,
): SqliteDatabase {
  if (connect === undefined) throw new Error('backend cannot open a second connection');
  return connect(options);
}
