import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errors, OntapError, type ErrorKind } from '../core/errors.js';
import type { JsonObject } from './json.js';
import { sendOntap } from './render.js';

/** The one place where an error kind becomes an HTTP status. */
export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_argument: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_api: 404,
  method_not_allowed: 405,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
};

export function errorBody(err: OntapError): JsonObject {
  const error: JsonObject = { message: err.message, code: err.code };
  if (err.target !== undefined) error.target = err.target;
  return { error };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: OntapError): FastifyReply {
  if (err.kind === 'unauthorized') reply.header('www-authenticate', 'Basic realm="ontap"');
  return sendOntap(request, reply, STATUS_BY_KIND[err.kind], errorBody(err));
}

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Turns anything thrown into an ONTAP error envelope; only unknown faults become a 500 (and are logged). */
export function toOntapError(err: unknown, bodyLimit: number): OntapError | null {
  if (err instanceof OntapError) return err;
  if (isFastifyError(err)) {
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return errors.bodyTooLarge(bodyLimit);
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return errors.invalidJson();
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_TYPE':
        return errors.invalidJson();
      default:
        break;
    }
    const status = err.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return errors.invalidJson();
  }
  return null;
}
