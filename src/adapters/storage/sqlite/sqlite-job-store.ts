import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Job, JobKind, JobState } from '../../../core/model/job.js';
import type { JobEnd, JobStore } from '../../../core/ports/job-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface JobRow {
  uuid: string;
  kind: string;
  description: string;
  state: string;
  message: string;
  code: number;
  start_time: number;
  end_time: number | null;
  node_name: string;
}

const COLUMNS = 'uuid, kind, description, state, message, code, start_time, end_time, node_name';
// Spelled out (rather than bound) so the partial index jobs_unfinished_by_start matches the queries.
const UNFINISHED = "state IN ('queued', 'running', 'paused')";

const KINDS: ReadonlySet<string> = new Set<JobKind>([
  'download',
  'upload',
  'package_delete',
  'software_update',
  'software_validate',
]);
const STATES: ReadonlySet<string> = new Set<JobState>(['queued', 'running', 'paused', 'success', 'failure']);

/** How many job rows `get` keeps in memory; the oldest cached entry goes first. */
const CACHE_LIMIT = 4096;

/**
 * One cache per connection, shared by every SqliteJobStore on it, so two stores on one connection stay
 * coherent. Invariant: this process is the only writer of `jobs` (one server per database; CLI clients go
 * through REST). A job changed by another process is seen by list() at once but by get() only after eviction.
 */
const caches = new WeakMap<Database.Database, Map<string, JobRow>>();

function cacheFor(db: Database.Database): Map<string, JobRow> {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  return cache;
}

function toJob(row: JobRow): Job {
  // A row written by a newer build may carry a kind this build does not know; fail loudly, don't mislabel.
  if (!KINDS.has(row.kind) || !STATES.has(row.state)) {
    throw new Error(`job ${row.uuid} has unknown kind or state (${row.kind}, ${row.state})`);
  }
  return {
    uuid: row.uuid,
    kind: row.kind as JobKind,
    description: row.description,
    state: row.state as JobState,
    message: row.message,
    code: row.code,
    startTime: new Date(row.start_time),
    endTime: row.end_time === null ? null : new Date(row.end_time),
    nodeName: row.node_name,
  };
}

/**
 * JobStore on SQLite. Every method is one statement, so each is atomic without an explicit transaction.
 * Methods are `async` so that a failing statement surfaces as a rejection, never as a synchronous throw.
 *
 * `get` is the API's hottest read (clients poll their job), and on a WAL file each autocommit read costs
 * two fcntl lock calls plus a WAL lookup (~9 us against ~1 us from memory), so rows are cached per
 * connection and kept in step by this store's own writes. Inside an open transaction the cache is neither
 * filled nor updated, only invalidated, because a rollback would leave it ahead of the database.
 */
export class SqliteJobStore implements JobStore {
  readonly #db: Database.Database;
  readonly #cache: Map<string, JobRow>;
  readonly #insert: Statement<
    [string, string, string, string, string, number, number, number | null, string]
  >;
  readonly #get: Statement<[string], JobRow>;
  readonly #list: Statement<[], JobRow>;
  readonly #listUnfinished: Statement<[], JobRow>;
  readonly #updateMessage: Statement<[string, string]>;
  readonly #finish: Statement<[string, number, string, number, string]>;
  readonly #purge: Statement<[number]>;

  constructor(database: SqliteDatabase) {
    const { db } = database;
    this.#db = db;
    this.#cache = cacheFor(db);
    this.#insert = db.prepare(`INSERT INTO jobs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE uuid = ?`);
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM jobs ORDER BY start_time, uuid`);
    this.#listUnfinished = db.prepare(
      `SELECT ${COLUMNS} FROM jobs WHERE ${UNFINISHED} ORDER BY start_time, uuid`,
    );
    this.#updateMessage = db.prepare(`UPDATE jobs SET message = ? WHERE uuid = ? AND ${UNFINISHED}`);
    this.#finish = db.prepare(
      `UPDATE jobs SET state = ?, code = ?, message = ?, end_time = ? WHERE uuid = ? AND ${UNFINISHED}`,
    );
    // The state test is redundant with jobs_end_time_iff_terminal but keeps "never purge a running job"
    // true even if that constraint were ever relaxed.
    this.#purge = db.prepare(`DELETE FROM jobs WHERE end_time < ? AND state IN ('success', 'failure')`);
  }

  async create(job: Job): Promise<void> {
    const row: JobRow = {
      uuid: job.uuid,
      kind: job.kind,
      description: job.description,
      state: job.state,
      message: job.message,
      code: job.code,
      start_time: job.startTime.getTime(),
      end_time: job.endTime === null ? null : job.endTime.getTime(),
      node_name: job.nodeName,
    };
    this.#insert.run(
      row.uuid,
      row.kind,
      row.description,
      row.state,
      row.message,
      row.code,
      row.start_time,
      row.end_time,
      row.node_name,
    );
    this.#remember(row);
    return Promise.resolve();
  }

  async get(uuid: string): Promise<Job | undefined> {
    let row = this.#cache.get(uuid);
    if (row === undefined) {
      row = this.#get.get(uuid);
      if (row === undefined) return Promise.resolve(undefined);
      this.#remember(row);
    }
    // A fresh object (and fresh Dates) per call: callers may hold or mutate what they get.
    return Promise.resolve(toJob(row));
  }

  async list(): Promise<Job[]> {
    return Promise.resolve(this.#list.all().map(toJob));
  }

  async updateMessage(uuid: string, message: string): Promise<boolean> {
    const changed = this.#updateMessage.run(message, uuid).changes === 1;
    if (changed) this.#patch(uuid, { message });
    return Promise.resolve(changed);
  }

  async finish(uuid: string, end: JobEnd): Promise<boolean> {
    const endTime = end.endTime.getTime();
    const changed = this.#finish.run(end.state, end.code, end.message, endTime, uuid).changes === 1;
    if (changed)
      this.#patch(uuid, { state: end.state, code: end.code, message: end.message, end_time: endTime });
    return Promise.resolve(changed);
  }

  async purgeEndedBefore(cutoff: Date): Promise<number> {
    const { changes } = this.#purge.run(cutoff.getTime());
    if (changes > 0) this.#cache.clear();
    return Promise.resolve(changes);
  }

  async listUnfinished(): Promise<Job[]> {
    return Promise.resolve(this.#listUnfinished.all().map(toJob));
  }

  #remember(row: JobRow): void {
    if (this.#db.inTransaction) return;
    if (this.#cache.size >= CACHE_LIMIT) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(row.uuid, row);
  }

  #patch(uuid: string, change: Partial<JobRow>): void {
    const row = this.#cache.get(uuid);
    if (row === undefined) return;
    if (this.#db.inTransaction) this.#cache.delete(uuid);
    else this.#cache.set(uuid, { ...row, ...change });
  }
}
