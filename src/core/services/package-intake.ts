import { failures, JobFailure } from '../errors.js';
import { isValidVersion, versionFromFileName, type SoftwarePackage } from '../model/software-package.js';
import type { Clock } from '../ports/clock.js';
import type { ImageStore, StagedImage } from '../ports/image-store.js';
import type { PackageStore } from '../ports/package-store.js';

/** The version of a received package (§4.5): the VERSION member first, then the file-name convention. */
export function recogniseVersion(image: StagedImage, fileName: string): string {
  const inspection = image.inspection;
  if (inspection.kind === 'not_archive') throw failures.notAPackage(fileName);
  const member = inspection.versionMember;
  if (member !== null) {
    if (!isValidVersion(member)) throw failures.badVersionMember(fileName);
    return member;
  }
  const fromName = versionFromFileName(fileName);
  if (fromName === null) throw failures.noVersion(fileName);
  return fromName;
}

/**
 * The one path every received package takes after its bytes are staged, however it arrived: recognise,
 * refuse a duplicate version, move into the repository, then record. The file is committed before the row
 * is written, so a crash in between leaves a file without a record, which start-up reconciliation removes.
 */
export class PackageIntake {
  readonly #packages: PackageStore;
  readonly #images: ImageStore;
  readonly #clock: Clock;

  constructor(packages: PackageStore, images: ImageStore, clock: Clock) {
    this.#packages = packages;
    this.#images = images;
    this.#clock = clock;
  }

  async accept(
    image: StagedImage,
    fileName: string,
    sourceUrl: string | null,
    verb: 'download' | 'upload',
  ): Promise<SoftwarePackage> {
    const version = recogniseVersion(image, fileName);
    if ((await this.#packages.get(version)) !== undefined) throw failures.versionExists(version);
    if ((await this.#packages.getByFileName(fileName)) !== undefined) throw failures.versionExists(version);
    try {
      await image.commit(fileName);
    } catch (err) {
      if (err instanceof JobFailure) throw err;
      const failure = failures.storeFailed(verb);
      throw new JobFailure(failure.code, failure.message, { cause: err });
    }
    const pkg: SoftwarePackage = {
      version,
      fileName,
      size: image.size,
      sha256: image.sha256,
      sourceUrl,
      createTime: this.#clock.now(),
    };
    if (!(await this.#packages.add(pkg))) {
      await this.#images.remove(fileName);
      throw failures.versionExists(version);
    }
    return pkg;
  }
}
