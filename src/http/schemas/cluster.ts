import { Type } from 'typebox';
import { SelfLinks } from './common.js';

export const ClusterRecord = Type.Object(
  {
    name: Type.String(),
    uuid: Type.String({ format: 'uuid' }),
    version: Type.Object({
      full: Type.String({ examples: ['NetApp Release 9.16.1: Tue Jan 31 19:19:43 UTC 2023'] }),
      generation: Type.Integer(),
      major: Type.Integer(),
      minor: Type.Integer(),
    }),
    _links: SelfLinks,
  },
  { description: 'Cluster identity' },
);

const softwareStates = [
  'in_progress',
  'waiting',
  'paused_by_user',
  'paused_on_error',
  'completed',
  'canceled',
  'failed',
  'pause_pending',
  'cancel_pending',
];

export const SoftwareRecord = Type.Object(
  {
    version: Type.String(),
    pending_version: Type.Optional(Type.String()),
    state: Type.Enum(softwareStates),
    nodes: Type.Array(Type.Object({ name: Type.String(), model: Type.String(), version: Type.String() })),
    _links: SelfLinks,
  },
  { description: 'Cluster software' },
);

export const DownloadStatusRecord = Type.Object(
  {
    state: Type.Enum(['not_started', 'running', 'success', 'failure']),
    message: Type.String(),
    code: Type.Integer(),
  },
  { description: 'Progress of the most recent package download' },
);

export const HistoryRecord = Type.Object(
  {
    node: Type.Object({ name: Type.String(), uuid: Type.String() }),
    start_time: Type.String({ format: 'date-time' }),
    end_time: Type.String({ format: 'date-time' }),
    from_version: Type.String(),
    to_version: Type.String(),
    state: Type.Enum(['successful', 'canceled', 'skip_upgrade']),
  },
  { description: 'One node update' },
);
