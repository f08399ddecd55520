// The control plane as components: datastore, API server, controllers and scheduler (what
// `berth server` runs), and the built-in registry (what `berth up` adds). Controllers and the
// scheduler reach the API over HTTPS with the admin kubeconfig, as every component but the API
// server does (DESIGN.md).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultServerModules } from '../apiserver/modules.js';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { createClient, loadKubeconfig, type Client } from '../client/index.js';
import { ensureLeaf, loadOrCreateCA } from '../common/ca.js';
import type { Logger } from '../common/log.js';
import { startControllers } from '../controllers/index.js';
import { createRegistry, type Registry } from '../registry/index.js';
import { startScheduler } from '../scheduler/index.js';
import { openStore, type Store } from '../storage/index.js';
import type { Component } from './supervisor.js';

/** What the control plane components share once started. */
export interface ControlPlane {
  api?: ApiServer;
  /** An admin client (controllers, scheduler, readiness checks). */
  client?: Client;
  registry?: Registry;
}

/** Settings of the control plane. */
export interface ControlPlaneOptions {
  dataDir: string;
  listen: string;
  /** `sqlite:///PATH` or `etcd://...`; default DIR/db/state.db. */
  datastore?: string;
  log: Logger;
  /** Filled in as components start. */
  state: ControlPlane;
}

/** Datastore, API server, controllers, scheduler. */
export function controlPlaneComponents(opts: ControlPlaneOptions): Component[] {
  const { log, state } = opts;
  let store: Store;
  return [
    {
      name: 'datastore',
      async start() {
        mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
        store = await openStore(opts.datastore ?? `sqlite://${join(opts.dataDir, 'db', 'state.db')}`, { log: log.child({ component: 'storage' }) });
        return { stop: () => store.close() };
      },
    },
    {
      name: 'API server',
      async start() {
        const api = await startApiServer({ dataDir: opts.dataDir, listen: opts.listen, store, log, garbageCollector: true, ...defaultServerModules() });
        state.api = api;
        state.client = createClient({ ...loadKubeconfig(api.kubeconfigPath), userAgent: 'berth-controller-manager' });
        return {
          async stop() {
            state.client?.close();
            await api.close();
          },
        };
      },
    },
    {
      name: 'controllers',
      async start() {
        return startControllers({ client: state.client!, log, identity: `berth-${process.pid}` });
      },
    },
    {
      name: 'scheduler',
      async start() {
        return startScheduler({ client: state.client!, log, identity: `berth-${process.pid}` });
      },
    },
  ];
}

/** Settings of the built-in registry under `berth up`. */
export interface BuiltinRegistryOptions {
  /** The cluster's data dir: the registry keeps DIR/registry, its certificate comes from DIR/tls. */
  dataDir: string;
  host: string;
  port: number;
  adminPassword: string;
  log: Logger;
  state: ControlPlane;
}

/** The built-in registry, served over HTTPS with a certificate from the cluster CA (DESIGN.md). */
export function builtinRegistryComponent(opts: BuiltinRegistryOptions): Component {
  return {
    name: 'registry',
    async start() {
      const tlsDir = join(opts.dataDir, 'tls');
      const ca = await loadOrCreateCA(tlsDir);
      const hosts = [...new Set(['127.0.0.1', 'localhost', ...(opts.host === '0.0.0.0' || opts.host === '::' ? [] : [opts.host])])];
      const leaf = await ensureLeaf(ca, tlsDir, 'serving-registry', { commonName: 'berth-registry', hosts, usage: 'server' });
      const dir = join(opts.dataDir, 'registry');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const reg = await createRegistry({
        dataDir: dir, host: opts.host, port: opts.port, tls: { cert: leaf.certPem + ca.certPem, key: leaf.keyPem },
        adminPassword: opts.adminPassword, log: opts.log.child({ component: 'registry' }),
      });
      opts.state.registry = reg;
      return { stop: () => reg.close() };
    },
  };
}
