// `berth server`: the control plane alone (API server + datastore).
import type { Command } from 'commander';
import { CliError } from './errors.js';

export function registerServer(program: Command): void {
  program.command('server').description('run the control plane only (API server and datastore); no nodes, no root needed')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth')
    .option('--listen <host:port>', 'API server address', '127.0.0.1:6443')
    .option('--datastore <url>', 'sqlite:///ABSOLUTE/PATH (default DIR/db/state.db) or etcd://HOST:PORT[,HOST:PORT...]')
    .action(() => {
      throw new CliError('berth server: not implemented yet');
    });
}
