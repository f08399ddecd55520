// The one contract suite every Store implementation runs (memory.test.ts, sqlite.test.ts,
// test/storage/etcd.test.ts), in the spirit of kine running the upstream storage tests against its
// SQL backend. Tests share nothing but the backend: each works under its own key prefix and
// reasons about revisions relative to what it observed, so one etcd server can serve them all.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { isStoreError, StoreError, type Store, type WatchEvent } from './types.js';

/** One backend under test, as the contract suite receives it from a factory. */
export interface ContractTarget {
  store: Store;
  /**
   * Closes the store and opens a new one on the same data (for etcd: restarts the server too).
   * The suite uses the returned store from then on.
   */
  reopen(): Promise<Store>;
  /** Releases everything the factory created (files, processes). */
  cleanup(): Promise<void>;
  /** True when the backend buffers only this many live events per watcher (slow-watcher test). */
  watchBufferSize?: number;
}

/** Creates a fresh target; called once per suite run. */
export type ContractFactory = () => Promise<ContractTarget>;

/** Reads events from `it` until `n` arrived or `ms` passed (then fails with what arrived). */
export async function take(iter: AsyncIterator<WatchEvent>, n: number, ms = 10_000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      iter.next(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(left, 0));
      }),
    ]).finally(() => clearTimeout(timer));
    if (r === 'timeout') assert.fail(`watch delivered ${out.length} of ${n} events within ${ms} ms`);
    if (r.done) assert.fail(`watch ended after ${out.length} of ${n} events`);
    out.push(r.value);
  }
  return out;
}

async function rejectsWith(p: Promise<unknown>, code: StoreError['code']): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isStoreError(e), `expected StoreError(${code}), got ${String(e)}`);
    assert.equal(e.code, code, `expected StoreError(${code}), got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected StoreError(${code}), but the call succeeded`);
}

function summary(evs: WatchEvent[]): string[] {
  return evs.map((e) => `${e.type} ${e.kv.key}=${e.kv.value}@${e.revision}${e.prevKv ? ` prev=${e.prevKv.value}@${e.prevKv.modRevision}` : ''}`);
}

/** Runs the Store contract against the backend `factory` produces. */
export function runStoreContract(name: string, factory: ContractFactory): void {
  describe(`Store contract: ${name}`, () => {
    let target: ContractTarget;
    let store: Store;
    let seq = 0;
    /** A key prefix no other test uses. */
    const fresh = (): string => `/contract/${Date.now().toString(36)}-${++seq}/`;

    before(async () => {
      target = await factory();
      store = target.store;
    });
    after(async () => {
      await target?.cleanup();
    });

    it('create, get, and AlreadyExists on a second create', async () => {
      const p = fresh();
      const before = await store.currentRevision();
      const kv = await store.create(`${p}a`, 'one');
      assert.equal(kv.modRevision, before + 1);
      assert.equal(kv.createRevision, before + 1);
      assert.deepEqual(await store.get(`${p}a`), { key: `${p}a`, value: 'one', createRevision: kv.createRevision, modRevision: kv.modRevision });
      assert.equal(await store.get(`${p}missing`), undefined);
      await rejectsWith(store.create(`${p}a`, 'two'), 'AlreadyExists');
      assert.equal((await store.get(`${p}a`))?.value, 'one');
      assert.equal(await store.currentRevision(), before + 1, 'a failed create must not take a revision');
    });

    it('update is compare-and-swap on modRevision', async () => {
      const p = fresh();
      const c = await store.create(`${p}a`, 'v1');
      const u = await store.update(`${p}a`, 'v2', c.modRevision);
      assert.equal(u.value, 'v2');
      assert.equal(u.createRevision, c.createRevision);
      assert.equal(u.modRevision, c.modRevision + 1);
      const conflict = await rejectsWith(store.update(`${p}a`, 'v3', c.modRevision), 'Conflict');
      assert.equal(conflict.current?.value, 'v2');
      assert.equal(conflict.current?.modRevision, u.modRevision);
      await rejectsWith(store.update(`${p}missing`, 'x', 1), 'NotFound');
      assert.equal((await store.get(`${p}a`))?.value, 'v2');
    });

    it('delete is compare-and-swap when given a revision and returns the last value', async () => {
      const p = fresh();
      const c = await store.create(`${p}a`, 'v1');
      const u = await store.update(`${p}a`, 'v2', c.modRevision);
      await rejectsWith(store.delete(`${p}a`, c.modRevision), 'Conflict');
      const d = await store.delete(`${p}a`, u.modRevision);
      assert.equal(d.value, 'v2');
      assert.equal(d.createRevision, c.createRevision);
      assert.equal(d.modRevision, u.modRevision + 1);
      assert.equal(await store.get(`${p}a`), undefined);
      await rejectsWith(store.delete(`${p}a`), 'NotFound');
      const again = await store.create(`${p}a`, 'v3');
      assert.equal(again.createRevision, d.modRevision + 1, 'a re-created key starts a new incarnation');
      const d2 = await store.delete(`${p}a`);
      assert.equal(d2.value, 'v3');
    });

    it('list by prefix pages with limit, startAfter and more, at one revision', async () => {
      const p = fresh();
      for (const k of ['pods/c', 'pods/a', 'pods/b', 'pods/e', 'pods/d']) await store.create(`${p}${k}`, k);
      await store.create(`${p}podsx/a`, 'outside');
      await store.create(`${p}pod`, 'outside');
      const all = await store.list(`${p}pods/`);
      assert.deepEqual(all.items.map((i) => i.value), ['pods/a', 'pods/b', 'pods/c', 'pods/d', 'pods/e']);
      assert.equal(all.more, false);
      assert.equal(all.revision, await store.currentRevision());

      const pages: string[][] = [];
      const mores: boolean[] = [];
      let startAfter: string | undefined;
      const rev = all.revision;
      // Writes between pages must not show up: the pages read at the first page's revision.
      await store.create(`${p}pods/bb`, 'late');
      for (;;) {
        const page = await store.list(`${p}pods/`, { limit: 2, startAfter, revision: rev });
        assert.equal(page.revision, rev);
        pages.push(page.items.map((i) => i.value));
        mores.push(page.more);
        if (!page.more) break;
        startAfter = page.items[page.items.length - 1].key;
      }
      assert.deepEqual(pages, [['pods/a', 'pods/b'], ['pods/c', 'pods/d'], ['pods/e']]);
      assert.deepEqual(mores, [true, true, false]);
      const exact = await store.list(`${p}pods/`, { limit: 6 });
      assert.equal(exact.items.length, 6);
      assert.equal(exact.more, false, 'more is false when the limit equals the remaining count');
      assert.equal(await store.count(`${p}pods/`), 6);
      assert.equal(await store.count(`${p}none/`), 0);
    });

    it('list at an old revision shows the state as of that revision', async () => {
      const p = fresh();
      const a = await store.create(`${p}a`, 'a1');
      const b = await store.create(`${p}b`, 'b1');
      const snap = b.modRevision;
      await store.update(`${p}a`, 'a2', a.modRevision);
      await store.delete(`${p}b`);
      await store.create(`${p}c`, 'c1');
      const old = await store.list(p, { revision: snap });
      assert.deepEqual(old.items, [
        { key: `${p}a`, value: 'a1', createRevision: a.createRevision, modRevision: a.modRevision },
        { key: `${p}b`, value: 'b1', createRevision: b.createRevision, modRevision: b.modRevision },
      ]);
      const now = await store.list(p);
      assert.deepEqual(now.items.map((i) => i.value), ['a2', 'c1']);
      await rejectsWith(store.list(p, { revision: (await store.currentRevision()) + 100 }), 'Invalid');
    });

    it('compaction: old revisions fail with Compacted, current values stay', async () => {
      const p = fresh();
      const a = await store.create(`${p}a`, 'a1');
      const a2 = await store.update(`${p}a`, 'a2', a.modRevision);
      const b = await store.create(`${p}b`, 'b1');
      await store.delete(`${p}b`);
      const keep = await store.create(`${p}c`, 'c1');
      await store.compact(keep.modRevision);
      assert.ok((await store.compactedRevision()) >= keep.modRevision);
      await rejectsWith(store.list(p, { revision: b.modRevision }), 'Compacted');
      const atCompact = await store.list(p, { revision: keep.modRevision });
      assert.deepEqual(atCompact.items.map((i) => i.value), ['a2', 'c1']);
      assert.deepEqual(await store.get(`${p}a`), { key: `${p}a`, value: 'a2', createRevision: a.createRevision, modRevision: a2.modRevision });
      const ac = new AbortController();
      const it = store.watch(p, a.modRevision, ac.signal)[Symbol.asyncIterator]();
      await rejectsWith(it.next(), 'Compacted');
      ac.abort();
      // Compacting an already compacted revision is harmless; a future one is invalid.
      await store.compact(a.modRevision);
      await rejectsWith(store.compact((await store.currentRevision()) + 100), 'Invalid');
      // Writes after compaction still get the next revision and watch from the compacted revision works.
      const ac2 = new AbortController();
      const w = store.watch(p, keep.modRevision, ac2.signal)[Symbol.asyncIterator]();
      const u = await store.update(`${p}c`, 'c2', keep.modRevision);
      const [ev] = await take(w, 1);
      ac2.abort();
      assert.deepEqual(summary([ev]), [`PUT ${p}c=c2@${u.modRevision} prev=c1@${keep.modRevision}`]);
    });

    it('watch from a past revision replays history in order, then continues live', async () => {
      const p = fresh();
      const start = await store.currentRevision();
      const a = await store.create(`${p}a`, 'a1');
      const b = await store.create(`${p}b`, 'b1');
      const a2 = await store.update(`${p}a`, 'a2', a.modRevision);
      await store.create('/elsewhere-' + p, 'not watched');
      const db = await store.delete(`${p}b`, b.modRevision);
      const ac = new AbortController();
      const it = store.watch(p, start, ac.signal)[Symbol.asyncIterator]();
      const past = await take(it, 4);
      assert.deepEqual(summary(past), [
        `PUT ${p}a=a1@${a.modRevision}`,
        `PUT ${p}b=b1@${b.modRevision}`,
        `PUT ${p}a=a2@${a2.modRevision} prev=a1@${a.modRevision}`,
        `DELETE ${p}b=b1@${db.modRevision} prev=b1@${b.modRevision}`,
      ]);
      for (const e of past) assert.equal(e.revision, e.kv.modRevision);
      const c = await store.create(`${p}c`, 'c1');
      const live = await take(it, 1);
      assert.deepEqual(summary(live), [`PUT ${p}c=c1@${c.modRevision}`]);
      // A second watch from the middle of history starts after the given revision.
      const ac2 = new AbortController();
      const it2 = store.watch(p, a2.modRevision, ac2.signal)[Symbol.asyncIterator]();
      assert.deepEqual(summary(await take(it2, 2)), [summary(past)[3], summary(live)[0]]);
      ac.abort();
      ac2.abort();
      assert.equal((await it.next()).done, true, 'an aborted watch ends');
      await store.delete(`${p}c`);
    });

    it('watch of deletes carries the deleted value and prevKv', async () => {
      const p = fresh();
      const ac = new AbortController();
      const it = store.watch(p, await store.currentRevision(), ac.signal)[Symbol.asyncIterator]();
      const c = await store.create(`${p}x`, 'x1');
      const d = await store.delete(`${p}x`);
      const evs = await take(it, 2);
      ac.abort();
      assert.equal(evs[1].type, 'DELETE');
      assert.deepEqual(evs[1].kv, { key: `${p}x`, value: 'x1', createRevision: c.createRevision, modRevision: d.modRevision });
      assert.deepEqual(evs[1].prevKv, { key: `${p}x`, value: 'x1', createRevision: c.createRevision, modRevision: c.modRevision });
      assert.equal(evs[1].revision, d.modRevision);
    });

    it('concurrent writers: CAS loses no update and revisions are unique and ordered', async () => {
      const p = fresh();
      await store.create(`${p}counter`, '0');
      const writers = 4;
      const rounds = 25;
      const revs: number[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < rounds; i++) {
            revs.push((await store.create(`${p}w${w}-${i}`, 'x')).modRevision);
            for (;;) {
              const cur = (await store.get(`${p}counter`))!;
              try {
                revs.push((await store.update(`${p}counter`, String(Number(cur.value) + 1), cur.modRevision)).modRevision);
                break;
              } catch (e) {
                if (!isStoreError(e, 'Conflict')) throw e;
              }
            }
          }
        }),
      );
      assert.equal((await store.get(`${p}counter`))?.value, String(writers * rounds));
      assert.equal(new Set(revs).size, revs.length, 'every write has its own revision');
      assert.equal(await store.count(`${p}w`), writers * rounds);
    });

    it('a slow watcher does not block writers and still gets every event in order', async () => {
      const p = fresh();
      const start = await store.currentRevision();
      const ac = new AbortController();
      const it = store.watch(p, start, ac.signal)[Symbol.asyncIterator]();
      const first = store.create(`${p}k0`, '0');
      // Start the watch (it is idle until the first next()) and take one event.
      assert.equal((await take(it, 1))[0].kv.key, `${p}k0`);
      await first;
      const n = Math.max(3 * (target.watchBufferSize ?? 0), 300);
      const t0 = Date.now();
      for (let i = 1; i <= n; i++) await store.create(`${p}k${i}`, String(i));
      const elapsed = Date.now() - t0;
      assert.ok(elapsed < 60_000, `writes took ${elapsed} ms`);
      const rest = await take(it, n, 60_000);
      ac.abort();
      assert.deepEqual(
        rest.map((e) => e.kv.value),
        Array.from({ length: n }, (_, i) => String(i + 1)),
      );
      for (let i = 1; i < rest.length; i++) assert.ok(rest[i].revision > rest[i - 1].revision);
    });

    it('a watcher that fell behind past a compaction ends with Compacted (the API server re-lists)', async () => {
      const p = fresh();
      const ac = new AbortController();
      const it = store.watch(p, await store.currentRevision(), ac.signal)[Symbol.asyncIterator]();
      const first = store.create(`${p}k0`, '0');
      const [ev0] = await take(it, 1);
      await first;
      const n = Math.max(3 * (target.watchBufferSize ?? 0), 300);
      for (let i = 1; i <= n; i++) await store.create(`${p}k${i}`, String(i));
      await store.compact(await store.currentRevision());
      const seen: number[] = [ev0.revision];
      const deadline = Date.now() + 30_000;
      let error: unknown;
      while (Date.now() < deadline) {
        try {
          const r = await it.next();
          if (r.done) break;
          seen.push(r.value.revision);
        } catch (e) {
          error = e;
          break;
        }
      }
      ac.abort();
      assert.ok(isStoreError(error, 'Compacted'), `expected StoreError(Compacted), got ${String(error)} after ${seen.length} events`);
      for (let i = 1; i < seen.length; i++) assert.equal(seen[i], seen[i - 1] + 1, 'events before the error have no gaps');
    });

    it('rejects values over the size limit with etcd\'s message and stores nothing', async () => {
      const p = fresh();
      const big = 'x'.repeat(2 * 1024 * 1024);
      const err = await rejectsWith(store.create(`${p}big`, big), 'Invalid');
      assert.match(err.message, /request is too large/);
      assert.equal(await store.get(`${p}big`), undefined);
    });

    it('revisions never go backwards across close and reopen, and data survives', async () => {
      const p = fresh();
      const a = await store.create(`${p}a`, 'a1');
      const b = await store.create(`${p}b`, 'b1');
      await store.delete(`${p}b`);
      const last = await store.currentRevision();
      await store.compact(last);
      store = await target.reopen();
      assert.equal(await store.currentRevision(), last, 'revision after reopen');
      assert.ok((await store.compactedRevision()) <= last);
      assert.deepEqual(await store.get(`${p}a`), a);
      assert.equal(await store.get(`${p}b`), undefined);
      const c = await store.create(`${p}c`, 'c1');
      assert.equal(c.modRevision, last + 1);
      assert.ok(c.modRevision > b.modRevision);
    });
  });
}
