import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { errors } from '../core/errors.js';
import type { JobRunner } from '../core/jobs/job-runner.js';
import type { AuditService } from '../core/services/audit-service.js';
import type { AuthService } from '../core/services/auth-service.js';
import type { ClusterService } from '../core/services/cluster-service.js';
import type { DownloadService } from '../core/services/download-service.js';
import type { JobService } from '../core/services/job-service.js';
import type { PackageService } from '../core/services/package-service.js';
import type { UploadService } from '../core/services/upload-service.js';
import { accessLogger } from './access-log.js';
import { onRequestHook } from './auth.js';
import {
  clientErrorHandler,
  connectHandler,
  frameworkErrorHandler,
  sendError,
  toOntapError,
} from './error-handler.js';
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSettings } from './login-throttle.js';
import { openapiInfo } from './openapi.js';
import { registerResource, type HttpContext } from './resource.js';
import { clusterResource } from './routes/cluster.js';
import { jobsResource } from './routes/cluster-jobs.js';
import { downloadResource, historyResource, softwareResource } from './routes/software.js';
import { packagesResource } from './routes/software-packages.js';
import { securityAuditResource } from './routes/security-audit.js';
import { registerUploadRoute } from './routes/software-upload.js';

export interface AppServices {
  readonly cluster: ClusterService;
  readonly downloads: DownloadService;
  readonly uploads: UploadService;
  readonly packages: PackageService;
  readonly jobs: JobService;
  readonly runner: JobRunner;
  readonly auth: AuthService;
  readonly audit: AuditService;
}

export interface AppOptions {
  readonly logger?: Logger;
  /** Largest JSON body, in bytes. */
  readonly bodyLimit?: number;
  readonly throttle?: ThrottleSettings;
  readonly https?: { readonly key: string | Buffer; readonly cert: string | Buffer } | null;
  /** Longest a request may take (uploads included), in milliseconds. */
  readonly requestTimeoutMs?: number;
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** `password=` values never reach a log line, even in a rejected query string (§2.2). */
export function redactUrl(url: string): string {
  if (!url.includes('=')) return url;
  return url.replace(/([?&]password=)[^&]*/gi, '$1***');
}

/** Builds the HTTP application around the services. It never listens; the caller does. */
export async function buildApp(services: AppServices, options: AppOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const serverOptions: FastifyServerOptions = {
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, maxParamLength: 1000 },
    bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: options.requestTimeoutMs ?? 3_700_000,
    return503OnClosing: false,
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    ...(options.logger !== undefined ? { loggerInstance: options.logger } : { logger: false }),
  };
  // Fastify's typings tie the instance type to http vs https; the routes here do not depend on it.
  const create = Fastify as unknown as (opts: object) => FastifyInstance;
  const app = create(options.https ? { ...serverOptions, https: options.https } : serverOptions);
  app.server.headersTimeout = 30_000;
  app.server.on('connect', connectHandler);

  app.decorateRequest('principal', null);
  app.decorateRequest('rawBody', undefined);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => {
    done(null, undefined);
  });
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    done(null, body);
  });
  app.setValidatorCompiler(() => () => true);

  app.setErrorHandler(async (err, request, reply) => {
    const ontap = toOntapError(err, bodyLimit);
    if (ontap !== null) return sendError(request, reply, ontap);
    if (request.raw.socket.destroyed) {
      // The connection closed while the body was read (client gone, or the parser refused the rest of the
      // request and answered it already): no one is left to answer, and it is not a fault of the server.
      request.log.info({ err }, 'connection closed during the request');
      return sendError(request, reply, errors.malformedRequest());
    }
    request.log.error({ err }, 'unexpected error');
    return sendError(request, reply, errors.unexpected());
  });
  app.setNotFoundHandler(async (request, reply) => sendError(request, reply, errors.apiNotFound()));

  app.addHook(
    'onRequest',
    onRequestHook(services.auth, new LoginThrottle(options.throttle ?? DEFAULT_THROTTLE)),
  );
  const logAccess = accessLogger(app.log);
  const { audit } = services;
  app.addHook('onResponse', (request, reply, done) => {
    // ONTAP's audit rule (`security audit -httpget off` by default): reads are logged only when they fail.
    if (reply.statusCode < 400 && isRead(request.method) && !audit.auditsHttpReads) {
      done();
      return;
    }
    logAccess(request.log, {
      method: request.method,
      url: redactUrl(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      user: request.principal?.name,
      remote: request.ip,
    });
    done();
  });

  await app.register(swagger, openapiInfo());
  const ctx: HttpContext = { runner: services.runner, jobs: services.jobs, bodyLimit };
  registerResource(app, clusterResource(services.cluster), ctx);
  registerResource(app, softwareResource(services.cluster), ctx);
  registerResource(app, downloadResource(services.downloads), ctx);
  registerResource(app, packagesResource(services.packages), ctx);
  registerResource(app, historyResource(), ctx);
  registerResource(app, jobsResource(services.jobs), ctx);
  registerResource(app, securityAuditResource(audit), ctx);
  registerUploadRoute(app, services.uploads, ctx);

  app.get('/docs/api/openapi.json', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', 'application/json').send(JSON.stringify(app.swagger(), null, 2)),
  );
  await app.register(swaggerUi, {
    routePrefix: '/docs/api',
    uiConfig: { url: '/docs/api/openapi.json', tryItOutEnabled: true, persistAuthorization: true },
    staticCSP: true,
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs/api'));
  return app;
}
