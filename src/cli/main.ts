#!/usr/bin/env node
// The `ovn-overlay` command: dispatches to the subcommands; errors are one line (stack with --debug) and a
// non-zero exit code (1 failure, 2 usage).
import { CliError, describeError } from './cli-error.js';
import { didYouMean } from './did-you-mean.js';
import { MAIN_USAGE } from './help.js';
import { exitWhenFlushed } from './output.js';
import { runLabCommand } from './lab-command.js';
import { runReplCommand } from './repl-command.js';
import { runDecodeCommand } from './decode-command.js';
import { runEncapCommand } from './encap-command.js';
import { runStatsCommand } from './stats-command.js';

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
  lab: runLabCommand,
  repl: runReplCommand,
  decode: runDecodeCommand,
  encap: runEncapCommand,
  stats: runStatsCommand,
  // Loaded when run: the agent's modules and @kubernetes/client-node would double every other command's start-up.
  agent: async (argv) => (await import('./agent-command.js')).runAgentCommand(argv),
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) { process.stderr.write(MAIN_USAGE); return 2; }
  if (command === '--help' || command === '-h' || command === 'help') { process.stdout.write(MAIN_USAGE); return 0; }
  const run = COMMANDS[command];
  if (!run) throw new CliError(`unknown command '${command}'${didYouMean(command, Object.keys(COMMANDS))} (commands: ${Object.keys(COMMANDS).join(', ')}; see 'ovn-overlay --help')`, 2);
  return run(rest);
}

// `ovn-overlay decode x.pcap | head`: a closed pipe ends the command quietly, as for other Unix tools.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const argv = process.argv.slice(2);
// Nothing is left to do once a command returns: end even if a socket or a stdin reader is still open, but only
// after its output has left the process.
main(argv).then((code) => exitWhenFlushed(code), (error: unknown) => {
  process.stderr.write(`ovn-overlay: ${describeError(error, argv.includes('--debug'), false)}\n`);
  return exitWhenFlushed(error instanceof CliError ? error.exitCode : 1);
});
