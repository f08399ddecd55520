// Password and robot-secret hashing: scrypt from node:crypto, a per-hash random salt, and a
// constant-time comparison. Unknown users are checked against a dummy hash so that "no such
// user" and "wrong password" take the same time (distribution fixed the htpasswd variant of
// this user-enumeration side channel in commit 7ed654e).
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LEN = 32;
/** N=2^14, r=8, p=1: OWASP's scrypt minimum; ~16 MiB and tens of milliseconds per check. */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password or secret into `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Checks a password against a stored hash in constant time. With `stored` undefined (unknown
 * user) it still does the full work against a dummy hash and returns false.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored ?? dummyHash).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4], 'base64url');
  const want = Buffer.from(parts[5], 'base64url');
  const got = await scrypt(password, salt, want.length, { N, r, p });
  return timingSafeEqual(got, want) && stored !== undefined;
}

// A fixed hash of random bytes nobody knows, computed with the same parameters as real hashes.
const dummyHash = ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, randomBytes(16).toString('base64url'), randomBytes(KEY_LEN).toString('base64url')].join('$');

/**
 * Harbor's password rule for local users: 8-128 characters with at least one uppercase letter,
 * one lowercase letter and one digit (harbor src/server/v2.0/handler/user.go requireValidSecret;
 * the same rule as robot secrets, src/controller/robot/controller.go IsValidSec).
 */
export function isStrongPassword(p: string): boolean {
  return p.length >= 8 && p.length <= 128 && /[A-Z]/.test(p) && /[a-z]/.test(p) && /[0-9]/.test(p);
}

/** A fresh robot secret: 32 characters, always with an uppercase, a lowercase and a digit. */
export function generateSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (;;) {
    const bytes = randomBytes(32);
    let s = '';
    // 256 % 62 bias is small; reject values >= 248 to remove it.
    for (const b of bytes) if (b < 248) s += alphabet[b % 62];
    if (s.length >= 32) {
      s = s.slice(0, 32);
      if (isStrongPassword(s)) return s;
    }
  }
}
