import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { GunzipReader } from '../../../src/adapters/images/gunzip-reader.js';

interface Result {
  readonly ok: boolean;
  readonly output: Buffer;
}

/** Runs `input` through a GunzipReader in chunks of `chunkSize`; `queued` writes them all without waiting. */
async function readAll(input: Buffer, chunkSize: number, queued = false): Promise<Result> {
  const parts: Buffer[] = [];
  const reader = new GunzipReader((data) => parts.push(Buffer.from(data)));
  const writes: Promise<void>[] = [];
  for (let at = 0; at < input.length; at += chunkSize) {
    const write = new Promise<void>((resolve) => {
      reader.write(input.subarray(at, at + chunkSize), resolve);
    });
    if (queued) writes.push(write);
    else await write;
  }
  await Promise.all(writes);
  const ok = await reader.end();
  return { ok, output: Buffer.concat(parts) };
}

/** What Node's own gunzip makes of `input`: its output, or null when it refuses it. */
function nodeGunzip(input: Buffer): Buffer | null {
  try {
    return gunzipSync(input);
  } catch {
    return null;
  }
}

/** Stored deflate blocks of `data`, none final, at most `blockSize` bytes each. */
function storedBlocks(data: Buffer, blockSize = 0xffff): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += blockSize) {
    const part = data.subarray(at, at + blockSize);
    const head = Buffer.alloc(5);
    head.writeUInt16LE(part.length, 1);
    head.writeUInt16LE(~part.length & 0xffff, 3);
    out.push(head, part);
  }
  return Buffer.concat(out);
}

const FINAL_EMPTY_STORED = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);

function gzipMember(
  deflate: Buffer,
  data: Buffer,
  header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([header, deflate, trailer]);
}

/** Stored blocks for `stored`, then compressed blocks for `compressed` that refer back into `stored`. */
function mixedMember(stored: Buffer, compressed: Buffer): Buffer {
  const dictionary = stored.subarray(Math.max(0, stored.length - 32 * 1024));
  const tail = deflateRawSync(compressed, dictionary.length > 0 ? { dictionary } : {});
  return gzipMember(Buffer.concat([storedBlocks(stored), tail]), Buffer.concat([stored, compressed]));
}

const CHUNKS = [1, 5, 512, 4096, 65536, 1 << 20];

void test('stored blocks come out as they went in, whatever the chunking', async () => {
  const data = randomBytes(300_000);
  const gz = gzipMember(Buffer.concat([storedBlocks(data, 40_000), FINAL_EMPTY_STORED]), data);
  for (const size of CHUNKS) {
    const got = await readAll(gz, size);
    assert.equal(got.ok, true, `chunk ${size}`);
    assert.ok(got.output.equals(data), `chunk ${size}`);
  }
});

void test('zlib output at level 0 (stored blocks, final flag on the last data block) is read', async () => {
  const data = randomBytes(200_000);
  const gz = gzipSync(data, { level: 0 });
  const got = await readAll(gz, 7000);
  assert.equal(got.ok, true);
  assert.ok(got.output.equals(data));
});

void test('a compressed block after stored ones may refer back into them', async () => {
  const stored = randomBytes(50_000);
  // Copies of the last 32 KiB of the stored part: only back-references can encode them cheaply.
  const compressed = Buffer.concat([stored.subarray(20_000, 50_000), Buffer.from('tail '.repeat(1000))]);
  const gz = mixedMember(stored, compressed);
  assert.ok(gz.length < stored.length + compressed.length / 2, 'the tail must be compressed by reference');
  for (const size of CHUNKS) {
    const got = await readAll(gz, size);
    assert.equal(got.ok, true, `chunk ${size}`);
    assert.ok(got.output.equals(Buffer.concat([stored, compressed])), `chunk ${size}`);
  }
});

void test('a compressed block after less than a window of stored data gets what there is', async () => {
  const stored = Buffer.from('abcdefgh'.repeat(100));
  const compressed = Buffer.from('abcdefgh'.repeat(500));
  const got = await readAll(mixedMember(stored, compressed), 3);
  assert.equal(got.ok, true);
  assert.equal(got.output.toString(), 'abcdefgh'.repeat(600));
});

void test('members of every kind follow each other, and zero padding ends the stream', async () => {
  const a = randomBytes(70_000);
  const b = Buffer.from('compressible '.repeat(5000));
  const c = randomBytes(10_000);
  const gz = Buffer.concat([
    gzipMember(Buffer.concat([storedBlocks(a), FINAL_EMPTY_STORED]), a),
    gzipSync(b),
    mixedMember(c, b),
    gzipMember(Buffer.concat([storedBlocks(c), FINAL_EMPTY_STORED]), c),
    Buffer.alloc(100),
    Buffer.from('ignored after the padding'),
  ]);
  const want = Buffer.concat([a, b, c, b, c]);
  for (const size of CHUNKS) {
    for (const queued of [false, true]) {
      const got = await readAll(gz, size, queued);
      assert.equal(got.ok, true, `chunk ${size} queued ${queued}`);
      assert.ok(got.output.equals(want), `chunk ${size} queued ${queued}`);
    }
  }
});

void test('optional header fields are skipped, and the header CRC is checked', async () => {
  const data = randomBytes(1000);
  const fields = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]),
    Buffer.from([4, 0, 1, 2, 3, 4]),
    Buffer.from('name.tar\0comment\0'),
  ]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc32(fields) & 0xffff);
  const good = gzipMember(
    Buffer.concat([storedBlocks(data), FINAL_EMPTY_STORED]),
    data,
    Buffer.concat([fields, crc]),
  );
  assert.ok(nodeGunzip(good)?.equals(data), 'the fixture is valid gzip');
  for (const size of [1, 3, 100]) assert.equal((await readAll(good, size)).ok, true);

  const badCrc = Buffer.from(good);
  badCrc.writeUInt16LE((crc32(fields) + 1) & 0xffff, fields.length);
  assert.equal(nodeGunzip(badCrc), null);
  assert.equal((await readAll(badCrc, 10)).ok, false);

  const reserved = Buffer.from(good);
  reserved[3] = (reserved[3] ?? 0) | 0x20;
  assert.equal((await readAll(reserved, 10)).ok, false);
});

void test('corrupt framing is refused: CRC, length, stored lengths, block type, truncation', async () => {
  const data = randomBytes(5000);
  const good = gzipMember(Buffer.concat([storedBlocks(data), FINAL_EMPTY_STORED]), data);
  const corrupt = (at: number, value: number): Buffer => {
    const copy = Buffer.from(good);
    copy[at] = value;
    return copy;
  };
  const cases: [string, Buffer][] = [
    ['crc', corrupt(good.length - 8, (good[good.length - 8] ?? 0) ^ 1)],
    ['length', corrupt(good.length - 4, (good[good.length - 4] ?? 0) ^ 1)],
    ['nlen', corrupt(13, (good[13] ?? 0) ^ 1)],
    ['block type 3', corrupt(10, 0x06)],
    ['method', corrupt(2, 7)],
    ['magic', corrupt(0, 0x1e)],
  ];
  for (const [name, bytes] of cases) {
    assert.equal(nodeGunzip(bytes), null, `node refuses ${name}`);
    assert.equal((await readAll(bytes, 1000)).ok, false, name);
  }
  for (let cut = 0; cut < good.length; cut += 97) {
    assert.equal((await readAll(good.subarray(0, cut), 64)).ok, false, `cut at ${cut}`);
  }
  assert.equal((await readAll(good.subarray(0, good.length - 1), 64)).ok, false);
});

void test('a truncated or corrupt compressed tail is refused', async () => {
  const stored = randomBytes(40_000);
  const gz = mixedMember(stored, Buffer.from('x'.repeat(20_000)));
  for (const cut of [stored.length + 30, gz.length - 9, gz.length - 8, gz.length - 1]) {
    assert.equal((await readAll(gz.subarray(0, cut), 4096)).ok, false, `cut at ${cut}`);
  }
  const wrong = Buffer.from(gz);
  wrong[gz.length - 12] = (wrong[gz.length - 12] ?? 0) ^ 0xff;
  assert.equal(nodeGunzip(wrong), null);
  assert.equal((await readAll(wrong, 4096)).ok, false);
});

void test('destroy releases a chunk zlib is reading and every queued one, each exactly once', async () => {
  // Compressible, so the blocks are compressed and go to zlib (random bytes would be stored blocks).
  const gz = gzipSync(Buffer.from(randomBytes(2_000_000).toString('hex')), { level: 1 });
  const reader = new GunzipReader(() => undefined);
  const released = [0, 0, 0, 0];
  const writes = released.map(
    (_, i) =>
      new Promise<void>((resolve) => {
        reader.write(gz.subarray(i * 400_000, (i + 1) * 400_000), () => {
          released[i] = (released[i] ?? 0) + 1;
          resolve();
        });
      }),
  );
  reader.destroy();
  // zlib is reading the first chunk on the thread pool: its owner may not reuse or free it until zlib is done.
  assert.deepEqual(released, [0, 1, 1, 1]);
  await Promise.all(writes);
  assert.equal(await reader.end(), false);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(released, [1, 1, 1, 1], 'each chunk is released once');
});

void test('agrees with Node gunzip on mutated and truncated streams', async () => {
  const base = Buffer.concat([
    mixedMember(randomBytes(3000), Buffer.from('abc'.repeat(900))),
    gzipSync(Buffer.from('second member '.repeat(50)), { level: 0 }),
  ]);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.integer({ min: 1, max: base.length }),
      fc.integer({ min: 1, max: 5000 }),
      async (edits, cut, chunk) => {
        const input = Buffer.from(base.subarray(0, cut));
        for (const [at, value] of edits) if (at < input.length) input[at] = value;
        const want = nodeGunzip(input);
        const got = await readAll(input, chunk);
        assert.equal(got.ok, want !== null);
        if (want !== null) assert.ok(got.output.equals(want));
      },
    ),
    { numRuns: 300 },
  );
});
