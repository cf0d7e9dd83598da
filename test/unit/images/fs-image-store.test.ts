import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { test } from 'node:test';
import { FsImageStore, type FsImageStoreOptions } from '../../../src/adapters/images/fs-image-store.js';
import { storageFailure } from '../../../src/adapters/images/storage-failure.js';
import { failures, JobFailure } from '../../../src/core/errors.js';
import type { StagedWrite } from '../../../src/core/ports/image-store.js';
import { buildPackageBuffer, tempDir } from '../../helpers/package-fixtures.js';

const MiB = 1 << 20;

/** Writes like a downloader: write, wait for 'drain' when asked, never end. */
async function feed(stream: Writable, bytes: Buffer, chunkSizes: readonly number[]): Promise<void> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = chunkSizes[i++ % chunkSizes.length] ?? 65536;
    const chunk = Buffer.from(bytes.subarray(at, at + size));
    at += chunk.length;
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
}

/** A package of about `payload` bytes, mostly incompressible. */
function samplePackage(payload: number, version = '9.16.1'): Buffer {
  return buildPackageBuffer({ version, members: [{ name: 'image.bin', data: randomBytes(payload) }] });
}

async function stagingFiles(dir: string): Promise<string[]> {
  return readdir(join(dir, '.staging'));
}

/** Every combination of the two ways of writing: O_DIRECT or buffered, in the pass worker or on this thread. */
const MODES: readonly FsImageStoreOptions[] = [
  { directWrites: true, passWorker: true },
  { directWrites: false, passWorker: false },
  { directWrites: true, passWorker: false },
  { directWrites: false, passWorker: true },
];

function modeName(mode: FsImageStoreOptions): string {
  return `${mode.directWrites === true ? 'direct' : 'buffered'}, ${mode.passWorker === true ? 'pass worker' : 'this thread'}`;
}

for (const mode of MODES) {
  void test(`staging hashes, sizes and inspects the bytes in one pass; commit moves them in (${modeName(mode)})`, async (t) => {
    const dir = await tempDir(t);
    const store = new FsImageStore(dir, mode);
    const pkg = samplePackage(5 * MiB + 123);
    const staged = await store.stage({ maxBytes: 10 * MiB, verb: 'download' });
    // Socket-sized chunks, odd sizes, and chunks large enough to be written in place.
    await feed(staged.stream, pkg, [65536, 16384, 1, 3 * MiB, 4093, 300 * 1024]);
    assert.equal(staged.bytesWritten(), pkg.length);
    const image = await staged.complete();
    assert.equal(image.size, pkg.length);
    assert.equal(image.sha256, createHash('sha256').update(pkg).digest('hex'));
    assert.deepEqual(image.inspection, { kind: 'archive', versionMember: '9.16.1' });
    assert.equal((await stagingFiles(dir)).length, 1);

    await image.commit('9161_q_image.tgz');
    const onDisk = await readFile(join(dir, '9161_q_image.tgz'));
    assert.equal(createHash('sha256').update(onDisk).digest('hex'), image.sha256);
    assert.deepEqual(await store.list(), ['9161_q_image.tgz']);
    assert.equal(await store.exists('9161_q_image.tgz'), true);
    assert.deepEqual(await stagingFiles(dir), []);
    // Aborting after the commit leaves the committed file alone.
    await staged.abort();
    await image.abort();
    assert.equal(await store.exists('9161_q_image.tgz'), true);
  });

  void test(`bytes that are not a package are stored and reported as not_archive (${modeName(mode)})`, async (t) => {
    const dir = await tempDir(t);
    const store = new FsImageStore(dir, mode);
    const bytes = randomBytes(2 * MiB + 5);
    const staged = await store.stage({ maxBytes: 10 * MiB, verb: 'upload' });
    await feed(staged.stream, bytes, [65536]);
    const image = await staged.complete();
    assert.deepEqual(image.inspection, { kind: 'not_archive' });
    assert.equal(image.sha256, createHash('sha256').update(bytes).digest('hex'));
    await image.abort();
    assert.deepEqual(await stagingFiles(dir), []);
  });

  void test(`an empty staged write completes with the empty hash (${modeName(mode)})`, async (t) => {
    const store = new FsImageStore(await tempDir(t), mode);
    const staged = await store.stage({ maxBytes: 10, verb: 'download' });
    const image = await staged.complete();
    assert.equal(image.size, 0);
    assert.equal(image.sha256, createHash('sha256').digest('hex'));
    assert.deepEqual(image.inspection, { kind: 'not_archive' });
    await image.abort();
  });

  for (const verb of ['download', 'upload'] as const) {
    void test(`more than maxBytes fails the ${verb} stream and nothing reaches the repository (${modeName(mode)})`, async (t) => {
      const dir = await tempDir(t);
      const store = new FsImageStore(dir, mode);
      const max = MiB + 1000;
      const staged = await store.stage({ maxBytes: max, verb });
      const failed = once(staged.stream, 'error');
      const bytes = randomBytes(2 * MiB);
      await Promise.race([feed(staged.stream, bytes, [65536]), failed]);
      const [err] = (await failed) as [unknown];
      const expected = verb === 'download' ? failures.tooLarge(max) : failures.uploadTooLarge(max);
      assert.ok(err instanceof JobFailure);
      assert.equal(err.code, expected.code);
      assert.equal(err.message, expected.message);
      assert.ok(staged.bytesWritten() <= max);
      await assert.rejects(
        staged.complete(),
        (e: unknown) => e instanceof JobFailure && e.message === expected.message,
      );
      await staged.abort();
      assert.deepEqual(await store.list(), []);
      assert.deepEqual(await stagingFiles(dir), []);
    });
  }

  void test(`exactly maxBytes is accepted (${modeName(mode)})`, async (t) => {
    const store = new FsImageStore(await tempDir(t), mode);
    const pkg = samplePackage(10_000);
    const staged = await store.stage({ maxBytes: pkg.length, verb: 'download' });
    await feed(staged.stream, pkg, [4096]);
    const image = await staged.complete();
    assert.equal(image.size, pkg.length);
    await image.abort();
  });
}

void test('abort removes the temporary file, at any moment, and is idempotent', async (t) => {
  const dir = await tempDir(t);
  const store = new FsImageStore(dir);

  const midway = await store.stage({ maxBytes: 100 * MiB, verb: 'download' });
  await feed(midway.stream, randomBytes(3 * MiB), [65536]);
  assert.equal((await stagingFiles(dir)).length, 1);
  await Promise.all([midway.abort(), midway.abort()]);
  await midway.abort();
  assert.deepEqual(await stagingFiles(dir), []);
  await assert.rejects(midway.complete(), JobFailure);

  const done = await store.stage({ maxBytes: 100 * MiB, verb: 'download' });
  await feed(done.stream, samplePackage(1000), [65536]);
  const image = await done.complete();
  await image.abort();
  await done.abort();
  assert.deepEqual(await stagingFiles(dir), []);
  await assert.rejects(image.commit('late.tgz'), JobFailure);
  assert.deepEqual(await store.list(), []);
});

void test('commit never replaces an existing file', async (t) => {
  const dir = await tempDir(t);
  const store = new FsImageStore(dir);
  await writeFile(join(dir, 'taken.tgz'), 'original');
  const staged = await store.stage({ maxBytes: MiB, verb: 'upload' });
  await feed(staged.stream, samplePackage(1000), [65536]);
  const image = await staged.complete();
  await assert.rejects(
    image.commit('taken.tgz'),
    (e: unknown) => e instanceof JobFailure && e.code === '10551327',
  );
  assert.equal(await readFile(join(dir, 'taken.tgz'), 'utf8'), 'original');
  // The staged file survives the refusal: it can go in under another name, or be aborted.
  await image.commit('other.tgz');
  assert.deepEqual(await store.list(), ['other.tgz', 'taken.tgz']);
  await assert.rejects(image.commit('third.tgz'));
});

void test('temporary names are unique per stage', async (t) => {
  const dir = await tempDir(t);
  const store = new FsImageStore(dir);
  const stages = await Promise.all([1, 2, 3].map(() => store.stage({ maxBytes: MiB, verb: 'download' })));
  assert.equal(new Set(await stagingFiles(dir)).size, 3);
  await Promise.all(stages.map((s) => s.abort()));
});

void test('clearStaging removes leftovers but not the files of open stages', async (t) => {
  const dir = await tempDir(t);
  const store = new FsImageStore(dir);
  assert.equal(await store.clearStaging(), 0);
  await mkdir(join(dir, '.staging'), { recursive: true });
  await writeFile(join(dir, '.staging', 'old-1.part'), 'x');
  await writeFile(join(dir, '.staging', 'old-2.part'), 'y');
  const live: StagedWrite = await store.stage({ maxBytes: MiB, verb: 'download' });
  assert.equal(await store.clearStaging(), 2);
  assert.equal((await stagingFiles(dir)).length, 1);
  await live.abort();
  assert.deepEqual(await stagingFiles(dir), []);
});

void test('list ignores the staging folder, dotfiles and folders; remove is idempotent', async (t) => {
  const dir = await tempDir(t);
  const store = new FsImageStore(dir);
  assert.deepEqual(await new FsImageStore(join(dir, 'missing')).list(), []);
  await store.stage({ maxBytes: 1, verb: 'download' }).then((s) => s.abort());
  await writeFile(join(dir, 'b.tgz'), 'b');
  await writeFile(join(dir, 'a.tgz'), 'a');
  await writeFile(join(dir, '.hidden'), 'h');
  await mkdir(join(dir, 'sub'));
  assert.deepEqual(await store.list(), ['a.tgz', 'b.tgz']);
  assert.equal(await store.exists('.staging'), false);
  assert.equal(await store.exists('sub'), false);
  assert.equal(await store.exists('../x'), false);
  await store.remove('a.tgz');
  await store.remove('a.tgz');
  assert.deepEqual(await store.list(), ['b.tgz']);
  await assert.rejects(store.remove('.staging'), RangeError);
  await assert.rejects(store.remove('x/../../b'), RangeError);
});

void test('freeBytes reports the free space of the repository device', async (t) => {
  const store = new FsImageStore(await tempDir(t));
  const free = await store.freeBytes();
  assert.ok(Number.isSafeInteger(free) && free > 0);
});

void test('I/O errors map to noSpace or storeFailed and keep their cause', () => {
  const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
  const edquot = Object.assign(new Error('quota'), { code: 'EDQUOT' });
  const eio = Object.assign(new Error('io'), { code: 'EIO' });
  assert.equal(storageFailure(enospc, 'upload').message, failures.noSpace('upload').message);
  assert.equal(storageFailure(edquot, 'download').message, failures.noSpace('download').message);
  const other = storageFailure(eio, 'download');
  assert.equal(other.message, failures.storeFailed('download').message);
  assert.equal(other.cause, eio);
  const already = failures.tooLarge(5);
  assert.equal(storageFailure(already, 'download'), already);
});

void test('a staging folder that cannot be created fails stage with storeFailed', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'file'), 'not a folder');
  const store = new FsImageStore(join(dir, 'file'));
  await assert.rejects(
    store.stage({ maxBytes: 1, verb: 'download' }),
    (e: unknown) => e instanceof JobFailure && e.message === failures.storeFailed('download').message,
  );
});

/** The open flags of this process's fd on `path` (from /proc/self/fdinfo), or null if none is open on it. */
async function openFlags(path: string): Promise<number | null> {
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target !== path) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
    const flags = /^flags:\s+([0-7]+)$/m.exec(info)?.[1];
    if (flags !== undefined) return parseInt(flags, 8);
  }
  return null;
}

void test('directWrites opens the staged file with O_DIRECT, and only then', async (t) => {
  for (const directWrites of [true, false]) {
    const dir = await tempDir(t);
    const staged = await new FsImageStore(dir, { directWrites }).stage({ maxBytes: MiB, verb: 'download' });
    const [name] = await stagingFiles(dir);
    assert.ok(name !== undefined);
    const flags = await openFlags(join(dir, '.staging', name));
    assert.ok(flags !== null, 'the staged file is open');
    assert.equal((flags & constants.O_DIRECT) !== 0, directWrites);
    await staged.abort();
  }
});

void test('a filesystem that refuses O_DIRECT gets buffered writes, from its first stage on', async (t) => {
  const mnt = await mkdtemp(join(tmpdir(), 'clusterimage-ramfs-'));
  try {
    // ramfs has no direct I/O: open(O_DIRECT) fails with EINVAL after creating the file.
    execFileSync('mount', ['-t', 'ramfs', 'ramfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    await rm(mnt, { recursive: true, force: true });
    t.skip(`cannot mount a ramfs (needs root): ${(err as Error).message.split('\n')[0] ?? ''}`);
    return;
  }
  t.after(async () => {
    execFileSync('umount', [mnt], { stdio: 'pipe' });
    await rm(mnt, { recursive: true, force: true });
  });
  const dir = join(mnt, 'packages');
  const store = new FsImageStore(dir, { directWrites: true });
  const pkg = samplePackage(2 * MiB + 77);
  for (const round of [1, 2]) {
    const staged = await store.stage({ maxBytes: 10 * MiB, verb: 'upload' });
    const files = await stagingFiles(dir);
    assert.equal(files.length, 1, `round ${String(round)}: only the stage's own file, nothing left over`);
    const flags = await openFlags(join(dir, '.staging', files[0] ?? ''));
    assert.equal((flags ?? 0) & constants.O_DIRECT, 0, 'buffered');
    await feed(staged.stream, pkg, [65536]);
    const image = await staged.complete();
    assert.equal(image.sha256, createHash('sha256').update(pkg).digest('hex'));
    await image.abort();
  }
});
