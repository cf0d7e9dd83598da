import type { FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';
import { isPlainObject, type JsonObject } from './json.js';

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The raw request body as text, kept unparsed so checks run in the contract's order (§2.1). */
    rawBody: string | undefined;
  }
}

/** Whether the request has a body that neither Fastify nor readUnparsedBody has read yet. */
function hasUnreadBody(request: FastifyRequest): boolean {
  const hasBody =
    request.headers['transfer-encoding'] !== undefined ||
    (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');
  return hasBody && request.rawBody === undefined && typeof request.body !== 'string';
}

/**
 * Reads a GET/HEAD body, which Fastify does not parse, so that §2.2's rule can be applied to it. Returns
 * undefined, not a promise, when there is nothing to read: nearly every GET, which then needs no await.
 */
export function readUnparsedBody(request: FastifyRequest, limit: number): Promise<void> | undefined {
  return hasUnreadBody(request) ? readBody(request, limit) : undefined;
}

async function readBody(request: FastifyRequest, limit: number): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw errors.bodyTooLarge(limit);
    chunks.push(chunk);
  }
  request.rawBody = Buffer.concat(chunks).toString('utf8');
}

/**
 * §2.2: no body, an empty body and `{}` all mean "no body" (returned as `{}`). Other bodies on GET, HEAD
 * and DELETE → 262198; a body that is not a JSON object → 262199.
 */
export function parseJsonBody(request: FastifyRequest): JsonObject {
  const raw = request.rawBody ?? (typeof request.body === 'string' ? request.body : undefined);
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    if (BODYLESS.has(request.method)) throw errors.bodyNotAllowed(request.method);
    throw errors.invalidJson();
  }
  if (!isPlainObject(parsed)) {
    if (BODYLESS.has(request.method)) throw errors.bodyNotAllowed(request.method);
    throw errors.invalidJson();
  }
  if (BODYLESS.has(request.method) && Object.keys(parsed).length > 0)
    throw errors.bodyNotAllowed(request.method);
  return parsed as JsonObject;
}

export type BodyFieldType = 'string' | 'boolean' | 'integer';

export interface BodyField {
  readonly type: BodyFieldType;
  readonly required?: boolean;
}

/**
 * Checks a body against its declared fields in the contract's order (§4.3 #3–#5): unknown names first
 * (262179), then missing required values (262212), then types (262185). `null` counts as absent for
 * optional fields and as missing for required ones.
 */
export function checkBody(
  body: JsonObject,
  fields: Readonly<Record<string, BodyField>>,
): Record<string, string | number | boolean> {
  for (const name of Object.keys(body)) if (!(name in fields)) throw errors.unexpectedArgument(name);
  const out: Record<string, string | number | boolean> = {};
  for (const [name, spec] of Object.entries(fields)) {
    const value = body[name];
    if ((value === undefined || value === null) && spec.required === true) throw errors.missingRequired(name);
  }
  for (const [name, spec] of Object.entries(fields)) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    const ok =
      (spec.type === 'string' && typeof value === 'string') ||
      (spec.type === 'boolean' && typeof value === 'boolean') ||
      (spec.type === 'integer' && typeof value === 'number' && Number.isInteger(value));
    if (!ok)
      throw errors.invalidType(
        name,
        spec.type === 'string' ? 'a string' : spec.type === 'boolean' ? 'a boolean' : 'an integer',
      );
    out[name] = value;
  }
  return out;
}
