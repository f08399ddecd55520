// bench/apiserver: berth server's API against its own datastore's floor, side by side in one run,
// on SQLite and on etcd. Run: `node --import tsx bench/apiserver/run.ts [--pods N] [--list N] [--watch N] [--only sqlite|etcd]`.
// See bench/README.md for what each row means. Loopback only; everything started here is stopped
// by PID and its temp dirs are removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { handleWhen, noop, retry } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';
import { DATASTORES, startBerthServer, type ApiClient, type BerthServer } from '../../test/helpers/berth-server.js';

const args = process.argv.slice(2);
function flag(name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}
/** Creates measured at the paced rate (issue 2: 1,000 at 100/s). */
const CREATES = flag('pods', 1000);
const CREATE_RATE = flag('rate', 100);
/** Pods in the namespace when the Table list is timed (issue 2: 10,000). */
const LIST_PODS = flag('list', 10_000);
const LIST_RUNS = flag('list-runs', 7);
/** Watch events measured, and their pace. */
const WATCH_EVENTS = flag('watch', 300);
const WATCH_RATE = flag('watch-rate', 50);
/** Only this datastore (`--only sqlite` or `--only etcd`); both by default. */
const ONLY = ((): string | undefined => { const i = args.indexOf('--only'); return i >= 0 ? args[i + 1] : undefined; })();
const NS = 'bench';
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

function pod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'bench', shard: String(name.length % 7) } },
    spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const median = (xs: number[]): number => quantile(xs, 0.5);
const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

/** Runs `count` operations started at `rate`/s (open loop: a slow one does not delay the next), returning each one's latency in ms. */
async function paced(count: number, rate: number, op: (i: number) => Promise<void>): Promise<number[]> {
  const lat: number[] = new Array(count);
  const start = performance.now() + 20;
  const running: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    await sleepUntil(start + (i * 1000) / rate);
    const t0 = performance.now();
    running.push(op(i).then(() => { lat[i] = performance.now() - t0; }));
  }
  await Promise.all(running);
  return lat;
}

/** Runs `count` operations with at most `width` in flight. */
async function bounded(count: number, width: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await op(next++);
  }));
}

async function mustCreate(api: ApiClient, name: string): Promise<string> {
  const r = await api.request('POST', `/api/v1/namespaces/${NS}/pods`, { body: pod(name) });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body.slice(0, 300)}`);
  return r.body;
}

interface Figures {
  createP50: number; createP99: number;
  watchP50: number; watchP99: number;
}

interface FloorFigures extends Figures { listMedian: number }

/** The API side: berth server on one datastore. */
async function measureBerth(srv: BerthServer): Promise<Figures & { list: ListFigure; pagedList: ListFigure; podJsonBytes: number }> {
  const api = srv.api;
  const ns = await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  if (ns.status !== 201) throw new Error(`create namespace: ${ns.status} ${ns.body}`);
  // Warm up (JIT, connections, statement caches) outside the measured window.
  for (let i = 0; i < 50; i++) await mustCreate(api, `warm-${i}`);

  let podJsonBytes = 0;
  const createLat = await paced(CREATES, CREATE_RATE, async (i) => { podJsonBytes = (await mustCreate(api, `paced-${i}`)).length; });

  // Watch delivery: time from sending the create to receiving its ADDED event.
  const sentAt = new Map<string, number>();
  const watchLat: number[] = [];
  const rv = (await api.request('GET', `/api/v1/namespaces/${NS}/pods?limit=1`)).json.metadata.resourceVersion;
  let resolveAll!: () => void;
  const allSeen = new Promise<void>((r) => { resolveAll = r; });
  const w = await api.stream(`/api/v1/namespaces/${NS}/pods?watch=true&resourceVersion=${rv}`, (line) => {
    const ev = JSON.parse(line);
    const name = ev.object?.metadata?.name;
    const t0 = sentAt.get(name);
    if (ev.type === 'ADDED' && t0 !== undefined) {
      watchLat.push(performance.now() - t0);
      sentAt.delete(name);
      if (watchLat.length === WATCH_EVENTS) resolveAll();
    }
  });
  if (w.status !== 200) throw new Error(`watch: ${w.status}`);
  await paced(WATCH_EVENTS, WATCH_RATE, async (i) => {
    const name = `watched-${i}`;
    sentAt.set(name, performance.now());
    await mustCreate(api, name);
  });
  await Promise.race([allSeen, new Promise((_, rej) => setTimeout(() => rej(new Error(`watch delivered ${watchLat.length}/${WATCH_EVENTS} events`)), 30_000))]);
  w.close();

  // Fill up to LIST_PODS pods (not timed), then time Table lists of the whole namespace.
  const have = 50 + CREATES + WATCH_EVENTS;
  await bounded(Math.max(0, LIST_PODS - have), 8, async (i) => { await mustCreate(api, `fill-${i}`); });
  const expected = Math.max(LIST_PODS, have);
  const whole = await timeTableList(api, expected, 0);
  const paged = await timeTableList(api, expected, 500);
  return {
    createP50: median(createLat), createP99: quantile(createLat, 0.99),
    list: whole, pagedList: paged,
    watchP50: median(watchLat), watchP99: quantile(watchLat, 0.99),
    podJsonBytes,
  };
}

/** A timed list: its median over LIST_RUNS runs and the bytes of one run, or why it failed. */
interface ListFigure { median: number; bytes: number; error?: string }

/**
 * Times LIST_RUNS Table lists of the namespace: in one response (`pageSize` 0), or in pages of
 * `pageSize` following `metadata.continue` as kubectl does (`?limit=500`, kubectl-wire.md §3.1).
 */
async function timeTableList(api: ApiClient, expected: number, pageSize: number): Promise<ListFigure> {
  const lat: number[] = [];
  let bytes = 0;
  for (let i = 0; i < LIST_RUNS; i++) {
    let rows = 0;
    let size = 0;
    let cont = '';
    const t0 = performance.now();
    do {
      const q = pageSize ? `?limit=${pageSize}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}` : '';
      const r = await api.request('GET', `/api/v1/namespaces/${NS}/pods${q}`, { headers: { accept: TABLE_ACCEPT } });
      if (r.status !== 200 || r.json?.kind !== 'Table') return { median: NaN, bytes: 0, error: `${r.status} ${r.json?.message ?? r.body.slice(0, 120)}` };
      rows += r.json.rows.length;
      size += r.body.length;
      cont = r.json.metadata?.continue ?? '';
    } while (cont);
    lat.push(performance.now() - t0);
    if (rows !== expected) return { median: NaN, bytes: 0, error: `${rows} rows, expected ${expected}` };
    bytes = size;
  }
  return { median: median(lat), bytes };
}

/** SQLite's floor: the same counts as raw better-sqlite3 transactions on a fresh file, with berth's pragmas. */
async function measureSqliteFloor(valueBytes: number): Promise<FloorFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-sqlite-'));
  try {
    const db = new Database(join(dir, 'floor.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, value TEXT NOT NULL); CREATE INDEX kv_name ON kv (name, id);');
    const ins = db.prepare('INSERT INTO kv (name, value) VALUES (?, ?)');
    const value = 'v'.repeat(valueBytes);
    const one = (name: string): number => { const t0 = performance.now(); db.transaction(() => ins.run(name, value))(); return performance.now() - t0; };
    for (let i = 0; i < 50; i++) one(`/registry/pods/${NS}/warm-${i}`);
    const createLat = await paced(CREATES, CREATE_RATE, async (i) => { one(`/registry/pods/${NS}/paced-${i}`); });
    const watchLat = await paced(WATCH_EVENTS, WATCH_RATE, async (i) => { one(`/registry/pods/${NS}/watched-${i}`); });
    const have = 50 + CREATES + WATCH_EVENTS;
    for (let i = 0; i < Math.max(0, LIST_PODS - have); i++) one(`/registry/pods/${NS}/fill-${i}`);
    const sel = db.prepare('SELECT name, value FROM kv WHERE name >= ? AND name < ? ORDER BY name');
    const listLat: number[] = [];
    for (let i = 0; i < LIST_RUNS; i++) {
      const t0 = performance.now();
      const rows = sel.all(`/registry/pods/${NS}/`, `/registry/pods/${NS}0`);
      listLat.push(performance.now() - t0);
      if (rows.length !== Math.max(LIST_PODS, have)) throw new Error(`floor list: ${rows.length} rows`);
    }
    db.close();
    return { createP50: median(createLat), createP99: quantile(createLat, 0.99), listMedian: median(listLat), watchP50: median(watchLat), watchP99: quantile(watchLat, 0.99) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** etcd's floor: raw etcd3 puts (paced as above), a raw prefix get, and put -> watch event latency. */
async function measureEtcdFloor(endpoints: string[], valueBytes: number): Promise<FloorFigures> {
  // A 10,000-key range answer is ~10 MB: lift gRPC's 4 MiB default receive limit, as etcd's Go
  // clientv3 (kube-apiserver's client) does by default (defaultMaxCallRecvMsgSize = math.MaxInt32).
  // etcd3's default fault handling puts a circuit breaker on each host: three consecutive
  // recoverable errors (a slow answer on a loaded machine is one) make every later call fail
  // with BrokenCircuitError for 5 s, which aborted the floor run. A floor measures the datastore,
  // so no breaker; a failed call is retried up to 3 times (etcd3's default global policy).
  // cockatiel is etcd3's own dependency (the policy types its options take).
  const client = new Etcd3({
    hosts: endpoints,
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
    faultHandling: { host: () => noop, global: retry(handleWhen(isRecoverableError), { maxAttempts: 3 }) },
  });
  const prefix = `/floor/pods/${NS}/`;
  const value = 'v'.repeat(valueBytes);
  try {
    for (let i = 0; i < 50; i++) await client.put(`${prefix}warm-${i}`).value(value);
    const createLat = await paced(CREATES, CREATE_RATE, async (i) => { await client.put(`${prefix}paced-${i}`).value(value); });

    const sentAt = new Map<string, number>();
    const watchLat: number[] = [];
    const watcher = await client.watch().prefix(prefix).create();
    watcher.on('put', (kv) => {
      const key = kv.key.toString();
      const t0 = sentAt.get(key);
      if (t0 !== undefined) { watchLat.push(performance.now() - t0); sentAt.delete(key); }
    });
    await paced(WATCH_EVENTS, WATCH_RATE, async (i) => {
      const key = `${prefix}watched-${i}`;
      sentAt.set(key, performance.now());
      await client.put(key).value(value);
    });
    const deadline = performance.now() + 30_000;
    while (watchLat.length < WATCH_EVENTS && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await watcher.cancel();

    const have = 50 + CREATES + WATCH_EVENTS;
    await bounded(Math.max(0, LIST_PODS - have), 8, async (i) => { await client.put(`${prefix}fill-${i}`).value(value); });
    const listLat: number[] = [];
    for (let i = 0; i < LIST_RUNS; i++) {
      const t0 = performance.now();
      const all = await client.getAll().prefix(prefix).strings();
      listLat.push(performance.now() - t0);
      if (Object.keys(all).length !== Math.max(LIST_PODS, have)) throw new Error(`etcd floor list: ${Object.keys(all).length} keys`);
    }
    return { createP50: median(createLat), createP99: quantile(createLat, 0.99), listMedian: median(listLat), watchP50: median(watchLat), watchP99: quantile(watchLat, 0.99) };
  } finally {
    await client.delete().prefix('/floor/');
    client.close();
  }
}

/** One printed row; `under` is the issue's target in ms, when it sets one. */
interface Row { store: string; metric: string; berth: number; floor: number; under?: number }

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const ds of DATASTORES) {
    if (ONLY && ds.name !== ONLY) continue;
    const missing = ds.missing();
    if (missing) { process.stdout.write(`skipping ${ds.name}: ${missing}\n`); continue; }
    process.stderr.write(`[${ds.name}] starting\n`);
    const store = await ds.start();
    let srv: BerthServer | undefined;
    try {
      srv = await startBerthServer({ datastore: store.url, env: { BERTH_LOG_LEVEL: 'warn' } });
      process.stderr.write(`[${ds.name}] berth: ${CREATES} paced creates, ${WATCH_EVENTS} watched creates, Table list of ${LIST_PODS}\n`);
      const b = await measureBerth(srv);
      await srv.stop();
      srv = undefined;
      process.stderr.write(`[${ds.name}] floor\n`);
      const f = ds.name === 'sqlite'
        ? await measureSqliteFloor(b.podJsonBytes)
        : await measureEtcdFloor(store.endpoints ?? [], b.podJsonBytes);
      const listed = (l: ListFigure): string => (l.error ? `FAILED: ${l.error}` : `${(l.bytes / 1e6).toFixed(1)} MB`);
      const mine: Row[] = [
        { store: ds.name, metric: `create p50 ms (${CREATES} @ ${CREATE_RATE}/s)`, berth: b.createP50, floor: f.createP50 },
        { store: ds.name, metric: `create p99 ms (${CREATES} @ ${CREATE_RATE}/s)`, berth: b.createP99, floor: f.createP99, under: ds.name === 'sqlite' ? 10 : undefined },
        { store: ds.name, metric: `Table list ${LIST_PODS} pods, one response, median ms (${LIST_RUNS} runs, ${listed(b.list)})`, berth: b.list.median, floor: f.listMedian, under: 1000 },
        { store: ds.name, metric: `Table list ${LIST_PODS} pods, pages of 500, median ms (${listed(b.pagedList)})`, berth: b.pagedList.median, floor: f.listMedian, under: 1000 },
        { store: ds.name, metric: `watch delivery p50 ms (${WATCH_EVENTS} @ ${WATCH_RATE}/s)`, berth: b.watchP50, floor: f.watchP50 },
        { store: ds.name, metric: `watch delivery p99 ms (${WATCH_EVENTS} @ ${WATCH_RATE}/s)`, berth: b.watchP99, floor: f.watchP99 },
      ];
      rows.push(...mine);
      process.stderr.write(mine.map((r) => `[${ds.name}] ${r.metric}: berth ${r.berth.toFixed(2)}, floor ${r.floor.toFixed(2)}`).join('\n') + '\n');
    } finally {
      await srv?.stop();
      await store.stop();
    }
  }
  const fmt = (x: number): string => (Number.isNaN(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const table = [['datastore', 'metric', 'berth', 'floor', 'ratio', 'target'], ...rows.map((r) => [
    r.store, r.metric, fmt(r.berth), fmt(r.floor), Number.isNaN(r.berth) ? 'n/a' : `${(r.berth / r.floor).toFixed(1)}x`,
    r.under !== undefined ? `< ${r.under} ${r.berth < r.under ? 'ok' : 'MISSED'}` : '',
  ])];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  process.stdout.write(table.map((row) => row.map((cell, c) => (c >= 2 && c <= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n');
}

await main();
