import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { SqliteUserStore } from '../../src/adapters/storage/sqlite/sqlite-user-store.js';
import { AuthService, pairToken, UserService } from '../../src/core/services/auth-service.js';
import { sqliteBackends } from '../contract/sqlite-backends.js';

async function services(t: TestContext): Promise<{ auth: AuthService; users: UserService }> {
  const backend = sqliteBackends.find((b) => b.shared);
  assert.ok(backend);
  const { database } = await backend.open(t);
  const store = new SqliteUserStore(database);
  const users = new UserService(store);
  await users.add('ops', 'admin', 'right-password');
  return { auth: new AuthService(store), users };
}

void describe('AuthService credential cache', () => {
  void it('answers from memory only a pair verified before', async (t) => {
    const { auth } = await services(t);
    const now = Date.now();
    assert.equal(auth.cached(pairToken('ops', 'right-password'), now), undefined);
    assert.deepEqual(await auth.authenticate('ops', 'right-password', { now: now }), {
      name: 'ops',
      role: 'admin',
    });
    assert.deepEqual(auth.cached(pairToken('ops', 'right-password'), now + 1), {
      name: 'ops',
      role: 'admin',
    });
    assert.equal(auth.cached(pairToken('ops', 'wrong-password'), now + 1), undefined);
    assert.equal(await auth.authenticate('ops', 'wrong-password', { now: now + 1 }), null);
    assert.equal(auth.cached(pairToken('ops', 'wrong-password'), now + 2), undefined);
  });

  void it('verifies a new pair once for concurrent requests', async (t) => {
    const { auth } = await services(t);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => auth.authenticate('ops', 'right-password')),
    );
    const [first] = answers;
    assert.ok(first !== null && first !== undefined);
    for (const a of answers) assert.equal(a, first, 'one verification shared by every waiter');
  });

  void it('leaves it to authenticate() once the user table may have changed', async (t) => {
    const { auth, users } = await services(t);
    const now = Date.now();
    assert.ok(await auth.authenticate('ops', 'right-password', { now: now }));
    await users.setPassword('ops', 'new-password');
    assert.equal(auth.cached(pairToken('ops', 'right-password'), now + 1000), undefined);
    assert.equal(await auth.authenticate('ops', 'right-password', { now: now + 1000 }), null);
    assert.deepEqual(await auth.authenticate('ops', 'new-password', { now: now + 1000 }), {
      name: 'ops',
      role: 'admin',
    });
  });

  void it('keys a verified credential on the token it was presented as', async (t) => {
    const { auth } = await services(t);
    const now = Date.now();
    const header = `Basic ${Buffer.from('ops:right-password').toString('base64')}`;
    assert.ok(await auth.authenticate('ops', 'right-password', { token: header, now }));
    assert.deepEqual(auth.cached(header, now + 1), { name: 'ops', role: 'admin' });
    assert.equal(
      auth.cached(pairToken('ops', 'right-password'), now + 1),
      undefined,
      'another token is another entry',
    );
    assert.equal(auth.cached(`${header} `, now + 1), undefined);
  });
});
