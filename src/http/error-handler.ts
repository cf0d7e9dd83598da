import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
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
  headers_too_large: 431,
  request_timeout: 408,
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

/**
 * Fastify's router errors, raised before the hooks run: a path whose percent escapes do not decode is a
 * malformed request (400); a path parameter over the router's length limit matches no endpoint (404).
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('cache-control', 'no-cache,no-store,must-revalidate');
  reply.header('x-content-type-options', 'nosniff');
  void sendError(
    request,
    reply,
    err.code === 'FST_ERR_BAD_URL' ? errors.malformedRequest() : errors.apiNotFound(),
  );
}

/**
 * Answers a request the HTTP parser refused (bad request line or header, broken framing, headers over the
 * limit, request timeout) with the ONTAP envelope, in place of Fastify's own JSON: clients parse every error
 * body as `{"error":{"message","code"}}` (§9.4). The connection is closed, as Node does for these.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const ontap =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? errors.headersTooLarge()
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errors.requestTimeout()
        : errors.malformedRequest();
  writeRawError(socket, ontap);
  socket.destroy(err);
}

/** CONNECT never reaches the router (Node hands it to a 'connect' listener): 405 with the envelope. */
export function connectHandler(request: IncomingMessage, socket: Duplex): void {
  writeRawError(socket, errors.methodNotAllowed('CONNECT', request.url ?? ''));
  socket.destroy();
}

/** Writes a whole error answer straight onto a socket Fastify does not handle, then the caller closes it. */
function writeRawError(socket: Duplex, ontap: OntapError): void {
  if (!socket.writable) return;
  const status = STATUS_BY_KIND[ontap.kind];
  const body = JSON.stringify(errorBody(ontap));
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'content-type: application/hal+json\r\n' +
      'cache-control: no-cache,no-store,must-revalidate\r\n' +
      'x-content-type-options: nosniff\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}
