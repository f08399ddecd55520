// bench/registry: berth's registry and the CNCF distribution registry side by side in one run,
// same skopeo client, same images, both over HTTPS on loopback (or both plain HTTP with
// --plain-http). Prints the median push and pull throughput per row and berth/distribution.
//
//   node --import tsx bench/registry/run.ts [--reps N] [--plain-http]
//
// Rows: one 5 MiB layer; 10 layers of 20 MiB; 20 parallel pulls of the 5 MiB image. Layers are
// seeded random bytes (incompressible, stable digests) built by test/images/build.ts. Every push
// goes to a fresh repository from a fresh skopeo sandbox (no blob-info cache, so no cross-repo
// mount shortcut); every pull writes a fresh OCI layout. The order of the two registries
// alternates between repetitions. Throughput = image bytes moved (compressed layers + config +
// manifest, per client) / wall time of the skopeo process(es), in MB/s (10^6 bytes).
// berth does Harbor's token flow on every copy and the distribution peer runs without auth; the
// `berth anon` columns show the same berth process pulling from a public project without
// credentials (still a 401 and an anonymous token, but no password check), so the cost of
// authentication can be read off the table.
// A second table gives the CPU seconds each registry process spent per operation (utime + stime
// from /proc/PID/stat, all threads): on a shared machine wall-clock throughput moves with other
// people's load, while the work a server does per pull or push barely does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestImages, defaultImagesDir, type BuiltImage } from '../../test/images/build.js';
import { createClientSandbox, skopeo, tlsFlags, type ClientSandbox, type RegistryTls } from '../../test/images/push.js';
import { createProject, startBerthRegistry, startDistribution, type RegistryProcess } from '../../test/helpers/registry.js';

interface Target {
  name: 'berth' | 'berth-anonymous' | 'distribution';
  reg: RegistryProcess;
  tls: RegistryTls;
  /** Project (repository prefix) to push into. */
  prefix: string;
  /** Writes an auth file into the sandbox, or returns undefined for an open registry. */
  authFile(sb: ClientSandbox): string | undefined;
  /** Pull without credentials (berth: a public project, Harbor's anonymous token). */
  anonymousPull?: boolean;
}

interface Row {
  name: string;
  image: BuiltImage;
  parallel: number;
}

const USAGE = 'usage: node --import tsx bench/registry/run.ts [--reps N] [--plain-http]';

function parseArgs(argv: string[]): { reps: number; plainHttp: boolean } {
  let reps = 5;
  let plainHttp = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write(`${USAGE}\n  --reps N       repetitions per row (default 5); medians are reported\n  --plain-http   both registries on plain HTTP instead of HTTPS\n`);
      process.exit(0);
    }
    if (argv[i] === '--reps') reps = Number(argv[++i]);
    else if (argv[i] === '--plain-http') plainHttp = true;
    else throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps takes a positive integer');
  return { reps, plainHttp };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

let seq = 0;

/** CPU seconds (user + system, all threads) a process has used so far; undefined off Linux. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15 (proc(5)).
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Runs `op` and returns its result with the CPU seconds the registry process spent meanwhile. */
async function withCpu<T>(t: Target, op: () => Promise<T>): Promise<{ value: T; cpu?: number }> {
  const before = cpuSeconds(t.reg.pid());
  const value = await op();
  const after = cpuSeconds(t.reg.pid());
  return { value, cpu: before !== undefined && after !== undefined ? after - before : undefined };
}

/** Pushes `image` to a fresh repository; returns the repository reference and the seconds taken. */
async function push(t: Target, image: BuiltImage): Promise<{ ref: string; seconds: number }> {
  const sb = createClientSandbox('berth-bench-');
  try {
    const ref = `${t.reg.host}/${t.prefix}/${image.name}-${process.pid}-${seq++}:1`;
    const auth = t.authFile(sb);
    const args = ['copy', '--retry-times', '0', ...tlsFlags(sb, t.tls, 'dest-'), ...(auth ? ['--dest-authfile', auth] : ['--dest-no-creds']), image.ociRef, `docker://${ref}`];
    const start = process.hrtime.bigint();
    const r = await skopeo(sb, args);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.code !== 0) throw new Error(`${t.name}: push ${ref} failed: ${r.stderr.trim()}`);
    return { ref, seconds };
  } finally {
    sb.remove();
  }
}

/** Pulls `ref` `parallel` times at once, each into a fresh OCI layout; returns the wall seconds. */
async function pull(t: Target, ref: string, parallel: number): Promise<number> {
  const sbs = Array.from({ length: parallel }, () => createClientSandbox('berth-bench-'));
  try {
    const jobs = sbs.map((sb) => {
      const auth = t.anonymousPull ? undefined : t.authFile(sb);
      return ['copy', '--retry-times', '0', ...tlsFlags(sb, t.tls, 'src-'), ...(auth ? ['--src-authfile', auth] : ['--src-no-creds']), `docker://${ref}`, `oci:${join(sb.dir, 'out')}:1`];
    });
    const start = process.hrtime.bigint();
    const results = await Promise.all(jobs.map((args, i) => skopeo(sbs[i], args)));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const bad = results.find((r) => r.code !== 0);
    if (bad) throw new Error(`${t.name}: pull ${ref} failed: ${bad.stderr.trim()}`);
    return seconds;
  } finally {
    for (const sb of sbs) sb.remove();
  }
}

async function startTargets(plainHttp: boolean): Promise<{ targets: Target[]; berthError?: string }> {
  const targets: Target[] = [];
  const dist = await startDistribution({ plainHttp });
  targets.push({ name: 'distribution', reg: dist, tls: dist.caFile ? { caFile: dist.caFile } : { plainHttp: true }, prefix: 'bench', authFile: () => undefined });
  let berthError: string | undefined;
  try {
    const berth = await startBerthRegistry({ plainHttp });
    try {
      await createProject(berth, 'bench', false);
      await createProject(berth, 'pub', true);
    } catch (e) {
      await berth.stop();
      throw e;
    }
    const tls: RegistryTls = berth.caFile ? { caFile: berth.caFile } : { plainHttp: true };
    const authFile = (sb: ClientSandbox) => sb.authFile('admin', [{ host: berth.host, username: 'admin', password: berth.adminPassword }]);
    targets.unshift(
      { name: 'berth', reg: berth, tls, prefix: 'bench', authFile },
      // The same process, pulling from a public project without credentials: Harbor still answers
      // the first request with 401 and hands out an anonymous token, but no password is checked.
      { name: 'berth-anonymous', reg: berth, tls, prefix: 'pub', authFile, anonymousPull: true },
    );
  } catch (e) {
    berthError = e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
  return { targets, berthError };
}

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

async function main(): Promise<void> {
  const { reps, plainHttp } = parseArgs(process.argv.slice(2));
  const images = await buildTestImages(defaultImagesDir(), ['bench-5m', 'bench-10x20m']);
  const rows: Row[] = [
    { name: '1 layer x 5 MiB', image: images['bench-5m']!, parallel: 1 },
    { name: '10 layers x 20 MiB', image: images['bench-10x20m']!, parallel: 1 },
    { name: '20 parallel pulls, 5 MiB', image: images['bench-5m']!, parallel: 20 },
  ];
  const { targets, berthError } = await startTargets(plainHttp);
  const results = new Map<string, { push: number[]; pull: number[]; pushCpu: number[]; pullCpu: number[] }>();
  try {
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 ? [...targets].reverse() : targets;
      for (const row of rows) {
        for (const t of order) {
          const key = `${row.name}|${t.name}`;
          const acc = results.get(key) ?? { push: [], pull: [], pushCpu: [], pullCpu: [] };
          results.set(key, acc);
          const { value: pushed, cpu: pushCpu } = await withCpu(t, () => push(t, row.image));
          const { value: pullSeconds, cpu: pullCpu } = await withCpu(t, () => pull(t, pushed.ref, row.parallel));
          const mb = row.image.totalSize / 1e6;
          // The parallel row measures pulls only; its push is the setup for them.
          if (row.parallel === 1) {
            acc.push.push(mb / pushed.seconds);
            if (pushCpu !== undefined) acc.pushCpu.push(pushCpu);
          }
          acc.pull.push((mb * row.parallel) / pullSeconds);
          if (pullCpu !== undefined) acc.pullCpu.push(pullCpu);
        }
      }
      process.stderr.write(`repetition ${rep + 1}/${reps} done\n`);
    }
  } finally {
    for (const t of new Set(targets.map((x) => x.reg))) await t.stop();
  }

  const fmt = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(1));
  const med = (row: Row, name: Target['name'], op: 'push' | 'pull' | 'pushCpu' | 'pullCpu') => {
    const xs = results.get(`${row.name}|${name}`)?.[op];
    return xs?.length ? median(xs) : undefined;
  };
  const ratio = (b: number | undefined, d: number | undefined) => (b !== undefined && d ? (b / d).toFixed(2) : 'n/a');
  const lines: string[] = [];
  lines.push(`registry benchmark: skopeo ${plainHttp ? 'plain HTTP' : 'HTTPS'} on loopback, ${reps} repetitions, medians, MB/s (10^6 bytes)`);
  if (berthError) lines.push(`berth registry unavailable: ${berthError}`);
  lines.push('berth: private project, admin credentials (Basic -> Bearer token flow); berth anon: public project, pull without credentials (anonymous token); distribution: no auth');
  lines.push('| row | op | berth MB/s | distribution MB/s | berth/distribution | berth anon MB/s | berth anon/distribution |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    for (const op of row.parallel === 1 ? (['push', 'pull'] as const) : (['pull'] as const)) {
      const b = med(row, 'berth', op);
      const d = med(row, 'distribution', op);
      const a = op === 'pull' ? med(row, 'berth-anonymous', op) : undefined;
      lines.push(`| ${row.name} | ${op} | ${fmt(b)} | ${fmt(d)} | ${ratio(b, d)} | ${op === 'pull' ? fmt(a) : '-'} | ${op === 'pull' ? ratio(a, d) : '-'} |`);
    }
  }
  lines.push('');
  lines.push('registry process CPU seconds per operation (user + system, all threads), medians; lower is better');
  lines.push('| row | op | berth CPU s | distribution CPU s | berth/distribution | berth anon CPU s |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: |');
  const fmt2 = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(2));
  for (const row of rows) {
    for (const op of row.parallel === 1 ? (['pushCpu', 'pullCpu'] as const) : (['pullCpu'] as const)) {
      const b = med(row, 'berth', op);
      const d = med(row, 'distribution', op);
      const a = op === 'pullCpu' ? med(row, 'berth-anonymous', op) : undefined;
      lines.push(`| ${row.name} | ${op === 'pushCpu' ? 'push' : 'pull'} | ${fmt2(b)} | ${fmt2(d)} | ${ratio(b, d)} | ${op === 'pullCpu' ? fmt2(a) : '-'} |`);
    }
  }
  lines.push(`load average at the end: ${loadAverage()}`);
  process.stdout.write(lines.join('\n') + '\n');
  if (berthError) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`bench/registry: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
