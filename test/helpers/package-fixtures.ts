import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PackageInspection } from '../../src/core/ports/image-store.js';
import { TgzInspector } from '../../src/adapters/images/tgz-inspector.js';

export {
  buildPackageBuffer,
  buildTar,
  type FixtureMember,
} from '../../src/adapters/images/package-writer.js';

/** A fresh folder under the OS temp dir, removed when the test ends. */
export async function tempDir(t: TestContext, prefix = 'clusterimage-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `bytes` through a TgzInspector in chunks of `chunkSize`, one at a time. */
export async function inspectBytes(bytes: Buffer, chunkSize = 64 * 1024): Promise<PackageInspection> {
  const inspector = new TgzInspector();
  for (let at = 0; at < bytes.length; at += chunkSize) {
    await new Promise<void>((resolve) => {
      inspector.write(bytes.subarray(at, at + chunkSize), resolve);
    });
  }
  return inspector.finish();
}
