#!/usr/bin/env node
// The `ovn-overlay` command.
import { runLabCommand } from './lab-command.js';

const usage = `usage: ovn-overlay <command> [options]

commands:
  lab [--clustered]   start the embedded OVS/OVN lab (TLS, userspace ovs-vswitchd, ovn-northd) until Ctrl-C
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case 'lab':
      if (rest.includes('--help')) { process.stdout.write(usage); return 0; }
      await runLabCommand({ clustered: rest.includes('--clustered') });
      return 0;
    default:
      process.stderr.write(`ovn-overlay: unknown command '${command}'\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
  const debug = process.argv.includes('--debug');
  process.stderr.write(`ovn-overlay: ${debug && error instanceof Error ? error.stack : error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
