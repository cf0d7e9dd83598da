import type { Migration } from '../migrate.js';

/**
 * SQLite schema history. Append only: a released entry is never edited, renumbered or removed, because
 * databases in the field record which ids they have applied. Kept as TS (not .sql assets) so the build
 * needs no file copying. Times are integer milliseconds since the epoch. Tables are STRICT so a wrong JS
 * type (e.g. a fractional `code`) fails instead of being stored as-is.
 */
export const sqliteMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'initial',
    sql: `
CREATE TABLE jobs (
  uuid        TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  description TEXT NOT NULL,
  state       TEXT NOT NULL
              CONSTRAINT jobs_state_known CHECK (state IN ('queued', 'running', 'paused', 'success', 'failure')),
  message     TEXT NOT NULL,
  code        INTEGER NOT NULL,
  start_time  INTEGER NOT NULL,
  end_time    INTEGER,
  node_name   TEXT NOT NULL,
  -- purgeEndedBefore relies on this: a job has an end time exactly when it is terminal.
  CONSTRAINT jobs_end_time_iff_terminal CHECK ((state IN ('success', 'failure')) = (end_time IS NOT NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX jobs_by_start ON jobs (start_time, uuid);
CREATE INDEX jobs_unfinished_by_start ON jobs (start_time, uuid) WHERE state IN ('queued', 'running', 'paused');
CREATE INDEX jobs_by_end ON jobs (end_time) WHERE end_time IS NOT NULL;

CREATE TABLE packages (
  version     TEXT PRIMARY KEY,
  file_name   TEXT NOT NULL CONSTRAINT packages_file_name_unique UNIQUE,
  size        INTEGER NOT NULL CONSTRAINT packages_size_non_negative CHECK (size >= 0),
  sha256      TEXT NOT NULL,
  source_url  TEXT,
  create_time INTEGER NOT NULL
) STRICT;

CREATE INDEX packages_by_create ON packages (create_time, version);

CREATE TABLE state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL CONSTRAINT state_value_is_json CHECK (json_valid(value))
) STRICT, WITHOUT ROWID;

CREATE TABLE users (
  name          TEXT PRIMARY KEY,
  role          TEXT NOT NULL CONSTRAINT users_role_known CHECK (role IN ('admin', 'readonly')),
  password_hash TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One row; bumped by triggers in the same transaction as any user change, so every connection (also in
-- another process) sees a new revision exactly when it can see the change.
CREATE TABLE user_revision (
  id       INTEGER PRIMARY KEY CONSTRAINT user_revision_single_row CHECK (id = 1),
  revision INTEGER NOT NULL
) STRICT;
INSERT INTO user_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER users_revision_on_insert AFTER INSERT ON users
BEGIN UPDATE user_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER users_revision_on_update AFTER UPDATE ON users
BEGIN UPDATE user_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER users_revision_on_delete AFTER DELETE ON users
BEGIN UPDATE user_revision SET revision = revision + 1 WHERE id = 1; END;
`,
  },
];
