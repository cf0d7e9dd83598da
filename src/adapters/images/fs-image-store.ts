import { randomUUID } from 'node:crypto';
import { constants, lstatSync, open as openCb } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, rm, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errors, failures, JobFailure } from '../../core/errors.js';
import type {
  ImageStore,
  PackageInspection,
  StagedImage,
  StagedWrite,
  StageOptions,
} from '../../core/ports/image-store.js';
import { StagedFileSink } from './staged-file-sink.js';
import { errnoCode, storageFailure, withCause } from './storage-failure.js';
import { TgzInspector } from './tgz-inspector.js';

const openFd = promisify(openCb);

/** Hidden, so `list()` never reports it; inside the repository, so a commit is a link on one filesystem. */
const STAGING = '.staging';
const MAX_NAME_BYTES = 255;
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

export interface FsImageStoreOptions {
  /**
   * Write staged packages with O_DIRECT where the filesystem takes it (default): the bytes go from the sink's
   * batches to the device without a copy into the page cache, and the fsync before the commit has no backlog
   * of dirty pages to flush. Filesystems that refuse the flag get buffered writes.
   */
  readonly directWrites?: boolean;
  /** Hash, check and write in a worker thread beside the receiving one (default); see `pass-worker.ts`. */
  readonly passWorker?: boolean;
}

/**
 * Package files in one folder. A package is received into `<dir>/.staging/<uuid>.part` and enters the
 * repository only by `commit`: a hard link (which fails rather than replace an existing file) followed by
 * unlinking the temporary name and an fsync of the folder. The repository therefore only ever holds
 * complete files; a crash leaves at most a temporary file, which `clearStaging()` removes at start-up.
 */
export class FsImageStore implements ImageStore {
  readonly #dir: string;
  readonly #staging: string;
  /** Temporary files of stages still open in this process; `clearStaging` leaves them alone. */
  readonly #active = new Set<string>();
  #ready: Promise<void> | null = null;
  /** Cleared the first time the filesystem refuses O_DIRECT, so later stages do not ask again. */
  #direct: boolean;
  readonly #passWorker: boolean;

  constructor(dir: string, options: FsImageStoreOptions = {}) {
    this.#dir = dir;
    this.#staging = join(dir, STAGING);
    this.#direct = (options.directWrites ?? true) && 'O_DIRECT' in constants;
    this.#passWorker = options.passWorker ?? true;
  }

  get directory(): string {
    return this.#dir;
  }

  async stage(options: StageOptions): Promise<StagedWrite> {
    const { verb } = options;
    let fd: number;
    let direct = this.#direct;
    const tempPath = join(this.#staging, `${randomUUID()}.part`);
    try {
      await this.#ensureDirs();
      fd = await this.#create(tempPath, direct);
    } catch (err) {
      if (!direct || errnoCode(err) !== 'EINVAL') {
        this.#ready = null;
        throw storageFailure(err, verb);
      }
      this.#direct = direct = false;
      try {
        await unlinkIfPresent(tempPath);
        fd = await this.#create(tempPath, false);
      } catch (retryErr) {
        throw storageFailure(retryErr, verb);
      }
    }
    this.#active.add(tempPath);
    const sink = new StagedFileSink({
      fd,
      maxBytes: options.maxBytes,
      verb,
      inspector: new TgzInspector(),
      direct,
      passWorker: this.#passWorker,
    });
    return new FsStagedWrite(this.#dir, tempPath, sink, verb, () => this.#active.delete(tempPath));
  }

  /**
   * Synchronous on purpose: it is on the path of every accepted POST, and an lstat of a local, cached
   * directory entry takes microseconds, while a thread-pool round trip waits behind whatever file I/O is
   * queued there (the bench's accept p99 was mostly this wait). The data folder is local, like SQLite's.
   */
  exists(fileName: string): Promise<boolean> {
    if (!isPackageFileName(fileName)) return Promise.resolve(false);
    try {
      const stats = lstatSync(join(this.#dir, fileName), { throwIfNoEntry: false });
      return Promise.resolve(stats?.isFile() ?? false);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async remove(fileName: string): Promise<void> {
    const path = join(this.#dir, checkedName(fileName));
    try {
      await unlink(path);
      await fsyncDir(this.#dir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw withCause(failures.deleteFailed(), err);
    }
  }

  async list(): Promise<string[]> {
    try {
      const entries = await readdir(this.#dir, { withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
  }

  async clearStaging(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#staging);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return 0;
      throw err;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.#staging, name);
      if (this.#active.has(path)) continue;
      await rm(path, { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  async freeBytes(): Promise<number> {
    await this.#ensureDirs();
    const stats = await statfs(this.#dir);
    return stats.bavail * stats.bsize;
  }

  /**
   * EINVAL from a direct open means the filesystem does not do O_DIRECT. Linux has created the file by then
   * (the flag is checked after the create), so the buffered retry removes it first.
   */
  #create(path: string, direct: boolean): Promise<number> {
    return openFd(path, CREATE | (direct ? constants.O_DIRECT : 0), 0o644);
  }

  #ensureDirs(): Promise<void> {
    this.#ready ??= mkdir(this.#staging, { recursive: true }).then(() => undefined);
    return this.#ready;
  }
}

class FsStagedWrite implements StagedWrite {
  readonly stream: StagedFileSink;
  readonly #dir: string;
  readonly #tempPath: string;
  readonly #verb: 'download' | 'upload';
  readonly #forget: () => void;
  #completing: Promise<StagedImage> | null = null;
  #aborting: Promise<void> | null = null;
  #committed = false;

  constructor(
    dir: string,
    tempPath: string,
    sink: StagedFileSink,
    verb: 'download' | 'upload',
    forget: () => void,
  ) {
    this.#dir = dir;
    this.#tempPath = tempPath;
    this.stream = sink;
    this.#verb = verb;
    this.#forget = forget;
  }

  bytesWritten(): number {
    return this.stream.accepted;
  }

  complete(): Promise<StagedImage> {
    this.#completing ??= this.#complete();
    return this.#completing;
  }

  abort(): Promise<void> {
    this.#aborting ??= this.#abort();
    return this.#aborting;
  }

  async #complete(): Promise<StagedImage> {
    const pass = await this.stream.complete();
    return new FsStagedImage(this, pass.sha256, pass.bytes, pass.inspection);
  }

  async #abort(): Promise<void> {
    await this.stream.discard();
    if (!this.#committed) {
      await unlinkIfPresent(this.#tempPath).catch((err: unknown) => {
        throw storageFailure(err, this.#verb);
      });
    }
    this.#forget();
  }

  /** Links the finished temporary file into the repository as `fileName`; never replaces a file. */
  async commit(fileName: string): Promise<void> {
    const name = checkedName(fileName);
    if (this.#committed) throw new Error(`staged package already committed`);
    if (this.#aborting !== null)
      throw withCause(failures.storeFailed(this.#verb), new Error('staged package aborted'));
    const target = join(this.#dir, name);
    try {
      await link(this.#tempPath, target);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EEXIST') throw sameFileName(fileName, err);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
        throw storageFailure(err, this.#verb);
      }
      // No hard links on this filesystem: check, then rename. Only one transfer runs at a time (D6).
      if (await pathExists(target)) throw sameFileName(fileName, err);
      await rename(this.#tempPath, target).catch((renameErr: unknown) => {
        throw storageFailure(renameErr, this.#verb);
      });
    }
    this.#committed = true;
    // The package is in place: a temporary name left behind is only litter for clearStaging.
    await unlinkIfPresent(this.#tempPath).catch(() => undefined);
    this.#forget();
    try {
      await fsyncDir(this.#dir);
    } catch (err) {
      await unlinkIfPresent(target).catch(() => undefined);
      throw storageFailure(err, this.#verb);
    }
  }
}

class FsStagedImage implements StagedImage {
  readonly #write: FsStagedWrite;
  readonly sha256: string;
  readonly size: number;
  readonly inspection: PackageInspection;

  constructor(write: FsStagedWrite, sha256: string, size: number, inspection: PackageInspection) {
    this.#write = write;
    this.sha256 = sha256;
    this.size = size;
    this.inspection = inspection;
  }

  commit(fileName: string): Promise<void> {
    return this.#write.commit(fileName);
  }

  abort(): Promise<void> {
    return this.#write.abort();
  }
}

function sameFileName(fileName: string, cause: unknown): JobFailure {
  const e = errors.sameFileName(fileName);
  return new JobFailure(e.code, e.message, { cause });
}

/** A plain file name: no path separators, not hidden (the staging folder is), at most 255 bytes. */
function isPackageFileName(name: string): boolean {
  return (
    name.length > 0 &&
    !name.startsWith('.') &&
    !/[/\\\0]/.test(name) &&
    Buffer.byteLength(name) <= MAX_NAME_BYTES
  );
}

function checkedName(name: string): string {
  if (!isPackageFileName(name)) throw new RangeError(`not a package file name: ${JSON.stringify(name)}`);
  return name;
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Makes a link, unlink or rename in `dir` durable. */
async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
