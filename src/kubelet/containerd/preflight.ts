// Preflight checks before the node agent starts containerd: each gives one line a user can act on.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DEBIAN_CNI_BIN_DIR } from './config.js';

/** The outcome of one check. */
export interface PreflightResult {
  /** What was checked: `root`, `containerd`, `runc`, `cni`. */
  check: string;
  ok: boolean;
  /** One line: what was found, or what is missing and how to get it. */
  message: string;
}

/** What the checks look at; defaults are the real process and machine. */
export interface PreflightEnv {
  uid?: number;
  path?: string;
  cniBinDir?: string;
  /** Whether a file exists and is executable. */
  isExecutable?: (file: string) => boolean;
}

/** The CNI plugins berth's network config uses (containerd itself needs `loopback`). */
export const REQUIRED_CNI_PLUGINS = ['bridge', 'host-local', 'portmap', 'loopback'] as const;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on `path`, if any. */
export function which(name: string, path: string, isExecutable: (f: string) => boolean = executable): string | undefined {
  return path.split(delimiter).filter(Boolean).map((d) => join(d, name)).find((f) => isExecutable(f));
}

/**
 * Runs every check (root, containerd, runc, CNI plugins) and returns one result per check, in
 * that order; the agent prints the failed ones and refuses to start if any failed.
 */
export function preflight(env: PreflightEnv = {}): PreflightResult[] {
  const uid = env.uid ?? process.getuid?.() ?? -1;
  const path = env.path ?? process.env.PATH ?? '';
  const isExec = env.isExecutable ?? executable;
  const cniDir = env.cniBinDir ?? DEBIAN_CNI_BIN_DIR;
  const results: PreflightResult[] = [];
  results.push(uid === 0
    ? { check: 'root', ok: true, message: 'running as root' }
    : { check: 'root', ok: false, message: `the node agent must run as root (uid 0) to run containers; running as uid ${uid}` });
  for (const [bin, pkg] of [['containerd', 'containerd'], ['runc', 'runc']] as const) {
    const found = which(bin, path, isExec);
    results.push(found
      ? { check: bin, ok: true, message: `${bin} found at ${found}` }
      : { check: bin, ok: false, message: `${bin} not found in PATH; install the Debian package ${pkg}` });
  }
  const missing = REQUIRED_CNI_PLUGINS.filter((p) => !isExec(join(cniDir, p)));
  results.push(missing.length === 0
    ? { check: 'cni', ok: true, message: `CNI plugins found in ${cniDir}` }
    : { check: 'cni', ok: false, message: `CNI plugin(s) ${missing.join(', ')} missing from ${cniDir}; install the Debian package containernetworking-plugins` });
  return results;
}
