// `ovn-overlay repl --db <remote>[,...]`: the REPL against any OVS/OVN databases.
import { TLS_OPTIONS, parse, tlsFromArgs } from './args.js';
import { usageError } from './cli-error.js';
import { ClusterApi } from './cluster-api.js';
import { connectDatabases } from './connect.js';
import { REPL_USAGE } from './help.js';
import { aliasHandles, startRepl, type ReplSession } from './repl.js';
import type { DbHandle } from './db-handle.js';

export function describeConnections(databases: ReadonlyMap<string, DbHandle>): string {
  return [...aliasHandles(databases)].map(([alias, h]) => {
    const others = h.db.remotes.length > 1 ? ` (the leader of ${h.db.remotes.length} members: ${h.remotes})` : '';
    return `  ${alias.padEnd(4)} ${h.name} at ${h.remote}${others}`;
  }).join('\n');
}

export async function runReplCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse('repl', argv, { db: { type: 'string' }, ...TLS_OPTIONS });
  if (values.help) { process.stdout.write(REPL_USAGE); return 0; }
  const remotes = values.db ?? process.env.OVN_OVERLAY_DB;
  if (remotes === undefined || remotes === '') throw usageError("repl: --db <remote>[,<remote>...] is required (see 'ovn-overlay repl --help')");
  const databases = await connectDatabases(remotes, {
    tls: tlsFromArgs(values),
    warn: (line) => process.stderr.write(`ovn-overlay: warning: ${line}\n`),
  });
  process.stdout.write(`Connected:\n${describeConnections(databases.byName)}\nType .help for commands; .exit or Ctrl-D leaves.\n`);
  const nb = databases.byName.get('OVN_Northbound');
  const k8s = nb ? new ClusterApi(nb) : undefined;
  const session = startRepl({ databases: databases.byName, debug: values.debug, ...(k8s ? { k8s } : {}) });
  await session.closed;
  // A rejection nobody awaited is reported by the REPL on the next turn: let it count before the verdict.
  await new Promise((resolve) => setImmediate(resolve));
  session.stopNotices();
  await k8s?.close(); // k8s.apply's agent finishes what it has in flight before the replica closes
  await databases.close();
  return scriptVerdict(session);
}

/**
 * The exit code of a REPL session: a script (piped input) that had a command fail exits 1, with one line on
 * stderr saying so; an interactive session, or a script without failures, exits 0.
 */
export function scriptVerdict(session: Pick<ReplSession, 'script' | 'failures'>): number {
  if (!session.script || session.failures === 0) return 0;
  process.stderr.write(`ovn-overlay: ${session.failures} command${session.failures === 1 ? '' : 's'} of the script failed\n`);
  return 1;
}
