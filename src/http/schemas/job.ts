import { Type } from 'typebox';
import { DateTime, SelfLinks } from './common.js';

export const JobRecord = Type.Object(
  {
    uuid: Type.String({ format: 'uuid' }),
    description: Type.String({ examples: ['POST /api/cluster/software/download'] }),
    state: Type.Enum(['queued', 'running', 'paused', 'success', 'failure']),
    message: Type.String(),
    code: Type.Integer({ description: 'Final error code on failure, otherwise 0' }),
    start_time: Type.Optional(DateTime('When the job started')),
    end_time: Type.Optional(DateTime('When the job reached a terminal state')),
    node: Type.Object({ name: Type.String() }),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    _links: SelfLinks,
  },
  { description: 'An asynchronous ONTAP job' },
);
