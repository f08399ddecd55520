// `berth server`: the control plane alone (API server + datastore). Opens the datastore, starts the
// API server (which writes DIR/kubeconfig, DIR/tls/ca.crt and DIR/node-token), prints where the
// kubeconfig is, and stops cleanly on SIGINT/SIGTERM.
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './errors.js';
import { createLogger } from '../common/log.js';
import { openStore } from '../storage/index.js';
import type { Store } from '../storage/index.js';
import { parseListen, startApiServer } from '../apiserver/index.js';
import { defaultServerModules } from '../apiserver/modules.js';

interface ServerFlags {
  dataDir: string;
  listen: string;
  datastore?: string;
}

/** Runs the server until a signal arrives; resolves after a clean stop. */
export async function runServer(flags: ServerFlags): Promise<void> {
  const dataDir = resolve(flags.dataDir);
  try {
    parseListen(flags.listen);
  } catch (e) {
    throw new CliError(`${(e as Error).message}`);
  }
  const datastore = flags.datastore ?? `sqlite://${join(dataDir, 'db', 'state.db')}`;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot create data dir ${dataDir}: ${(e as Error).message}`);
  }
  const log = createLogger({ level: process.env.BERTH_LOG_LEVEL ?? 'info' });
  let store: Store;
  try {
    store = await openStore(datastore, { log: log.child({ component: 'storage' }) });
  } catch (e) {
    throw new CliError(`cannot open datastore: ${(e as Error).message.split('\n')[0]}`);
  }
  const modules = defaultServerModules();
  let server;
  try {
    server = await startApiServer({ dataDir, listen: flags.listen, store, log, ...modules });
  } catch (e) {
    await store.close().catch(() => undefined);
    throw new CliError(`${(e as Error).message.split('\n')[0]}`);
  }
  process.stdout.write(`berth server: API server at ${server.url}\nberth server: kubeconfig at ${server.kubeconfigPath}\n`);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'stopping');
      void server.close()
        .then(() => store.close())
        .catch((e) => log.error({ err: (e as Error).message }, 'stop failed'))
        .finally(() => done());
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** Registers `berth server` and its flags (DESIGN.md fixed contracts) on the program. */
export function registerServer(program: Command): void {
  program.command('server').description('run the control plane only (API server and datastore); no nodes, no root needed')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth')
    .option('--listen <host:port>', 'API server address', '127.0.0.1:6443')
    .option('--datastore <url>', 'sqlite:///ABSOLUTE/PATH (default DIR/db/state.db) or etcd://HOST:PORT[,HOST:PORT...]')
    .action(async (flags: ServerFlags) => {
      await runServer(flags);
      // Everything berth started is stopped; exit even if a library left a handle open.
      process.exit(0);
    });
}
