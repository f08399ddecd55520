import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore, parseDatastoreUrl, SqliteStore, StoreError } from './index.js';

describe('parseDatastoreUrl', () => {
  const ok = [
    { name: 'sqlite absolute path', url: 'sqlite:///var/lib/berth/db/state.db', want: { kind: 'sqlite', path: '/var/lib/berth/db/state.db' } },
    { name: 'one etcd endpoint', url: 'etcd://127.0.0.1:2379', want: { kind: 'etcd', endpoints: ['http://127.0.0.1:2379'] } },
    {
      name: 'several etcd endpoints, hostnames and IPv6',
      url: 'etcd://etcd-0.local:2379,[::1]:2380,10.0.0.3:12379',
      want: { kind: 'etcd', endpoints: ['http://etcd-0.local:2379', 'http://[::1]:2380', 'http://10.0.0.3:12379'] },
    },
  ];
  for (const c of ok) it(c.name, () => assert.deepEqual(parseDatastoreUrl(c.url), c.want));

  const bad = [
    { name: 'relative sqlite path', url: 'sqlite://db/state.db', why: 'the SQLite path must be absolute' },
    { name: 'sqlite directory', url: 'sqlite:///var/lib/', why: 'the SQLite path names a directory' },
    { name: 'etcd without endpoints', url: 'etcd://', why: 'no etcd endpoints' },
    { name: 'etcd endpoint without port', url: 'etcd://127.0.0.1', why: 'bad endpoint "127.0.0.1"' },
    { name: 'etcd port out of range', url: 'etcd://127.0.0.1:70000', why: 'bad endpoint "127.0.0.1:70000"' },
    { name: 'unknown scheme', url: 'postgres://localhost/berth', why: 'unknown scheme' },
    { name: 'bare path', url: '/var/lib/berth/state.db', why: 'unknown scheme' },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => parseDatastoreUrl(c.url), (e: unknown) => {
        assert.ok(e instanceof StoreError);
        assert.equal(e.code, 'Invalid');
        assert.equal(e.message, `invalid datastore URL "${c.url}": ${c.why}; expected sqlite:///ABSOLUTE/PATH or etcd://HOST:PORT[,HOST:PORT...]`);
        return true;
      });
    });
  }
});

describe('openStore', () => {
  it('opens a SqliteStore, creating the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-open-'));
    try {
      const store = await openStore(`sqlite://${dir}/db/state.db`, { sqlite: { compactIntervalMs: 0 } });
      assert.ok(store instanceof SqliteStore);
      assert.equal((await store.create('/a', 'x')).modRevision, 1);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with Unavailable when no etcd answers', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    await assert.rejects(openStore('etcd://127.0.0.1:1', { etcdConnectTimeoutMs: 1500 }), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'Unavailable');
      assert.match(e.message, /^cannot reach etcd at http:\/\/127\.0\.0\.1:1: /);
      return true;
    });
  });
});
