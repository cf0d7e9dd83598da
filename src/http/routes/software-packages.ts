import type { SoftwarePackage } from '../../core/model/software-package.js';
import type { PackageService } from '../../core/services/package-service.js';
import { ontapTime } from '../json.js';
import type { JsonObject } from '../query/json.js';
import type { ResourceSpec } from '../resource.js';
import { PackageRecord } from '../schemas/software-package.js';

export function packageHref(version: string): string {
  return `/api/cluster/software/packages/${encodeURIComponent(version)}`;
}

export function packageToJson(p: SoftwarePackage): JsonObject {
  const out: JsonObject = {
    version: p.version,
    create_time: ontapTime(p.createTime),
    file_name: p.fileName,
    size: p.size,
    sha256: p.sha256,
  };
  if (p.sourceUrl !== null) out.source_url = p.sourceUrl;
  out._links = { self: { href: packageHref(p.version) } };
  return out;
}

export function packagesResource(packages: PackageService): ResourceSpec {
  return {
    kind: 'collection',
    tag: 'software',
    path: '/api/cluster/software/packages',
    summary: 'Retrieves the packages in the cluster package repository',
    schema: PackageRecord,
    keyFields: ['version'],
    list: async () => (await packages.list()).map(packageToJson),
    instance: {
      param: 'version',
      notFoundTarget: 'version',
      summary: 'Retrieves a package',
      defaultFields: 'version,create_time',
      get: async (version) => {
        const p = await packages.get(version);
        return p === undefined ? undefined : packageToJson(p);
      },
      operations: [
        {
          method: 'DELETE',
          summary: 'Deletes a package from the cluster package repository',
          jobBacked: true,
          handler: async ({ key }) => ({ kind: 'job', job: await packages.delete(key ?? '') }),
        },
      ],
    },
  };
}
