#!/usr/bin/env node
// The berth command line: `berth <command> [flags]`. Each command lives in its own module and
// registers itself on the program; this file only assembles them.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../common/version.js';
import { registerServer } from './server.js';
import { registerRegistry } from './registry.js';
import { registerNodeCommands } from './node.js';

export function buildProgram(): Command {
  const program = new Command('berth')
    .description('A Kubernetes-compatible container platform with a Harbor-style private registry built in')
    .version(`berth ${VERSION.gitVersion} (Kubernetes ${VERSION.major}.${VERSION.minor} compatible)`, '--version', 'print the version and exit')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (s, write) => write(s.split('\n')[0] + '\n') });
  program
    .command('version')
    .description('print the version and exit')
    .action(() => {
      process.stdout.write(`berth ${VERSION.gitVersion} (Kubernetes ${VERSION.major}.${VERSION.minor} compatible)\n`);
    });
  registerServer(program);
  registerRegistry(program);
  registerNodeCommands(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`berth: ${msg}\n`);
    process.exit(1);
  }
}

await main();
