import type { Statement } from 'better-sqlite3';
import type { StateStore } from '../../../core/ports/state-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * StateStore on SQLite: one JSON document per key, replaced by a single upsert (atomic). Values round-trip
 * through JSON, so a `Date` comes back as its ISO string and `undefined` members are dropped. Methods are
 * `async` so that a failure surfaces as a rejection, never as a synchronous throw.
 */
export class SqliteStateStore implements StateStore {
  readonly #get: Statement<[string], string>;
  readonly #set: Statement<[string, string]>;

  constructor(database: SqliteDatabase) {
    const { db } = database;
    this.#get = db.prepare<[string], string>('SELECT value FROM state WHERE key = ?').pluck();
    this.#set = db.prepare(
      'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  // The caller names the type it stored; the JSON is not validated against it.
  async get<T>(key: string): Promise<T | undefined> {
    const text = this.#get.get(key);
    return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as T));
  }

  async set(key: string, value: unknown): Promise<void> {
    // JSON.stringify returns undefined (not a string) for undefined, functions and symbols.
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) {
      throw new TypeError(`state "${key}" cannot be stored: the value has no JSON representation`);
    }
    this.#set.run(key, text);
    return Promise.resolve();
  }
}
