import type { FastifyReply, FastifyRequest } from 'fastify';
import { isJsonObject, type JsonObject, type JsonValue } from './query/json.js';

/**
 * D12: `Accept: application/json` drops every `_links` object, except a collection's `_links.next`
 * (kept as `{"next":…}`) and a job link's `job._links.self`.
 */
export function stripLinks(body: JsonObject): JsonObject {
  const out = strip(body, true) as JsonObject;
  return out;
}

function strip(value: JsonValue | undefined, top: boolean, inJob = false): JsonValue | undefined {
  if (Array.isArray(value)) return value.map((v) => strip(v, false) ?? null);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '_links') {
      if (inJob) out[k] = v;
      else if (top && isJsonObject(v) && v.next !== undefined) out[k] = { next: v.next };
      continue;
    }
    const stripped = strip(v, false, top && k === 'job');
    if (stripped !== undefined) out[k] = stripped;
  }
  return out;
}

export function wantsPlainJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** The body is already JSON text; a serializer also keeps Fastify from appending a charset to hal+json. */
const asIs = (payload: unknown): string => payload as string;

/** The JSON text of a body the ONTAP way (D12): `pretty`, and no `_links` for `Accept: application/json`. */
export function renderOntap(body: JsonObject, plain: boolean, pretty: boolean): string {
  const shaped = plain ? stripLinks(body) : body;
  return pretty ? JSON.stringify(shaped, null, 2) : JSON.stringify(shaped);
}

/** Sends JSON text made by renderOntap, as hal+json. */
export function sendOntapText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/hal+json').serializer(asIs).send(text);
}

/** Sends a JSON body the ONTAP way (D12): hal+json, no-cache headers, `pretty`, `Accept` handling. */
export function sendOntap(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  body: JsonObject,
  pretty = false,
): FastifyReply {
  return sendOntapText(reply, status, renderOntap(body, wantsPlainJson(request), pretty));
}
