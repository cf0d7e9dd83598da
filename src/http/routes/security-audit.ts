import type { AuditService, AuditSettings } from '../../core/services/audit-service.js';
import type { ResourceSpec } from '../resource.js';
import { SecurityAuditRecord } from '../schemas/security.js';

const FLAGS = ['cli', 'http', 'ontapi'] as const;

export function securityAuditResource(audit: AuditService): ResourceSpec {
  return {
    kind: 'singleton',
    tag: 'security',
    path: '/api/security/audit',
    summary: 'Retrieves the administrative audit settings for GET requests',
    schema: SecurityAuditRecord,
    read: () => {
      const s = audit.settings;
      return Promise.resolve({
        cli: s.cli,
        http: s.http,
        ontapi: s.ontapi,
        _links: { self: { href: '/api/security/audit' } },
      });
    },
    operations: [
      {
        method: 'PATCH',
        summary: 'Updates the administrative audit settings for GET requests',
        description:
          'Requests that change something are always logged. With `http` true, successful GET, HEAD and OPTIONS ' +
          'requests are logged too. All fields are optional; an empty body changes nothing.',
        jobBacked: false,
        body: { cli: { type: 'boolean' }, http: { type: 'boolean' }, ontapi: { type: 'boolean' } },
        handler: async ({ body }) => {
          const change: Partial<Record<keyof AuditSettings, boolean>> = {};
          for (const flag of FLAGS) {
            const value = body[flag];
            if (typeof value === 'boolean') change[flag] = value;
          }
          await audit.update(change);
          return { kind: 'empty' };
        },
      },
    ],
  };
}
