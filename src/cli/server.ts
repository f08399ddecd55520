// `berth server`: the control plane alone: datastore, API server (which writes DIR/kubeconfig,
// DIR/tls/ca.crt and DIR/node-token), controllers and scheduler. Prints where the kubeconfig is
// and stops cleanly on SIGINT/SIGTERM.
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './errors.js';
import { createLogger } from '../common/log.js';
import { parseListen } from '../apiserver/index.js';
import { controlPlaneComponents, type ControlPlane } from '../supervisor/control-plane.js';
import { Supervisor, untilSignal } from '../supervisor/supervisor.js';

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
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot create data dir ${dataDir}: ${(e as Error).message}`);
  }
  const log = createLogger({ level: process.env.BERTH_LOG_LEVEL ?? 'info' });
  const state: ControlPlane = {};
  // Progress lines go to the log: `berth server` prints only where to find it, as before.
  const sup = new Supervisor(log, (line) => log.info(line));
  try {
    await sup.start(controlPlaneComponents({ dataDir, listen: flags.listen, datastore: flags.datastore, log, state }));
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0].replace(/^datastore: /, 'cannot open datastore: ').replace(/^API server: /, '');
    throw new CliError(msg);
  }
  const server = state.api!;
  process.stdout.write(`berth server: API server at ${server.url}\nberth server: kubeconfig at ${server.kubeconfigPath}\n`);
  const sig = await untilSignal();
  log.info({ signal: sig }, 'stopping');
  await sup.stop();
}

/** Registers `berth server` and its flags (DESIGN.md fixed contracts) on the program. */
export function registerServer(program: Command): void {
  program.command('server').description('run the control plane only (datastore, API server, controllers, scheduler); no nodes, no root needed')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth')
    .option('--listen <host:port>', 'API server address', '127.0.0.1:6443')
    .option('--datastore <url>', 'sqlite:///ABSOLUTE/PATH (default DIR/db/state.db) or etcd://HOST:PORT[,HOST:PORT...]')
    .action(async (flags: ServerFlags) => {
      await runServer(flags);
      // Everything berth started is stopped; exit even if a library left a handle open.
      process.exit(0);
    });
}
