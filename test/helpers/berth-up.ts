// Starts `berth up` as a child process for end-to-end tests: a mkdtemp data dir, free loopback
// ports for the API server and the built-in registry, the registry admin password from the
// environment (never argv), readiness from its "ready:" line. stop() sends SIGTERM, runs
// `berth down` on the data dir (containers, bridges, iptables rules, mounts) and removes it.
// These tests need root, containerd, runc and the CNI plugins, and run one at a time.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './berth-server.js';
import { firstErrorLine, freePort, killFailedStart, PollAbort, pollUntil, processControls, spawnLogged, waitExit, type ProcessControls, type Spawned } from './registry.js';

/** A running `berth up`. */
export interface BerthUp extends Omit<ProcessControls, 'stop'> {
  dataDir: string;
  /** DIR/kubeconfig. */
  kubeconfig: string;
  /** A home dir for kubectl's caches. */
  home: string;
  /** The built-in registry as `127.0.0.1:PORT` and its CA (the cluster CA). */
  registryHost: string;
  caFile: string;
  adminPassword: string;
  /** Runs `berth ARGS... --data-dir DIR` (images, rmi) and returns its exit code and output. */
  berth(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** SIGTERM, `berth down`, remove the dirs. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of startBerthUp. */
export interface BerthUpOptions {
  nodes?: number;
  /** A registries.yaml path for --registry-config. */
  registryConfig?: string;
  /** How long to wait for readiness (default 180 s: tsx compiles, containerd starts). */
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

function childEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // NODE_TEST_CONTEXT (set by node --test) would make the child node act as a test subprocess.
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
  return { ...env, ...extra };
}

/** Runs one berth command to completion. */
export function runBerth(args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * One `berth up` per machine at a time: node addresses, kubelet ports, the cluster DNS address and
 * the proxy's iptables chains are machine-wide. A lock dir under /tmp holding the owner's PID
 * serializes test processes (a dead owner's lock is taken over).
 */
const LOCK = join(tmpdir(), 'berth-up-e2e.lock');

async function acquireMachine(timeoutMs = 30 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // Being written or removed: look again.
      }
      let alive = false;
      try {
        if (owner > 0) { process.kill(owner, 0); alive = true; }
      } catch {
        alive = false;
      }
      if (owner > 0 && !alive) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another berth up test (pid ${owner}) holds ${LOCK}`, { cause: e });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Starts `berth up` and waits until it prints that every node is Ready. */
export async function startBerthUp(opts: BerthUpOptions = {}): Promise<BerthUp> {
  const release = await acquireMachine();
  try {
    return await startLocked(opts, release);
  } catch (e) {
    release();
    throw e;
  }
}

async function startLocked(opts: BerthUpOptions, release: () => void): Promise<BerthUp> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-up-'));
  const dataDir = join(dir, 'data');
  const home = join(dir, 'home');
  mkdirSync(home);
  const adminPassword = randomBytes(12).toString('base64url');
  const apiPort = await freePort();
  const regPort = await freePort();
  const env = { BERTH_REGISTRY_ADMIN_PASSWORD: adminPassword, ...opts.env };
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'up', '--data-dir', dataDir, '--nodes', String(opts.nodes ?? 1),
    '--listen', `127.0.0.1:${apiPort}`, '--registry-listen', `127.0.0.1:${regPort}`];
  if (opts.registryConfig) args.push('--registry-config', opts.registryConfig);
  let proc: Spawned | undefined;
  const launch = async (): Promise<void> => {
    const p = spawnLogged(process.execPath, args, { cwd: REPO_ROOT, env: childEnv(env) });
    proc = p;
    await pollUntil('berth up to print "ready:"', opts.readyTimeoutMs ?? 180_000, async () => {
      if (/berth up: ready:/.test(p.out.join(''))) return true;
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new PollAbort(`berth up exited (${p.child.exitCode ?? p.child.signalCode}) before ready: ${firstErrorLine(p.out.join(''))}`);
      }
      return undefined;
    }).catch(async (e: Error) => {
      await killFailedStart(p);
      throw new Error(`${e.message}\n--- berth up output ---\n${p.out.join('').slice(-4000)}`);
    });
  };
  const down = async (): Promise<void> => {
    const r = await runBerth(['down', '--data-dir', dataDir]);
    if (r.code !== 0) throw new Error(`berth down exited ${r.code}: ${r.stderr.trim()}`);
  };
  try {
    await launch();
  } catch (e) {
    await down().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const controls = processControls(dir, () => proc, launch);
  let stopped = false;
  return {
    ...controls,
    dataDir, home, adminPassword,
    kubeconfig: join(dataDir, 'kubeconfig'),
    registryHost: `127.0.0.1:${regPort}`,
    caFile: join(dataDir, 'tls', 'ca.crt'),
    berth: (a) => runBerth([...a, '--data-dir', dataDir]),
    async stop() {
      if (stopped) return;
      stopped = true;
      const p = proc;
      if (p?.child.pid && p.child.exitCode === null && p.child.signalCode === null) {
        process.kill(p.child.pid, 'SIGTERM');
        const timer = setTimeout(() => { if (p.child.exitCode === null) p.child.kill('SIGKILL'); }, 20_000);
        await waitExit(p.child);
        clearTimeout(timer);
      }
      try {
        await down();
      } finally {
        rmSync(dir, { recursive: true, force: true });
        release();
      }
    },
  };
}
