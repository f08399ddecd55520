// Child process for sqlite-crash.test.ts: writes to a SqliteStore as fast as it can and prints
// one line per acknowledged write, `<revision> <key> <value>`, until it is killed.
import { SqliteStore } from '../../src/storage/sqlite/index.js';

const [path, synchronous] = process.argv.slice(2);
const store = new SqliteStore(path, { synchronous: synchronous === 'NORMAL' ? 'NORMAL' : 'FULL', compactIntervalMs: 0 });
let counter = await store.create('/crash/counter', '0');
process.stdout.write(`${counter.modRevision} /crash/counter 0\n`);
for (let i = 1; ; i++) {
  const kv = await store.create(`/crash/k${i}`, `v${i}`);
  process.stdout.write(`${kv.modRevision} ${kv.key} ${kv.value}\n`);
  counter = await store.update('/crash/counter', String(i), counter.modRevision);
  process.stdout.write(`${counter.modRevision} ${counter.key} ${counter.value}\n`);
}
