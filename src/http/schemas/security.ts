import { Type } from 'typebox';
import { SelfLinks } from './common.js';

export const SecurityAuditRecord = Type.Object(
  {
    cli: Type.Boolean({
      description: 'Audit CLI GET operations (kept for clients; this server has no CLI interface)',
    }),
    http: Type.Boolean({
      description: 'Audit HTTP GET operations: successful GET, HEAD and OPTIONS requests get an access line',
    }),
    ontapi: Type.Boolean({
      description: 'Audit ONTAPI GET operations (kept for clients; this server has no ONTAPI)',
    }),
    _links: SelfLinks,
  },
  { description: 'Administrative audit settings for GET requests' },
);
