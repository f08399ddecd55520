// Issue 2 acceptance (reliability.md case A.14, motivated by etcd #14370 "Single node cluster can
// lose a write on crash"): kill -9 `berth server` in the middle of a stream of creates, restart it
// on the same data dir, and check that every create the client saw acknowledged (201) is there
// with the same uid, data and resourceVersion, and that resourceVersions never go backwards: the
// first write after the restart gets a larger RV than any issued before the crash, even when the
// newest object was deleted before the crash (SQLite AUTOINCREMENT, not max(rowid)+1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DATASTORES, startBerthServer, type BerthServer, type DatastoreRun } from '../helpers/berth-server.js';

const PATH = '/api/v1/namespaces/default/configmaps';
const WRITERS = 4;

interface Acked { name: string; uid: string; rv: string; value: string }

/** berth's resourceVersions are decimal revisions; a test may order them (the client contract may not). */
function rvNumber(rv: unknown): number {
  assert.match(String(rv), /^\d+$/, `resourceVersion ${String(rv)} is a decimal revision`);
  return Number(rv);
}

for (const ds of DATASTORES) {
  describe(`kill -9 of berth server during creates on ${ds.name}`, { skip: ds.missing() }, () => {
    let store: DatastoreRun | undefined;
    let srv: BerthServer;

    before(async () => {
      store = await ds.start();
      srv = await startBerthServer({ datastore: store.url });
    });
    after(async () => {
      await srv?.stop();
      await store?.stop();
    });

    it('loses no acknowledged create and never reuses or lowers a resourceVersion', async () => {
      const acked: Acked[] = [];
      let attempted = 0;
      let stop = false;
      let seq = 0;
      const writer = async (w: number): Promise<void> => {
        while (!stop) {
          const n = seq++;
          const name = `crash-${w}-${n}`;
          const value = `value-${n}-${'z'.repeat(n % 200)}`;
          attempted++;
          try {
            const r = await srv.api.request('POST', PATH, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: value } }, timeoutMs: 10_000 });
            if (r.status !== 201) {
              if (stop) return;
              throw new Error(`create ${name}: ${r.status} ${r.body.slice(0, 300)}`);
            }
            acked.push({ name, uid: r.json.metadata.uid, rv: r.json.metadata.resourceVersion, value });
          } catch (e) {
            if (stop) return; // the server died under us: this write is unacknowledged, may or may not exist
            throw e;
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      // Kill at a moment that depends on the run (somewhere after 100-300 acknowledged creates).
      const killAt = 100 + Math.floor(Math.random() * 200);
      const deadline = Date.now() + 120_000;
      while (acked.length < killAt) {
        if (Date.now() > deadline) throw new Error(`only ${acked.length} creates acknowledged in 120 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      // SIGKILL goes out synchronously inside kill9(), before `stop` is set, so every writer still
      // has a create outstanding when the server dies (setting `stop` first let the writers
      // drain, and a fast server then acknowledged everything before the kill).
      const killed = srv.kill9();
      stop = true;
      await killed;
      await Promise.all(writers);
      const before = acked.slice();
      assert.ok(before.length >= killAt, 'the writers ran');
      assert.ok(attempted > before.length, `creates were in flight when the server died (${attempted} sent, ${before.length} acknowledged)`);

      await srv.restart();

      const missing: string[] = [];
      const changed: string[] = [];
      for (const a of before) {
        const r = await srv.api.request('GET', `${PATH}/${a.name}`);
        if (r.status === 404) { missing.push(a.name); continue; }
        assert.equal(r.status, 200, r.body);
        const o = r.json;
        if (o.metadata.uid !== a.uid || o.metadata.resourceVersion !== a.rv || o.data?.v !== a.value) changed.push(`${a.name}: ${JSON.stringify({ uid: o.metadata.uid, rv: o.metadata.resourceVersion })} != ${JSON.stringify({ uid: a.uid, rv: a.rv })}`);
      }
      assert.deepEqual(missing, [], `${missing.length} of ${before.length} acknowledged creates were lost`);
      assert.deepEqual(changed, [], 'acknowledged objects came back with other content');

      const rvs = before.map((a) => rvNumber(a.rv));
      assert.equal(new Set(rvs).size, rvs.length, 'every acknowledged create got its own resourceVersion');
      const maxBefore = Math.max(...rvs);
      const list = await srv.api.request('GET', PATH);
      assert.equal(list.status, 200);
      assert.ok(rvNumber(list.json.metadata.resourceVersion) >= maxBefore, `list RV ${list.json.metadata.resourceVersion} < ${maxBefore} after restart`);

      const after1 = await srv.api.request('POST', PATH, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-restart' }, data: { v: '1' } } });
      assert.equal(after1.status, 201, after1.body);
      const rvAfter = rvNumber(after1.json.metadata.resourceVersion);
      assert.ok(rvAfter > rvNumber(list.json.metadata.resourceVersion), `first create after restart got RV ${rvAfter}, not above ${list.json.metadata.resourceVersion}`);

      // Delete the newest object, crash, restart: the next RV must still be above the deleted one's.
      const del = await srv.api.request('DELETE', `${PATH}/after-restart`);
      assert.ok(del.status === 200 || del.status === 202, del.body);
      await srv.kill9();
      await srv.restart();
      const after2 = await srv.api.request('POST', PATH, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-delete' }, data: { v: '2' } } });
      assert.equal(after2.status, 201, after2.body);
      assert.ok(rvNumber(after2.json.metadata.resourceVersion) > rvAfter, `RV ${after2.json.metadata.resourceVersion} after deleting the newest object (${rvAfter}) and a crash`);
      const gone = await srv.api.request('GET', `${PATH}/after-restart`);
      assert.equal(gone.status, 404, 'the acknowledged delete survived the crash');
    });
  });
}
