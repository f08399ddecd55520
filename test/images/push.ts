// Running skopeo hermetically, and pushing built layouts with it.
//
// skopeo (containers/image) reads /etc/containers/{policy.json,registries.conf} and, as root,
// keeps a blob-info cache in /var/lib/containers/cache. A ClientSandbox gives each run its own
// policy, registries.conf and cache dir under a temp dir: the cache location follows the
// rootless rules when `_CONTAINERS_ROOTLESS_UID` is set (containers/image
// internal/rootless.GetRootlessEUID), so it lands in $XDG_DATA_HOME/containers/cache instead.
// Credentials go through an auth file (mode 0600), never argv.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Result of running a client command. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A temp dir with a registry client's own configuration and caches. */
export interface ClientSandbox {
  dir: string;
  /** Environment for skopeo: HOME, XDG dirs, registries.conf, rootless cache location. */
  env: NodeJS.ProcessEnv;
  /** containers-policy.json accepting anything (the images are unsigned). */
  policyFile: string;
  /** An empty registries.conf: no mirrors, no short-name search. */
  registriesConf: string;
  /** Writes an auth.json (mode 0600) holding the credentials for each host; returns its path. */
  authFile(name: string, creds: { host: string; username: string; password: string }[]): string;
  /** A cert dir (for --cert-dir / --dest-cert-dir) trusting only `caFile`. */
  certDir(caFile: string): string;
  /** Removes the sandbox. */
  remove(): void;
}

/** Creates a client sandbox under a new temp dir. */
export function createClientSandbox(prefix = 'berth-client-'): ClientSandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const policyFile = join(dir, 'policy.json');
  const registriesConf = join(dir, 'registries.conf');
  writeFileSync(policyFile, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  writeFileSync(registriesConf, 'unqualified-search-registries = []\n');
  for (const d of ['home', 'data', 'config', 'run', 'tmp']) mkdirSync(join(dir, d), { mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: join(dir, 'home'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    TMPDIR: join(dir, 'tmp'),
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    _CONTAINERS_ROOTLESS_UID: '1',
  };
  let certDirs = 0;
  return {
    dir, env, policyFile, registriesConf,
    authFile(name, creds) {
      const auths: Record<string, { auth: string }> = {};
      for (const c of creds) auths[c.host] = { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') };
      const path = join(dir, `${name}.auth.json`);
      writeFileSync(path, JSON.stringify({ auths }), { mode: 0o600 });
      chmodSync(path, 0o600);
      return path;
    },
    certDir(caFile) {
      // containers/image reads every *.crt as a CA and pairs *.key with *.cert: a dir holding the
      // CA's key (such as berth's DIR/tls) would fail, so copy the certificate alone.
      const d = join(dir, `certs-${certDirs++}`);
      mkdirSync(d);
      copyFileSync(caFile, join(d, 'ca.crt'));
      return d;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a command to completion, capturing its output (stdin closed). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; signal?: AbortSignal } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Runs skopeo inside a sandbox, with the sandbox's policy and registries.conf. */
export function skopeo(sb: ClientSandbox, args: string[], signal?: AbortSignal): Promise<RunResult> {
  return run('skopeo', ['--policy', sb.policyFile, '--registries-conf', sb.registriesConf, ...args], { env: sb.env, signal });
}

/** TLS options for a registry: verify against a CA, or plain HTTP. */
export type RegistryTls = { caFile: string } | { plainHttp: true };

/** Options of pushLayout. */
export interface PushOptions {
  /** A sandbox to run in; a temporary one is made (and removed) when absent. */
  sandbox?: ClientSandbox;
  /** An auth.json to use, or credentials to write into one (from a file or the environment, never argv). */
  authFile?: string;
  credentials?: { username: string; password: string };
  tls: RegistryTls;
  signal?: AbortSignal;
  /** Manifest format to push (skopeo --format); default: the layout's own (OCI). */
  format?: 'oci' | 'v2s2';
}

/** skopeo's TLS flags for one side of a copy (`prefix` is 'src-', 'dest-' or ''). */
export function tlsFlags(sb: ClientSandbox, tls: RegistryTls, prefix: '' | 'src-' | 'dest-'): string[] {
  return 'caFile' in tls ? [`--${prefix}cert-dir`, sb.certDir(tls.caFile), `--${prefix}tls-verify=true`] : [`--${prefix}tls-verify=false`];
}

/**
 * Pushes an OCI layout with `skopeo copy oci:DIR:tag docker://DEST`, DEST being
 * `HOST[:PORT]/REPO:TAG`. Throws with skopeo's stderr when the copy fails.
 */
export async function pushLayout(ociRef: string, dest: string, opts: PushOptions): Promise<void> {
  const sb = opts.sandbox ?? createClientSandbox();
  try {
    const host = dest.split('/')[0];
    const authFile = opts.authFile ?? (opts.credentials ? sb.authFile(`push-${Date.now()}`, [{ host, ...opts.credentials }]) : undefined);
    const args = ['copy', '--retry-times', '0', ...(opts.format ? ['--format', opts.format] : []), ...tlsFlags(sb, opts.tls, 'dest-'), ...(authFile ? ['--dest-authfile', authFile] : ['--dest-no-creds']), ociRef, `docker://${dest}`];
    const r = await skopeo(sb, args, opts.signal);
    if (r.code !== 0) throw new Error(`skopeo copy ${ociRef} docker://${dest} exited ${r.code}: ${r.stderr.trim()}`);
  } finally {
    if (!opts.sandbox) sb.remove();
  }
}

/**
 * Push credentials from the environment: BERTH_REGISTRY_USERNAME with BERTH_REGISTRY_PASSWORD_FILE
 * (a file holding the password) or BERTH_REGISTRY_PASSWORD; undefined when no username is set.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): { username: string; password: string } | undefined {
  const username = env.BERTH_REGISTRY_USERNAME;
  if (!username) return undefined;
  const file = env.BERTH_REGISTRY_PASSWORD_FILE;
  const password = file ? readFileSync(file, 'utf8').replace(/\r?\n$/, '') : env.BERTH_REGISTRY_PASSWORD;
  if (password === undefined) throw new Error('BERTH_REGISTRY_USERNAME is set but neither BERTH_REGISTRY_PASSWORD_FILE nor BERTH_REGISTRY_PASSWORD');
  return { username, password };
}

// node --import tsx test/images/push.ts oci:DIR:TAG HOST:PORT/REPO:TAG (--ca-file FILE | --plain-http)
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [src, dest] = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--ca-file');
  const caIdx = args.indexOf('--ca-file');
  const tls: RegistryTls | undefined = caIdx >= 0 && args[caIdx + 1] ? { caFile: resolve(args[caIdx + 1]) } : args.includes('--plain-http') ? { plainHttp: true } : undefined;
  if (!src?.startsWith('oci:') || !dest || !tls) throw new Error('usage: push.ts oci:DIR:TAG HOST:PORT/REPO:TAG (--ca-file FILE | --plain-http)');
  await pushLayout(src, dest, { tls, credentials: credentialsFromEnv() });
  process.stdout.write(`pushed ${src} to ${dest}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`push: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
