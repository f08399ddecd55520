// Registry bearer tokens: JWTs signed with the registry's own Ed25519 key (generated once into
// DATA/auth/token-signing.key, mode 0600). Only this process issues and checks them, so the
// verifier trusts exactly one key and one algorithm: no `none`, no HS256-with-the-public-key
// confusion, and never key material carried in the token (`jwk`/`x5c`/`jku` headers:
// CVE-2025-24976 in distribution).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, jwtVerify, decodeProtectedHeader } from 'jose';
import type { Scope } from '../access.js';

/** Harbor's issuer for registry tokens (harbor src/pkg/token/claims/v2/claims.go). */
export const ISSUER = 'harbor-token-issuer';
/** Harbor's registry service name, the token audience (harbor src/core/service/token/creator.go). */
export const SERVICE = 'harbor-registry';
/** Audience of refresh tokens: never accepted where an access token is expected. */
export const REFRESH_AUDIENCE = 'harbor-registry-refresh';
/** Harbor's default token_expiration: 30 minutes (harbor src/lib/config/metadata/metadatalist.go). */
export const TOKEN_TTL_SECONDS = 30 * 60;
/** Refresh tokens (OAuth2 offline access) live a week; they die earlier with the credential. */
export const REFRESH_TTL_SECONDS = 7 * 24 * 3600;
/** Clock skew allowed on exp/nbf: Harbor's JwtLeeway (harbor src/common/const.go). */
export const LEEWAY_SECONDS = 60;
const ALG = 'EdDSA';

/** Who a token speaks for; `kind` lets the registry re-check the account on every request. */
export interface TokenSubject {
  /** User or robot login name; '' for anonymous. */
  sub: string;
  kind: 'anonymous' | 'user' | 'robot';
}

/** The verified claims of an access token. */
export interface AccessClaims extends TokenSubject {
  access: Scope[];
  exp: number;
}

/** The verified claims of a refresh token. */
export interface RefreshClaims extends TokenSubject {
  /** The account's credential version when issued; a password or secret change kills the token. */
  ver: number;
}

/** Why a token was refused (for logs and the challenge's error_description; never the token). */
export type TokenCheck<T> = { ok: true; claims: T } | { ok: false; reason: string };

/** Issues and checks the registry's tokens. */
/** How many verified access tokens verifyAccess remembers (a pull reuses one token per blob). */
const VERIFIED_CACHE_SIZE = 1024;

export class TokenSigner {
  /**
   * Access tokens whose signature and claims verified, with their nbf. A token string is
   * immutable, so its signature check never changes; exp and nbf are checked again on every hit.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; nbf: number }>();

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    readonly kid: string,
    private readonly now: () => Date,
  ) {}

  /** Loads the signing key from `dir`, generating it (0600) on first use. */
  static load(dir: string, now: () => Date = () => new Date()): TokenSigner {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'token-signing.key');
    if (!existsSync(file)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      renameSync(tmp, file);
    }
    chmodSync(file, 0o600);
    const privateKey = createPrivateKey(readFileSync(file));
    const publicKey = createPublicKey(privateKey);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const kid = createHash('sha256').update(der).digest('base64url').slice(0, 32);
    return new TokenSigner(privateKey, publicKey, kid, now);
  }

  private seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** Signs an access token granting `access` to `subject` for TOKEN_TTL_SECONDS. */
  async signAccess(subject: TokenSubject, access: Scope[]): Promise<{ token: string; issuedAt: Date; expiresIn: number }> {
    const iat = this.seconds();
    const token = await new SignJWT({ access: access.map((s) => ({ type: s.type, name: s.name, actions: s.actions })), kind: subject.kind })
      .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: this.kid })
      .setIssuer(ISSUER).setSubject(subject.sub).setAudience(SERVICE)
      .setIssuedAt(iat).setNotBefore(iat).setExpirationTime(iat + TOKEN_TTL_SECONDS).setJti(randomUUID())
      .sign(this.privateKey);
    return { token, issuedAt: new Date(iat * 1000), expiresIn: TOKEN_TTL_SECONDS };
  }

  /** Signs a refresh token for OAuth2 offline access. */
  async signRefresh(subject: TokenSubject, ver: number): Promise<string> {
    const iat = this.seconds();
    return new SignJWT({ kind: subject.kind, ver })
      .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: this.kid })
      .setIssuer(ISSUER).setSubject(subject.sub).setAudience(REFRESH_AUDIENCE)
      .setIssuedAt(iat).setNotBefore(iat).setExpirationTime(iat + REFRESH_TTL_SECONDS).setJti(randomUUID())
      .sign(this.privateKey);
  }

  private async check(token: string, audience: string): Promise<TokenCheck<Record<string, unknown>>> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: 'malformed token' };
    }
    if (header.alg !== ALG) return { ok: false, reason: `algorithm ${String(header.alg)} not accepted` };
    if ('jwk' in header || 'x5c' in header || 'jku' in header || 'x5u' in header) {
      return { ok: false, reason: 'embedded key material not accepted' };
    }
    if (header.kid !== this.kid) return { ok: false, reason: 'unknown signing key' };
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG], issuer: ISSUER, audience, currentDate: this.now(),
        clockTolerance: LEEWAY_SECONDS, requiredClaims: ['exp', 'nbf', 'iat', 'sub'],
      });
      return { ok: true, claims: payload as Record<string, unknown> };
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'ERR_JWT_INVALID';
      return { ok: false, reason: code };
    }
  }

  /** Verifies an access token: signature, alg, kid, iss, aud, exp, nbf; returns its claims. */
  async verifyAccess(token: string): Promise<TokenCheck<AccessClaims>> {
    const hit = this.verified.get(token);
    if (hit) {
      const now = this.seconds();
      if (now > hit.claims.exp + LEEWAY_SECONDS) {
        this.verified.delete(token);
        return { ok: false, reason: 'ERR_JWT_EXPIRED' };
      }
      if (now + LEEWAY_SECONDS >= hit.nbf) return { ok: true, claims: hit.claims };
    }
    const r = await this.verifyAccessUncached(token);
    if (r.ok) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, { claims: r.claims, nbf: r.nbf });
    }
    return r.ok ? { ok: true, claims: r.claims } : r;
  }

  private async verifyAccessUncached(token: string): Promise<{ ok: true; claims: AccessClaims; nbf: number } | { ok: false; reason: string }> {
    const r = await this.check(token, SERVICE);
    if (!r.ok) return r;
    const c = r.claims;
    const kind = c.kind;
    if (kind !== 'anonymous' && kind !== 'user' && kind !== 'robot') return { ok: false, reason: 'bad kind claim' };
    if (!Array.isArray(c.access)) return { ok: false, reason: 'bad access claim' };
    const access: Scope[] = [];
    for (const a of c.access as unknown[]) {
      const x = a as Record<string, unknown>;
      if (!x || (x.type !== 'repository' && x.type !== 'registry') || typeof x.name !== 'string' || !Array.isArray(x.actions)) {
        return { ok: false, reason: 'bad access claim' };
      }
      access.push({ type: x.type, name: x.name, actions: (x.actions as unknown[]).filter((y): y is Scope['actions'][number] => typeof y === 'string') as Scope['actions'] });
    }
    return { ok: true, claims: { sub: String(c.sub), kind, access, exp: Number(c.exp) }, nbf: Number(c.nbf) };
  }

  /** Verifies a refresh token (its own audience, so access tokens never pass). */
  async verifyRefresh(token: string): Promise<TokenCheck<RefreshClaims>> {
    const r = await this.check(token, REFRESH_AUDIENCE);
    if (!r.ok) return r;
    const c = r.claims;
    if ((c.kind !== 'user' && c.kind !== 'robot') || typeof c.ver !== 'number') return { ok: false, reason: 'bad refresh claims' };
    return { ok: true, claims: { sub: String(c.sub), kind: c.kind, ver: c.ver } };
  }
}
