import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import { ISSUER, SERVICE, TokenSigner, TOKEN_TTL_SECONDS, LEEWAY_SECONDS } from './jwt.js';

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'berth-jwt-'));
  let now = new Date('2026-01-01T00:00:00Z');
  const signer = TokenSigner.load(dir, () => now);
  const key = createPrivateKey(readFileSync(join(dir, 'token-signing.key')));
  const access = [{ type: 'repository' as const, name: 'p/r', actions: ['pull' as const] }];
  const good = (await signer.signAccess({ sub: 'alice', kind: 'user' }, access)).token;
  const iat = Math.floor(now.getTime() / 1000);
  const forge = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT({ kind: 'user', access, ...claims })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: signer.kid, ...header })
      .setIssuer((claims.iss as string) ?? ISSUER).setAudience((claims.aud as string) ?? SERVICE).setSubject('alice')
      .setIssuedAt(iat).setNotBefore((claims.nbf as number) ?? iat).setExpirationTime((claims.exp as number) ?? iat + 600)
      .sign(key);
  return { dir, signer, good, forge, iat, setNow: (d: Date) => { now = d; } };
}

test('the signing key is generated once with mode 0600 and reused', async () => {
  const { dir, signer } = await setup();
  assert.equal(statSync(join(dir, 'token-signing.key')).mode & 0o777, 0o600);
  assert.equal(TokenSigner.load(dir).kid, signer.kid);
  rmSync(dir, { recursive: true });
});

test('verifyAccess accepts a good token and refuses every tampered one', async () => {
  const { dir, signer, good, forge, iat } = await setup();
  const ok = await signer.verifyAccess(good);
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.ok && ok.claims.access, [{ type: 'repository', name: 'p/r', actions: ['pull'] }]);
  assert.equal(ok.ok && ok.claims.exp - iat, TOKEN_TTL_SECONDS);

  const [h, p, s] = good.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const pub = createPublicKey(createPrivateKey(readFileSync(join(dir, 'token-signing.key'))));
  const pubPem = pub.export({ type: 'spki', format: 'pem' }) as string;
  const { privateKey: otherKey } = generateKeyPairSync('ed25519');
  const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: signer.kid }).sign(new TextEncoder().encode(pubPem));
  const otherJwk = await exportJWK(createPublicKey(otherKey));
  const cases = [
    { name: 'payload tampered (more actions)', token: `${h}.${b64({ ...claims, access: [{ type: 'repository', name: 'p/r', actions: ['pull', 'push'] }] })}.${s}` },
    { name: 'signature flipped', token: `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}` },
    { name: 'alg none', token: `${b64({ alg: 'none', typ: 'JWT', kid: signer.kid })}.${p}.` },
    { name: 'alg HS256 keyed with the public key', token: hs },
    { name: 'signed by another key', token: await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: signer.kid }).sign(otherKey) },
    { name: 'embedded jwk of another key', token: await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, jwk: otherJwk }).sign(otherKey) },
    { name: 'wrong issuer', token: await forge({ iss: 'someone-else' }) },
    { name: 'wrong audience', token: await forge({ aud: 'other-registry' }) },
    { name: 'expired beyond the leeway', token: await forge({ exp: iat - LEEWAY_SECONDS - 1 }) },
    { name: 'not before in the future', token: await forge({ nbf: iat + LEEWAY_SECONDS + 60 }) },
    { name: 'unknown kid', token: await forge({}, { kid: 'nope' }) },
    { name: 'refresh token used as access token', token: await signer.signRefresh({ sub: 'alice', kind: 'user' }, 1) },
    { name: 'garbage', token: 'not-a-jwt' },
  ];
  for (const c of cases) {
    const r = await signer.verifyAccess(c.token);
    assert.equal(r.ok, false, c.name);
  }
  rmSync(dir, { recursive: true });
});

test('tokens expire after 30 minutes plus the leeway (injected clock)', async () => {
  const { dir, signer, good, setNow, iat } = await setup();
  setNow(new Date((iat + TOKEN_TTL_SECONDS + LEEWAY_SECONDS - 1) * 1000));
  assert.equal((await signer.verifyAccess(good)).ok, true);
  setNow(new Date((iat + TOKEN_TTL_SECONDS + LEEWAY_SECONDS + 1) * 1000));
  const r = await signer.verifyAccess(good);
  assert.deepEqual(r, { ok: false, reason: 'ERR_JWT_EXPIRED' });
  rmSync(dir, { recursive: true });
});
