import type { Writable } from 'node:stream';

/** What a single streaming pass learned about the bytes of a package (§4.5). */
export type PackageInspection =
  | {
      readonly kind: 'archive';
      /** First line of the top-level VERSION member, whitespace trimmed; null when absent or empty. */
      readonly versionMember: string | null;
    }
  | { readonly kind: 'not_archive' };

export interface StageOptions {
  /** Fail the write with `failures.tooLarge`-style JobFailure once more bytes than this arrive. */
  readonly maxBytes: number;
  /** Which verb to use in storage failure messages. */
  readonly verb: 'download' | 'upload';
}

/**
 * A package being received. `stream` writes to a temporary file outside the repository, hashing
 * (sha256) and inspecting the archive in the same pass. Writers write and wait for 'drain'; they never
 * end or destroy `stream`: `complete()` ends it.
 */
export interface StagedWrite {
  readonly stream: Writable;
  /** Bytes accepted so far. */
  bytesWritten(): number;
  /** Ends the stream, fsyncs the file and reports. Rejects with a JobFailure on I/O errors. */
  complete(): Promise<StagedImage>;
  /** Removes the temporary file. Idempotent; safe at any moment, also after `complete()`. */
  abort(): Promise<void>;
}

export interface StagedImage {
  readonly sha256: string;
  readonly size: number;
  readonly inspection: PackageInspection;
  /** Atomically renames the temp file into the repository as `fileName` (fsyncs the folder). */
  commit(fileName: string): Promise<void>;
  /** Removes the temporary file. Idempotent. */
  abort(): Promise<void>;
}

/** Package bytes on disk. The repository holds only complete, committed files. */
export interface ImageStore {
  stage(options: StageOptions): Promise<StagedWrite>;
  exists(fileName: string): Promise<boolean>;
  /** Removes a committed file; succeeds if it is already gone. */
  remove(fileName: string): Promise<void>;
  /** File names in the repository. */
  list(): Promise<string[]>;
  /** Deletes every leftover temporary file (start-up); returns how many. */
  clearStaging(): Promise<number>;
  /** Bytes free on the device that holds the repository. */
  freeBytes(): Promise<number>;
}
