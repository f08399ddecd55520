// Node commands: up, agent, down, images, rmi. They need the node agent (containerd, kubelet),
// which is not built yet; each says so in one line and exits 1 rather than pretending.
import type { Command } from 'commander';
import { CliError } from './errors.js';

function notYet(name: string): never {
  throw new CliError(`'berth ${name}' needs the node agent, which this build does not include yet; use 'berth server' for the control plane`);
}

export function registerNodeCommands(program: Command): void {
  program.command('up').description('run the whole system on this machine (not available in this build)')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth')
    .option('--nodes <n>', 'number of nodes', '1')
    .option('--listen <host:port>', 'API server address', '127.0.0.1:6443')
    .option('--registry-listen <host:port>', 'built-in registry address', '127.0.0.1:5000')
    .option('--registry-config <file>', "registries.yaml (k3s's schema)")
    .action(() => notYet('up'));
  program.command('agent').description('join a node to a server (not available in this build)')
    .requiredOption('--server <url>', 'API server URL')
    .requiredOption('--token-file <file>', 'node join token file')
    .option('--node-name <name>', 'node name')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth')
    .option('--registry-config <file>', "registries.yaml (k3s's schema)")
    .action(() => notYet('agent'));
  program.command('down').description('stop every container berth started and remove its network state (not available in this build)')
    .option('--data-dir <dir>', 'data directory', '/var/lib/berth')
    .action(() => notYet('down'));
  program.command('images').description("list images in a node's containerd (not available in this build)")
    .option('--node <name>', 'node name')
    .action(() => notYet('images'));
  program.command('rmi').description("remove an image from a node's containerd (not available in this build)")
    .argument('<image>')
    .option('--node <name>', 'node name')
    .action(() => notYet('rmi'));
}
