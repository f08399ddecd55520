// Authentication: X.509 client certificates signed by the cluster CA (CN = user, O = groups, as
// upstream reads them), static bearer tokens (the node join token), and service-account JWTs
// issued by the TokenRequest subresource. There is no authorization layer: every authenticated
// user may do everything (the admin kubeconfig is the only human credential).
import { existsSync, readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { dirname } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { SignJWT, jwtVerify } from 'jose';

/** An authenticated caller. */
export interface User {
  name: string;
  groups: string[];
}

/** The issuer and default audience of service-account tokens (upstream's default --service-account-issuer). */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Claims of a verified service-account token. */
export interface ServiceAccountClaims {
  namespace: string;
  name: string;
  uid: string;
  podName?: string;
  podUid?: string;
}

/** Issues and verifies service-account JWTs (ES256, key in the data dir). */
export interface TokenIssuer {
  /** Signs a token for the service account; `expirationSeconds` as TokenRequest asks. */
  issue(sa: { namespace: string; name: string; uid: string }, opts: {
    audiences?: string[];
    expirationSeconds: number;
    boundPod?: { name: string; uid: string };
    now: Date;
  }): Promise<{ token: string; expirationTimestamp: Date }>;
  /** Verifies signature, issuer, expiry and audience; undefined when the token is not ours or invalid. */
  verify(token: string): Promise<ServiceAccountClaims | undefined>;
}

/** Loads (or creates, mode 0600) the P-256 signing key at `keyPath` and returns an issuer. */
export function loadTokenIssuer(keyPath: string): TokenIssuer {
  let key: KeyObject;
  if (existsSync(keyPath)) {
    key = createPrivateKey(readFileSync(keyPath, 'utf8'));
  } else {
    mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
    const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = kp.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const tmp = `${keyPath}.tmp-${process.pid}`;
    writeFileSync(tmp, pem, { mode: 0o600 });
    renameSync(tmp, keyPath);
    key = kp.privateKey;
  }
  const pub = createPublicKey(key);
  return {
    async issue(sa, opts) {
      const iat = Math.floor(opts.now.getTime() / 1000);
      const exp = iat + opts.expirationSeconds;
      const claims: Record<string, unknown> = {
        'kubernetes.io': {
          namespace: sa.namespace,
          serviceaccount: { name: sa.name, uid: sa.uid },
          ...(opts.boundPod ? { pod: opts.boundPod } : {}),
        },
      };
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(SERVICE_ACCOUNT_ISSUER)
        .setSubject(`system:serviceaccount:${sa.namespace}:${sa.name}`)
        .setAudience(opts.audiences?.length ? opts.audiences : [SERVICE_ACCOUNT_ISSUER])
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expirationTimestamp: new Date(exp * 1000) };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, pub, { issuer: SERVICE_ACCOUNT_ISSUER, audience: SERVICE_ACCOUNT_ISSUER, algorithms: ['ES256'] });
        const k = payload['kubernetes.io'] as { namespace?: string; serviceaccount?: { name?: string; uid?: string }; pod?: { name?: string; uid?: string } } | undefined;
        if (!k?.namespace || !k.serviceaccount?.name) return undefined;
        return { namespace: k.namespace, name: k.serviceaccount.name, uid: k.serviceaccount.uid ?? '', podName: k.pod?.name, podUid: k.pod?.uid };
      } catch {
        return undefined;
      }
    },
  };
}

/** What the authenticator consults. */
export interface AuthenticatorDeps {
  /** Bearer tokens accepted as-is, mapped to their user (the node join token). */
  staticTokens: Map<string, User>;
  issuer: TokenIssuer;
  /** Whether the service account a token names still exists with that uid. */
  serviceAccountExists(namespace: string, name: string, uid: string): Promise<boolean>;
}

/** Authenticates one request; undefined means 401. */
export async function authenticate(req: IncomingMessage, deps: AuthenticatorDeps): Promise<User | undefined> {
  const authz = req.headers.authorization;
  if (authz) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (!m) return undefined;
    const token = m[1];
    const stat = deps.staticTokens.get(token);
    if (stat) return stat;
    if (token.split('.').length === 3) {
      const c = await deps.issuer.verify(token);
      if (!c) return undefined;
      if (!(await deps.serviceAccountExists(c.namespace, c.name, c.uid))) return undefined;
      return {
        name: `system:serviceaccount:${c.namespace}:${c.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${c.namespace}`, 'system:authenticated'],
      };
    }
    return undefined;
  }
  const sock = req.socket as TLSSocket;
  if (typeof sock.getPeerCertificate === 'function' && sock.authorized) {
    // getPeerCertificate() builds a fresh object from the DER on each call (a measurable share of
    // a create's CPU); the client certificate is fixed for the connection, so read it once.
    if (certUsers.has(sock)) return certUsers.get(sock);
    const user = certUser(sock);
    certUsers.set(sock, user);
    return user;
  }
  return undefined;
}

/** The user each authorized keep-alive TLS connection's client certificate names. */
const certUsers = new WeakMap<TLSSocket, User | undefined>();

function certUser(sock: TLSSocket): User | undefined {
  const cert = sock.getPeerCertificate();
  const cn = cert?.subject?.CN;
  if (!cn) return undefined;
  const o = cert.subject.O;
  const groups = Array.isArray(o) ? o : o ? [o] : [];
  return { name: Array.isArray(cn) ? cn[0] : cn, groups: [...groups, 'system:authenticated'] };
}
