import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';
import type { AuthService, Principal } from '../core/services/auth-service.js';
import { sendError } from './error-handler.js';
import type { LoginThrottle } from './login-throttle.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** `user:password` from an `Authorization: Basic …` header, or null when absent or malformed. */
export function parseBasic(header: string | undefined): { name: string; password: string } | null {
  if (header === undefined) return null;
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m?.[1] === undefined) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * onRequest hook for `/api`: HTTP Basic on every request (HEAD and OPTIONS included), before routing (D10).
 * Repeated failures from one address slow the answers down, then lock the address out with 429.
 */
export function basicAuthHook(auth: AuthService, throttle: LoginThrottle) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    request.principal = null;
    if (!request.url.startsWith('/api')) return undefined;
    const client = request.ip;
    const locked = throttle.lockedFor(client);
    if (locked > 0) {
      reply.header('retry-after', String(locked));
      return sendError(request, reply, errors.tooManyFailedLogins(locked));
    }
    const creds = parseBasic(request.headers.authorization);
    const principal = creds === null ? null : await auth.authenticate(creds.name, creds.password);
    if (principal === null) {
      const wait = throttle.fail(client);
      if (wait > 0) await delay(wait);
      const lockedNow = throttle.lockedFor(client);
      if (lockedNow > 0) {
        reply.header('retry-after', String(lockedNow));
        return sendError(request, reply, errors.tooManyFailedLogins(lockedNow));
      }
      return sendError(request, reply, errors.notAuthenticated());
    }
    throttle.succeed(client);
    request.principal = principal;
    return undefined;
  };
}

/** D10: writes need the admin role; a readonly user may only read. */
export function requireWrite(request: FastifyRequest): void {
  if (request.principal?.role !== 'admin') throw errors.forbidden();
}
