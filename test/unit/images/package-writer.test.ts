import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { writePackage } from '../../../src/adapters/images/package-writer.js';
import { parseTarHeader, TAR_BLOCK, tarPadding } from '../../../src/adapters/images/tar-header.js';
import { inspectBytes, tempDir } from '../../helpers/package-fixtures.js';

const MiB = 1 << 20;

/** Names and sizes of the members of an uncompressed tar. */
function listTar(tar: Buffer): { name: string; size: number }[] {
  const out: { name: string; size: number }[] = [];
  let at = 0;
  for (;;) {
    const header = parseTarHeader(tar.subarray(at, at + TAR_BLOCK));
    assert.notEqual(header, null, `valid header at ${at}`);
    if (header === 'zero' || header === null) return out;
    out.push({ name: header.name, size: header.size });
    at += TAR_BLOCK + header.size + tarPadding(header.size);
  }
}

void test('a written package is recognised with its version and hashed as written', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, '9161_q_image.tgz');
  const size = 3 * MiB + 17;
  const written = await writePackage(path, { version: '9.16.1', size });
  const bytes = await readFile(path);
  assert.equal(written.bytes, bytes.length);
  assert.equal(written.sha256, createHash('sha256').update(bytes).digest('hex'));
  // Payload plus tar headers and stored-block framing: within a few KiB.
  assert.ok(bytes.length > size && bytes.length < size + 4096, `${bytes.length} bytes`);
  for (const chunk of [65536, MiB, 7 * 1024 * 1024]) {
    assert.deepEqual(await inspectBytes(bytes, chunk), { kind: 'archive', versionMember: '9.16.1' });
  }
  assert.deepEqual(listTar(gunzipSync(bytes)), [
    { name: 'VERSION', size: 7 },
    { name: 'image.bin', size },
  ]);
});

void test('the payload is incompressible and differs between packages', async (t) => {
  const dir = await tempDir(t);
  const a = await writePackage(join(dir, 'a.tgz'), { version: '9.1', size: MiB });
  const b = await writePackage(join(dir, 'b.tgz'), { version: '9.1', size: MiB });
  assert.notEqual(a.sha256, b.sha256);
  const tar = gunzipSync(await readFile(join(dir, 'a.tgz')));
  const payload = tar.subarray(3 * TAR_BLOCK, 3 * TAR_BLOCK + MiB);
  assert.ok(new Set(payload.subarray(0, 4096)).size > 200);
});

void test('without a version the package has no VERSION member', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, '97P5_q_image.tgz');
  await writePackage(path, { version: null, size: 1000, payloadName: 'data/blob' });
  const bytes = await readFile(path);
  assert.deepEqual(await inspectBytes(bytes), { kind: 'archive', versionMember: null });
  assert.deepEqual(listTar(gunzipSync(bytes)), [{ name: 'data/blob', size: 1000 }]);
});

void test('an empty payload and a payload of whole units are valid', async (t) => {
  const dir = await tempDir(t);
  for (const size of [0, 2 * MiB]) {
    const path = join(dir, `p${size}.tgz`);
    await writePackage(path, { version: '9.2', size });
    assert.deepEqual(await inspectBytes(await readFile(path)), { kind: 'archive', versionMember: '9.2' });
  }
});

void test('an invalid size is refused', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(writePackage(join(dir, 'x.tgz'), { version: '9.1', size: -1 }), RangeError);
  await assert.rejects(writePackage(join(dir, 'x.tgz'), { version: '9.1', size: 1.5 }), RangeError);
});
