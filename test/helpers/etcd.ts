// Starts Debian's etcd (/usr/bin/etcd, package etcd-server, 3.4) on loopback for tests and
// benchmarks: a temporary data dir, free client and peer ports, and a wait until /health answers.
// The process is stopped by its PID only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BINARY = '/usr/bin/etcd';

/** A running test etcd. */
export interface TestEtcd {
  /** berth's datastore URL for it: `etcd://127.0.0.1:PORT`. */
  url: string;
  /** Client endpoints for the etcd3 client: `['http://127.0.0.1:PORT']`. */
  endpoints: string[];
  /** The data dir (removed by stop()). */
  dataDir: string;
  /** The current process id. */
  pid(): number | undefined;
  /** SIGTERM, wait for exit, and remove the data dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL (a crash); the data dir stays so restart() recovers from it. */
  kill(): Promise<void>;
  /** Stops the process if it runs (SIGTERM) and starts it again on the same data dir and ports. */
  restart(): Promise<void>;
}

/** Why etcd tests cannot run here, or undefined when they can. */
export function etcdMissing(): string | undefined {
  return existsSync(ETCD_BINARY) ? undefined : `${ETCD_BINARY} is not installed (Debian package etcd-server)`;
}

/** A port that was free a moment ago (bind 0 on loopback, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

// etcd processes this process started and has not stopped: if the test process exits without
// stopping them (a failed hook, a timeout), they are killed by PID on the way out.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts etcd and resolves once it is healthy (within `timeoutMs`, default 20 s). */
export async function startEtcd(opts: { timeoutMs?: number } = {}): Promise<TestEtcd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const logPath = join(dataDir, 'etcd.log');
  let child: ChildProcess | undefined;
  let removed = false;

  const launch = async (): Promise<void> => {
    const log = openSync(logPath, 'a');
    const proc = spawn(
      ETCD_BINARY,
      [
        '--name', 'berth-test',
        '--data-dir', join(dataDir, 'data'),
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl,
        '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `berth-test=${peerUrl}`,
        '--initial-cluster-state', 'new',
        '--logger', 'zap',
        '--log-outputs', 'stderr',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    child = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) break;
      if (await healthy(clientUrl)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const tail = readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited(proc);
    }
    throw new Error(`etcd did not become healthy on ${clientUrl}; log tail:\n${tail}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    await exited(proc);
  };

  await launch();
  return {
    url: `etcd://127.0.0.1:${clientPort}`,
    endpoints: [clientUrl],
    dataDir,
    pid: () => child?.pid,
    stop: async () => {
      await terminate('SIGTERM');
      if (!removed) {
        removed = true;
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGTERM');
      await launch();
    },
  };
}
