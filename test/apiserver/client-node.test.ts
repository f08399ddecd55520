// Issue 2 acceptance: a second real client, @kubernetes/client-node, loads the kubeconfig that
// `berth server` writes, lists pods, and runs an informer (list + watch through its ListWatch)
// that sees the add, update and delete of pods made with kubectl. Both datastores.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { DATASTORES, startBerthServer, type BerthServer, type DatastoreRun } from '../helpers/berth-server.js';
import { kubectl, kubectlMissing, writeManifest, type KubectlResult } from '../helpers/kubectl.js';

const NS = 'informed';

function ok(r: KubectlResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

/** Polls `cond` until it holds or the deadline passes (no fixed sleeps: waiting on a real server). */
async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const ds of DATASTORES) {
  const skip = kubectlMissing() ?? ds.missing();
  describe(`@kubernetes/client-node against berth server on ${ds.name}`, { skip }, () => {
    let store: DatastoreRun | undefined;
    let srv: BerthServer;
    let kc: KubeConfig;
    let core: CoreV1Api;

    before(async () => {
      store = await ds.start();
      srv = await startBerthServer({ datastore: store.url });
      kc = new KubeConfig();
      kc.loadFromFile(srv.kubeconfig);
      core = kc.makeApiClient(CoreV1Api);
      ok(await kubectl(srv, ['apply', '-f', await writeManifest(srv.home, 'ns.yaml', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })]), 'create namespace');
    });
    after(async () => {
      await srv?.stop();
      await store?.stop();
    });

    it('lists the pods kubectl created', async () => {
      ok(await kubectl(srv, ['run', 'listed-a', '--image=nginx:1.25', '-n', NS]), 'run listed-a');
      ok(await kubectl(srv, ['run', 'listed-b', '--image=nginx:1.25', '--labels=app=b', '-n', NS]), 'run listed-b');
      const list = await core.listNamespacedPod({ namespace: NS });
      assert.deepEqual(list.items.map((p) => p.metadata?.name), ['listed-a', 'listed-b']);
      assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
      const selected = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=b' });
      assert.deepEqual(selected.items.map((p) => p.metadata?.name), ['listed-b']);
      const pod = await core.readNamespacedPod({ namespace: NS, name: 'listed-a' });
      assert.equal(pod.spec?.containers[0].image, 'nginx:1.25');
      assert.equal(pod.status?.phase, 'Pending');
    });

    it('an informer sees add, update and delete of pods made with kubectl', async () => {
      const seen: Array<{ verb: string; name: string; rv: string; labels: Record<string, string> }> = [];
      const errors: unknown[] = [];
      const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${NS}/pods`, () => core.listNamespacedPod({ namespace: NS }));
      for (const verb of ['add', 'update', 'delete'] as const) {
        informer.on(verb, (p) => seen.push({ verb, name: p.metadata?.name ?? '', rv: p.metadata?.resourceVersion ?? '', labels: p.metadata?.labels ?? {} }));
      }
      informer.on('error', (e) => errors.push(e));
      await informer.start();
      try {
        // The initial list delivers the existing pods as adds.
        await waitFor('adds of the listed pods', () => ['listed-a', 'listed-b'].every((n) => seen.some((e) => e.verb === 'add' && e.name === n)));

        ok(await kubectl(srv, ['run', 'watched', '--image=nginx:1.25', '-n', NS]), 'run watched');
        await waitFor('add of watched', () => seen.some((e) => e.verb === 'add' && e.name === 'watched'));

        ok(await kubectl(srv, ['label', 'pod', 'watched', 'stage=two', '-n', NS]), 'label watched');
        await waitFor('update of watched with the new label', () => seen.some((e) => e.verb === 'update' && e.name === 'watched' && e.labels.stage === 'two'));

        ok(await kubectl(srv, ['delete', 'pod', 'watched', '-n', NS], { timeoutMs: 45_000 }), 'delete watched');
        await waitFor('delete of watched', () => seen.some((e) => e.verb === 'delete' && e.name === 'watched'));

        const mine = seen.filter((e) => e.name === 'watched');
        assert.deepEqual(mine.map((e) => e.verb).filter((v, i, a) => i === 0 || a[i - 1] !== v), ['add', 'update', 'delete'], JSON.stringify(mine));
        const rvs = mine.map((e) => Number(e.rv));
        assert.ok(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]), `resourceVersions increase along the events: ${rvs.join(', ')}`);
        assert.deepEqual(informer.list().map((p) => p.metadata?.name).sort(), ['listed-a', 'listed-b'], 'the informer cache holds exactly the live pods');
        assert.deepEqual(errors, [], 'the informer reported no watch errors');
      } finally {
        await informer.stop();
      }
    });
  });
}
