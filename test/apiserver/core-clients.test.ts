// Two real clients against the in-process API server: berth's own client + informer, and
// @kubernetes/client-node listing and watching pods through its informer.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startCoreServer, type CoreServer, eventually } from './core-fixtures.js';
import { createClient, loadKubeconfig, RESOURCES, startInformer, ApiStatusError, type ApiObject } from '../../src/client/index.js';

describe('API server core: real clients', () => {
  let s: CoreServer;
  before(async () => { s = await startCoreServer(); });
  after(async () => { await s?.stop(); });

  it('berth client: CRUD with Status errors, and an informer that follows changes', async () => {
    const c = createClient(loadKubeconfig(s.server.kubeconfigPath));
    try {
      const added: string[] = [];
      const deleted: string[] = [];
      const inf = startInformer<ApiObject>(c, RESOURCES.configmaps, { namespace: 'default', handlers: { onAdd: (o) => added.push(o.metadata.name!), onDelete: (o) => deleted.push(o.metadata.name!) } });
      await inf.synced();
      assert.ok(inf.get('default', 'kube-root-ca.crt'));
      await c.create(RESOURCES.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inf1' }, data: { a: '1' } });
      await eventually(() => (inf.get('default', 'inf1') ? true : undefined));
      const p = await c.patch(RESOURCES.configmaps, 'default', 'inf1', { data: { a: '2' } });
      assert.equal(p.data.a, '2');
      await eventually(() => (inf.get('default', 'inf1')?.data?.a === '2' ? true : undefined));
      await c.delete(RESOURCES.configmaps, 'default', 'inf1');
      await eventually(() => (deleted.includes('inf1') ? true : undefined));
      assert.ok(added.includes('inf1'));
      await assert.rejects(c.get(RESOURCES.configmaps, 'default', 'inf1'), (e: unknown) => e instanceof ApiStatusError && e.code === 404 && e.reason === 'NotFound' && e.message === 'configmaps "inf1" not found');
      inf.stop();
    } finally {
      c.close();
    }
  });

  it('@kubernetes/client-node lists and watches pods through an informer', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(s.server.kubeconfigPath);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
    const seen: string[] = [];
    const gone: string[] = [];
    informer.on('add', (p) => seen.push(p.metadata!.name!));
    informer.on('delete', (p) => gone.push(p.metadata!.name!));
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'before' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    await informer.start();
    try {
      await eventually(() => (seen.includes('before') ? true : undefined));
      await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'during' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
      await eventually(() => (seen.includes('during') ? true : undefined));
      assert.deepEqual(informer.list('default').map((p) => p.metadata!.name).sort(), ['before', 'during']);
      await core.deleteNamespacedPod({ namespace: 'default', name: 'before' });
      await eventually(() => (gone.includes('before') ? true : undefined));
    } finally {
      await informer.stop();
    }
  });
});
