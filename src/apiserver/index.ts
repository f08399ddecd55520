// The API server: HTTPS with the cluster CA, authentication, discovery, OpenAPI and the generic
// resource registry over a Store. startApiServer() is the one entry point (`berth server`,
// `berth up` and in-process tests call it).
//
// Files under the data dir (created on first start, reused afterwards):
//   DIR/tls/ca.crt, ca.key                         the cluster CA (common/ca.ts)
//   DIR/tls/serving-kube-apiserver.crt|.key        serving certificate (127.0.0.1, localhost, listen host, service names)
//   DIR/tls/client-admin.crt|.key                  admin client certificate (CN=admin, O=system:masters)
//   DIR/tls/client-kube-apiserver-kubelet.crt|.key what the API server shows kubelets (logs, exec)
//   DIR/tls/service-account.key                    signing key of service-account tokens
//   DIR/kubeconfig                                 admin kubeconfig (mode 0600, CA embedded)
//   DIR/node-token                                 K10<sha256 of ca.crt>::server:<secret> (k3s format, mode 0600)
//   DIR/node-pod-cidrs.json                        pod CIDRs handed out at node join (node-join.ts)
import { createServer, type Server } from 'node:https';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { stringify as yamlStringify } from 'yaml';
import type { Logger } from '../common/log.js';
import { ensureLeaf, loadOrCreateCA } from '../common/ca.js';
import type { Store } from '../storage/types.js';
import type { KubeObject, ResourceStrategy } from './resources/types.js';
import type { OpenApiService } from './openapi/types.js';
import { ResourceRegistry, type CallContext } from './registry.js';
import { buildDiscovery } from './discovery.js';
import { createHandler, createUpgradeHandler, type FilterFactory, type HandlerDeps, type PatchFunctions, type PodConnector } from './handler.js';
import { loadTokenIssuer, type User } from './auth.js';
import { createPodConnector } from './pod-connector.js';
import { createNodeJoinRoutes } from './node-join.js';

export { ApiError } from './status.js';
export type { PatchFunctions, FilterFactory, PodConnector } from './handler.js';
export type { ObjectFilter } from './registry.js';

/** The ClusterIP of the `kubernetes` Service (first address of the service CIDR 10.43.0.0/16). */
export const KUBERNETES_SERVICE_IP = '10.43.0.1';

/** What startApiServer needs. */
export interface ApiServerOptions {
  dataDir: string;
  /** `HOST:PORT`; port 0 picks a free one. */
  listen: string;
  store: Store;
  strategies: ResourceStrategy[];
  log: Logger;
  /** Applies patches (the patch module). */
  patch: PatchFunctions;
  /** Builds label/field selector filters (the selectors module). */
  filters: FilterFactory;
  /** OpenAPI documents and field knowledge (the openapi module); without it /openapi/* is 404. */
  openapi?: OpenApiService;
  /** Decodes Kubernetes protobuf bodies (the protobuf module); without it they get 415. */
  decodeProtobuf?: (body: Buffer) => KubeObject;
  /** Replaces the kubelet connector (tests). */
  podConnector?: PodConnector;
  now?: () => Date;
  /** Interval of watch BOOKMARK events (default 60 s, upstream's order of magnitude). */
  bookmarkIntervalMs?: number;
  /**
   * Compaction period: every interval the store is compacted to the revision seen one interval
   * earlier (kube-apiserver's --etcd-compaction-interval, default 5 min); 0 disables it.
   */
  compactionIntervalMs?: number;
  /** True when a garbage collector runs (Foreground/Orphan deletion then use finalizers). */
  garbageCollector?: boolean;
}

/** A running API server. */
export interface ApiServer {
  /** `https://HOST:PORT` as clients reach it. */
  url: string;
  /** The port actually bound. */
  port: number;
  /** Path of the admin kubeconfig. */
  kubeconfigPath: string;
  /** The node join token (k3s format). */
  nodeToken: string;
  /** Cluster CA PEM. */
  caPem: string;
  /** The registry (for in-process components and tests). */
  registry: ResourceRegistry;
  /** Stops accepting requests, ends watches and waits for background work. Leaves the store open. */
  close(): Promise<void>;
}

/** Splits `HOST:PORT` (IPv6 in brackets); throws a one-line Error when malformed. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`invalid listen address "${listen}": expected HOST:PORT`);
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid listen address "${listen}": port out of range`);
  return { host, port };
}

function writeFileAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

/** The address clients use for a listen host (wildcards become loopback). */
function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Renders an admin kubeconfig with embedded credentials. */
export function renderKubeconfig(server: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return yamlStringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'berth', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
    contexts: [{ name: 'berth', context: { cluster: 'berth', user: 'admin', namespace: 'default' } }],
    'current-context': 'berth',
    preferences: {},
  });
}

/** Reads DIR/node-token or creates it (`K10<ca hash>::server:<32 hex>`). */
function ensureNodeToken(path: string, caHash: string): string {
  if (existsSync(path)) {
    const t = readFileSync(path, 'utf8').trim();
    if (t.startsWith(`K10${caHash}::`)) return t;
  }
  const token = `K10${caHash}::server:${randomBytes(16).toString('hex')}`;
  writeFileAtomic(path, `${token}\n`, 0o600);
  return token;
}

const SYSTEM_USER: User = { name: 'system:apiserver', groups: ['system:masters', 'system:authenticated'] };

/** Creates the objects every cluster has (idempotent). */
async function bootstrap(registry: ResourceRegistry, host: string, port: number, log: Logger): Promise<void> {
  const call: CallContext = { user: SYSTEM_USER, warn: () => undefined };
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await registry.ensure('', 'namespaces', '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, call);
  }
  await registry.ensure('', 'services', 'default', {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP', clusterIP: KUBERNETES_SERVICE_IP, clusterIPs: [KUBERNETES_SERVICE_IP],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
      sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster',
    },
  }, call);
  // A restart on another port keeps the Service pointing at this server, as upstream's reconciler does.
  const svcH = registry.handler('', 'v1', 'services');
  if (svcH) {
    const key = registry.key(svcH, 'default', 'kubernetes');
    const kv = await registry.store.get(key);
    const svc = kv ? (JSON.parse(kv.value) as KubeObject) : undefined;
    if (kv && svc?.spec?.ports?.[0] && svc.spec.ports[0].targetPort !== port) {
      svc.spec.ports[0].targetPort = port;
      await registry.store.update(key, JSON.stringify(svc), kv.modRevision);
    }
  }
  const epH = registry.handler('', 'v1', 'endpoints');
  if (epH) {
    const subsets = [{ addresses: [{ ip: host }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
    const key = registry.key(epH, 'default', 'kubernetes');
    const kv = await registry.store.get(key);
    const obj: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets };
    // The endpoints name this server's own (often loopback) address, which user-facing
    // validation refuses; the server writes them directly, as upstream's endpoint reconciler does.
    if (!kv) {
      await registry.createSystem(epH, 'default', obj);
    } else {
      const cur = JSON.parse(kv.value) as KubeObject;
      if (JSON.stringify(cur.subsets) !== JSON.stringify(subsets)) {
        cur.subsets = subsets;
        await registry.store.update(key, JSON.stringify(cur), kv.modRevision);
      }
    }
  }
  await registry.resumeTerminations();
  log.info('bootstrap objects ensured');
}

/** Starts the API server. Rejects with a one-line Error when the address cannot be bound. */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.log.child({ component: 'apiserver' });
  const { host, port: wantPort } = parseListen(opts.listen);
  const tlsDir = join(opts.dataDir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreateCA(tlsDir);
  const reachable = clientHost(host);
  const serverHosts = [...new Set(['127.0.0.1', 'localhost', reachable, KUBERNETES_SERVICE_IP, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'])];
  const serving = await ensureLeaf(ca, tlsDir, 'serving-kube-apiserver', { commonName: 'kube-apiserver', hosts: serverHosts, usage: 'server' });
  const admin = await ensureLeaf(ca, tlsDir, 'client-admin', { commonName: 'admin', organization: ['system:masters'], usage: 'client' });
  const kubeletClient = await ensureLeaf(ca, tlsDir, 'client-kube-apiserver-kubelet', { commonName: 'kube-apiserver-kubelet-client', organization: ['system:masters'], usage: 'client' });
  const nodeToken = ensureNodeToken(join(opts.dataDir, 'node-token'), ca.certHash);
  const tokens = loadTokenIssuer(join(tlsDir, 'service-account.key'));
  const now = opts.now ?? (() => new Date());

  const registry = new ResourceRegistry({ store: opts.store, strategies: opts.strategies, log, now, caPem: ca.certPem, garbageCollector: opts.garbageCollector });
  const shutdown = new AbortController();
  let ready = false;
  const saHandler = registry.handler('', 'v1', 'serviceaccounts');
  const nodeSecret = nodeToken.split('::server:')[1];
  const bootstrapUser: User = { name: 'system:node-bootstrap', groups: ['system:bootstrappers', 'system:authenticated'] };
  const handlerDeps: HandlerDeps = {
    registry,
    discovery: buildDiscovery(opts.strategies, `${hostForUrl(reachable)}:${wantPort}`),
    openapi: opts.openapi,
    decodeProtobuf: opts.decodeProtobuf,
    patch: opts.patch,
    filters: opts.filters,
    auth: {
      staticTokens: new Map([[nodeToken, bootstrapUser], [nodeSecret, bootstrapUser]]),
      issuer: tokens,
      serviceAccountExists: async (ns, name, uid) => {
        if (!saHandler) return false;
        const kv = await opts.store.get(registry.key(saHandler, ns, name));
        if (!kv) return false;
        return !uid || (JSON.parse(kv.value) as KubeObject).metadata.uid === uid;
      },
    },
    tokens,
    podConnector: opts.podConnector ?? createPodConnector({ registry, caPem: ca.certPem, clientCert: kubeletClient.certPem, clientKey: kubeletClient.keyPem, log }),
    log,
    now,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    ready: () => ready,
    shutdown: shutdown.signal,
    nodeJoin: createNodeJoinRoutes({ ca, registry, nodeToken, dataDir: opts.dataDir, log }),
  };
  const handler = createHandler(handlerDeps);

  const server: Server = createServer({
    cert: serving.certPem,
    key: serving.keyPem,
    ca: ca.certPem,
    requestCert: true,
    rejectUnauthorized: false,
    keepAlive: true,
  }, handler);
  server.on('upgrade', createUpgradeHandler(handlerDeps));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') reject(new Error(`listen ${opts.listen}: address already in use`));
      else if (e.code === 'EADDRNOTAVAIL') reject(new Error(`listen ${opts.listen}: address not available`));
      else if (e.code === 'EACCES') reject(new Error(`listen ${opts.listen}: permission denied`));
      else reject(new Error(`listen ${opts.listen}: ${e.message}`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(wantPort, host);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : wantPort;
  const url = `https://${hostForUrl(reachable)}:${port}`;

  try {
    await bootstrap(registry, reachable === 'localhost' ? '127.0.0.1' : reachable, port, log);
  } catch (e) {
    server.close();
    server.closeAllConnections();
    throw e;
  }
  const kubeconfigPath = join(opts.dataDir, 'kubeconfig');
  writeFileAtomic(kubeconfigPath, renderKubeconfig(url, ca.certPem, admin.certPem, admin.keyPem), 0o600);
  ready = true;
  log.info({ url }, 'API server listening');
  const compactEvery = opts.compactionIntervalMs ?? 5 * 60_000;
  let compactTimer: NodeJS.Timeout | undefined;
  if (compactEvery > 0) {
    let seen = await opts.store.currentRevision();
    compactTimer = setInterval(() => {
      void (async () => {
        const target = seen;
        seen = await opts.store.currentRevision();
        if (target > (await opts.store.compactedRevision())) await opts.store.compact(target);
      })().catch((e) => log.warn({ err: (e as Error).message }, 'compaction failed'));
    }, compactEvery);
    compactTimer.unref();
  }

  return {
    url,
    port,
    kubeconfigPath,
    nodeToken,
    caPem: ca.certPem,
    registry,
    async close() {
      ready = false;
      clearInterval(compactTimer);
      shutdown.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setImmediate(() => server.closeAllConnections());
      });
      await registry.settled();
    },
  };
}
