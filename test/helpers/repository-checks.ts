import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiOptions, ApiResponse } from './with-server.js';

type Api = (method: string, path: string, options?: ApiOptions) => Promise<ApiResponse>;

export const INTERRUPTED = 'interrupted by a server restart';

/** The failure code a job of this description ends with when a restart interrupts it (§10.12). */
export function interruptedCodeFor(description: string): number {
  if (description === 'POST /api/cluster/software/download') return 10551381;
  if (description === 'POST /api/cluster/software/upload') return 10551359;
  if (description.startsWith('DELETE /api/cluster/software/packages/')) return 10551323;
  return 10551396;
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Package files in the repository folder (hidden entries, i.e. `.staging`, excluded). */
export async function repositoryFiles(dataDir: string): Promise<string[]> {
  return (await names(join(dataDir, 'packages'))).filter((n) => !n.startsWith('.'));
}

/** Whatever is in the temporary area. */
export async function stagingFiles(dataDir: string): Promise<string[]> {
  return names(join(dataDir, 'packages', '.staging'));
}

/** The server's SQLite file in `dataDir`. */
export function databaseFile(dataDir: string): string {
  return join(dataDir, 'clusterimage.db');
}

/** Bytes in the staging folder now; a file removed while they are counted counts as empty. */
export async function stagedBytes(dataDir: string): Promise<number> {
  let total = 0;
  for (const name of await stagingFiles(dataDir)) {
    try {
      total += (await stat(join(dataDir, 'packages', '.staging', name))).size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

export interface JobRow {
  readonly uuid: string;
  readonly description: string;
  readonly state: string;
  readonly message: string;
  readonly code: number;
}

export async function allJobs(api: Api): Promise<JobRow[]> {
  const res = await api('GET', '/api/cluster/jobs?fields=uuid,description,state,message,code');
  assert.equal(res.status, 200, res.text);
  return (res.json as { records: JobRow[] }).records;
}

/**
 * The start-up reconciliation's promises, checked through the API and on disk: no job is left unfinished,
 * every interrupted job carries the code of its kind, nothing is in the temporary area, and the package
 * records and the package files name the same set. Returns the package file names.
 */
export async function assertReconciled(api: Api, dataDir: string): Promise<string[]> {
  const jobs = await allJobs(api);
  for (const job of jobs) {
    assert.ok(
      job.state === 'success' || job.state === 'failure',
      `job left unfinished: ${JSON.stringify(job)}`,
    );
    if (job.message === INTERRUPTED) {
      assert.equal(job.state, 'failure', JSON.stringify(job));
      assert.equal(job.code, interruptedCodeFor(job.description), JSON.stringify(job));
    }
  }
  assert.deepEqual(await stagingFiles(dataDir), [], 'no temporary file is left');
  const res = await api('GET', '/api/cluster/software/packages?fields=file_name');
  assert.equal(res.status, 200, res.text);
  const recorded = (res.json as { records: { file_name: string }[] }).records.map((r) => r.file_name).sort();
  const files = await repositoryFiles(dataDir);
  assert.deepEqual(recorded, files, 'package records and package files describe the same set');
  return files;
}

/** A job that was running at the kill: now `failure`, `interrupted by a server restart`, code of its kind. */
export async function assertInterrupted(api: Api, uuid: string, code: number): Promise<void> {
  const res = await api('GET', `/api/cluster/jobs/${uuid}`);
  assert.equal(res.status, 200, res.text);
  const job = res.json as JobRow & { end_time?: string; error?: { code: string; message: string } };
  assert.equal(job.state, 'failure', JSON.stringify(job));
  assert.equal(job.message, INTERRUPTED, JSON.stringify(job));
  assert.equal(job.code, code, JSON.stringify(job));
  assert.deepEqual(job.error, { code: String(code), message: INTERRUPTED });
  assert.equal(typeof job.end_time, 'string');
}
