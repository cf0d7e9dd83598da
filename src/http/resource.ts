import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { TSchema } from 'typebox';
import { errors } from '../core/errors.js';
import type { JobRunner } from '../core/jobs/job-runner.js';
import type { Job } from '../core/model/job.js';
import type { JobService } from '../core/services/job-service.js';
import { requireWrite } from './auth.js';
import { errorBody, STATUS_BY_KIND } from './error-handler.js';
import { answerJob } from './job-response.js';
import { fieldsOf } from './schema-fields.js';
import type { ResourceFields } from './query/field-spec.js';
import type { JsonObject } from './query/json.js';
import type { ParamSpec } from './query/param-values.js';
import {
  nextHref,
  parseQuery,
  projectRecord,
  queryCollection,
  type ParsedQuery,
  type QueryTarget,
} from './query/index.js';
import { renderOntap, sendOntap, sendOntapText, wantsPlainJson } from './render.js';
import { checkBody, parseJsonBody, readUnparsedBody, type BodyField } from './request-body.js';
import { EmptyObject, ErrorEnvelope, JobLink, collectionOf } from './schemas/common.js';
import { globalParamsDoc } from './openapi-params.js';

export type WriteMethod = 'POST' | 'PATCH' | 'DELETE';
const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

export interface HttpContext {
  readonly runner: JobRunner;
  readonly jobs: JobService;
  readonly bodyLimit: number;
}

export interface OperationInput {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The instance key from the path, for operations on an instance. */
  readonly key: string | undefined;
  readonly body: Readonly<Record<string, string | number | boolean>>;
  readonly query: ParsedQuery;
}

export type OperationResult = { readonly kind: 'job'; readonly job: Job } | { readonly kind: 'empty' };

export interface OperationSpec {
  readonly method: WriteMethod;
  readonly summary: string;
  readonly description?: string;
  /** JSON body fields; omitted = no fields accepted (any field → 262179). */
  readonly body?: Readonly<Record<string, BodyField>>;
  /** Endpoint-specific query parameters. */
  readonly params?: Readonly<Record<string, ParamSpec>>;
  /** Job-backed operations take `return_timeout` and answer per D1; others answer 200 `{}`. */
  readonly jobBacked: boolean;
  readonly handler: (input: OperationInput) => Promise<OperationResult>;
}

interface ResourceBase {
  readonly tag: string;
  readonly path: string;
  readonly summary: string;
  /** The record's response schema; fields, filters and order_by are derived from it. */
  readonly schema: TSchema;
}

export interface SingletonSpec extends ResourceBase {
  readonly kind: 'singleton';
  readonly read: () => Promise<JsonObject>;
  readonly operations?: readonly OperationSpec[];
}

export interface CollectionSpec extends ResourceBase {
  readonly kind: 'collection';
  readonly keyFields: readonly string[];
  /** Full records, in the resource's default order (D21). */
  readonly list: () => Promise<JsonObject[]>;
  readonly operations?: readonly OperationSpec[];
  readonly instance?: {
    readonly param: string;
    /** Target named by the 404 for an unknown key. */
    readonly notFoundTarget: string;
    readonly summary: string;
    readonly get: (key: string) => Promise<JsonObject | undefined>;
    /**
     * get() returns the same frozen object for as long as the record does not change, so the default
     * rendering of that object may be kept and reused.
     */
    readonly stableRecords?: boolean;
    /** Fields an instance GET returns without `fields` (default: the whole record). */
    readonly defaultFields?: string;
    readonly operations?: readonly OperationSpec[];
  };
}

export type ResourceSpec = SingletonSpec | CollectionSpec;

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

interface PathMethods {
  readonly get?: { handler: Handler; schema: Record<string, unknown> };
  readonly writes: readonly { method: WriteMethod; handler: Handler; schema: Record<string, unknown> }[];
}

/**
 * The checks every GET makes, in the contract's order (§2.1): query parameters, then the body rule of §2.2.
 * GET bodies are read here because Fastify does not parse them. `plain` is the parse of an empty query,
 * which most requests have.
 */
async function readGetRequest(
  request: FastifyRequest,
  ctx: HttpContext,
  target: QueryTarget,
  fields: ResourceFields,
  keyFields: readonly string[],
  plain: ParsedQuery,
): Promise<ParsedQuery> {
  const reading = readUnparsedBody(request, ctx.bodyLimit);
  if (reading !== undefined) await reading;
  const raw = rawQueryOf(request);
  const query = raw === '' ? plain : parseQuery(raw, { target, fields, keyFields, defaultReturnTimeout: 15 });
  parseJsonBody(request);
  return query;
}

function plainQuery(target: QueryTarget, fields: ResourceFields, keyFields: readonly string[]): ParsedQuery {
  const query = parseQuery('', { target, fields, keyFields, defaultReturnTimeout: 15 });
  Object.freeze(query.filters);
  Object.freeze(query.orderBy);
  Object.freeze(query.extra);
  return Object.freeze(query);
}

export function rawQueryOf(request: FastifyRequest): string {
  const i = request.url.indexOf('?');
  return i < 0 ? '' : request.url.slice(i + 1);
}

function pathOf(request: FastifyRequest): string {
  const i = request.url.indexOf('?');
  return (i < 0 ? request.url : request.url.slice(0, i)).replace(/\/{2,}/g, '/');
}

export function allowHeader(methods: readonly string[]): string {
  const set = new Set(methods);
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  return ALL_METHODS.filter((m) => set.has(m)).join(', ');
}

/**
 * Registers one path with its methods, plus what every ONTAP path has: HEAD with GET, OPTIONS with an
 * `Allow` header, and 405 (code 3) for every other method.
 */
export function registerPath(app: FastifyInstance, path: string, methods: PathMethods, tag: string): void {
  const implemented = [...(methods.get ? ['GET'] : []), ...methods.writes.map((w) => w.method)];
  const allow = allowHeader(implemented);
  if (methods.get) {
    app.route({
      method: 'GET',
      url: path,
      schema: { tags: [tag], ...methods.get.schema },
      handler: methods.get.handler,
    });
  }
  for (const w of methods.writes) {
    app.route({ method: w.method, url: path, schema: { tags: [tag], ...w.schema }, handler: w.handler });
  }
  app.route({
    method: 'OPTIONS',
    url: path,
    schema: { hide: true },
    handler: async (request, reply) => {
      parseQuery(rawQueryOf(request), {
        target: 'action',
        fields: {},
        keyFields: [],
        defaultReturnTimeout: 0,
      });
      reply.header('allow', allow);
      return sendOntap(request, reply, 200, {});
    },
  });
  const others = ALL_METHODS.filter((m) => !allow.split(', ').includes(m));
  if (others.length > 0) {
    app.route({
      method: others,
      url: path,
      schema: { hide: true },
      handler: async (request, reply) => {
        reply.header('allow', allow);
        const err = errors.methodNotAllowed(request.method, pathOf(request));
        return reply
          .code(STATUS_BY_KIND[err.kind])
          .header('content-type', 'application/hal+json')
          .send(Buffer.from(JSON.stringify(errorBody(err))));
      },
    });
  }
}

const opts = (o: RouteShorthandOptions['schema']): Record<string, unknown> => o as Record<string, unknown>;

function operationHandler(
  op: OperationSpec,
  fields: ResourceFields,
  ctx: HttpContext,
  keyParam: string | undefined,
): Handler {
  return async (request, reply) => {
    requireWrite(request);
    const query = parseQuery(rawQueryOf(request), {
      target: 'action',
      fields,
      keyFields: [],
      extraParams: op.params ?? {},
      defaultReturnTimeout: 0,
    });
    const body = checkBody(parseJsonBody(request), op.body ?? {});
    const params = request.params as Record<string, string> | undefined;
    const key = keyParam === undefined ? undefined : params?.[keyParam];
    const result = await op.handler({ request, reply, key, body, query });
    if (result.kind === 'empty') return sendOntap(request, reply, 200, {}, query.pretty);
    return answerJob(request, reply, result.job, query.returnTimeout, ctx.runner, ctx.jobs, query.pretty);
  };
}

function operationSchema(op: OperationSpec, successDoc: TSchema): Record<string, unknown> {
  const bodyProps: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(op.body ?? {})) bodyProps[name] = { type: f.type };
  const required = Object.entries(op.body ?? {})
    .filter(([, f]) => f.required === true)
    .map(([n]) => n);
  const response: Record<string, unknown> = op.jobBacked
    ? {
        ...(op.method === 'POST' ? { 201: JobLink } : { 200: JobLink }),
        202: JobLink,
        default: ErrorEnvelope,
      }
    : { 200: successDoc, default: ErrorEnvelope };
  return opts({
    summary: op.summary,
    ...(op.description !== undefined ? { description: op.description } : {}),
    querystring: globalParamsDoc('action', op.params ?? {}, op.jobBacked),
    ...(op.body !== undefined && Object.keys(op.body).length > 0
      ? { body: { type: 'object', properties: bodyProps, required, additionalProperties: false } }
      : {}),
    response,
    security: [{ basicAuth: [] }],
  });
}

function writesOf(
  operations: readonly OperationSpec[] | undefined,
  fields: ResourceFields,
  ctx: HttpContext,
  keyParam: string | undefined,
): PathMethods['writes'] {
  return (operations ?? []).map((op) => ({
    method: op.method,
    schema: operationSchema(op, EmptyObject),
    handler: operationHandler(op, fields, ctx, keyParam),
  }));
}

/** Declares a resource: its routes, its query handling and its API documentation, from one spec. */
export function registerResource(app: FastifyInstance, spec: ResourceSpec, ctx: HttpContext): void {
  const fields = fieldsOf(spec.schema);
  if (spec.kind === 'singleton') {
    const plain = plainQuery('singleton', fields, []);
    registerPath(
      app,
      spec.path,
      {
        get: {
          schema: opts({
            summary: spec.summary,
            querystring: globalParamsDoc('singleton', {}, false),
            response: { 200: spec.schema, default: ErrorEnvelope },
            security: [{ basicAuth: [] }],
          }),
          handler: async (request, reply) => {
            const query = await readGetRequest(request, ctx, 'singleton', fields, [], plain);
            const record = await spec.read();
            return sendOntap(
              request,
              reply,
              200,
              projectRecord(record, query.fields, 'full', []),
              query.pretty,
            );
          },
        },
        writes: writesOf(spec.operations, fields, ctx, undefined),
      },
      spec.tag,
    );
    return;
  }

  const plainCollection = plainQuery('collection', fields, spec.keyFields);
  registerPath(
    app,
    spec.path,
    {
      get: {
        schema: opts({
          summary: spec.summary,
          querystring: globalParamsDoc('collection', {}, false, fields),
          response: { 200: collectionOf(spec.schema, spec.tag), default: ErrorEnvelope },
          security: [{ basicAuth: [] }],
        }),
        handler: async (request, reply) => {
          const raw = rawQueryOf(request);
          const query = await readGetRequest(
            request,
            ctx,
            'collection',
            fields,
            spec.keyFields,
            plainCollection,
          );
          const all = await spec.list();
          const page = queryCollection(all, query, { keyFields: spec.keyFields });
          const path = pathOf(request);
          const self = raw === '' ? path : `${path}?${raw}`;
          const links: JsonObject = { self: { href: self } };
          if (page.nextOffset !== null) {
            const next = nextHref(path, raw, page.nextOffset);
            links.next = { href: next };
            reply.header('link', `<${next}>; rel="next"`);
          }
          const body: JsonObject = query.returnRecords
            ? { records: page.records, num_records: page.numRecords, _links: links }
            : { num_records: page.total, _links: links };
          return sendOntap(request, reply, 200, body, query.pretty);
        },
      },
      writes: writesOf(spec.operations, fields, ctx, undefined),
    },
    spec.tag,
  );

  const instance = spec.instance;
  if (instance === undefined) return;
  const instancePath = `${spec.path}/:${instance.param}`;
  const defaultSelection =
    instance.defaultFields === undefined
      ? null
      : parseQuery(`fields=${instance.defaultFields}`, {
          target: 'record',
          fields,
          keyFields: spec.keyFields,
          defaultReturnTimeout: 0,
        }).fields;
  const plainRecord = plainQuery('record', fields, spec.keyFields);
  // The default rendering of a record, by record, for resources whose get() returns one unchanging object
  // while the record is unchanged: a polled job is rendered once per change, not once per request.
  const halRenderings = new WeakMap<JsonObject, string>();
  const plainRenderings = new WeakMap<JsonObject, string>();
  registerPath(
    app,
    instancePath,
    {
      get: {
        schema: opts({
          summary: instance.summary,
          params: { type: 'object', properties: { [instance.param]: { type: 'string' } } },
          querystring: globalParamsDoc('record', {}, false),
          response: { 200: spec.schema, default: ErrorEnvelope },
          security: [{ basicAuth: [] }],
        }),
        handler: async (request, reply) => {
          const query = await readGetRequest(request, ctx, 'record', fields, spec.keyFields, plainRecord);
          const key = (request.params as Record<string, string>)[instance.param] ?? '';
          const record = await instance.get(key);
          if (record === undefined) throw errors.entryNotFound(instance.notFoundTarget);
          const selection = query.fields ?? defaultSelection;
          const plain = wantsPlainJson(request);
          const reusable = instance.stableRecords === true && selection === null && !query.pretty;
          const renderings = plain ? plainRenderings : halRenderings;
          let text = reusable ? renderings.get(record) : undefined;
          if (text === undefined) {
            text = renderOntap(projectRecord(record, selection, 'full', spec.keyFields), plain, query.pretty);
            if (reusable) renderings.set(record, text);
          }
          return sendOntapText(reply, 200, text);
        },
      },
      writes: writesOf(instance.operations, fields, ctx, instance.param),
    },
    spec.tag,
  );
}
