import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { SqlitePackageStore } from '../../src/adapters/storage/sqlite/sqlite-package-store.js';
import type { SoftwarePackage } from '../../src/core/model/software-package.js';
import type { PackageStore } from '../../src/core/ports/package-store.js';
import { sqliteBackends } from './sqlite-backends.js';

type PackageStoreFactory = (t: TestContext) => Promise<PackageStore>;

const T0 = Date.parse('2025-03-28T14:00:00.456Z');

function pkg(version: string, overrides: Partial<SoftwarePackage> = {}): SoftwarePackage {
  return {
    version,
    fileName: `${version}_q_image.tgz`,
    size: 2 * 1024 ** 3,
    sha256: 'a'.repeat(64),
    sourceUrl: `https://images.example.com/${version}_q_image.tgz`,
    createTime: new Date(T0),
    ...overrides,
  };
}

function versions(pkgs: readonly SoftwarePackage[]): string[] {
  return pkgs.map((p) => p.version);
}

function packageStoreContract(name: string, open: PackageStoreFactory): void {
  void describe(`PackageStore contract on ${name}`, () => {
    void it('returns an added package by version and by file name, field for field', async (t) => {
      const store = await open(t);
      const added = pkg('9.16.1', { size: 5 * 1024 ** 4 + 7 });
      assert.equal(await store.add(added), true);
      assert.deepEqual(await store.get('9.16.1'), added);
      assert.deepEqual(await store.getByFileName('9.16.1_q_image.tgz'), added);
      assert.ok((await store.get('9.16.1'))?.createTime instanceof Date);
    });

    void it('keeps a null source URL for an uploaded package', async (t) => {
      const store = await open(t);
      const uploaded = pkg('9.15.1P3', { sourceUrl: null });
      assert.equal(await store.add(uploaded), true);
      assert.deepEqual(await store.get('9.15.1P3'), uploaded);
    });

    void it('returns undefined for an unknown version or file name', async (t) => {
      const store = await open(t);
      await store.add(pkg('9.16.1'));
      assert.equal(await store.get('9.16.2'), undefined);
      assert.equal(await store.getByFileName('9.16.2_q_image.tgz'), undefined);
    });

    void it('refuses a taken version and changes nothing', async (t) => {
      const store = await open(t);
      const first = pkg('9.16.1');
      await store.add(first);
      assert.equal(await store.add(pkg('9.16.1', { fileName: 'other.tgz', sha256: 'b'.repeat(64) })), false);
      assert.deepEqual(await store.list(), [first]);
      assert.equal(await store.getByFileName('other.tgz'), undefined);
    });

    void it('refuses a taken file name under another version and changes nothing', async (t) => {
      const store = await open(t);
      const first = pkg('9.16.1');
      await store.add(first);
      assert.equal(await store.add(pkg('9.16.1P1', { fileName: first.fileName })), false);
      assert.deepEqual(await store.list(), [first]);
      assert.equal(await store.get('9.16.1P1'), undefined);
    });

    void it('lists oldest createTime first, ties by version', async (t) => {
      const store = await open(t);
      assert.deepEqual(await store.list(), []);
      await store.add(pkg('9.17.1', { createTime: new Date(T0 + 2) }));
      await store.add(pkg('9.16.1', { createTime: new Date(T0 + 2) }));
      await store.add(pkg('9.18.1', { createTime: new Date(T0 + 1) }));
      await store.add(pkg('9.10.1', { createTime: new Date(T0 + 3) }));
      assert.deepEqual(versions(await store.list()), ['9.18.1', '9.16.1', '9.17.1', '9.10.1']);
    });

    void it('removes a record once, after which its version and file name are free', async (t) => {
      const store = await open(t);
      const kept = pkg('9.15.1');
      await store.add(kept);
      await store.add(pkg('9.16.1'));
      assert.equal(await store.remove('9.16.1'), true);
      assert.equal(await store.remove('9.16.1'), false);
      assert.equal(await store.remove('never'), false);
      assert.equal(await store.get('9.16.1'), undefined);
      assert.equal(await store.getByFileName('9.16.1_q_image.tgz'), undefined);
      assert.deepEqual(await store.list(), [kept]);
      assert.equal(await store.add(pkg('9.16.1', { sha256: 'c'.repeat(64) })), true);
    });
  });
}

for (const backend of sqliteBackends) {
  packageStoreContract(backend.name, async (t) => new SqlitePackageStore((await backend.open(t)).database));
}
