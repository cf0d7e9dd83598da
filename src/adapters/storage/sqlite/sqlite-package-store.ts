import type { Statement } from 'better-sqlite3';
import type { SoftwarePackage } from '../../../core/model/software-package.js';
import type { PackageStore } from '../../../core/ports/package-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface PackageRow {
  version: string;
  file_name: string;
  size: number;
  sha256: string;
  source_url: string | null;
  create_time: number;
}

const COLUMNS = 'version, file_name, size, sha256, source_url, create_time';

function toPackage(row: PackageRow): SoftwarePackage {
  return {
    version: row.version,
    fileName: row.file_name,
    size: row.size,
    sha256: row.sha256,
    sourceUrl: row.source_url,
    createTime: new Date(row.create_time),
  };
}

/**
 * PackageStore on SQLite. Every method is one statement (atomic). Methods are `async` so that a failing
 * statement surfaces as a rejection, never as a synchronous throw.
 */
export class SqlitePackageStore implements PackageStore {
  readonly #insert: Statement<[string, string, number, string, string | null, number]>;
  readonly #get: Statement<[string], PackageRow>;
  readonly #getByFileName: Statement<[string], PackageRow>;
  readonly #list: Statement<[], PackageRow>;
  readonly #remove: Statement<[string]>;

  constructor(database: SqliteDatabase) {
    const { db } = database;
    // DO NOTHING covers only uniqueness (version, file_name); other constraint failures still throw.
    this.#insert = db.prepare(
      `INSERT INTO packages (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM packages WHERE version = ?`);
    this.#getByFileName = db.prepare(`SELECT ${COLUMNS} FROM packages WHERE file_name = ?`);
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM packages ORDER BY create_time, version`);
    this.#remove = db.prepare('DELETE FROM packages WHERE version = ?');
  }

  async add(pkg: SoftwarePackage): Promise<boolean> {
    const { changes } = this.#insert.run(
      pkg.version,
      pkg.fileName,
      pkg.size,
      pkg.sha256,
      pkg.sourceUrl,
      pkg.createTime.getTime(),
    );
    return Promise.resolve(changes === 1);
  }

  async get(version: string): Promise<SoftwarePackage | undefined> {
    const row = this.#get.get(version);
    return Promise.resolve(row === undefined ? undefined : toPackage(row));
  }

  async getByFileName(fileName: string): Promise<SoftwarePackage | undefined> {
    const row = this.#getByFileName.get(fileName);
    return Promise.resolve(row === undefined ? undefined : toPackage(row));
  }

  async list(): Promise<SoftwarePackage[]> {
    return Promise.resolve(this.#list.all().map(toPackage));
  }

  async remove(version: string): Promise<boolean> {
    return Promise.resolve(this.#remove.run(version).changes === 1);
  }
}
