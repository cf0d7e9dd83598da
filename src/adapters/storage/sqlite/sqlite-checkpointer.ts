import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './sqlite-database.js';

/** How often the worker checkpoints the WAL into the database file. */
const EVERY_MS = 1000;
/**
 * WAL pages after which the main connection checkpoints by itself, as SQLite does by default at 1000: here
 * only a safety net (about 80 MiB of WAL) for a checkpointer that fell behind or died.
 */
const FALLBACK_PAGES = 20_000;
const STOP_TIMEOUT_MS = 5000;

/**
 * Plain CommonJS, so the worker runs the same from the built files and from the TypeScript sources. A
 * PASSIVE checkpoint never waits for the main connection's locks; what it cannot copy now it copies later.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or an I/O error: the next round, or the main connection's fallback, takes it.
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface SqliteCheckpointer {
  /** Stops the worker and waits for it to close its connection. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the event loop. A checkpoint copies the WAL into the database file and fsyncs
 * it; run by SQLite's default auto-checkpoint, it happens inside whichever commit crosses 1000 pages, on
 * the main thread, and stalled that request for 5-10 ms on the bench machine (the accept-latency tail).
 * Here a worker thread with its own connection checkpoints every second, and the main connection's
 * auto-checkpoint is pushed out to a safety net.
 */
export function startCheckpointer(database: SqliteDatabase): SqliteCheckpointer {
  const file = database.db.name;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver, everyMs: EVERY_MS },
  });
  worker.unref();
  // A worker that cannot open the file or dies leaves the fallback in charge; nothing else depends on it.
  worker.on('error', () => undefined);
  database.db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      resolve();
    });
  });
  let stopping: Promise<void> | null = null;
  return {
    stop: () => {
      stopping ??= (async () => {
        if (database.db.open) database.db.pragma('wal_autocheckpoint = 1000');
        worker.postMessage('stop');
        const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
