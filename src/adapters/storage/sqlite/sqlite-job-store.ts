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
 */
export class SqliteJobStore implements JobStore {
  readonly #insert: Statement<[string, string, string, string, string, number, number, number | null, string]>;
  readonly #get: Statement<[string], JobRow>;
  readonly #list: Statement<[], JobRow>;
  readonly #listUnfinished: Statement<[], JobRow>;
  readonly #updateMessage: Statement<[string, string]>;
  readonly #finish: Statement<[string, number, string, number, string]>;
  readonly #purge: Statement<[number]>;

  constructor(database: SqliteDatabase) {
    const { db } = database;
    this.#insert = db.prepare(`INSERT INTO jobs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE uuid = ?`);
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM jobs ORDER BY start_time, uuid`);
    this.#listUnfinished = db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE ${UNFINISHED} ORDER BY start_time, uuid`);
    this.#updateMessage = db.prepare(`UPDATE jobs SET message = ? WHERE uuid = ? AND ${UNFINISHED}`);
    this.#finish = db.prepare(
      `UPDATE jobs SET state = ?, code = ?, message = ?, end_time = ? WHERE uuid = ? AND ${UNFINISHED}`,
    );
    // The state test is redundant with jobs_end_time_iff_terminal but keeps "never purge a running job"
    // true even if that constraint were ever relaxed.
    this.#purge = db.prepare(`DELETE FROM jobs WHERE end_time < ? AND state IN ('success', 'failure')`);
  }

  async create(job: Job): Promise<void> {
    this.#insert.run(
      job.uuid,
      job.kind,
      job.description,
      job.state,
      job.message,
      job.code,
      job.startTime.getTime(),
      job.endTime === null ? null : job.endTime.getTime(),
      job.nodeName,
    );
    return Promise.resolve();
  }

  async get(uuid: string): Promise<Job | undefined> {
    const row = this.#get.get(uuid);
    return Promise.resolve(row === undefined ? undefined : toJob(row));
  }

  async list(): Promise<Job[]> {
    return Promise.resolve(this.#list.all().map(toJob));
  }

  async updateMessage(uuid: string, message: string): Promise<boolean> {
    return Promise.resolve(this.#updateMessage.run(message, uuid).changes === 1);
  }

  async finish(uuid: string, end: JobEnd): Promise<boolean> {
    const changed = this.#finish.run(end.state, end.code, end.message, end.endTime.getTime(), uuid).changes;
    return Promise.resolve(changed === 1);
  }

  async purgeEndedBefore(cutoff: Date): Promise<number> {
    return Promise.resolve(this.#purge.run(cutoff.getTime()).changes);
  }

  async listUnfinished(): Promise<Job[]> {
    return Promise.resolve(this.#listUnfinished.all().map(toJob));
  }
}
