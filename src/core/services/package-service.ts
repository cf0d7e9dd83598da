import { errors, failures, JobFailure } from '../errors.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { Job } from '../model/job.js';
import type { SoftwarePackage } from '../model/software-package.js';
import type { ImageStore } from '../ports/image-store.js';
import type { PackageStore } from '../ports/package-store.js';
import type { ClusterService } from './cluster-service.js';

/** The package repository (§6): list, get, and delete as a job. */
export class PackageService {
  readonly #packages: PackageStore;
  readonly #images: ImageStore;
  readonly #runner: JobRunner;
  readonly #cluster: ClusterService;

  constructor(packages: PackageStore, images: ImageStore, runner: JobRunner, cluster: ClusterService) {
    this.#packages = packages;
    this.#images = images;
    this.#runner = runner;
    this.#cluster = cluster;
  }

  list(): Promise<SoftwarePackage[]> {
    return this.#packages.list();
  }

  get(version: string): Promise<SoftwarePackage | undefined> {
    return this.#packages.get(version);
  }

  /** D19: synchronous checks, then a job that removes the file and then the record. */
  async delete(version: string): Promise<Job> {
    const all = await this.#packages.list();
    if (all.length === 0) throw errors.repositoryEmpty('not_found');
    const pkg = all.find((p) => p.version === version);
    if (pkg === undefined) throw errors.packageNotFound(version);
    const software = this.#cluster.software();
    if (this.#cluster.updateInProgress() && software.pendingVersion === version)
      throw errors.deleteDuringUpdate();
    if (software.version === version) throw errors.deleteRunningVersion(version);
    return this.#runner.start(
      {
        kind: 'package_delete',
        description: `DELETE /api/cluster/software/packages/${version}`,
        message: `Deleting package ${version}`,
        cancellable: false,
      },
      async () => {
        // File first, record second: a crash in between leaves a record without its file, which start-up
        // reconciliation removes; an I/O failure leaves both in place.
        try {
          await this.#images.remove(pkg.fileName);
        } catch (err) {
          const f = failures.deleteFailed();
          throw new JobFailure(f.code, f.message, { cause: err });
        }
        await this.#packages.remove(version);
        return 'success';
      },
    );
  }
}
