import type { SwaggerOptions } from '@fastify/swagger';

/** The OpenAPI document's frame; the paths come from the route schemas (dynamic mode). */
export function openapiInfo(): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'clusterimage: ONTAP cluster software REST API',
        description:
          'An implementation of the NetApp ONTAP REST API for the cluster software lifecycle: package download ' +
          'and upload as jobs, the package repository, and jobs. Every request needs HTTP Basic credentials. ' +
          'Errors use the ONTAP envelope `{"error":{"message","code","target"}}`; codes are listed in docs/errors.md.',
        version: '0.1.0',
      },
      components: { securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } } },
      security: [{ basicAuth: [] }],
      tags: [
        { name: 'cluster', description: 'Cluster identity and jobs' },
        { name: 'software', description: 'Software packages, download, upload and repository' },
        { name: 'security', description: 'Audit settings: which requests get an access line' },
      ],
    },
  };
}
