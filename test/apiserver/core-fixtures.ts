// Fixtures for the API server core's integration tests: small strategies that exercise every
// generic path (namespaced and cluster kinds, status, scale, generation, graceful deletion, field
// labels), simple selector and patch functions, and an in-process server on port 0 driven over
// HTTPS with the credentials of the kubeconfig it writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastJsonPatch from 'fast-json-patch';
import { startApiServer, type ApiServer, type FilterFactory, type PatchFunctions } from '../../src/apiserver/index.js';
import type { KubeObject, ResourceStrategy, TableColumn } from '../../src/apiserver/resources/types.js';
import type { Store } from '../../src/storage/types.js';
import type { OpenApiService } from '../../src/apiserver/openapi/types.js';
import { MemoryStore, SqliteStore } from '../../src/storage/index.js';
import { selectorFilters } from '../../src/apiserver/filters.js';
import { silentLogger } from '../../src/common/log.js';
import { createApiClient, readKubeAuth, type ApiClient } from '../helpers/berth-server.js';

const NAME: TableColumn = { name: 'Name', type: 'string', format: 'name', description: 'name', priority: 0 };
const AGE: TableColumn = { name: 'Age', type: 'string', format: '', description: 'age', priority: 0 };
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function basic(group: string, kind: string, resource: string, namespaced: boolean, extra: Partial<ResourceStrategy> = {}): ResourceStrategy {
  return {
    group, version: 'v1', kind, resource, singular: kind.toLowerCase(), namespaced, verbs: VERBS,
    table: { columns: [NAME, AGE], cells: (o) => [o.metadata.name, 'age'] },
    validate: (o) => (/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.metadata.name ?? '')
      ? []
      : [{ type: 'Invalid', field: 'metadata.name', badValue: o.metadata.name, detail: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" }]),
    ...extra,
  };
}

/** Strategies for the core tests (the real ones live in resources/ and have their own tests). */
export function testStrategies(): ResourceStrategy[] {
  return [
    basic('', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: { status: true, extra: ['finalize'] }, prepareForCreate: (o) => { o.status = { phase: 'Active' }; } }),
    basic('', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
    basic('', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'], subresources: { extra: ['token'] } }),
    basic('', 'Service', 'services', true, { shortNames: ['svc'], categories: ['all'] }),
    basic('', 'Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
    basic('', 'Node', 'nodes', false, { shortNames: ['no'], subresources: { status: true } }),
    basic('', 'Pod', 'pods', true, {
      shortNames: ['po'], categories: ['all'],
      subresources: { status: true, extra: ['binding', 'log', 'exec', 'attach', 'portforward'] },
      prepareForCreate: (o) => { o.status = { phase: 'Pending' }; },
      fieldLabels: (o) => ({ 'spec.nodeName': o.spec?.nodeName ?? '', 'status.phase': o.status?.phase ?? '' }),
      // Unscheduled pods go at once; bound ones wait for their kubelet (30 s unless asked).
      gracePeriod: (o, requested) => (o.spec?.nodeName ? requested ?? 30 : 0),
      validateUpdate: (o, old) => (JSON.stringify(o.spec?.containers) === JSON.stringify(old.spec?.containers) && o.spec?.nodeName === old.spec?.nodeName
        ? []
        : [{ type: 'Forbidden', field: 'spec', detail: 'pod updates may not change fields other than `spec.containers[*].image`' }]),
    }),
    basic('apps', 'Deployment', 'deployments', true, {
      shortNames: ['deploy'], categories: ['all'], tracksGeneration: true,
      subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } },
    }),
  ];
}

/** The server's real selector filters (api/selectors). */
export const testFilters: FilterFactory = selectorFilters;

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

class TestPatchError extends Error {}

/** RFC 7386 merge patch for merge and strategic (no list merging needed here), fast-json-patch for JSON patch. */
export const testPatch: PatchFunctions = {
  strategic: (o, p) => mergePatch(o, p),
  merge: (o, p) => mergePatch(o, p),
  json: (o, p) => {
    try {
      return fastJsonPatch.applyPatch(structuredClone(o), p as fastJsonPatch.Operation[], true, false).newDocument;
    } catch (e) {
      throw new TestPatchError((e as Error).message.split('\n')[0]);
    }
  },
  isPatchError: (e) => e instanceof TestPatchError,
};

/** The backends the core tests run against: in memory, and SQLite in the server's data dir. */
export const BACKENDS: Array<{ name: string; open(dataDir: string): Store }> = [
  { name: 'memory', open: () => new MemoryStore() },
  { name: 'sqlite', open: (dir) => new SqliteStore(join(dir, 'db', 'state.db')) },
];

/** An in-process API server with its client. */
export interface CoreServer {
  server: ApiServer;
  api: ApiClient;
  store: Store;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts a server on 127.0.0.1:0 over `store` (a fresh MemoryStore by default). */
export async function startCoreServer(opts: { store?: Store; backend?: (typeof BACKENDS)[number]; strategies?: ResourceStrategy[]; bookmarkIntervalMs?: number; openapi?: OpenApiService; garbageCollector?: boolean; compactionIntervalMs?: number; decodeProtobuf?: (b: Buffer) => KubeObject } = {}): Promise<CoreServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-core-'));
  const store = opts.store ?? opts.backend?.open(dataDir) ?? new MemoryStore();
  const server = await startApiServer({
    dataDir, listen: '127.0.0.1:0', store, strategies: opts.strategies ?? testStrategies(), log: silentLogger,
    patch: testPatch, filters: testFilters, bookmarkIntervalMs: opts.bookmarkIntervalMs, openapi: opts.openapi,
    garbageCollector: opts.garbageCollector, compactionIntervalMs: opts.compactionIntervalMs, decodeProtobuf: opts.decodeProtobuf,
  });
  const api = createApiClient(await readKubeAuth(server.kubeconfigPath));
  return {
    server, api, store, dataDir,
    async stop() {
      api.close();
      await server.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits (polling, with a deadline) until `check` returns a value. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  while (true) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A loopback port nothing listens on (bound to 0 and released). */
export async function unusedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
