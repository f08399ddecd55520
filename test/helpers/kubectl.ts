// Runs the real `/usr/bin/kubectl` against a test server: `--kubeconfig` from the server, HOME
// and KUBECACHEDIR pointed at the server's own client dir (so no user kubeconfig or stale
// discovery cache is ever involved), optional stdin and extra environment (EDITOR for `edit`).
// Also parses the tables kubectl prints, so tests can assert headers and cells exactly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';

/** Where the kubectl under test lives (the Debian google-cloud-cli dispatcher, kubectl 1.32). */
export const KUBECTL = '/usr/bin/kubectl';

/** Why kubectl tests cannot run here, or undefined when they can. */
export function kubectlMissing(): string | undefined {
  return existsSync(KUBECTL) ? undefined : `${KUBECTL} is not installed`;
}

/** What kubectl is pointed at: a kubeconfig and a home directory for its caches. */
export interface KubectlTarget {
  kubeconfig: string;
  home: string;
}

/** Options for one kubectl run. */
export interface KubectlOptions {
  /** Written to kubectl's stdin, which is then closed. */
  stdin?: string;
  /** Extra environment, e.g. `{ EDITOR: 'sed -i …' }`. */
  env?: Record<string, string>;
  /** Kill kubectl (by PID) after this long; default 60 s. */
  timeoutMs?: number;
  /** Working directory (relative `-f` paths print as given). */
  cwd?: string;
}

/** The outcome of one kubectl run. */
export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kubectlEnv(target: KubectlTarget, extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: target.home,
    KUBECACHEDIR: join(target.home, '.kube', 'cache'),
    LANG: 'C.UTF-8',
    ...extra,
  };
  return env;
}

function spawnKubectl(target: KubectlTarget, args: string[], opts: KubectlOptions): ChildProcess {
  return spawn(KUBECTL, ['--kubeconfig', target.kubeconfig, ...args], {
    env: kubectlEnv(target, opts.env),
    cwd: opts.cwd ?? target.home,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs `kubectl --kubeconfig <k> ...args` to completion and returns its exit code and output. */
export function kubectl(target: KubectlTarget, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawnKubectl(target, args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const timer = setTimeout(() => {
      stderr += `\n[test helper] kubectl ${args.join(' ')} killed after ${opts.timeoutMs ?? 60_000} ms`;
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** A kubectl process that keeps running (`get -w`), read line by line. */
export interface KubectlStream {
  /** Lines of stdout so far. */
  lines(): string[];
  /** Resolves with the first stdout line matching `re` (seen so far or later); rejects at the deadline. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops kubectl by PID and resolves with its outcome. */
  stop(): Promise<KubectlResult>;
}

/** Starts a long-running kubectl command such as `get pods -w`. */
export function kubectlStream(target: KubectlTarget, args: string[], opts: KubectlOptions = {}): KubectlStream {
  const child = spawnKubectl(target, args, opts);
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  const closed = new Promise<number | null>((r) => child.on('close', (code) => { r(code); waiters.forEach((w) => w()); }));
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; waiters.forEach((w) => w()); });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const lines = (): string[] => stdout.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
  return {
    lines,
    waitForLine(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = lines().find((l) => re.test(l));
          if (hit !== undefined) { done(); resolve(hit); return true; }
          if (child.exitCode !== null || child.signalCode !== null) {
            done(); reject(new Error(`kubectl ${args.join(' ')} exited (${child.exitCode}) before printing ${re}; stdout:\n${stdout}\nstderr:\n${stderr}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => { done(); reject(new Error(`no line matching ${re} within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`)); }, timeoutMs);
        const waiter = (): void => { check(); };
        const done = (): void => { clearTimeout(timer); const i = waiters.indexOf(waiter); if (i >= 0) waiters.splice(i, 1); };
        waiters.push(waiter);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
      const code = await closed;
      return { code, stdout, stderr };
    },
  };
}

/** A table as kubectl prints it: header names and one array of cells per row. */
export interface PrintedTable {
  headers: string[];
  rows: string[][];
}

/**
 * Parses kubectl's tabular output (cli-runtime's tabwriter: columns padded with spaces, at least
 * 3 between columns). Column boundaries come from the header line; every row must have each cell
 * start exactly at its header's column (kubectl aligns them), else this throws.
 */
export function parseTable(text: string): PrintedTable {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { headers: [], rows: [] };
  const header = lines[0];
  const starts: number[] = [];
  const headers: string[] = [];
  const re = /\S+(?: \S+)*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) { starts.push(m.index); headers.push(m[0]); }
  const rows = lines.slice(1).map((line) => {
    const cells = starts.map((s, i) => line.slice(s, i + 1 < starts.length ? starts[i + 1] : undefined).trim());
    for (let i = 1; i < starts.length; i++) {
      if (line.length > starts[i] && line[starts[i] - 1] !== ' ') throw new Error(`row not aligned with header at column ${headers[i]}:\n${header}\n${line}`);
    }
    return cells;
  });
  return { headers, rows };
}

/** A HumanDuration age as a fresh object shows it (`0s` … `119s`, or a minute form on a slow run). */
export const FRESH_AGE = /^(\d{1,3}s|\d+m(\d+s)?)$/;

/** Writes `docs` as a YAML manifest (several documents joined with `---`) to `dir/file`; returns `file`. */
export async function writeManifest(dir: string, file: string, docs: unknown | unknown[]): Promise<string> {
  const list = Array.isArray(docs) ? docs : [docs];
  await writeFile(join(dir, file), list.map((d) => stringifyYaml(d)).join('---\n'));
  return file;
}

/** The value after `Key:` on the first top-level line of `kubectl describe` output, or undefined. */
export function describeValue(text: string, key: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${key}:`));
  return line === undefined ? undefined : line.slice(key.length + 1).trim();
}

/**
 * The Events section of `kubectl describe` output as a table (header `Type Reason Age From
 * Message`, dashes line dropped), or `none` when kubectl printed `Events: <none>`.
 */
export function describeEvents(text: string): PrintedTable | 'none' | undefined {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith('Events:'));
  if (i < 0) return undefined;
  if (/^Events:\s+<none>\s*$/.test(lines[i])) return 'none';
  const body: string[] = [];
  for (const l of lines.slice(i + 1)) {
    if (!l.startsWith('  ')) break;
    if (/^\s+-+(\s+-+)*\s*$/.test(l)) continue;
    body.push(l.slice(2));
  }
  return parseTable(body.join('\n'));
}
