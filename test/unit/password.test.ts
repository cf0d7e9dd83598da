import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../../src/core/model/password.js';

function fields(encoded: string): string[] {
  return encoded.split('$');
}

void describe('password hashing', () => {
  void it('encodes scrypt$N$r$p$salt$hash with a 16-byte salt and N=2^15, r=8, p=1', async () => {
    const encoded = await hashPassword('s3cret!');
    const [scheme, n, r, p, salt, hash] = fields(encoded);
    assert.equal(scheme, 'scrypt');
    assert.deepEqual([n, r, p], [String(2 ** 15), '8', '1']);
    assert.equal(Buffer.from(salt ?? '', 'base64').length, 16);
    assert.equal(Buffer.from(hash ?? '', 'base64').length, 32);
    assert.ok(!encoded.includes('s3cret!'));
  });

  void it('matches an independent scrypt computation of the same parameters', async () => {
    const encoded = await hashPassword('pässwörd');
    const [, , , , salt, hash] = fields(encoded);
    const expected = scryptSync('pässwörd', Buffer.from(salt ?? '', 'base64'), 32, {
      N: 2 ** 15,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    });
    assert.equal(expected.toString('base64'), hash);
  });

  void it('verifies the right password and rejects a wrong one', async () => {
    const encoded = await hashPassword('correct horse');
    assert.equal(await verifyPassword('correct horse', encoded), true);
    assert.equal(await verifyPassword('correct horsE', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  void it('salts every hash differently', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same', a), true);
    assert.equal(await verifyPassword('same', b), true);
  });

  void it('accepts other in-bounds parameters, so the cost can be raised later', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('pw', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const encoded = `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    assert.equal(await verifyPassword('pw', encoded), true);
    assert.equal(await verifyPassword('pw2', encoded), false);
  });

  void it('does not block the event loop while hashing', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    try {
      await Promise.all([hashPassword('a'), hashPassword('b'), hashPassword('c')]);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'the interval never fired while three hashes ran');
  });

  void it('rejects malformed encodings as false instead of throwing', async () => {
    const good = await hashPassword('pw');
    const [, n, r, p, salt, hash] = fields(good);
    const s = salt ?? '';
    const h = hash ?? '';
    const malformed = [
      '',
      'pw',
      'scrypt',
      good.replace(/^scrypt/, 'bcrypt'),
      `scrypt$${n}$${r}$${p}$${s}`,
      `${good}$extra`,
      `scrypt$${n}$${r}$${p}$${s}$`,
      `scrypt$${n}$${r}$${p}$$${h}`,
      `scrypt$abc$${r}$${p}$${s}$${h}`,
      `scrypt$-32768$${r}$${p}$${s}$${h}`,
      `scrypt$32767$${r}$${p}$${s}$${h}`,
      `scrypt$1$${r}$${p}$${s}$${h}`,
      `scrypt$0$${r}$${p}$${s}$${h}`,
      `scrypt$032768$${r}$${p}$${s}$${h}`,
      `scrypt$${2 ** 30}$${r}$${p}$${s}$${h}`,
      `scrypt$${n}$0$${p}$${s}$${h}`,
      `scrypt$${n}$${r}$0$${p}$${h}`,
      `scrypt$${n}$${r}$9999$${s}$${h}`,
      `scrypt$${n}$${r}$${p}$${s}$not*base64`,
      `scrypt$${n}$${r}$${p}$${s}$${h.slice(0, -4)}`,
      `scrypt$${n}$${r}$${p}$QQ$${h}`,
      `scrypt$${n}$${r}$${p}$${s} $${h}`,
    ];
    for (const encoded of malformed) {
      assert.equal(await verifyPassword('pw', encoded), false, `accepted ${JSON.stringify(encoded)}`);
    }
  });
});
