import { failures } from '../errors.js';
import { interruptedCode } from '../model/job.js';
import type { Clock } from '../ports/clock.js';
import type { ImageStore } from '../ports/image-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { PackageStore } from '../ports/package-store.js';

export interface RecoveryReport {
  readonly interruptedJobs: number;
  readonly stagingFilesRemoved: number;
  readonly orphanFilesRemoved: readonly string[];
  readonly recordsWithoutFile: readonly string[];
}

/**
 * Start-up reconciliation after a crash or kill, run before the server accepts requests:
 * every job left running ends in failure ("interrupted by a server restart"), temporary files are deleted,
 * a file in the repository without a record is deleted, and a record whose file is gone is deleted.
 * Afterwards the repository and the package table describe the same set of packages.
 */
export async function recover(
  jobs: JobStore,
  packages: PackageStore,
  images: ImageStore,
  clock: Clock,
): Promise<RecoveryReport> {
  const unfinished = await jobs.listUnfinished();
  for (const job of unfinished) {
    const f = failures.interrupted(interruptedCode(job.kind));
    await jobs.finish(job.uuid, {
      state: 'failure',
      code: Number(f.code),
      message: f.message,
      endTime: clock.now(),
    });
  }
  const stagingFilesRemoved = await images.clearStaging();
  const files = new Set(await images.list());
  const records = await packages.list();
  const recorded = new Set(records.map((p) => p.fileName));
  const recordsWithoutFile: string[] = [];
  for (const p of records) {
    if (!files.has(p.fileName)) {
      await packages.remove(p.version);
      recordsWithoutFile.push(p.version);
    }
  }
  const orphanFilesRemoved: string[] = [];
  for (const name of files) {
    if (!recorded.has(name)) {
      await images.remove(name);
      orphanFilesRemoved.push(name);
    }
  }
  return { interruptedJobs: unfinished.length, stagingFilesRemoved, orphanFilesRemoved, recordsWithoutFile };
}
