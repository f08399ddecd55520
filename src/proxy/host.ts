// The kernel side of the proxy: iptables-restore/-save, the jumps from built-in chains, sysctls
// and routes. Everything goes through the iptables and ip commands (Debian's iptables, nf_tables
// or legacy backend alike), with `-w` so concurrent writers wait for the xtables lock.
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { JumpRule } from './rules.js';

const execFileP = promisify(execFile);

/** A failed iptables/ip command, with its stderr. */
export class HostCommandError extends Error {
  constructor(readonly command: string, readonly stderr: string) {
    super(`${command}: ${stderr.trim() || 'failed'}`);
    this.name = 'HostCommandError';
  }
}

async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new HostCommandError(`${cmd} ${args.join(' ')}`, err.stderr ?? err.message);
  }
}

/** Writes `payload` through `iptables-restore -w --noflush` (only the chains it names change). */
export function iptablesRestore(payload: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('iptables-restore', ['-w', '--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', (e) => reject(new HostCommandError('iptables-restore', e.message)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new HostCommandError('iptables-restore -w --noflush', stderr))));
    child.stdin.end(payload);
  });
}

/** The `iptables-save` text of one table. */
export function saveTable(table: 'nat' | 'filter'): Promise<string> {
  return run('iptables-save', ['-t', table]);
}

/** Names of the chains in a saved table that start with `${prefix}-`. */
export function chainsIn(saved: string, prefix: string): string[] {
  const chains: string[] = [];
  for (const line of saved.split('\n')) {
    if (line.startsWith(`:${prefix}-`)) chains.push(line.slice(1).split(' ')[0]);
  }
  return chains;
}

/**
 * True when a saved table holds the jump: a rule of its built-in chain that jumps to its target
 * (iptables-save reorders match arguments, so the rule is recognised by chain and target).
 */
export function jumpIn(saved: string, rule: JumpRule): boolean {
  const target = rule.args.at(-1) ?? '';
  const needsNew = rule.args.includes('--ctstate');
  return saved.split('\n').some((l) => l.startsWith(`-A ${rule.chain} `) && l.endsWith(` -j ${target}`) && (!needsNew || l.includes('--ctstate NEW')));
}

async function ruleExists(rule: JumpRule): Promise<boolean> {
  try {
    await run('iptables', ['-w', '-t', rule.table, '-C', rule.chain, ...rule.args]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Inserts each jump at the top of its built-in chain unless it is already there; `saved` (the
 * tables' iptables-save text) spares one `iptables -C` process per rule.
 */
export async function ensureJumps(rules: JumpRule[], saved?: { nat: string; filter: string }): Promise<void> {
  for (const rule of rules) {
    const present = saved ? jumpIn(saved[rule.table], rule) : await ruleExists(rule);
    if (!present) await run('iptables', ['-w', '-t', rule.table, '-I', rule.chain, ...rule.args]);
  }
}

/** Splits one iptables-save rule line into arguments (double-quoted strings, as iptables-save quotes comments). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

/**
 * Rules of built-in chains (upper-case names without a dash) in a saved table that jump into a
 * `${prefix}-` chain and are not among `keep`: jumps an earlier berth version installed, or all
 * of them for cleanup. Each is `[chain, ...args]`, ready for `iptables -D`.
 */
export function strayJumps(saved: string, prefix: string, keep: JumpRule[]): string[][] {
  const out: string[][] = [];
  for (const line of saved.split('\n')) {
    const m = /^-A ([A-Z]+) /.exec(line);
    if (!m || !line.includes(` -j ${prefix}-`)) continue;
    const target = line.slice(line.lastIndexOf(' -j ') + 4);
    if (!target.startsWith(`${prefix}-`)) continue;
    if (keep.some((k) => k.chain === m[1] && jumpIn(line, k))) continue;
    out.push(splitRule(line).slice(1));
  }
  return out;
}

/** Deletes rules given as `[chain, ...args]` from a table (absent ones are fine). */
export async function deleteRules(table: 'nat' | 'filter', rules: string[][]): Promise<void> {
  for (const r of rules) {
    try {
      await run('iptables', ['-w', '-t', table, '-D', ...r]);
    } catch (e) {
      if (!/does a matching rule exist|No chain\/target\/match|Bad rule/i.test((e as HostCommandError).stderr)) throw e;
    }
  }
}

/** Flushes and deletes the named chains of a table (after their jumps are gone). */
export async function deleteChains(table: 'nat' | 'filter', chains: string[]): Promise<void> {
  if (chains.length === 0) return;
  const lines = [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''];
  await iptablesRestore(lines.join('\n'));
}

/** Writes a sysctl under /proc/sys; returns false when the key does not exist on this kernel. */
export async function setSysctl(key: string, value: string): Promise<boolean> {
  try {
    await writeFile(`/proc/sys/${key.replace(/\./g, '/')}`, value);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Tries `modprobe <module>`; false when modprobe is missing or the module cannot load. */
export async function modprobe(module: string): Promise<boolean> {
  try {
    await run('modprobe', [module]);
    return true;
  } catch {
    return false;
  }
}

/** A route the proxy owns: `ip route replace <type> <cidr> [dev <dev>] [table <table>]`. */
export interface OwnedRoute {
  type: 'unreachable' | 'local';
  /** `local` routes live on `lo` in the local table; `unreachable` ones in the main table. */
  cidr: string;
}

function routeArgs(r: OwnedRoute): string[] {
  return r.type === 'local' ? ['local', r.cidr, 'dev', 'lo', 'table', 'local'] : ['unreachable', r.cidr];
}

/** Installs (or keeps) a route. */
export async function ensureRoute(r: OwnedRoute): Promise<void> {
  await run('ip', ['route', 'replace', ...routeArgs(r)]);
}

/** Deletes a route; absent is fine. */
export async function removeRoute(r: OwnedRoute): Promise<void> {
  try {
    await run('ip', ['route', 'del', ...routeArgs(r)]);
  } catch (e) {
    if (!/No such process|not found|Cannot find/i.test((e as HostCommandError).stderr ?? '')) throw e;
  }
}
