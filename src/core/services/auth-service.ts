import { hash, randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../model/password.js';
import type { Role, UserStore } from '../ports/user-store.js';

interface CacheEntry {
  readonly principal: Principal;
  readonly revision: number;
  readonly expires: number;
}

const CACHE_TTL_MS = 5 * 60 * 1000;
const CACHE_MAX = 1024;
const REVISION_TTL_MS = 250;

export interface Principal {
  readonly name: string;
  readonly role: Role;
}

/** The pair as one credential string, for callers that have no presented form of it. */
export function pairToken(name: string, password: string): string {
  return `${name}\0${password}`;
}

export interface AuthenticateOptions {
  /**
   * The cache key's source: a string that stands for exactly this pair and no other (the HTTP layer passes the
   * pair's canonical Basic header, so a client sending that header is recognised by cached() without decoding
   * it). Default: pairToken(name, password).
   */
  readonly token?: string;
  readonly now?: number;
}

/**
 * Checks HTTP Basic credentials. A verified credential is cached under a keyed SHA-256 of its token, with a
 * random key made at start-up, so the cache never holds a password and the scrypt hash runs once per pair, not per request.
 * An entry is dropped when the user table's revision changes (any user added, removed or changed, also by
 * the CLI in another process) or after five minutes.
 */
export class AuthService {
  readonly #users: UserStore;
  readonly #key = randomBytes(32).toString('base64');
  readonly #cache = new Map<string, CacheEntry>();
  /** Verifications under way, by cache key: concurrent requests with one new pair share one scrypt run. */
  readonly #pending = new Map<string, Promise<Principal | null>>();
  #dummyHash: Promise<string> | null = null;
  #revision = -1;
  #revisionReadAt = -Infinity;

  constructor(users: UserStore) {
    this.#users = users;
  }

  /**
   * The user table's revision, read at most every REVISION_TTL_MS: reading it costs a query, which is a
   * tenth of a cached request. A user changed by another process loses a cached login within that time.
   */
  async #currentRevision(now: number): Promise<number> {
    if (now - this.#revisionReadAt >= REVISION_TTL_MS) {
      this.#revision = await this.#users.revision();
      this.#revisionReadAt = now;
    }
    return this.#revision;
  }

  /**
   * SHA-256 over the secret key followed by the token, in one call: a fifth of an HMAC's cost, which showed in
   * every request's profile. Length extension, HMAC's reason to exist, needs the digest, and these digests
   * never leave this map.
   */
  #keyOf(token: string): string {
    return hash('sha256', `${this.#key}\0${token}`, 'base64');
  }

  /**
   * The principal of a token verified earlier, from memory and without waiting; undefined when
   * authenticate() must decide (never verified, expired, or the user table's revision is due for a re-read).
   */
  cached(token: string, now = Date.now()): Principal | undefined {
    if (now - this.#revisionReadAt >= REVISION_TTL_MS) return undefined;
    const hit = this.#cache.get(this.#keyOf(token));
    return hit !== undefined && hit.revision === this.#revision && hit.expires > now
      ? hit.principal
      : undefined;
  }

  async authenticate(
    name: string,
    password: string,
    options: AuthenticateOptions = {},
  ): Promise<Principal | null> {
    const now = options.now ?? Date.now();
    const cacheKey = this.#keyOf(options.token ?? pairToken(name, password));
    const revision = await this.#currentRevision(now);
    const hit = this.#cache.get(cacheKey);
    if (hit !== undefined && hit.revision === revision && hit.expires > now) return hit.principal;
    if (hit !== undefined) this.#cache.delete(cacheKey);
    let pending = this.#pending.get(cacheKey);
    if (pending === undefined) {
      pending = this.#verify(name, password, cacheKey, revision, now).finally(() => {
        this.#pending.delete(cacheKey);
      });
      this.#pending.set(cacheKey, pending);
    }
    return pending;
  }

  async #verify(
    name: string,
    password: string,
    cacheKey: string,
    revision: number,
    now: number,
  ): Promise<Principal | null> {
    const user = await this.#users.get(name);
    if (user === undefined) {
      // The same scrypt work as a wrong password, so the answer time does not tell which user names exist.
      this.#dummyHash ??= hashPassword(randomBytes(16).toString('base64'));
      await verifyPassword(password, await this.#dummyHash);
      return null;
    }
    if (!(await verifyPassword(password, user.passwordHash))) return null;
    if (this.#cache.size >= CACHE_MAX) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    const principal: Principal = Object.freeze({ name: user.name, role: user.role });
    this.#cache.set(cacheKey, { principal, revision, expires: now + CACHE_TTL_MS });
    return principal;
  }
}

/** User administration for the CLI (`user add|list|delete|passwd`). */
export class UserService {
  readonly #users: UserStore;

  constructor(users: UserStore) {
    this.#users = users;
  }

  async add(name: string, role: Role, password: string): Promise<boolean> {
    return this.#users.add({ name, role, passwordHash: await hashPassword(password) });
  }

  async setPassword(name: string, password: string): Promise<boolean> {
    return this.#users.setPasswordHash(name, await hashPassword(password));
  }

  remove(name: string): Promise<boolean> {
    return this.#users.remove(name);
  }

  async list(): Promise<{ name: string; role: Role }[]> {
    return (await this.#users.list()).map((u) => ({ name: u.name, role: u.role }));
  }

  async isEmpty(): Promise<boolean> {
    return (await this.#users.list()).length === 0;
  }
}

/** A user name the CLI and config accept. */
export function isValidUserName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(name);
}
