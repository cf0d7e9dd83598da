import { randomUUID } from 'node:crypto';

/** Source of job and cluster uuids. */
export interface IdSource {
  uuid(): string;
}

export const randomIds: IdSource = { uuid: () => randomUUID() };
