import type { Statement } from 'better-sqlite3';
import type { Role, UserRecord, UserStore } from '../../../core/ports/user-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface UserRow {
  name: string;
  role: string;
  password_hash: string;
}

function toUser(row: UserRow): UserRecord {
  if (row.role !== 'admin' && row.role !== 'readonly') {
    throw new Error(`user ${row.name} has unknown role ${row.role}`);
  }
  const role: Role = row.role;
  return { name: row.name, role, passwordHash: row.password_hash };
}

/**
 * UserStore on SQLite. `revision()` reads a counter that triggers bump inside the same transaction as every
 * insert, update and delete on `users`, so it also moves when another process changes a user. Methods are
 * `async` so that a failing statement surfaces as a rejection, never as a synchronous throw.
 */
export class SqliteUserStore implements UserStore {
  readonly #insert: Statement<[string, string, string]>;
  readonly #get: Statement<[string], UserRow>;
  readonly #list: Statement<[], UserRow>;
  readonly #remove: Statement<[string]>;
  readonly #setPasswordHash: Statement<[string, string]>;
  readonly #revision: Statement<[], number>;

  constructor(database: SqliteDatabase) {
    const { db } = database;
    // DO NOTHING covers only the name's uniqueness; an unknown role still throws (CHECK constraint).
    this.#insert = db.prepare(
      'INSERT INTO users (name, role, password_hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.#get = db.prepare('SELECT name, role, password_hash FROM users WHERE name = ?');
    this.#list = db.prepare('SELECT name, role, password_hash FROM users ORDER BY name');
    this.#remove = db.prepare('DELETE FROM users WHERE name = ?');
    this.#setPasswordHash = db.prepare('UPDATE users SET password_hash = ? WHERE name = ?');
    this.#revision = db.prepare<[], number>('SELECT revision FROM user_revision WHERE id = 1').pluck();
  }

  async add(user: UserRecord): Promise<boolean> {
    return Promise.resolve(this.#insert.run(user.name, user.role, user.passwordHash).changes === 1);
  }

  async get(name: string): Promise<UserRecord | undefined> {
    const row = this.#get.get(name);
    return Promise.resolve(row === undefined ? undefined : toUser(row));
  }

  async list(): Promise<UserRecord[]> {
    return Promise.resolve(this.#list.all().map(toUser));
  }

  async remove(name: string): Promise<boolean> {
    return Promise.resolve(this.#remove.run(name).changes === 1);
  }

  async setPasswordHash(name: string, passwordHash: string): Promise<boolean> {
    return Promise.resolve(this.#setPasswordHash.run(passwordHash, name).changes === 1);
  }

  async revision(): Promise<number> {
    const revision = this.#revision.get();
    if (revision === undefined) throw new Error('user_revision row is missing; the database is damaged');
    return Promise.resolve(revision);
  }
}
