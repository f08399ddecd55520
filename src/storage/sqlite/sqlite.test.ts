import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runStoreContract } from '../contract.js';
import { SqliteStore } from './sqlite-store.js';

runStoreContract('SqliteStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sqlite-'));
  const path = join(dir, 'db', 'state.db');
  const open = (): SqliteStore => new SqliteStore(path, { bufferSize: 16, pageSize: 8, compactIntervalMs: 0, synchronous: 'NORMAL' });
  let store = open();
  return {
    store,
    reopen: async () => {
      await store.close();
      store = open();
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    watchBufferSize: 16,
  };
});

describe('SqliteStore', () => {
  const withStore = async (fn: (path: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-sqlite-'));
    try {
      await fn(join(dir, 'state.db'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('auto-compaction keeps the configured window of revisions on each tick', () =>
    withStore(async (path) => {
      const ticks: Array<() => void> = [];
      const store = new SqliteStore(path, {
        compactIntervalMs: 60_000,
        compactKeepRevisions: 10,
        scheduler: (fn, ms) => {
          assert.equal(ms, 60_000);
          ticks.push(fn);
          return () => undefined;
        },
      });
      assert.equal(ticks.length, 1);
      let kv = await store.create('/k', '0');
      for (let i = 1; i < 30; i++) kv = await store.update('/k', String(i), kv.modRevision);
      ticks[0]();
      assert.equal(await store.compactedRevision(), 20);
      ticks[0]();
      assert.equal(await store.compactedRevision(), 20, 'no new writes: nothing more to compact');
      await store.close();
      // Only the newest row at or below 20 and the ten after it remain in the log.
      const db = new Database(path, { readonly: true });
      const ids = (db.prepare('SELECT id FROM kine ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
      db.close();
      assert.deepEqual(ids, Array.from({ length: 11 }, (_, i) => 20 + i));
    }));

  it('keeps the log in kine\'s one-table shape', () =>
    withStore(async (path) => {
      const store = new SqliteStore(path, { compactIntervalMs: 0 });
      const c = await store.create('/a', 'v1');
      await store.update('/a', 'v2', c.modRevision);
      await store.delete('/a');
      await store.create('/a', 'v3');
      await store.close();
      const db = new Database(path, { readonly: true });
      const rows = db.prepare('SELECT id, name, created, deleted, create_revision, prev_revision, value, old_value FROM kine ORDER BY id').all();
      db.close();
      assert.deepEqual(rows, [
        { id: 1, name: '/a', created: 1, deleted: 0, create_revision: 0, prev_revision: 0, value: 'v1', old_value: null },
        { id: 2, name: '/a', created: 0, deleted: 0, create_revision: 1, prev_revision: 1, value: 'v2', old_value: 'v1' },
        { id: 3, name: '/a', created: 0, deleted: 1, create_revision: 1, prev_revision: 2, value: 'v2', old_value: 'v2' },
        { id: 4, name: '/a', created: 1, deleted: 0, create_revision: 0, prev_revision: 3, value: 'v3', old_value: null },
      ]);
    }));

  it('a second process writing the same version loses on the unique index', () =>
    withStore(async (path) => {
      const a = new SqliteStore(path, { compactIntervalMs: 0 });
      const kv = await a.create('/k', 'v1');
      // Another writer on the same file appends the next version behind our back.
      const db = new Database(path);
      db.prepare('INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?, 0, 0, ?, ?, ?, ?)')
        .run('/k', kv.createRevision, kv.modRevision, 'other', 'v1');
      db.close();
      // Our store reads the newest row inside its transaction, so it sees the conflict.
      await assert.rejects(a.update('/k', 'mine', kv.modRevision), { name: 'StoreError', code: 'Conflict' });
      await a.close();
    }));
});
