// Deletion propagation with a garbage collector present, the periodic compaction the API server
// drives (kube-apiserver's --etcd-compaction-interval), and a restart on the same data.
import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoreServer, testFilters, testPatch, testStrategies, type CoreServer, eventually } from './core-fixtures.js';
import { startApiServer } from '../../src/apiserver/index.js';
import { MemoryStore, SqliteStore } from '../../src/storage/index.js';
import { silentLogger } from '../../src/common/log.js';
import { createApiClient, readKubeAuth } from '../helpers/berth-server.js';

describe('API server core: propagation policies and compaction', () => {
  const servers: CoreServer[] = [];
  after(async () => { for (const s of servers) await s.stop(); });

  const cases = [
    { name: 'Foreground keeps the owner with the foregroundDeletion finalizer', policy: 'Foreground', gc: true, finalizers: ['foregroundDeletion'] },
    { name: 'Orphan keeps the owner with the orphan finalizer', policy: 'Orphan', gc: true, finalizers: ['orphan'] },
    { name: 'Background deletes at once', policy: 'Background', gc: true, finalizers: undefined },
    { name: 'without a garbage collector Foreground deletes at once (nothing would remove the finalizer)', policy: 'Foreground', gc: false, finalizers: undefined },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const s = await startCoreServer({ garbageCollector: c.gc });
      servers.push(s);
      await s.api.request('POST', '/apis/apps/v1/namespaces/default/deployments', { body: { metadata: { name: 'web' }, spec: { replicas: 1 } } });
      const d = await s.api.request('DELETE', '/apis/apps/v1/namespaces/default/deployments/web', { body: { propagationPolicy: c.policy } });
      assert.equal(d.status, 200);
      const g = await s.api.request('GET', '/apis/apps/v1/namespaces/default/deployments/web');
      if (!c.finalizers) {
        assert.equal(d.json.kind, 'Status');
        assert.equal(g.status, 404);
        return;
      }
      assert.equal(g.status, 200);
      assert.deepEqual(g.json.metadata.finalizers, c.finalizers);
      assert.ok(g.json.metadata.deletionTimestamp);
    });
  }

  it('compacts to the revision seen one interval earlier', async () => {
    const s = await startCoreServer({ compactionIntervalMs: 50 });
    servers.push(s);
    const before = await s.store.currentRevision();
    await s.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'x' } } });
    const compacted = await eventually(async () => {
      const c = await s.store.compactedRevision();
      return c >= before ? c : undefined;
    });
    assert.ok(compacted <= (await s.store.currentRevision()));
  });

  it('a restart on the same data keeps objects, credentials and the CA, and repoints the kubernetes Service', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-core-restart-'));
    try {
      const open = async () => {
        const store = new SqliteStore(join(dataDir, 'db', 'state.db'));
        const server = await startApiServer({ dataDir, listen: '127.0.0.1:0', store, strategies: testStrategies(), log: silentLogger, patch: testPatch, filters: testFilters });
        return { store, server, api: createApiClient(await readKubeAuth(server.kubeconfigPath)) };
      };
      let a = await open();
      const ca = a.server.caPem;
      const token = a.server.nodeToken;
      const c = await a.api.request('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'kept' } } });
      assert.equal(c.status, 201);
      a.api.close();
      await a.server.close();
      await a.store.close();
      a = await open();
      assert.equal(a.server.caPem, ca);
      assert.equal(a.server.nodeToken, token);
      assert.equal((await a.api.request('GET', '/api/v1/namespaces/default/configmaps/kept')).json.metadata.uid, c.json.metadata.uid);
      const svc = await a.api.request('GET', '/api/v1/namespaces/default/services/kubernetes');
      assert.equal(svc.json.spec.ports[0].targetPort, a.server.port);
      const ep = await a.api.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
      assert.equal(ep.json.subsets[0].ports[0].port, a.server.port);
      const sas = await a.api.request('GET', '/api/v1/serviceaccounts');
      assert.equal(sas.json.items.length, 4, 'bootstrap stays idempotent');
      a.api.close();
      await a.server.close();
      await a.store.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('/readyz fails its etcd check while the datastore does not answer, and recovers', async () => {
    const inner = new MemoryStore();
    let down = false;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'currentRevision') return () => (down ? Promise.reject(new Error('datastore down')) : target.currentRevision());
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const s = await startCoreServer({ store });
    servers.push(s);
    assert.equal((await s.api.request('GET', '/readyz')).status, 200);
    down = true;
    const r = await s.api.request('GET', '/readyz');
    assert.equal(r.status, 500);
    assert.equal(r.body, '[-]etcd failed: reason withheld\nreadyz check failed\n');
    const v = await s.api.request('GET', '/readyz?verbose');
    assert.match(v.body, /\[-\]etcd failed/);
    assert.equal((await s.api.request('GET', '/version')).status, 200);
    down = false;
    assert.equal((await s.api.request('GET', '/readyz')).status, 200);
  });
});
