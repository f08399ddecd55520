// The node-join endpoints: what k3s's supervisor serves to agents (k3s pkg/server/router.go:
// `/cacerts`, and the per-node client and serving certificates), reshaped for berth.
//
//   GET  /cacerts                     unauthenticated; the cluster CA PEM exactly as DIR/tls/ca.crt
//                                     holds it, so sha256 of the body equals the hash in the token
//   POST /v1-berth/node-credentials   Bearer <node token>; body { nodeName, addresses, podCIDR? }
//                                     -> { caPem, clientCertPem, clientKeyPem, servingCertPem,
//                                          servingKeyPem, podCIDR }
//
// Pod CIDRs: the Node's own spec.podCIDR when the Node exists, else the CIDR reserved for that
// name earlier, else the preferred one when free, else the first free /24 of 10.42.0.0/16 from
// 10.42.1.0/24. Reservations live in DIR/node-pod-cidrs.json so that a node that joined but has not
// registered yet keeps its CIDR across a server restart. Allocations run one at a time.
//
// Private keys are generated per request and never logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Logger } from '../common/log.js';
import type { CertificateAuthority } from '../common/ca.js';
import { isDNS1123Subdomain } from '../api/validation.js';
import { readBody } from './body.js';
import { ApiError, badRequest, invalid, methodNotAllowed, unauthorized } from './status.js';
import type { ResourceRegistry } from './registry.js';
import type { KubeObject } from './resources/types.js';

/** The request body of POST /v1-berth/node-credentials. */
export interface NodeCredentialsRequest {
  nodeName: string;
  /** IPs and host names the kubelet serving certificate must cover. */
  addresses: string[];
  /** A /24 of 10.42.0.0/16 the agent would like (granted when no other node holds it). */
  podCIDR?: string;
}

/** The answer of POST /v1-berth/node-credentials. */
export interface NodeCredentials {
  caPem: string;
  /** Client certificate CN `system:node:<name>`, O `system:nodes`. */
  clientCertPem: string;
  clientKeyPem: string;
  /** Kubelet serving certificate for the node's name, addresses, localhost and 127.0.0.1. */
  servingCertPem: string;
  servingKeyPem: string;
  podCIDR: string;
}

/** Path of the CA endpoint. */
export const CACERTS_PATH = '/cacerts';
/** Path of the credentials endpoint. */
export const NODE_CREDENTIALS_PATH = '/v1-berth/node-credentials';

/** What the node-join routes need from the API server. */
export interface NodeJoinDeps {
  ca: CertificateAuthority;
  registry: ResourceRegistry;
  /** The full node token (`K10<hash>::server:<secret>`); the bare `server:<secret>` part and the secret alone are accepted too. */
  nodeToken: string;
  /** Where the reservation file lives (the server's data dir). */
  dataDir: string;
  log: Logger;
}

/**
 * Serves one request when it is for a node-join path and resolves true; resolves false for any
 * other path. Errors are thrown as ApiError (the handler writes them as Status).
 */
export type NodeJoinRoutes = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

const CLUSTER_PREFIX = '10.42.';

/** True for a CIDR `10.42.N.0/24` with 0 <= N <= 255. */
export function isClusterSlash24(cidr: string): boolean {
  const m = /^10\.42\.(\d{1,3})\.0\/24$/.exec(cidr);
  return !!m && Number(m[1]) <= 255 && String(Number(m[1])) === m[1];
}

/**
 * Picks the pod CIDR for a node (pure): its existing one, else its reservation, else `preferred`
 * when valid and unused, else the first free /24 from 10.42.1.0/24 up to 10.42.255.0/24.
 * Returns undefined when every /24 is taken.
 */
export function choosePodCIDR(opts: { existing?: string; reserved?: string; preferred?: string; used: Set<string> }): string | undefined {
  if (opts.existing) return opts.existing;
  if (opts.reserved) return opts.reserved;
  if (opts.preferred && isClusterSlash24(opts.preferred) && !opts.used.has(opts.preferred)) return opts.preferred;
  for (let i = 1; i <= 255; i++) {
    const c = `${CLUSTER_PREFIX}${i}.0/24`;
    if (!opts.used.has(c)) return c;
  }
  return undefined;
}

/** Why a credentials body is unusable, as field errors (empty when it is fine). */
export function validateCredentialsRequest(body: NodeCredentialsRequest): Array<{ field: string; value: unknown; detail: string }> {
  const errs: Array<{ field: string; value: unknown; detail: string }> = [];
  if (typeof body.nodeName !== 'string' || body.nodeName === '') {
    errs.push({ field: 'nodeName', value: body.nodeName, detail: 'Required value' });
  } else {
    for (const d of isDNS1123Subdomain(body.nodeName)) errs.push({ field: 'nodeName', value: body.nodeName, detail: d });
  }
  if (!Array.isArray(body.addresses)) {
    errs.push({ field: 'addresses', value: body.addresses, detail: 'must be a list of IP addresses or host names' });
  } else {
    body.addresses.forEach((a, i) => {
      if (typeof a !== 'string' || (!isIP(a) && isDNS1123Subdomain(a).length > 0)) {
        errs.push({ field: `addresses[${i}]`, value: a, detail: 'must be an IP address or a DNS-1123 subdomain' });
      }
    });
  }
  if (body.podCIDR !== undefined && (typeof body.podCIDR !== 'string' || !isClusterSlash24(body.podCIDR))) {
    errs.push({ field: 'podCIDR', value: body.podCIDR, detail: 'must be a /24 of 10.42.0.0/16' });
  }
  return errs;
}

/** Creates the node-join routes. */
export function createNodeJoinRoutes(deps: NodeJoinDeps): NodeJoinRoutes {
  const log = deps.log.child({ part: 'node-join' });
  const secret = deps.nodeToken.split('::')[1] ?? '';
  const accepted = new Set([deps.nodeToken, secret, secret.split(':')[1] ?? ''].filter((t) => t.length > 0));
  const reservationsPath = `${deps.dataDir}/node-pod-cidrs.json`;
  let reservations: Record<string, string> = {};
  if (existsSync(reservationsPath)) {
    try {
      reservations = JSON.parse(readFileSync(reservationsPath, 'utf8')) as Record<string, string>;
    } catch (e) {
      log.warn({ err: (e as Error).message, path: reservationsPath }, 'ignoring unreadable pod CIDR reservations');
    }
  }
  const saveReservations = (): void => {
    const tmp = `${reservationsPath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(reservations, null, 2), { mode: 0o600 });
    renameSync(tmp, reservationsPath);
  };
  // One allocation at a time: two joins must never read the same free CIDR.
  let tail: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const nodes = (): ReturnType<ResourceRegistry['handler']> => deps.registry.handler('', 'v1', 'nodes');

  const allocate = (name: string, preferred: string | undefined): Promise<string> => serialized(async () => {
    const h = nodes();
    const all = h ? (await deps.registry.list(h, '', {})).items : [];
    const used = new Set<string>(Object.entries(reservations).filter(([n]) => n !== name).map(([, c]) => c));
    let existing: string | undefined;
    for (const n of all as KubeObject[]) {
      const cidrs = [n.spec?.podCIDR, ...((n.spec?.podCIDRs ?? []) as string[])].filter((c): c is string => typeof c === 'string' && c !== '');
      if (n.metadata.name === name) existing = cidrs[0];
      else for (const c of cidrs) used.add(c);
    }
    const cidr = choosePodCIDR({ existing, reserved: reservations[name], preferred, used });
    if (!cidr) throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'ServiceUnavailable', code: 503, message: 'no free pod CIDR left in 10.42.0.0/16' });
    if (reservations[name] !== cidr) {
      reservations = { ...reservations, [name]: cidr };
      saveReservations();
    }
    return cidr;
  });

  const bearer = (req: IncomingMessage): string | undefined => /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];

  const send = (res: ServerResponse, code: number, contentType: string, body: string): void => {
    res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  return async (req, res, url) => {
    const path = url.pathname;
    if (path === CACERTS_PATH) {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
      // k3s answers text/plain with the CA file's bytes; the body is what the token's hash covers.
      send(res, 200, 'text/plain', deps.ca.certPem);
      return true;
    }
    if (path !== NODE_CREDENTIALS_PATH) return false;
    const token = bearer(req);
    if (!token || !accepted.has(token)) {
      req.resume();
      throw unauthorized();
    }
    if (req.method !== 'POST') {
      req.resume();
      throw methodNotAllowed();
    }
    let body: NodeCredentialsRequest;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8')) as NodeCredentialsRequest;
    } catch {
      throw badRequest('the request body is not a JSON object');
    }
    if (typeof body !== 'object' || body === null) throw badRequest('the request body is not a JSON object');
    const errs = validateCredentialsRequest(body);
    if (errs.length) {
      throw invalid('', 'NodeCredentialsRequest', String(body.nodeName ?? ''), errs.map((e) => ({ type: 'Invalid', field: e.field, badValue: e.value, detail: e.detail })));
    }
    const name = body.nodeName;
    const podCIDR = await allocate(name, body.podCIDR);
    const client = await deps.ca.issue({ commonName: `system:node:${name}`, organization: ['system:nodes'], usage: 'client' });
    const hosts = [...new Set([name, 'localhost', '127.0.0.1', ...body.addresses])];
    const serving = await deps.ca.issue({ commonName: `system:node:${name}`, organization: ['system:nodes'], hosts, usage: 'server' });
    log.info({ node: name, podCIDR, addresses: body.addresses }, 'issued node credentials');
    const answer: NodeCredentials = {
      caPem: deps.ca.certPem,
      clientCertPem: client.certPem,
      clientKeyPem: client.keyPem,
      servingCertPem: serving.certPem,
      servingKeyPem: serving.keyPem,
      podCIDR,
    };
    send(res, 200, 'application/json', JSON.stringify(answer));
    return true;
  };
}
