import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './sqlite-database.js';

/** How often the worker checkpoints the WAL into the database file. */
const EVERY_MS = 1000;
/**
 * WAL pages after which the main connection checkpoints by itself, as SQLite does by default at 1000: here
 * only a safety net (about 80 MiB of WAL) until the worker has opened its connection.
 */
const FALLBACK_PAGES = 20_000;
const STOP_TIMEOUT_MS = 5000;

/**
 * Plain CommonJS, so the worker runs the same from the built files and from the TypeScript sources. A
 * PASSIVE checkpoint never waits for the main connection's locks; what it cannot copy now it copies later.
 * FULL makes every checkpoint fsync the WAL before it copies frames into the database file, and the
 * database file after; the main connection relies on that (see startCheckpointer).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = FULL');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or an I/O error: the next round takes it.
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
`;

export interface SqliteCheckpointer {
  /** True once the worker has its connection and the main connection stopped syncing; false if it never will. */
  readonly ready: Promise<boolean>;
  /** Stops the worker and waits for it to close its connection. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints, and with them every fsync of the database, off the event loop.
 *
 * A checkpoint copies the WAL into the database file and fsyncs it; run by SQLite's default auto-checkpoint,
 * it happens inside whichever commit crosses 1000 pages, on the main thread (5-10 ms on the bench machine).
 * Here a worker thread with its own connection checkpoints every second.
 *
 * At synchronous=NORMAL the main connection still fsynced the WAL once per checkpoint: the first commit after
 * a complete checkpoint starts the WAL over and syncs its new header. While a transfer fills the page cache,
 * that fsync waits for ext4's journal behind the package's data: 42-99 ms on the event loop (`perf trace`).
 * So once the worker runs, the main connection runs at synchronous=OFF with its auto-checkpoint off. Nothing
 * is lost by it: in WAL mode NORMAL does not sync commits either, and the header sync exists so that a
 * checkpoint never copies frames of a WAL generation whose header may not be on disk. The worker's FULL
 * checkpoints fsync the WAL file (header included, whichever connection wrote it) before copying any frame.
 * Whenever the worker is not running (before it is ready, after it died, from stop() on), the main
 * connection is back at NORMAL and checkpoints by itself, so its own checkpoints, including the one at
 * close, sync as SQLite's defaults do.
 */
export function startCheckpointer(database: SqliteDatabase): SqliteCheckpointer {
  const db = database.db;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: db.name, driver, everyMs: EVERY_MS },
  });
  worker.unref();
  db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
  let running = false;
  let stopped = false;
  const selfReliant = (): void => {
    running = false;
    if (!db.open) return;
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 1000');
  };
  const ready = new Promise<boolean>((resolve) => {
    worker.once('message', () => {
      if (!stopped && db.open) {
        db.pragma('synchronous = OFF');
        db.pragma('wal_autocheckpoint = 0');
        running = true;
      }
      resolve(running);
    });
    // A worker that cannot open the file or dies leaves the main connection checkpointing as before.
    worker.once('error', () => {
      selfReliant();
      resolve(false);
    });
    worker.once('exit', () => {
      if (running) selfReliant();
      resolve(false);
    });
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      resolve();
    });
  });
  let stopping: Promise<void> | null = null;
  return {
    ready,
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        selfReliant();
        worker.postMessage('stop');
        const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
