// `berth registry`: the Harbor-style OCI registry alone, and its admin subcommands.
//
// HTTPS by default with a certificate from the registry's own CA (DIR/tls/ca.crt); plain HTTP only
// on a loopback listen address. The admin password comes from --admin-password-file, else
// $BERTH_REGISTRY_ADMIN_PASSWORD, else it is generated once into DIR/admin-password (0600); it is
// never taken from argv and never logged.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ensureLeaf, loadOrCreateCA } from '../common/ca.js';
import { createLogger } from '../common/log.js';
import { createRegistry } from '../registry/index.js';
import { CliError } from './errors.js';

/** A parsed `HOST:PORT` (IPv6 as `[::1]:5000`). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `--listen`; throws CliError with one clear line on a bad value. */
export function parseListen(v: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CliError(`invalid --listen ${JSON.stringify(v)}: want HOST:PORT`);
  return { host: m[1] ?? m[2], port };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * The admin password by precedence: file, environment, then DIR/admin-password (generated once,
 * mode 0600, reused on later starts so the bootstrapped admin keeps working).
 */
export function resolveAdminPassword(dataDir: string, file: string | undefined, env: NodeJS.ProcessEnv): { password: string; source: string } {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read --admin-password-file: ${(e as Error).message}`);
    }
    const password = text.replace(/\r?\n$/, '');
    if (!password) throw new CliError('--admin-password-file is empty');
    return { password, source: file };
  }
  const fromEnv = env.BERTH_REGISTRY_ADMIN_PASSWORD;
  if (fromEnv) return { password: fromEnv, source: 'BERTH_REGISTRY_ADMIN_PASSWORD' };
  const path = join(dataDir, 'admin-password');
  if (existsSync(path)) {
    const password = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    if (password) return { password, source: path };
  }
  const password = randomBytes(18).toString('base64url');
  writeFileSync(path, password + '\n', { mode: 0o600 });
  return { password, source: path };
}

interface RegistryFlags {
  dataDir: string;
  listen: string;
  plainHttp?: boolean;
  adminPasswordFile?: string;
}

async function runRegistry(flags: RegistryFlags): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  if (flags.plainHttp && !isLoopback(host)) {
    throw new CliError(`--plain-http is allowed only on a loopback address, not ${host}`);
  }
  const dataDir = resolve(flags.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger({ level: process.env.BERTH_LOG_LEVEL ?? 'info' }).child({ component: 'registry' });
  const admin = resolveAdminPassword(dataDir, flags.adminPasswordFile, process.env);
  let tls: { cert: string; key: string } | undefined;
  if (!flags.plainHttp) {
    const tlsDir = join(dataDir, 'tls');
    const ca = await loadOrCreateCA(tlsDir, 'berth-registry-ca');
    const hosts = [...new Set(['127.0.0.1', 'localhost', ...(host === '0.0.0.0' || host === '::' ? [] : [host])])];
    const leaf = await ensureLeaf(ca, tlsDir, 'registry', { commonName: 'berth-registry', hosts, usage: 'server' });
    tls = { cert: leaf.certPem + ca.certPem, key: leaf.keyPem };
  }
  const reg = await createRegistry({ dataDir, host, port, tls, adminPassword: admin.password, log });
  log.info({ adminPasswordFrom: admin.source, harbor: reg.harbor }, 'admin password source');
  process.stdout.write(`listening on ${reg.url}\n`);
  if (tls) process.stdout.write(`CA certificate: ${join(dataDir, 'tls', 'ca.crt')}\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void reg.close().finally(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

type RegisterAdmin = (cmd: Command) => void;

// Harbor's admin subcommands (`berth registry project create ...`) live in registry-admin.ts, built
// in parallel; loaded by a computed specifier so this command works before that file exists.
async function loadRegistryAdmin(): Promise<RegisterAdmin | undefined> {
  const spec = ['.', 'registry-admin.js'].join('/');
  try {
    return ((await import(spec)) as { registerRegistryAdmin?: RegisterAdmin }).registerRegistryAdmin;
  } catch (e) {
    const missing = /Cannot find module '([^']+)'/.exec(String((e as Error).message))?.[1] ?? '';
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /registry-admin\.(js|ts)$/.test(missing)) return undefined;
    throw e;
  }
}
const registerAdmin = await loadRegistryAdmin();

/** Adds `berth registry` (and Harbor's admin subcommands when built) to the program. */
export function registerRegistry(program: Command): void {
  const cmd = program.command('registry').description('run the Harbor-style OCI registry alone')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth/registry')
    .option('--listen <host:port>', 'listen address', '127.0.0.1:5000')
    .option('--plain-http', 'serve plain HTTP (loopback only)')
    .option('--admin-password-file <file>', 'file holding the admin password (else $BERTH_REGISTRY_ADMIN_PASSWORD, else generated)')
    .action(async (flags: RegistryFlags) => {
      await runRegistry(flags);
    });
  registerAdmin?.(cmd);
}
