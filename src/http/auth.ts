import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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
 * The one spelling of a pair's Basic header (`Basic`, one space, canonical base64), under which a verified
 * pair is cached. A client that spells it so is recognised from the header alone; any other spelling of the
 * same pair (`basic`, extra spaces, loose base64) is decoded each time but finds the same entry, so no
 * spelling makes the password hash run again, and the cache holds one entry per pair.
 */
export function basicToken(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`, 'utf8').toString('base64')}`;
}

/** Headers every answer carries, errors and the 401 included. */
function setCommonHeaders(reply: FastifyReply): void {
  reply.header('cache-control', 'no-cache,no-store,must-revalidate');
  reply.header('x-content-type-options', 'nosniff');
}

/**
 * The onRequest hook: the common headers on every answer, then HTTP Basic on every `/api` request (HEAD and
 * OPTIONS included), before routing (D10). Repeated failures from one address slow the answers down, then
 * lock the address out with 429.
 *
 * Callback style, because nearly every request is a pair verified before: it is answered from the
 * credential cache in the same tick, without a promise per request. Anything else takes the async path.
 */
export function onRequestHook(auth: AuthService, throttle: LoginThrottle) {
  const slowPath = async (
    request: FastifyRequest,
    reply: FastifyReply,
    client: string,
    header: string | undefined,
  ): Promise<boolean> => {
    const locked = throttle.lockedFor(client);
    if (locked > 0) {
      reply.header('retry-after', String(locked));
      sendError(request, reply, errors.tooManyFailedLogins(locked));
      return false;
    }
    const creds = parseBasic(header);
    const principal =
      creds === null
        ? null
        : await auth.authenticate(creds.name, creds.password, {
            token: basicToken(creds.name, creds.password),
          });
    if (principal === null) {
      const wait = throttle.fail(client);
      if (wait > 0) await delay(wait);
      const lockedNow = throttle.lockedFor(client);
      if (lockedNow > 0) {
        reply.header('retry-after', String(lockedNow));
        sendError(request, reply, errors.tooManyFailedLogins(lockedNow));
        return false;
      }
      sendError(request, reply, errors.notAuthenticated());
      return false;
    }
    throttle.succeed(client);
    request.principal = principal;
    return true;
  };

  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    setCommonHeaders(reply);
    request.principal = null;
    if (!request.url.startsWith('/api')) {
      done();
      return;
    }
    const client = request.ip;
    const header = request.headers.authorization;
    // A header spelt as basicToken() is the cache's own key: a pair verified before is known without decoding.
    const known = header === undefined ? undefined : auth.cached(header);
    if (known !== undefined && throttle.lockedFor(client) === 0) {
      throttle.succeed(client);
      request.principal = known;
      done();
      return;
    }
    // An answer sent here ends the request: done() is called only to go on to routing.
    slowPath(request, reply, client, header).then(
      (proceed) => {
        if (proceed) done();
      },
      (err: unknown) => {
        done(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
}

/** D10: writes need the admin role; a readonly user may only read. */
export function requireWrite(request: FastifyRequest): void {
  if (request.principal?.role !== 'admin') throw errors.forbidden();
}
