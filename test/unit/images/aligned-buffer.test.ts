import assert from 'node:assert/strict';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alignedBuffer, alignUp, DIRECT_ALIGN } from '../../../src/adapters/images/aligned-buffer.js';
import { tempDir } from '../../helpers/package-fixtures.js';

/** Whether a direct write of one aligned block from `buf`'s memory is accepted; false on EINVAL. */
function directWriteAccepted(fd: number, buf: Buffer): boolean {
  try {
    return writeSync(fd, buf, 0, DIRECT_ALIGN, 0) === DIRECT_ALIGN;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return false;
    throw err;
  }
}

void test('aligned buffers start on a page: the kernel takes direct writes from every one of them', async (t) => {
  const path = join(await tempDir(t), 'direct.bin');
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o600);
  t.after(() => {
    closeSync(fd);
  });
  // The check is only worth something where the filesystem enforces alignment: memory one byte off a page must
  // be refused. (tmpfs takes anything; the test folder is on the same disk as the data folder by default.)
  const offByOne = alignedBuffer(2 * DIRECT_ALIGN).subarray(1, 1 + DIRECT_ALIGN);
  assert.equal(directWriteAccepted(fd, offByOne), false, 'this filesystem refuses misaligned direct writes');
  for (let i = 0; i < 32; i++) {
    assert.equal(directWriteAccepted(fd, alignedBuffer(1 << 20)), true, `aligned buffer ${String(i)}`);
  }
});

void test('aligned buffers are whole pages', () => {
  assert.throws(() => alignedBuffer(0), RangeError);
  assert.throws(() => alignedBuffer(DIRECT_ALIGN + 1), RangeError);
  assert.equal(alignedBuffer(DIRECT_ALIGN).length, DIRECT_ALIGN);
  assert.equal(alignUp(0), 0);
  assert.equal(alignUp(1), DIRECT_ALIGN);
  assert.equal(alignUp(DIRECT_ALIGN), DIRECT_ALIGN);
  assert.equal(alignUp(DIRECT_ALIGN + 1), 2 * DIRECT_ALIGN);
});
