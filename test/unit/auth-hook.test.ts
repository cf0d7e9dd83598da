import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SqliteUserStore } from '../../src/adapters/storage/sqlite/sqlite-user-store.js';
import { AuthService, UserService } from '../../src/core/services/auth-service.js';
import { basicToken, onRequestHook } from '../../src/http/auth.js';
import { LoginThrottle } from '../../src/http/login-throttle.js';
import { sqliteBackends } from '../contract/sqlite-backends.js';

/** The real SQLite user store, counting get(): AuthService reads the user only to run scrypt on a pair. */
class CountingUserStore extends SqliteUserStore {
  gets = 0;

  override get(name: string): ReturnType<SqliteUserStore['get']> {
    this.gets++;
    return super.get(name);
  }
}

async function setUp(t: TestContext): Promise<{ store: CountingUserStore; auth: AuthService }> {
  const backend = sqliteBackends.find((b) => b.shared);
  assert.ok(backend);
  const { database } = await backend.open(t);
  const store = new CountingUserStore(database);
  await new UserService(store).add('ops', 'admin', 'right-password');
  store.gets = 0;
  return { store, auth: new AuthService(store) };
}

/** Runs the onRequest hook for one `/api` request; resolves with the principal it set. */
function authenticate(hook: ReturnType<typeof onRequestHook>, authorization: string): Promise<unknown> {
  const request = { url: '/api/cluster', ip: '127.0.0.1', headers: { authorization }, principal: null };
  const reply = { header: () => reply };
  return new Promise((resolve, reject) => {
    hook(request as unknown as FastifyRequest, reply as unknown as FastifyReply, (err?: Error) => {
      if (err !== undefined) reject(err);
      else resolve(request.principal);
    });
  });
}

void describe('onRequest hook and the credential cache', () => {
  void it('runs scrypt once per pair, however the Basic header is spelt', async (t) => {
    const { store, auth } = await setUp(t);
    const hook = onRequestHook(auth, new LoginThrottle());
    const canonical = basicToken('ops', 'right-password');
    const b64 = canonical.slice('Basic '.length);
    assert.equal(canonical, `Basic ${Buffer.from('ops:right-password').toString('base64')}`);
    const spellings = [
      `basic ${b64}`,
      `Basic   ${b64}`,
      `BASIC ${b64}  `,
      canonical,
      canonical,
      `basic ${b64}`,
    ];
    for (const header of spellings) {
      assert.deepEqual(await authenticate(hook, header), { name: 'ops', role: 'admin' }, header);
    }
    assert.equal(store.gets, 1, 'one verification for every spelling of the pair');
    assert.deepEqual(
      auth.cached(canonical),
      { name: 'ops', role: 'admin' },
      'the canonical header is the key',
    );
    assert.equal(
      auth.cached(`basic ${b64}`),
      undefined,
      'other spellings are not cache entries of their own',
    );
  });
});
