// `berth registry`: the Harbor-style OCI registry alone, and its admin subcommands.
import type { Command } from 'commander';
import { CliError } from './errors.js';

export function registerRegistry(program: Command): void {
  program.command('registry').description('run the Harbor-style OCI registry alone')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth/registry')
    .option('--listen <host:port>', 'listen address', '127.0.0.1:5000')
    .option('--plain-http', 'serve plain HTTP (loopback only)')
    .option('--admin-password-file <file>', 'file holding the admin password (else $BERTH_REGISTRY_ADMIN_PASSWORD, else generated)')
    .action(() => {
      throw new CliError('berth registry: not implemented yet');
    });
}
