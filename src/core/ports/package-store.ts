import type { SoftwarePackage } from '../model/software-package.js';

/** Package metadata. `version` and `fileName` are each unique. */
export interface PackageStore {
  /** Inserts a package; returns false (and changes nothing) when the version or file name is taken. */
  add(pkg: SoftwarePackage): Promise<boolean>;
  get(version: string): Promise<SoftwarePackage | undefined>;
  getByFileName(fileName: string): Promise<SoftwarePackage | undefined>;
  /** Oldest `createTime` first (ties by version). */
  list(): Promise<SoftwarePackage[]>;
  /** Deletes the record; returns false when it was not there. */
  remove(version: string): Promise<boolean>;
}
