#!/usr/bin/env node
// Runs every test with node's test runner through tsx: unit tests (src/**/*.test.ts) in
// parallel, then integration and end-to-end tests (test/**/*.test.ts) one file at a time,
// because they start real daemons (etcd, containerd, berth) that must not overlap.
// Prints one closing line "tests: N passed, N failed, N skipped" over both runs.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const onlyUnit = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function find(dir) {
  const out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    if (e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}
const pick = (files) => (filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files);

const totals = { pass: 0, fail: 0, skipped: 0 };
const out = mkdtempSync(join(tmpdir(), 'berth-tests-'));
let failed = false;

function run(name, files, concurrency) {
  if (!files.length) return;
  const tap = join(out, `${name}.tap`);
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ], { cwd: root, stdio: 'inherit', env: { ...process.env, BERTH_TEST: '1' } });
  if (r.status !== 0) failed = true;
  const text = readFileSync(tap, 'utf8');
  for (const k of ['pass', 'fail', 'skipped']) {
    const m = text.match(new RegExp(`^# ${k} (\\d+)$`, 'm'));
    if (m) totals[k] += Number(m[1]);
  }
}

run('unit', pick(find(join(root, 'src'))), Math.max(2, availableParallelism()));
if (!onlyUnit) run('integration', pick(find(join(root, 'test'))), 1);

console.log(`tests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
// The TAP files were read for the counts above; nothing is left in /tmp.
rmSync(out, { recursive: true, force: true });
// CI installs every prerequisite, so a skipped test there is a defect, not a pass.
if (process.env.CI === 'true' && totals.skipped > 0) {
  console.error(`CI: ${totals.skipped} test(s) skipped; every prerequisite must be installed`);
  process.exit(1);
}
process.exit(failed || totals.fail > 0 ? 1 : 0);
