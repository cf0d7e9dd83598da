import type { ClusterService } from '../../core/services/cluster-service.js';
import { versionParts } from '../../core/model/software-package.js';
import type { JsonObject } from '../query/json.js';
import type { ResourceSpec } from '../resource.js';
import { ClusterRecord } from '../schemas/cluster.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** D20: `Www Mmm DD HH:MM:SS UTC YYYY`. */
export function buildDateText(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()] ?? ''} ${MONTHS[d.getUTCMonth()] ?? ''} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

export function clusterResource(cluster: ClusterService): ResourceSpec {
  return {
    kind: 'singleton',
    tag: 'cluster',
    path: '/api/cluster',
    summary: 'Retrieves the cluster identity and version',
    schema: ClusterRecord,
    read: () => {
      const version = cluster.version;
      const parts = versionParts(version) ?? { generation: 0, major: 0, minor: 0 };
      const record: JsonObject = {
        name: cluster.name,
        uuid: cluster.uuid,
        version: {
          full: `NetApp Release ${version}: ${buildDateText(cluster.buildDate)}`,
          generation: parts.generation,
          major: parts.major,
          minor: parts.minor,
        },
        _links: { self: { href: '/api/cluster' } },
      };
      return Promise.resolve(record);
    },
  };
}
