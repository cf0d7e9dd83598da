import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TgzInspector } from '../../../src/adapters/images/tgz-inspector.js';
import { buildPackageBuffer, buildTar, inspectBytes } from '../../helpers/package-fixtures.js';

const archive = (versionMember: string | null) => ({ kind: 'archive', versionMember }) as const;
const NOT_ARCHIVE = { kind: 'not_archive' } as const;

void test('a package with VERSION gives its first line', async () => {
  const pkg = buildPackageBuffer({
    version: '9.16.1',
    members: [{ name: 'image.bin', data: randomBytes(5000) }],
  });
  assert.deepEqual(await inspectBytes(pkg), archive('9.16.1'));
});

void test('every chunking of the input gives the same verdict', async () => {
  const pkg = buildPackageBuffer({
    members: [
      { name: 'a'.repeat(150), data: 'long' },
      { name: 'VERSION', data: '9.7P5\n' },
      { name: 'b.bin', data: randomBytes(3000) },
    ],
  });
  for (const size of [1, 7, 511, 512, 513, 4096, pkg.length]) {
    assert.deepEqual(await inspectBytes(pkg, size), archive('9.7P5'), `chunk size ${size}`);
  }
});

void test('./VERSION counts as the top-level VERSION', async () => {
  const pkg = buildPackageBuffer({
    members: [
      { name: './', type: '5' },
      { name: './VERSION', data: '9.15.1\n' },
    ],
  });
  assert.deepEqual(await inspectBytes(pkg), archive('9.15.1'));
});

void test('without a VERSION member the archive has no version', async () => {
  const pkg = buildPackageBuffer({ members: [{ name: 'image.bin', data: 'x' }] });
  assert.deepEqual(await inspectBytes(pkg), archive(null));
});

void test('a VERSION below the top level, or not a regular file, does not count', async () => {
  const nested = buildPackageBuffer({ members: [{ name: 'pkg/VERSION', data: '9.1\n' }] });
  assert.deepEqual(await inspectBytes(nested), archive(null));
  const dir = buildPackageBuffer({ members: [{ name: 'VERSION', type: '5' }] });
  assert.deepEqual(await inspectBytes(dir), archive(null));
  const link = buildPackageBuffer({ members: [{ name: 'VERSION', type: '2' }] });
  assert.deepEqual(await inspectBytes(link), archive(null));
});

void test('an empty or blank VERSION counts as absent', async () => {
  for (const data of ['', '\n', '  \t\r\n9.1\n']) {
    const pkg = buildPackageBuffer({ members: [{ name: 'VERSION', data }] });
    assert.deepEqual(await inspectBytes(pkg), archive(null), JSON.stringify(data));
  }
});

void test('CRLF, surrounding blanks and later lines are dropped', async () => {
  const cases: [string, string][] = [
    ['9.1\r\n', '9.1'],
    ['  9.2P1 \t\n', '9.2P1'],
    ['9.3\nsecond line\n', '9.3'],
    ['9.4', '9.4'],
    ['\ufeff9.5\r\n', '9.5'],
  ];
  for (const [data, expected] of cases) {
    const pkg = buildPackageBuffer({ members: [{ name: 'VERSION', data }] });
    assert.deepEqual(await inspectBytes(pkg), archive(expected), JSON.stringify(data));
  }
});

void test('only the first VERSION member counts', async () => {
  const pkg = buildPackageBuffer({
    members: [
      { name: 'VERSION', data: '9.1\n' },
      { name: './VERSION', data: '9.2\n' },
    ],
  });
  assert.deepEqual(await inspectBytes(pkg), archive('9.1'));
});

void test('a huge VERSION member is read only up to the cap', async () => {
  const pkg = buildPackageBuffer({ members: [{ name: 'VERSION', data: `9.1\n${'x'.repeat(100_000)}` }] });
  assert.deepEqual(await inspectBytes(pkg), archive('9.1'));
});

void test('GNU long names are followed, and a long name ending in VERSION is not top-level', async () => {
  const long = `${'d'.repeat(120)}/VERSION`;
  const pkg = buildPackageBuffer({
    members: [
      { name: long, data: '0.0\n' },
      { name: `${'e'.repeat(200)}.bin`, data: randomBytes(1000) },
      { name: 'VERSION', data: '9.8\n' },
    ],
  });
  assert.deepEqual(await inspectBytes(pkg), archive('9.8'));
});

void test('pax path records name members and global headers are skipped', async () => {
  const pkg = buildPackageBuffer({
    members: [
      { name: 'global', type: 'g', data: '19 comment=hello\n' },
      { name: `${'p'.repeat(130)}.bin`, longName: 'pax', data: randomBytes(700) },
      { name: 'placeholder', pax: { path: 'VERSION', mtime: '1700000000.5' }, data: '9.9.1\n' },
    ],
  });
  assert.deepEqual(await inspectBytes(pkg), archive('9.9.1'));
});

void test('a pax size record overrides the header size', async () => {
  const tar = buildTar({
    members: [
      { name: 'big.bin', pax: { size: '1024' }, data: randomBytes(1024) },
      { name: 'VERSION', data: '9.10.1\n' },
    ],
  });
  // Zero the ustar size of big.bin (third block: pax header, pax data, then the member header) and fix its checksum.
  const header = tar.subarray(1024, 1536);
  header.write('00000000000\0', 124, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  assert.deepEqual(await inspectBytes(gzipSync(tar)), archive('9.10.1'));
});

void test('a truncated gzip stream is not an archive', async () => {
  const pkg = buildPackageBuffer({
    version: '9.1',
    members: [{ name: 'image.bin', data: randomBytes(20_000) }],
  });
  for (const cut of [1, 10, 100, pkg.length >> 1, pkg.length - 8, pkg.length - 1]) {
    assert.deepEqual(await inspectBytes(pkg.subarray(0, cut)), NOT_ARCHIVE, `cut at ${cut}`);
  }
});

void test('a complete gzip of a truncated tar is not an archive', async () => {
  const tar = buildTar({ version: '9.1', members: [{ name: 'image.bin', data: randomBytes(20_000) }] });
  // Inside a header, inside member data, inside the padding.
  for (const cut of [1500, 1024 + 512 + 100, 1024 + 512 + 20_000 + 10]) {
    assert.deepEqual(await inspectBytes(gzipSync(tar.subarray(0, cut))), NOT_ARCHIVE, `cut at ${cut}`);
  }
});

void test('a tar whose last member is complete is accepted without its end-of-archive blocks', async () => {
  const tar = buildTar({ version: '9.1', endOfArchive: false, members: [{ name: 'a', data: 'x' }] });
  assert.deepEqual(await inspectBytes(gzipSync(tar)), archive('9.1'));
});

void test('a dangling long-name header is not an archive', async () => {
  const tar = buildTar({ version: '9.1', members: [{ name: 'x'.repeat(150), data: 'y' }] });
  // VERSION (1024) then the L header and its data (1024): cut right after them.
  assert.deepEqual(await inspectBytes(gzipSync(tar.subarray(0, 2048))), NOT_ARCHIVE);
  const withEnd = Buffer.concat([tar.subarray(0, 2048), Buffer.alloc(1024)]);
  assert.deepEqual(await inspectBytes(gzipSync(withEnd)), NOT_ARCHIVE);
});

void test('bytes that are not gzip are not an archive', async () => {
  assert.deepEqual(await inspectBytes(randomBytes(100_000)), NOT_ARCHIVE);
  assert.deepEqual(await inspectBytes(buildTar({ version: '9.1' })), NOT_ARCHIVE);
  assert.deepEqual(await inspectBytes(Buffer.alloc(0)), NOT_ARCHIVE);
  assert.deepEqual(await inspectBytes(Buffer.from('PK\u0003\u0004 zip file')), NOT_ARCHIVE);
});

void test('gzip that does not hold a tar is not an archive', async () => {
  assert.deepEqual(await inspectBytes(gzipSync('hello world\n'.repeat(1000))), NOT_ARCHIVE);
  assert.deepEqual(await inspectBytes(gzipSync(Buffer.alloc(0))), NOT_ARCHIVE);
  assert.deepEqual(await inspectBytes(gzipSync(randomBytes(4096))), NOT_ARCHIVE);
});

void test('a tar header with a bad checksum is not an archive', async () => {
  const tar = buildTar({ version: '9.1', members: [{ name: 'a', data: 'x' }] });
  tar.writeUInt8(0x01, 1024 + 10);
  assert.deepEqual(await inspectBytes(gzipSync(tar)), NOT_ARCHIVE);
});

void test('an empty tar (only the end-of-archive blocks) is an archive without a version', async () => {
  assert.deepEqual(await inspectBytes(gzipSync(Buffer.alloc(10240))), archive(null));
});

void test('multi-member gzip is read through every member', async () => {
  const tar = buildTar({
    members: [
      { name: 'a.bin', data: randomBytes(3000) },
      { name: 'VERSION', data: '9.12.1\n' },
    ],
  });
  for (const split of [0, 700, 3584, 3700, tar.length]) {
    const pkg = Buffer.concat([gzipSync(tar.subarray(0, split)), gzipSync(tar.subarray(split))]);
    for (const chunk of [5, 512, 65536]) {
      assert.deepEqual(await inspectBytes(pkg, chunk), archive('9.12.1'), `split ${split}, chunk ${chunk}`);
    }
  }
});

void test('zero padding after the gzip stream is tolerated; a corrupt second member is not', async () => {
  const pkg = buildPackageBuffer({ version: '9.1' });
  assert.deepEqual(await inspectBytes(Buffer.concat([pkg, Buffer.alloc(3000)]), 1000), archive('9.1'));
  const bad = Buffer.concat([pkg, Buffer.from([0x1f, 0x8b, 0x01, 0x02, 0x03])]);
  assert.deepEqual(await inspectBytes(bad), NOT_ARCHIVE);
});

void test('writes may be queued without waiting and every callback runs once, also after a failure', async () => {
  for (const bytes of [buildPackageBuffer({ version: '9.1' }), randomBytes(50_000)]) {
    const inspector = new TgzInspector();
    let calls = 0;
    const writes: Promise<void>[] = [];
    for (let at = 0; at < bytes.length; at += 1000) {
      writes.push(
        new Promise<void>((resolve) => {
          inspector.write(bytes.subarray(at, at + 1000), () => {
            calls++;
            resolve();
          });
        }),
      );
    }
    await Promise.all(writes);
    assert.equal(calls, writes.length);
    await inspector.finish();
  }
});

void test('destroy releases pending writes and gives not_archive', async () => {
  const inspector = new TgzInspector();
  const pkg = buildPackageBuffer({ version: '9.1', members: [{ name: 'a', data: randomBytes(100_000) }] });
  const done = new Promise<void>((resolve) => {
    inspector.write(pkg, resolve);
  });
  inspector.destroy();
  await done;
  assert.deepEqual(await inspector.finish(), NOT_ARCHIVE);
});
