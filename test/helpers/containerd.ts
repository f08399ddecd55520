// A private containerd for tests: Debian's containerd with its own config, root, state dir and
// socket under a temp dir (never /run/containerd or /var/lib/containerd), following
// reference/containerd-on-these-hosts.md ("Keeping state inside berth's data dir"). The CRI
// plugin is disabled: these tests drive containerd with `ctr`, and without CRI containerd needs
// no CNI config and opens no streaming port.
//
// Registry trust is per host in certs.d style: `<hostsDir>/<host:port>/hosts.toml` naming the
// registry's CA, which `ctr images pull --hosts-dir` reads (and which containerd's CRI would read
// through `registry.config_path`).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstErrorLine, pollUntil, PollAbort } from './registry.js';
import { run, type RunResult } from '../images/push.js';
import type { BuiltImage } from '../images/build.js';
import { mountsUnder } from '../../src/supervisor/down.js';

/** A running private containerd. */
export interface Containerd {
  /** The temp dir holding config, root, state and the socket. */
  dir: string;
  /** The gRPC socket for `ctr --address`. */
  address: string;
  /** certs.d-style registry hosts dir, for `ctr images pull --hosts-dir`. */
  hostsDir: string;
  pid(): number | undefined;
  /** Writes `<hostsDir>/<host>/hosts.toml`: HTTPS trusting `caFile`, or plain HTTP when absent. */
  trustRegistry(host: string, caFile?: string): void;
  /**
   * Flags for `ctr run` that keep its IO FIFOs and runc's state under the dir (ctr's defaults are
   * /run/containerd/fifo and /run/containerd/runc/<namespace>). The shim's socket still goes to
   * /run/containerd/s/, which containerd 1.6 does not let a config move; the shim removes it on exit.
   */
  runFlags: string[];
  /** Runs `ctr --address SOCK [--namespace NS] ARGS...`. */
  ctr(args: string[], opts?: { namespace?: string }): Promise<RunResult>;
  /** Output containerd has written so far. */
  output(): string;
  /** SIGTERM by PID, wait, unmount whatever is left under the dir, remove it. Safe to call twice. */
  stop(): Promise<void>;
}

/** Why containerd cannot run here, or undefined when it can. */
export function containerdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'containerd needs root';
  for (const bin of ['/usr/bin/containerd', '/usr/bin/ctr']) if (!existsSync(bin)) return `${bin} is not installed (Debian package containerd)`;
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc')) return 'runc is not installed';
  return undefined;
}

function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** containerd 1.6 config (version 2) keeping every path under `dir`. */
export function renderContainerdConfig(dir: string): string {
  return [
    'version = 2',
    `root = ${tomlString(join(dir, 'root'))}`,
    `state = ${tomlString(join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '',
    '[grpc]',
    `  address = ${tomlString(join(dir, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${tomlString(join(dir, 'containerd.sock.ttrpc'))}`,
    '[debug]',
    '  address = ""',
    '  level = "warn"',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${tomlString(join(dir, 'opt'))}`,
    '[plugins."io.containerd.runtime.v2.task"]',
    '  platforms = ["linux/amd64"]',
    '',
  ].join('\n');
}

/** Mount points at or under `dir`, deepest first (berth down's own reading of mountinfo). */
export { mountsUnder };

/** Whether a network interface of that name exists. */
export function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
}

/** iptables rules (nat and filter) that mention `prefix` (a test subnet) or `bridge`. */
export function iptablesRulesFor(prefix: string, bridge: string): string[] {
  const out: string[] = [];
  for (const table of ['nat', 'filter']) {
    const r = spawnSync('iptables-save', ['-t', table], { encoding: 'utf8' });
    out.push(...(r.stdout ?? '').split('\n').filter((l) => l.includes(prefix) || l.includes(bridge)));
  }
  return out;
}

/**
 * Imports test image layouts into containerd's `k8s.io` namespace (where its CRI looks) as
 * `docker.io/library/<name>:<tag>`, through tars written under `workDir`.
 */
export function importImages(socket: string, workDir: string, images: BuiltImage[]): void {
  for (const img of images) {
    const tar = join(workDir, `${img.name}.tar`);
    execFileSync('tar', ['-C', img.dir, '-cf', tar, 'oci-layout', 'index.json', 'blobs']);
    execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'import', '--base-name', `docker.io/library/${img.name}`, tar], { stdio: 'pipe' });
  }
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => child.once('exit', () => res()));
}

/** Starts a private containerd and waits until `ctr version` answers on its socket. */
export async function startContainerd(): Promise<Containerd> {
  const why = containerdUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'berth-containerd-'));
  const config = join(dir, 'config.toml');
  const hostsDir = join(dir, 'certs.d');
  mkdirSync(hostsDir);
  writeFileSync(config, renderContainerdConfig(dir));
  const address = join(dir, 'containerd.sock');
  const child = spawn('/usr/bin/containerd', ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
  const out: string[] = [];
  const keep = (b: Buffer) => {
    out.push(b.toString('utf8'));
    if (out.length > 2000) out.splice(0, out.length - 1000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let stopped = false;

  const ctr = (args: string[], o: { namespace?: string } = {}) =>
    run('/usr/bin/ctr', ['--address', address, ...(o.namespace ? ['--namespace', o.namespace] : []), ...args], { env: { PATH: process.env.PATH, HOME: dir } });

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const exited = waitExit(child);
      const timer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    for (const m of mountsUnder(dir)) await run('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await pollUntil('containerd to answer on its socket', 20_000, async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new PollAbort(`containerd exited: ${firstErrorLine(out.join(''))}`);
      if (!existsSync(address)) return undefined;
      const r = await ctr(['version']);
      return r.code === 0 ? true : undefined;
    });
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    dir, address, hostsDir,
    runFlags: ['--fifo-dir', join(dir, 'fifo'), '--runc-root', join(dir, 'runc')],
    pid: () => child.pid,
    output: () => out.join(''),
    ctr,
    stop,
    trustRegistry(host, caFile) {
      const d = join(hostsDir, host);
      mkdirSync(d, { recursive: true });
      // containerd 1.6 reads the [host."..."] tables first and then appends `server` as the last
      // fallback endpoint, configured by the top-level keys; both name the CA, so a retry through
      // the fallback does not fail TLS. (1.6 rejects a hosts.toml without a host table: "invalid
      // `host` tree".)
      const url = `${caFile ? 'https' : 'http'}://${host}`;
      const endpoint = ['capabilities = ["pull", "resolve", "push"]', ...(caFile ? [`ca = ${tomlString(caFile)}`] : [])];
      const lines = [`server = ${tomlString(url)}`, ...endpoint, '', `[host.${tomlString(url)}]`, ...endpoint.map((l) => `  ${l}`), ''];
      writeFileSync(join(d, 'hosts.toml'), lines.join('\n'));
    },
  };
}
