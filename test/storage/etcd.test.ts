// The Store contract against a real etcd (Debian's etcd-server 3.4) on loopback, plus the
// behaviour only etcd has: a server restart under an open client, and a kill -9.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runStoreContract, take } from '../../src/storage/contract.js';
import { StoreError } from '../../src/storage/index.js';
import { EtcdStore } from '../../src/storage/etcd/index.js';
import { etcdMissing, startEtcd } from '../helpers/etcd.js';

const missing = etcdMissing();

if (missing) {
  describe('Store contract: EtcdStore', () => {
    it('needs etcd', (t) => t.skip(missing));
  });
} else {
  runStoreContract('EtcdStore', async () => {
    const etcd = await startEtcd();
    const open = (): EtcdStore => new EtcdStore({ endpoints: etcd.endpoints, bufferSize: 16 });
    let store = open();
    return {
      store,
      reopen: async () => {
        await store.close();
        await etcd.restart();
        store = open();
        return store;
      },
      cleanup: async () => {
        await store.close();
        await etcd.stop();
      },
      watchBufferSize: 16,
    };
  });

  describe('EtcdStore', () => {
    it('keeps acknowledged writes and the revision across kill -9 of etcd', async () => {
      const etcd = await startEtcd();
      try {
        let store = new EtcdStore({ endpoints: etcd.endpoints });
        const acked: number[] = [];
        for (let i = 0; i < 20; i++) acked.push((await store.create(`/crash/${i}`, String(i))).modRevision);
        await store.close();
        await etcd.kill();
        await etcd.restart();
        store = new EtcdStore({ endpoints: etcd.endpoints });
        const list = await store.list('/crash/');
        assert.equal(list.items.length, 20);
        assert.ok((await store.currentRevision()) >= acked[acked.length - 1]);
        await store.close();
      } finally {
        await etcd.stop();
      }
    });

    it('a watch open across an etcd restart ends with Unavailable, and re-watching loses nothing', async () => {
      const etcd = await startEtcd();
      const store = new EtcdStore({ endpoints: etcd.endpoints, callTimeoutMs: 5000 });
      try {
        const start = await store.currentRevision();
        const ac = new AbortController();
        const it = store.watch('/r/', start, ac.signal)[Symbol.asyncIterator]();
        const a = store.create('/r/a', '1');
        const [ev] = await take(it, 1);
        await a;
        await etcd.restart();
        let error: unknown;
        try {
          await take(it, 1, 20_000);
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof StoreError && error.code === 'Unavailable', `expected StoreError(Unavailable), got ${String(error)}`);
        ac.abort();
        // Writes after the restart reach a new watch from the last delivered revision.
        let b: Awaited<ReturnType<EtcdStore['create']>> | undefined;
        for (const deadline = Date.now() + 20_000; !b; ) {
          try {
            b = await store.create('/r/b', '2');
          } catch (e) {
            if (Date.now() > deadline) throw e;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        const ac2 = new AbortController();
        const it2 = store.watch('/r/', ev.revision, ac2.signal)[Symbol.asyncIterator]();
        const [next] = await take(it2, 1);
        ac2.abort();
        assert.deepEqual([next.type, next.kv.key, next.revision], ['PUT', '/r/b', b.modRevision]);
      } finally {
        await store.close();
        await etcd.stop();
      }
    });

    it('reports Unavailable when etcd is down', async () => {
      const etcd = await startEtcd();
      const store = new EtcdStore({ endpoints: etcd.endpoints, callTimeoutMs: 2000 });
      try {
        await store.create('/x', '1');
        await etcd.kill();
        await assert.rejects(store.get('/x'), { name: 'StoreError', code: 'Unavailable' });
      } finally {
        await store.close();
        await etcd.stop();
      }
    });
  });
}
