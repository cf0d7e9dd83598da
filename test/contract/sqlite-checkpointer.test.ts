import assert from 'node:assert/strict';
import { statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startCheckpointer } from '../../src/adapters/storage/sqlite/sqlite-checkpointer.js';
import { openSqliteDatabase } from '../../src/adapters/storage/sqlite/sqlite-database.js';
import { tempDir } from '../helpers/package-fixtures.js';

/** Rows of ~2 KiB: 3000 of them are ~1500 WAL pages, past SQLite's default auto-checkpoint of 1000. */
function fill(db: ReturnType<typeof openSqliteDatabase>['db'], rows: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
  // One commit per row, as the stores do: each commit is where SQLite would auto-checkpoint.
  for (let i = 0; i < rows; i++) insert.run('x'.repeat(2000));
}

function syncSettings(database: ReturnType<typeof openSqliteDatabase>): { synchronous: unknown; autocheckpoint: unknown } {
  return {
    synchronous: database.db.pragma('synchronous', { simple: true }),
    autocheckpoint: database.db.pragma('wal_autocheckpoint', { simple: true }),
  };
}

void test('the worker checkpoints the WAL into the database file, and the main connection neither checkpoints nor syncs', async (t) => {
  const dir = await tempDir(t, 'clusterimage-ckpt-');
  const file = join(dir, 'test.db');
  const database = openSqliteDatabase(file);
  const checkpointer = startCheckpointer(database);
  t.after(async () => {
    await checkpointer.stop();
    database.close();
  });
  assert.equal(await checkpointer.ready, true);
  // synchronous=OFF (0): the main connection never fsyncs, not even the WAL header when the WAL starts over.
  assert.deepEqual(syncSettings(database), { synchronous: 0, autocheckpoint: 0 });

  const before = statSync(file).size;
  fill(database.db, 3000);
  // The data reaches the database file only through a checkpoint, and only the worker runs them now.
  const deadline = Date.now() + 30_000;
  while (statSync(file).size <= before + 5_000_000 && Date.now() < deadline) await delay(100);
  assert.ok(statSync(file).size > before + 5_000_000, 'the worker did not checkpoint within 30 s');
});

void test('stop restores NORMAL and the default auto-checkpoint, waits for the worker, and may be called twice', async (t) => {
  const dir = await tempDir(t, 'clusterimage-ckpt-');
  const file = join(dir, 'test.db');
  const database = openSqliteDatabase(file);
  const checkpointer = startCheckpointer(database);
  assert.equal(await checkpointer.ready, true);
  await Promise.all([checkpointer.stop(), checkpointer.stop()]);
  // NORMAL (1) again, so the checkpoint SQLite runs when the connection closes syncs as it should.
  assert.deepEqual(syncSettings(database), { synchronous: 1, autocheckpoint: 1000 });
  database.close();
});

void test('a checkpointer stopped before its worker is ready never turns syncing off', async (t) => {
  const dir = await tempDir(t, 'clusterimage-ckpt-');
  const database = openSqliteDatabase(join(dir, 'test.db'));
  const checkpointer = startCheckpointer(database);
  await checkpointer.stop();
  assert.equal(await checkpointer.ready, false);
  assert.deepEqual(syncSettings(database), { synchronous: 1, autocheckpoint: 1000 });
  database.close();
});

void test('a worker that cannot open the file leaves the main connection syncing and checkpointing, and stops cleanly', async (t) => {
  const dir = await tempDir(t, 'clusterimage-ckpt-');
  const file = join(dir, 'real.db');
  const database = openSqliteDatabase(file);
  // The open connection keeps working on the unlinked file; the worker's fileMustExist open fails.
  unlinkSync(file);
  const checkpointer = startCheckpointer(database);
  assert.equal(await checkpointer.ready, false);
  assert.deepEqual(syncSettings(database), { synchronous: 1, autocheckpoint: 1000 });
  fill(database.db, 10);
  await checkpointer.stop();
  database.close();
});
