// containerd as a child process of the node agent: started with the config rendered into the data
// dir, waited for until its CRI answers with RuntimeReady, restarted with back-off when it dies,
// stopped by its PID. Containers survive a containerd restart (their shims are separate processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../common/log.js';
import { CriRuntime } from '../runtime/cri/index.js';
import type { ContainerdPaths } from './config.js';

/** How to run containerd. */
export interface ContainerdProcessOptions {
  /** The rendered config's paths (writeContainerdConfig). */
  paths: ContainerdPaths;
  /** The containerd binary; default `containerd` from PATH. */
  binary?: string;
  /** How long start() waits for the CRI to answer RuntimeReady; default 30 s. */
  readyTimeoutMs?: number;
  /** First restart delay after an unexpected exit; doubles up to restartMaxMs. Default 1 s. */
  restartInitialMs?: number;
  /** Longest restart delay; default 30 s. */
  restartMaxMs?: number;
  /** A run at least this long resets the restart delay; default 60 s. */
  restartResetAfterMs?: number;
  log?: Logger;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One containerd daemon for one data dir. `start()` resolves once the CRI is ready; after that an
 * unexpected exit triggers a restart after a doubling delay. `stop()` ends it for good.
 */
export class ContainerdProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartDelay: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private everReady = false;
  private readonly opts: Required<Omit<ContainerdProcessOptions, 'log' | 'paths'>>;
  private readonly paths: ContainerdPaths;
  private readonly log: Logger;
  private readonly pidFile: string;
  /** How many times containerd was restarted after dying. */
  restarts = 0;
  /** Called after each restart once the CRI is ready again (or with the error if it is not). */
  onRestart: ((err?: Error) => void) | undefined;

  /** Nothing runs until start(). */
  constructor(opts: ContainerdProcessOptions) {
    this.paths = opts.paths;
    this.opts = {
      binary: opts.binary ?? 'containerd',
      readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
      restartInitialMs: opts.restartInitialMs ?? 1000,
      restartMaxMs: opts.restartMaxMs ?? 30_000,
      restartResetAfterMs: opts.restartResetAfterMs ?? 60_000,
    };
    this.restartDelay = this.opts.restartInitialMs;
    this.log = (opts.log ?? silentLogger).child({ component: 'containerd' });
    this.pidFile = join(this.paths.dir, 'containerd.pid');
  }

  /** The running daemon's PID, if any. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** The socket the CRI listens on. */
  get socket(): string {
    return this.paths.socket;
  }

  /**
   * Starts containerd and resolves when its CRI answers Version and reports RuntimeReady.
   * A daemon a previous (killed) agent left running on this data dir is stopped first, by the
   * PID it recorded, after checking that PID still runs containerd with this config.
   */
  async start(): Promise<void> {
    this.stopping = false;
    await this.stopLeftover();
    await this.spawnAndWait();
  }

  private async stopLeftover(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      // Not running any more.
    }
    if (pid > 0 && cmdline.includes(this.paths.configFile)) {
      this.log.info({ pid }, 'stopping containerd left by a previous run');
      await this.terminate(pid);
    }
    rmSync(this.pidFile, { force: true });
  }

  private async spawnAndWait(): Promise<void> {
    rmSync(this.paths.socket, { force: true });
    const out = openSync(this.paths.logFile, 'a');
    let child: ChildProcess;
    try {
      // Own process group: a Ctrl-C in the agent's terminal must not reach containerd directly;
      // the agent stops it in order.
      child = spawn(this.opts.binary, ['--config', this.paths.configFile], { stdio: ['ignore', out, out], detached: true });
    } finally {
      closeSync(out);
    }
    this.child = child;
    this.startedAt = Date.now();
    const exited = new Promise<string>((resolve) => {
      child.once('error', (e) => resolve(`could not run ${this.opts.binary}: ${e.message}`));
      child.once('exit', (code, signal) => resolve(`containerd exited (${signal ?? `code ${code}`}) before its CRI was ready; see ${this.paths.logFile}: ${this.logTail()}`));
    });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    if (child.pid) writeFileSync(this.pidFile, `${child.pid}\n`);
    this.log.info({ pid: child.pid, config: this.paths.configFile }, 'containerd started');
    const ready = this.waitReady();
    const first = await Promise.race([ready.then(() => undefined), exited]);
    if (first !== undefined) {
      ready.cancel();
      throw new Error(first);
    }
    this.everReady = true;
  }

  private waitReady(): Promise<void> & { cancel(): void } {
    let cancelled = false;
    const p = (async () => {
      const deadline = Date.now() + this.opts.readyTimeoutMs;
      const cri = new CriRuntime({ socketPath: this.paths.socket, requestTimeoutMs: 2000 });
      let last = 'no answer';
      try {
        while (!cancelled) {
          if (existsSync(this.paths.socket)) {
            try {
              await cri.version();
              const conds = await cri.status();
              const rr = conds.find((c) => c.type === 'RuntimeReady');
              if (rr?.status) return;
              last = `RuntimeReady is false: ${rr?.reason ?? ''} ${rr?.message ?? ''}`.trim();
            } catch (e) {
              last = (e as Error).message;
            }
          }
          if (Date.now() > deadline) throw new Error(`containerd's CRI was not ready after ${this.opts.readyTimeoutMs} ms: ${last}`);
          await sleep(100);
        }
      } finally {
        cri.close();
      }
    })();
    return Object.assign(p, { cancel: () => { cancelled = true; p.catch(() => undefined); } });
  }

  private logTail(): string {
    try {
      const text = readFileSync(this.paths.logFile, 'utf8').trim();
      return text ? text.split('\n').slice(-3).join(' | ') : '(empty log)';
    } catch {
      return '(no log)';
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    // Only a daemon that was ready once is restarted; a failed start() is the caller's to handle.
    if (this.child !== child || this.stopping || !this.everReady) return;
    const ranMs = Date.now() - this.startedAt;
    if (ranMs >= this.opts.restartResetAfterMs) this.restartDelay = this.opts.restartInitialMs;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, this.opts.restartMaxMs);
    this.log.warn({ code, signal, ranMs, delayMs: delay }, 'containerd died; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.spawnAndWait().then(
        () => this.onRestart?.(),
        (e: Error) => {
          this.log.error({ err: e.message }, 'containerd restart failed');
          this.onRestart?.(e);
        },
      );
    }, delay);
  }

  private async terminate(pid: number, graceMs = 10_000): Promise<void> {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) {
      this.log.warn({ pid }, 'containerd ignored SIGTERM; killing');
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      while (alive(pid)) await sleep(20);
    }
  }

  /** Stops containerd (SIGTERM, SIGKILL after 10 s) by its PID and cancels pending restarts. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      await this.terminate(child.pid);
      await done;
    }
    rmSync(this.pidFile, { force: true });
    this.log.info('containerd stopped');
  }
}
