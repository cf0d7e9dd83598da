import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt, encoded as `scrypt$N$r$p$<salt base64>$<hash base64>` so the parameters can
 * be raised later without invalidating stored hashes. Both functions run scrypt on libuv's thread pool and
 * never block the event loop.
 */

const N = 2 ** 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Bounds on what verifyPassword accepts, so a damaged or hostile stored hash cannot make one login
// allocate gigabytes or run for minutes. 128*N*r*p is scrypt's work in bytes mixed (8x our default).
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_WORK = 256 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DECIMAL = /^[1-9][0-9]{0,7}$/;

interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

function derive(
  password: string,
  salt: Buffer,
  keyBytes: number,
  { n, r, p }: ScryptParams,
): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is exactly 128*N*r for N=2^15, r=8, which it rejects; allow the need.
  const maxmem = 128 * n * r + 128 * r * p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, { N: n, r, p, maxmem }, (err, key) => {
      if (err === null) resolve(key);
      else reject(err);
    });
  });
}

/** A fresh salted scrypt hash of `password` in the encoding described above. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, { n: N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Whether `password` matches `encoded`. A malformed or out-of-bounds encoding yields false, never a throw,
 * so a damaged record locks that user out instead of failing the request.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (parsed === undefined) return false;
  let key: Buffer;
  try {
    key = await derive(password, parsed.salt, parsed.hash.length, parsed.params);
  } catch {
    return false;
  }
  return timingSafeEqual(key, parsed.hash);
}

function parse(encoded: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, nText, rText, pText, saltText, hashText] = parts;
  const n = decimal(nText);
  const r = decimal(rText);
  const p = decimal(pText);
  const salt = base64(saltText);
  const hash = base64(hashText);
  if (n === undefined || r === undefined || p === undefined || salt === undefined || hash === undefined) {
    return undefined;
  }
  const powerOfTwo = n >= 2 && (n & (n - 1)) === 0;
  if (!powerOfTwo || n > MAX_N || r > MAX_R || p > MAX_P || 128 * n * r * p > MAX_WORK) return undefined;
  // A hash shorter than we produce must not verify: it would match a mere prefix of the derived key.
  if (salt.length < 8 || salt.length > 64 || hash.length < KEY_BYTES || hash.length > 64) return undefined;
  return { params: { n, r, p }, salt, hash };
}

function decimal(text: string | undefined): number | undefined {
  return text !== undefined && DECIMAL.test(text) ? Number(text) : undefined;
}

function base64(text: string | undefined): Buffer | undefined {
  if (text === undefined || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from silently skips bad characters and truncates; a canonical round trip rules that out.
  return bytes.toString('base64') === text ? bytes : undefined;
}
