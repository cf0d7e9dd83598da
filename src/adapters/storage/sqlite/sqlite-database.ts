import Database from 'better-sqlite3';
import { type Migration, MigrationError, pendingMigrations } from '../migrate.js';
import { sqliteMigrations } from './migrations.js';

/**
 * The process's one SQLite connection. better-sqlite3 is synchronous, so every statement runs to completion
 * on the event loop and statements from different callers never interleave; only transactions need care.
 */
export interface SqliteDatabase {
  readonly db: Database.Database;
  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction and returns its result. If `fn` throws, the transaction is
   * rolled back before the error is rethrown, so the shared connection is never left inside a failed
   * transaction. Nested calls become savepoints. `fn` must be synchronous: returning a promise throws.
   */
  transaction<T>(fn: () => T): T;
  /** `PRAGMA integrity_check`: `"ok"` for a healthy database, otherwise the problems it found. */
  integrityCheck(): string;
  /** Idempotent. */
  close(): void;
}

export interface OpenSqliteOptions {
  /** The schema history to apply; tests pass other lists to simulate older and newer builds. */
  readonly migrations?: readonly Migration[];
}

/**
 * Opens `file` (or `:memory:`) with WAL, synchronous=NORMAL, foreign keys and a 5 s busy timeout, then
 * applies pending migrations. Throws (after closing the handle) when the database was migrated by a newer
 * build or its migration history is not a prefix of this build's.
 */
export function openSqliteDatabase(file: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const db = new Database(file);
  try {
    configure(db, file);
    migrate(db, options.migrations ?? sqliteMigrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return wrap(db);
}

function configure(db: Database.Database, file: string): void {
  // Without WAL, readers block the writer and the NORMAL durability trade-off (BASELINE.md §5) is unsafe.
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal' && !isMemory(file)) {
    throw new Error(
      `SQLite refused WAL journal mode for ${file} (got ${String(mode)}); is the file system supported?`,
    );
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

function isMemory(file: string): boolean {
  return file === ':memory:' || file === '';
}

function migrate(db: Database.Database, known: readonly Migration[]): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
  );
  const appliedIds = db.prepare<[], number>('SELECT id FROM migrations ORDER BY id').pluck();
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)',
  );
  // Each step re-reads the history under the write lock, so two processes opening a fresh file at once
  // cannot both apply the same migration.
  const step = db.transaction((): boolean => {
    const next = pendingMigrations(appliedIds.all(), known)[0];
    if (next === undefined) return false;
    try {
      db.exec(next.sql);
    } catch (err) {
      throw new MigrationError(`migration ${next.id} (${next.name}) failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    record.run(next.id, next.name, Date.now());
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function wrap(db: Database.Database): SqliteDatabase {
  const run = db.transaction((fn: () => unknown): unknown => {
    const result = fn();
    if (isThenable(result)) {
      // Throwing here rolls back; an async fn would otherwise commit before its awaits ran.
      throw new TypeError('SqliteDatabase.transaction needs a synchronous function');
    }
    return result;
  });
  const integrity = db.prepare<[], string>('PRAGMA integrity_check').pluck();
  return {
    db,
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes fails with
    // SQLITE_BUSY (without waiting) when another process committed in between.
    transaction: <T>(fn: () => T): T => run.immediate(fn) as T,
    integrityCheck: () => integrity.all().join('\n'),
    close: () => {
      if (db.open) db.close();
    },
  };
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
