import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  type OpenSqliteOptions,
  type SqliteDatabase,
  openSqliteDatabase,
} from '../../src/adapters/storage/sqlite/sqlite-database.js';

export interface SqliteFixture {
  readonly database: SqliteDatabase;
  /** What was passed to openSqliteDatabase: a file path, or `:memory:`. */
  readonly location: string;
  /**
   * Opens another connection to the same database (standing in for a second process or a restart), or
   * is undefined where the database is private to its connection (`:memory:`).
   */
  readonly connectAgain: ((options?: OpenSqliteOptions) => SqliteDatabase) | undefined;
}

export interface SqliteBackend {
  readonly name: string;
  /** Whether a second connection reaches the same data (false for `:memory:`: private to its connection). */
  readonly shared: boolean;
  /** A fresh, migrated database; every connection and the temp folder are released by `t.after`. */
  open(t: TestContext, options?: OpenSqliteOptions): Promise<SqliteFixture>;
}

const fileBackend: SqliteBackend = {
  name: 'SQLite file',
  shared: true,
  async open(t, options) {
    const dir = await mkdtemp(join(tmpdir(), 'clusterimage-contract-'));
    const location = join(dir, 'store.db');
    const connections: SqliteDatabase[] = [];
    t.after(async () => {
      for (const c of connections) c.close();
      await rm(dir, { recursive: true, force: true });
    });
    const connect = (opts?: OpenSqliteOptions): SqliteDatabase => {
      const database = openSqliteDatabase(location, opts);
      connections.push(database);
      return database;
    };
    return { database: connect(options), location, connectAgain: connect };
  },
};

const memoryBackend: SqliteBackend = {
  name: 'SQLite :memory:',
  shared: false,
  open(t, options) {
    // The executor turns a throwing open into a rejection, like the file backend's async open.
    return new Promise((resolve) => {
      const database = openSqliteDatabase(':memory:', options);
      t.after(() => {
        database.close();
      });
      resolve({ database, location: ':memory:', connectAgain: undefined });
    });
  },
};

/** Every SQLite configuration the contract suites run against. */
export const sqliteBackends: readonly SqliteBackend[] = [fileBackend, memoryBackend];
