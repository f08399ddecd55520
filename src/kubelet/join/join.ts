// joinCluster: how a node agent obtains its identity from the server, as k3s's agent does
// (k3s pkg/agent/config: get the CA, check it against the token, then fetch the node's
// certificates with TLS verified against that CA).
//
//   1. GET <server>/cacerts with TLS verification off, for this one call only; sha256 of the body
//      must equal the hash in the token (else one line naming both hashes).
//   2. POST <server>/v1-berth/node-credentials with TLS verified against that CA and the token as
//      Bearer: the client certificate (system:node:<name>), the kubelet serving certificate and the
//      pod CIDR.
//
// Credentials are cached under <dataDir>/kubelet/pki/ (every file 0600) and reused on restart
// while they still fit: same server, node name and CA (hash from the token when it has one),
// client and serving certificates signed by that CA, unexpired for a day more, and the serving
// certificate covering every address. Anything else re-joins.
//
//   <dataDir>/kubelet/pki/ca.crt
//   <dataDir>/kubelet/pki/client-kubelet.crt|.key    CN system:node:<name>, O system:nodes
//   <dataDir>/kubelet/pki/serving-kubelet.crt|.key   the kubelet API's certificate
//   <dataDir>/kubelet/pki/join.json                  { server, nodeName, podCIDR }
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { hashCaPem, leafIsUsable } from '../../common/ca.js';
import type { ClientConfig } from '../../client/index.js';
import type { Logger } from '../../common/log.js';
import { silentLogger } from '../../common/log.js';
import { VERSION } from '../../common/version.js';
import { JoinError, parseNodeToken } from './token.js';

/** What joinCluster needs. */
export interface JoinOptions {
  /** `https://HOST:PORT` of the API server. */
  server: string;
  /** The node token (contents of the server's DIR/node-token). */
  token: string;
  nodeName: string;
  /** IPs and names the kubelet serving certificate must cover. */
  addresses: string[];
  /** The agent's data dir; credentials go to `<dataDir>/kubelet/pki/`. */
  dataDir: string;
  /** A /24 of 10.42.0.0/16 to ask for; the server grants it when no other node holds it. */
  preferredPodCIDR?: string;
  /** A CA to trust instead of the token's hash; required for a bare token without `K10<hash>`. */
  caPem?: string;
  log?: Logger;
  /** Aborts the HTTP calls. */
  signal?: AbortSignal;
}

/** What a joined node holds. */
export interface JoinResult {
  /** Client settings as `system:node:<name>`. */
  clientConfig: ClientConfig;
  caPem: string;
  /** The kubelet serving certificate and key. */
  serving: { certPem: string; keyPem: string };
  podCIDR: string;
  /** True when the cached credentials were reused (no call to the server). */
  reused: boolean;
}

interface CachedJoin { server: string; nodeName: string; podCIDR: string }

interface HttpAnswer { status: number; body: string }

function call(url: URL, opts: { method: string; ca?: string; insecure?: boolean; headers?: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': `berth-agent/${VERSION.gitVersion}`, ...opts.headers };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(opts.body));
    }
    const req = httpsRequest({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || 443,
      path: url.pathname,
      method: opts.method,
      headers,
      ca: opts.ca,
      rejectUnauthorized: !opts.insecure,
      agent: false,
      signal: opts.signal,
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function writeSecret(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function subjectCN(certPem: string): string | undefined {
  try {
    return /(?:^|\n)CN=([^\n]*)/.exec(new X509Certificate(certPem).subject)?.[1];
  } catch {
    return undefined;
  }
}

/** The pki dir under an agent data dir. */
export function pkiDir(dataDir: string): string {
  return join(dataDir, 'kubelet', 'pki');
}

function clientConfigFor(server: string, nodeName: string, caPem: string, certPem: string, keyPem: string): ClientConfig {
  return { server, caPem, certPem, keyPem, userAgent: `berth-kubelet/${VERSION.gitVersion} (node ${nodeName})` };
}

/** Loads cached credentials when they still fit this join; undefined otherwise. */
function loadCached(dir: string, opts: JoinOptions, expectedCaHash: string | undefined): Omit<JoinResult, 'reused'> | undefined {
  try {
    const meta = readIf(join(dir, 'join.json'));
    const caPem = readIf(join(dir, 'ca.crt'));
    const clientCert = readIf(join(dir, 'client-kubelet.crt'));
    const clientKey = readIf(join(dir, 'client-kubelet.key'));
    const servingCert = readIf(join(dir, 'serving-kubelet.crt'));
    const servingKey = readIf(join(dir, 'serving-kubelet.key'));
    if (!meta || !caPem || !clientCert || !clientKey || !servingCert || !servingKey) return undefined;
    const m = JSON.parse(meta) as CachedJoin;
    if (m.server !== opts.server || m.nodeName !== opts.nodeName || !m.podCIDR) return undefined;
    if (expectedCaHash && hashCaPem(caPem) !== expectedCaHash) return undefined;
    if (opts.caPem && opts.caPem !== caPem) return undefined;
    if (subjectCN(clientCert) !== `system:node:${opts.nodeName}`) return undefined;
    if (!leafIsUsable(clientCert, caPem, [])) return undefined;
    if (!leafIsUsable(servingCert, caPem, [opts.nodeName, ...opts.addresses])) return undefined;
    return {
      clientConfig: clientConfigFor(opts.server, opts.nodeName, caPem, clientCert, clientKey),
      caPem,
      serving: { certPem: servingCert, keyPem: servingKey },
      podCIDR: m.podCIDR,
    };
  } catch {
    return undefined;
  }
}

function unreachable(server: string, e: unknown): JoinError {
  return new JoinError('Unreachable', `cannot reach the server ${server}: ${(e as Error).message}`);
}

/**
 * Joins the cluster (or reuses the cached credentials). Rejects with a JoinError whose message is
 * one line: a malformed token, a CA hash mismatch (naming expected and actual), a rejected token
 * (401), an unreachable server, or any other refusal with the server's message.
 */
export async function joinCluster(opts: JoinOptions): Promise<JoinResult> {
  const log = (opts.log ?? silentLogger).child({ component: 'join' });
  const token = parseNodeToken(opts.token);
  if (!token.caHash && !opts.caPem) {
    throw new JoinError('InvalidToken', 'the node token has no CA hash (K10<hash>::...): use the full token from the server\'s node-token file, or give the cluster CA to trust');
  }
  const server = new URL(opts.server);
  if (server.protocol !== 'https:') throw new JoinError('InvalidToken', `the server URL must be https://HOST:PORT, got ${opts.server}`);
  const dir = pkiDir(opts.dataDir);
  const cached = loadCached(dir, opts, token.caHash);
  if (cached) {
    log.info({ node: opts.nodeName, podCIDR: cached.podCIDR }, 'reusing cached node credentials');
    return { ...cached, reused: true };
  }

  let caPem: string;
  if (token.caHash) {
    let ans: HttpAnswer;
    try {
      ans = await call(new URL('/cacerts', server), { method: 'GET', insecure: true, signal: opts.signal });
    } catch (e) {
      throw unreachable(opts.server, e);
    }
    if (ans.status !== 200) throw new JoinError('Rejected', `GET ${opts.server}/cacerts answered HTTP ${ans.status}`);
    const actual = hashCaPem(ans.body);
    if (actual !== token.caHash) {
      throw new JoinError('CAHashMismatch', `the server's CA certificate does not match the node token: token expects sha256 ${token.caHash}, server ${opts.server} serves sha256 ${actual}`);
    }
    if (opts.caPem && opts.caPem !== ans.body) {
      throw new JoinError('CAHashMismatch', `the server's CA certificate differs from the given CA: expected sha256 ${hashCaPem(opts.caPem)}, server ${opts.server} serves sha256 ${actual}`);
    }
    caPem = ans.body;
  } else {
    caPem = opts.caPem as string;
  }

  let ans: HttpAnswer;
  try {
    ans = await call(new URL('/v1-berth/node-credentials', server), {
      method: 'POST',
      ca: caPem,
      headers: { authorization: `Bearer ${token.bearer}`, accept: 'application/json' },
      body: JSON.stringify({ nodeName: opts.nodeName, addresses: opts.addresses, ...(opts.preferredPodCIDR ? { podCIDR: opts.preferredPodCIDR } : {}) }),
      signal: opts.signal,
    });
  } catch (e) {
    throw unreachable(opts.server, e);
  }
  if (ans.status === 401) throw new JoinError('Unauthorized', `the server ${opts.server} rejected the node token (401 Unauthorized)`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(ans.body) as Record<string, unknown>;
  } catch {
    throw new JoinError('InvalidAnswer', `the server ${opts.server} answered HTTP ${ans.status} with a body that is not JSON`);
  }
  if (ans.status !== 200) {
    throw new JoinError('Rejected', `the server ${opts.server} refused the join (HTTP ${ans.status}): ${String(json.message ?? json.reason ?? '')}`);
  }
  const str = (k: string): string => {
    const v = json[k];
    if (typeof v !== 'string' || v === '') throw new JoinError('InvalidAnswer', `the server's join answer has no ${k}`);
    return v;
  };
  const result = {
    clientConfig: clientConfigFor(opts.server, opts.nodeName, caPem, str('clientCertPem'), str('clientKeyPem')),
    caPem,
    serving: { certPem: str('servingCertPem'), keyPem: str('servingKeyPem') },
    podCIDR: str('podCIDR'),
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeSecret(join(dir, 'ca.crt'), caPem);
  writeSecret(join(dir, 'client-kubelet.crt'), result.clientConfig.certPem as string);
  writeSecret(join(dir, 'client-kubelet.key'), result.clientConfig.keyPem as string);
  writeSecret(join(dir, 'serving-kubelet.crt'), result.serving.certPem);
  writeSecret(join(dir, 'serving-kubelet.key'), result.serving.keyPem);
  writeSecret(join(dir, 'join.json'), JSON.stringify({ server: opts.server, nodeName: opts.nodeName, podCIDR: result.podCIDR } satisfies CachedJoin, null, 2));
  log.info({ node: opts.nodeName, podCIDR: result.podCIDR }, 'joined the cluster');
  return { ...result, reused: false };
}
