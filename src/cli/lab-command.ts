// `ovn-overlay lab`: starts the embedded lab with everything on, prints its remotes and opens the REPL
// connected to it (unix sockets: no TLS set-up needed). On a terminal the REPL owns the session: .exit,
// Ctrl-D or Ctrl-C twice stop the lab. When stdin is not a terminal (CI, `npm run lab </dev/null`), piped
// lines run in the REPL and at the end of input the lab stays up until SIGINT/SIGTERM; `.exit` stops it.
import { startLab, type Lab } from '../lab/index.js';
import { parse } from './args.js';
import { connectDatabases } from './connect.js';
import { LAB_USAGE } from './help.js';
import { startRepl } from './repl.js';
import { describeConnections } from './repl-command.js';

export interface LabCommandOptions {
  clustered: boolean;
  debug?: boolean;
}

export function describeLab(lab: Lab): string {
  const lines = [`lab directory: ${lab.dir}`];
  for (const db of [lab.ovs, lab.nb, lab.sb]) {
    lines.push(`${db.name}:`, `  unix: ${db.unix}`, `  tcp:  ${db.tcp}`);
    if (db.ssl) lines.push(`  ssl:  ${db.ssl}`);
  }
  if (lab.tls) {
    lines.push('TLS files (client):', `  --ca ${lab.tls.caCert} --cert ${lab.tls.clientCert} --key ${lab.tls.clientKey}`);
  }
  if (lab.netns) lines.push(`ovs-vswitchd (userspace, dummy datapath) in network namespace ${lab.netns}`);
  lines.push('Try:', ...lab.hints.map((hint) => `  ${hint}`));
  lines.push(`  ovn-overlay repl --db ${[lab.nb.tcp, lab.sb.tcp, lab.ovs.tcp].join(',')}`);
  return lines.join('\n');
}

export async function runLabCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse('lab', argv, { clustered: { type: 'boolean' } });
  if (values.help) { process.stdout.write(LAB_USAGE); return 0; }
  await runLab({ clustered: values.clustered ?? false, debug: values.debug });
  return 0;
}

export async function runLab(options: LabCommandOptions): Promise<void> {
  const started = Date.now();
  const lab = await startLab({ tls: true, vswitchd: true, clustered: options.clustered });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= lab.stop().then(() => { process.stdout.write('lab stopped.\n'); });
    return stopping;
  };
  try {
    console.log(`ovn-overlay lab is up (${Date.now() - started} ms)${options.clustered ? ', NB and SB clustered' : ''}.`);
    console.log(describeLab(lab));
    const databases = await connectDatabases([lab.nb.unix, lab.sb.unix, lab.ovs.unix].join(','));
    const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    console.log(`The REPL is connected to the lab:\n${describeConnections(databases.byName)}\n  lab  the lab itself (lab.nbctl(...), lab.vsctl(...), lab.stop())`);
    console.log(terminal
      ? 'Type .help for commands. .exit, Ctrl-D or Ctrl-C twice stops the lab.'
      : 'Reading REPL input from stdin. Press Ctrl-C (SIGINT) or send SIGTERM to stop the lab.');
    const keepAlive = setInterval(() => undefined, 60_000);
    const signalled = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    const session = startRepl({ databases: databases.byName, debug: options.debug, context: { lab } });
    const ended = session.closed.then(async ({ endOfInput }) => {
      if (!endOfInput) return;
      process.stdout.write('End of input: the lab stays up until Ctrl-C (SIGINT) or SIGTERM.\n');
      await signalled;
    });
    await Promise.race([ended, signalled]);
    clearInterval(keepAlive);
    await databases.close();
    await stop();
  } catch (error) {
    await stop();
    throw error;
  }
}
