// SqliteStore: the Store contract on one SQLite file, in kine's one-table log design
// (k3s-io/kine pkg/drivers/sqlite, pkg/logstructured/sqllog).
//
// Table `kine`: every write appends one row; its id IS the revision.
//   id               INTEGER PRIMARY KEY AUTOINCREMENT  revision of this write; AUTOINCREMENT never
//                                                       reuses an id, even after the newest rows are
//                                                       compacted away, so revisions never go back
//   name             the key
//   created          1 when this row created the key (its createRevision is then its own id)
//   deleted          1 when this row deleted the key (value = the last value)
//   create_revision  the key's createRevision (0 on created rows: it is the row's own id)
//   prev_revision    modRevision of the row this one supersedes (0 for a first create)
//   value, old_value the new value and the value before this write (for prevKv without a join)
// UNIQUE (name, prev_revision) makes two writers that both read the same version collide on the
// insert, which is how kine turns a lost compare-and-swap race into a conflict.
// The current value of a key is its newest row (unless that row is a deletion); the value as of
// revision R is its newest row with id <= R.
//
// Table `berth_meta` holds compact_rev: compaction deletes, at or below compact_rev, every row
// superseded by a newer row at or below compact_rev, and every deletion row (the key is gone).
// Reads at, and watches after, compact_rev keep working; older ones fail with Compacted.
//
// Auto-compaction (kine's defaults, pkg/logstructured/sqllog: compactInterval 5m, compactMinRetain
// 1000): every 5 minutes compact to currentRevision - 1000, in batches of 1000 revisions so a long
// backlog never holds the write lock for long. A failed round is logged and the next one retries
// (kine#414 stopped compacting forever after one "database is locked").
//
// Durability: WAL journal, SQLite's own `PRAGMA synchronous = NORMAL`: a commit is written to the
// WAL file (the OS page cache) before its promise resolves, so it survives a crash or kill -9 of
// the process; SQLite fsyncs only at checkpoints, which keeps the database file consistent on power
// loss. better-sqlite3 is synchronous, so SQLite's `synchronous = FULL` would run an fsync on the
// one JS thread for every commit and stall every other request behind it (milliseconds each, tens
// on a busy disk: it made a paced 100 creates/s queue up for seconds). Instead, with
// `synchronous: 'FULL'` (our default) a write is acknowledged only after an fdatasync of the WAL
// file has completed on libuv's thread pool, started after its commit: acknowledged writes still
// survive power loss, the event loop never waits on the disk, and concurrent writes share one
// fdatasync (group commit). A write reported to watchers or readers before that sync completes
// can be lost on power loss only if it was never acknowledged. `synchronous: 'NORMAL'` skips that
// fdatasync (durable across process crashes, not power loss).
//
// Checkpoints: SQLite's automatic checkpoint runs inside the commit that crosses 1000 WAL pages
// and fsyncs the WAL and the database file there, on the JS thread. The store turns it off and asks
// a worker thread with its own connection for a PASSIVE checkpoint (which never blocks writers)
// every CHECKPOINT_EVERY commits instead. SQLite starts the WAL over at the next write once a
// checkpoint has copied all of it, so the worker repeats its PASSIVE round while writes landed
// during the previous one (each round copies only that tail). Only when the WAL still exceeds
// RESTART_FRAMES (a write rate the checkpoints cannot catch up with) do new writes wait in a JS
// queue (the event loop keeps serving) while the worker runs a RESTART checkpoint, which bounds the
// file. When the worker cannot start or fails, SQLite's automatic checkpoint is switched back on.
//
// Reads: the key's newest row at or below a revision comes from the (name, id) index through a
// correlated MAX per row, scanned in name order, so a page of a list stops after `limit` keys
// instead of grouping the whole prefix first; watch catch-up scans the log by id from the
// watcher's revision, not the whole prefix.
//
// Watch: writes are synchronous (better-sqlite3), and each committed row is published to the
// WatchHub in the same tick; watchers that start in the past or fall behind read the table.
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { silentLogger, type Logger } from '../../common/log.js';
import { StoreError, type KeyValue, type ListOptions, type ListResult, type Store, type WatchEvent } from '../types.js';
import { prefixEnd, WatchHub, type WatchHubOptions } from '../watch-hub.js';
import { checkValueSize, MAX_VALUE_BYTES } from '../limits.js';

/** Cancels a scheduled repeating task. */
export type Cancel = () => void;
/** Runs `fn` every `ms` milliseconds until cancelled; injectable so tests drive compaction. */
export type Scheduler = (fn: () => void, ms: number) => Cancel;

const defaultScheduler: Scheduler = (fn, ms) => {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
};

export interface SqliteStoreOptions extends WatchHubOptions {
  /**
   * 'FULL' (default): a write resolves after an fdatasync of the WAL (off the event loop, shared by
   * concurrent writes), durable across power loss. 'NORMAL': resolves after the commit, durable
   * across process crashes (kill -9) only.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Auto-compaction period in ms (default 300000, kine's 5 minutes); 0 disables it. */
  compactIntervalMs?: number;
  /** Revisions kept below the current one by auto-compaction (default 1000, kine's minimum retain). */
  compactKeepRevisions?: number;
  /** Timer for auto-compaction (default setInterval, unref'd). */
  scheduler?: Scheduler;
  /** Largest value accepted, in bytes (default MAX_VALUE_BYTES). */
  maxValueBytes?: number;
  log?: Logger;
}

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
  old_value: string | null;
}

const COLUMNS = 'id, name, created, deleted, create_revision, prev_revision, value, old_value';
const COMPACT_BATCH = 1000;
/** Commits between checkpoint requests to the checkpoint worker (a pod write is a few WAL pages). */
const CHECKPOINT_EVERY = 200;
/** WAL size, in pages, above which writes pause for a RESTART checkpoint (see the header). */
const RESTART_FRAMES = 16_384;

/**
 * The checkpoint worker: its own connection; per message one RESTART checkpoint, or PASSIVE
 * rounds until one copies the whole WAL (at most 8). Answers with the WAL's size in pages.
 */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
parentPort.on('message', (mode) => {
  try {
    let r;
    if (mode === 'RESTART') r = db.pragma('wal_checkpoint(RESTART)')[0];
    else for (let i = 0; i < 8; i++) {
      r = db.pragma('wal_checkpoint(PASSIVE)')[0];
      if (r.checkpointed >= r.log) break;
    }
    parentPort.postMessage({ ok: true, mode, log: r.log });
  } catch (e) {
    parentPort.postMessage({ ok: false, mode, error: String(e && e.message) });
  }
});
`;

/** The Store contract on a SQLite database file (created if missing). */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly hub: WatchHub;
  private readonly log: Logger;
  private readonly maxValueBytes: number;
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly insert: Database.Statement;
  private readonly latestRow: Database.Statement;
  private rev: number;
  private compacted: number;
  private closed = false;
  private readonly cancelAuto?: Cancel;
  private readonly keep: number;
  private readonly durable: boolean;
  /** The fdatasync in flight, and the one queued behind it for commits made while it runs. */
  private syncing?: Promise<void>;
  private syncQueued?: Promise<void>;
  private walFile?: FileHandle;
  private checkpointer?: Worker;
  private checkpointBusy = false;
  private commitsSinceCheckpoint = 0;
  /** Set while the worker restarts the WAL: writes wait for it. */
  private writeGate?: Promise<void>;
  private openGate?: () => void;

  /** Opens (creating when needed) the database at `path`, an absolute file path. */
  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    this.log = (opts.log ?? silentLogger).child({ component: 'storage', backend: 'sqlite' });
    this.maxValueBytes = opts.maxValueBytes ?? MAX_VALUE_BYTES;
    this.keep = opts.compactKeepRevisions ?? 1000;
    this.durable = (opts.synchronous ?? 'FULL') === 'FULL';
    mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS kine (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL,
          created INTEGER NOT NULL,
          deleted INTEGER NOT NULL,
          create_revision INTEGER NOT NULL,
          prev_revision INTEGER NOT NULL,
          value TEXT NOT NULL,
          old_value TEXT
        );
        CREATE INDEX IF NOT EXISTS kine_name_index ON kine (name, id);
        CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
        CREATE TABLE IF NOT EXISTS berth_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      `);
    } catch (e) {
      throw new StoreError('Unavailable', `cannot open SQLite database ${path}: ${(e as Error).message}`);
    }
    this.insert = this.db.prepare(
      'INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value, old_value) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.latestRow = this.db.prepare(`SELECT ${COLUMNS} FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1`);
    const seq = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").get() as { seq: number } | undefined;
    this.rev = seq?.seq ?? 0;
    const meta = this.db.prepare("SELECT value FROM berth_meta WHERE key = 'compact_rev'").get() as { value: number } | undefined;
    this.compacted = meta?.value ?? 0;
    this.hub = new WatchHub(
      {
        readAfter: (prefix, after, limit) => this.readAfter(prefix, after, limit),
        compactedRevision: () => this.compacted,
      },
      opts,
    );
    const interval = opts.compactIntervalMs ?? 300_000;
    if (interval > 0) this.cancelAuto = (opts.scheduler ?? defaultScheduler)(() => this.autoCompact(), interval);
    this.startCheckpointer();
    this.log.debug({ path, revision: this.rev, compacted: this.compacted }, 'opened sqlite store');
  }

  /** See Store.currentRevision. */
  async currentRevision(): Promise<number> {
    this.check();
    return this.rev;
  }

  /** See Store.compactedRevision. */
  async compactedRevision(): Promise<number> {
    this.check();
    return this.compacted;
  }

  /** See Store.get. */
  async get(key: string): Promise<KeyValue | undefined> {
    this.check();
    const row = this.latestRow.get(key) as Row | undefined;
    return row && !row.deleted ? toKv(row) : undefined;
  }

  /** See Store.list. */
  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.check();
    const at = opts.revision && opts.revision > 0 ? opts.revision : this.rev;
    if (at < this.compacted) throw new StoreError('Compacted', `required revision ${at} has been compacted (compacted revision ${this.compacted})`);
    if (at > this.rev) throw new StoreError('Invalid', `required revision ${at} is a future revision (current revision ${this.rev})`);
    const { where, params } = prefixWhere(prefix);
    const after = opts.startAfter !== undefined ? ' AND name > @after' : '';
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const sql =
      `SELECT ${COLUMNS} FROM kine WHERE ${where}${after} AND id <= @rev AND deleted = 0` +
      ` AND id = (SELECT MAX(k2.id) FROM kine k2 WHERE k2.name = kine.name AND k2.id <= @rev)` +
      ` ORDER BY name${limit ? ' LIMIT @limit' : ''}`;
    const rows = this.stmt(sql).all({ ...params, after: opts.startAfter, rev: at, limit: limit + 1 }) as Row[];
    const more = limit > 0 && rows.length > limit;
    return { items: (more ? rows.slice(0, limit) : rows).map(toKv), revision: at, more };
  }

  /** See Store.count. */
  async count(prefix: string): Promise<number> {
    this.check();
    const { where, params } = prefixWhere(prefix);
    const sql = `SELECT COUNT(*) AS n FROM kine WHERE ${where} AND deleted = 0 AND id = (SELECT MAX(k2.id) FROM kine k2 WHERE k2.name = kine.name)`;
    return (this.stmt(sql).get(params) as { n: number }).n;
  }

  /** See Store.create. */
  async create(key: string, value: string): Promise<KeyValue> {
    this.check();
    checkValueSize(value, this.maxValueBytes);
    const row = await this.write(() => {
      const cur = this.latestRow.get(key) as Row | undefined;
      if (cur && !cur.deleted) throw new StoreError('AlreadyExists', `key ${key} already exists`);
      return [key, 1, 0, 0, cur ? cur.id : 0, value, null] as const;
    }, 'AlreadyExists');
    return toKv(row);
  }

  /** See Store.update. */
  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.check();
    checkValueSize(value, this.maxValueBytes);
    const row = await this.write(() => {
      const cur = this.current(key, expectedModRevision);
      return [key, 0, 0, cur.createRevision, cur.modRevision, value, cur.value] as const;
    }, 'Conflict');
    return toKv(row);
  }

  /** See Store.delete. */
  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.check();
    const row = await this.write(() => {
      const cur = this.current(key, expectedModRevision);
      return [key, 0, 1, cur.createRevision, cur.modRevision, cur.value, cur.value] as const;
    }, 'Conflict');
    return toKv(row);
  }

  /** See Store.watch. */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    this.check();
    return this.hub.watch(prefix, afterRevision, signal);
  }

  /** See Store.compact. Compacting at or below the compacted revision does nothing. */
  async compact(revision: number): Promise<void> {
    this.check();
    if (revision > this.rev) throw new StoreError('Invalid', `required revision ${revision} is a future revision (current revision ${this.rev})`);
    this.compactTo(revision);
  }

  /** See Store.close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelAuto?.();
    const worker = this.checkpointer;
    this.checkpointer = undefined;
    await worker?.terminate();
    this.releaseGate();
    this.hub.closeAll();
    await Promise.allSettled([this.syncing, this.syncQueued]);
    this.db.close();
    await this.walFile?.close().catch(() => undefined);
  }

  /** One auto-compaction round (the scheduler calls it); errors are logged, never thrown. */
  autoCompact(): void {
    if (this.closed) return;
    const target = this.rev - this.keep;
    if (target <= this.compacted) return;
    try {
      this.compactTo(target);
      this.log.debug({ revision: target }, 'compacted');
    } catch (e) {
      this.log.warn({ err: e, revision: target }, 'compaction failed; retrying next round');
    }
  }

  private compactTo(revision: number): void {
    // A batch (from, to] deletes, among the keys written in it, every row at or below `to` that is
    // a deletion or is superseded by a newer row at or below `to`. Keys not written in the batch
    // already have only their newest row at or below `from` left.
    const del = this.stmt(
      'DELETE FROM kine WHERE name IN (SELECT name FROM kine WHERE id > @from AND id <= @to) AND id <= @to ' +
        'AND (deleted = 1 OR id < (SELECT MAX(k2.id) FROM kine k2 WHERE k2.name = kine.name AND k2.id <= @to))',
    );
    const setMeta = this.stmt(
      "INSERT INTO berth_meta (key, value) VALUES ('compact_rev', @to) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    while (this.compacted < revision) {
      const from = this.compacted;
      const to = Math.min(from + COMPACT_BATCH, revision);
      this.db.transaction(() => {
        del.run({ from, to });
        setMeta.run({ to });
      }).immediate();
      this.compacted = to;
    }
  }

  /** The key's current value, checking the optional expected modRevision. */
  private current(key: string, expectedModRevision: number | undefined): KeyValue {
    const row = this.latestRow.get(key) as Row | undefined;
    if (!row || row.deleted) throw new StoreError('NotFound', `key ${key} not found`);
    const cur = toKv(row);
    if (expectedModRevision !== undefined && cur.modRevision !== expectedModRevision) {
      throw new StoreError('Conflict', `key ${key} has modRevision ${cur.modRevision}, expected ${expectedModRevision}`, cur);
    }
    return cur;
  }

  /**
   * Appends one row chosen by `decide` (which reads the current state) in one immediate
   * transaction, then publishes it, and (when durable) resolves once an fdatasync started after
   * the commit completed. A unique-index collision means another writer won the race.
   */
  private async write(decide: () => readonly [string, number, number, number, number, string, string | null], raced: 'AlreadyExists' | 'Conflict'): Promise<Row> {
    if (this.writeGate) {
      await this.writeGate;
      this.check();
    }
    let row: Row;
    try {
      row = this.db.transaction(() => {
        const args = decide();
        const id = Number(this.insert.run(...args).lastInsertRowid);
        const [name, created, deleted, create_revision, prev_revision, value, old_value] = args;
        return { id, name, created, deleted, create_revision, prev_revision, value, old_value };
      }).immediate();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      const err = e as { code?: string; message: string };
      if (err.code === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreError(raced, `concurrent write to the same key: ${err.message}`);
      if (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_FULL' || err.code === 'SQLITE_IOERR') {
        throw new StoreError('Unavailable', `sqlite: ${err.message}`);
      }
      throw e;
    }
    this.rev = Math.max(this.rev, row.id);
    this.hub.publish(toEvent(row));
    if (this.checkpointer && ++this.commitsSinceCheckpoint >= CHECKPOINT_EVERY && !this.checkpointBusy) {
      this.commitsSinceCheckpoint = 0;
      this.checkpointBusy = true;
      this.checkpointer.postMessage('PASSIVE');
    }
    if (this.durable) await this.syncWal();
    return row;
  }

  /** Moves WAL checkpoints to a worker thread; on any failure SQLite's automatic checkpoint returns. */
  private startCheckpointer(): void {
    const fallBack = (err: unknown): void => {
      if (this.checkpointer) this.log.warn({ err }, 'checkpoint worker failed; using SQLite automatic checkpoints');
      this.checkpointer = undefined;
      this.releaseGate();
      if (!this.closed) this.db.pragma('wal_autocheckpoint = 1000');
    };
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { driver, path: this.path } });
      worker.unref();
      worker.on('message', (m: { ok: boolean; mode: string; log?: number; error?: string }) => {
        if (!m.ok) this.log.warn({ error: m.error, mode: m.mode }, 'WAL checkpoint failed; retrying later');
        if (m.mode === 'PASSIVE' && (m.log ?? 0) > RESTART_FRAMES && this.checkpointer === worker) {
          this.writeGate = new Promise((resolve) => {
            this.openGate = resolve;
          });
          worker.postMessage('RESTART');
          return;
        }
        this.releaseGate();
        this.checkpointBusy = false;
      });
      worker.on('error', fallBack);
      worker.on('exit', (code) => {
        if (this.checkpointer === worker) fallBack(new Error(`checkpoint worker exited with code ${code}`));
      });
      this.checkpointer = worker;
      this.db.pragma('wal_autocheckpoint = 0');
    } catch (e) {
      fallBack(e);
    }
  }

  /** Lets writes waiting for a WAL restart proceed. */
  private releaseGate(): void {
    const open = this.openGate;
    this.writeGate = undefined;
    this.openGate = undefined;
    open?.();
  }

  /**
   * Resolves after an fdatasync of the WAL that started after this call. While one sync runs,
   * every caller shares the single sync queued behind it (group commit).
   */
  private syncWal(): Promise<void> {
    if (this.syncQueued) return this.syncQueued;
    if (!this.syncing) {
      const p = this.datasync().finally(() => {
        if (this.syncing === p) this.syncing = undefined;
      });
      this.syncing = p;
      return p;
    }
    const next = this.syncing
      .catch(() => undefined)
      .then(() => {
        this.syncQueued = undefined;
        return this.syncWal();
      });
    this.syncQueued = next;
    return next;
  }

  /** One fdatasync of the WAL file (of the database file when no WAL exists), on the thread pool. */
  private async datasync(): Promise<void> {
    try {
      if (!this.walFile) {
        try {
          this.walFile = await open(`${this.path}-wal`, 'r');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          // No WAL: everything committed was checkpointed into the database file.
          const db = await open(this.path, 'r');
          try {
            await db.datasync();
          } finally {
            await db.close();
          }
          return;
        }
      }
      await this.walFile.datasync();
    } catch (e) {
      throw new StoreError('Unavailable', `sqlite: syncing the write-ahead log failed: ${(e as Error).message}`);
    }
  }

  private readAfter(prefix: string, after: number, limit: number): WatchEvent[] {
    const { where, params } = prefixWhere(prefix, '+name');
    // `+name` keeps the planner off the name index: a catch-up walks the log from `after` by id.
    const rows = this.stmt(`SELECT ${COLUMNS} FROM kine WHERE id > @after AND ${where} ORDER BY id LIMIT @limit`).all({
      ...params,
      after,
      limit,
    }) as Row[];
    return rows.map(toEvent);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private check(): void {
    if (this.closed) throw new StoreError('Unavailable', 'store is closed');
  }
}

/**
 * SQL condition selecting names under `prefix` (index-friendly range plus an exact check) on
 * column expression `name` (`+name` to keep the planner off the name indexes).
 */
function prefixWhere(prefix: string, name = 'name'): { where: string; params: Record<string, string> } {
  if (prefix === '') return { where: '1 = 1', params: {} };
  const end = prefixEnd(prefix);
  return {
    where: `${name} >= @lo${end !== undefined ? ` AND ${name} < @hi` : ''} AND substr(${name}, 1, length(@lo)) = @lo`,
    params: end !== undefined ? { lo: prefix, hi: end } : { lo: prefix },
  };
}

function createRevision(row: Row): number {
  return row.created ? row.id : row.create_revision;
}

function toKv(row: Row): KeyValue {
  return { key: row.name, value: row.value, createRevision: createRevision(row), modRevision: row.id };
}

function toEvent(row: Row): WatchEvent {
  const kv = toKv(row);
  const ev: WatchEvent = { type: row.deleted ? 'DELETE' : 'PUT', kv, revision: row.id };
  if (!row.created && row.prev_revision > 0 && row.old_value !== null) {
    ev.prevKv = { key: row.name, value: row.old_value, createRevision: kv.createRevision, modRevision: row.prev_revision };
  }
  return ev;
}
