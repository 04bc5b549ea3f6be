// `ovn-overlay lab`: starts the embedded lab with everything on (TLS, ovn-northd, a userspace vswitchd, and two
// simulated OVN hypervisors configured through the library's node API; on request RAFT clusters, relays in front
// of NB/SB and OVN interconnect zones), prints its remotes and opens the REPL
// connected to it (unix sockets: no TLS set-up needed). On a terminal the REPL owns the session: .exit, Ctrl-D
// or Ctrl-C twice stop the lab. When stdin is not a terminal (CI, `npm run lab </dev/null`), piped lines run
// in the REPL and at the end of input the lab stays up until SIGINT/SIGTERM; `.exit` stops it.
import { startLab, type Lab, type LabDatabase, type LabRelayOptions } from '../lab/index.js';
import { MAX_RELAYS } from '../lab/relay.js';
import { MAX_ZONES } from '../lab/zones.js';
import { configureNodeAt } from '../ovs/node-config.js';
import { parse } from './args.js';
import { usageError } from './cli-error.js';
import { ClusterApi } from './cluster-api.js';
import { connectDatabases } from './connect.js';
import { LAB_USAGE } from './help.js';
import { aliasHandles, startRepl } from './repl.js';
import { describeConnections } from './repl-command.js';

export const DEFAULT_HYPERVISORS = 2;

export interface LabCommandOptions {
  clustered: boolean;
  /** Simulated hypervisors: 0 for none, else at least 2. */
  hypervisors: number;
  /** ovsdb-server relays in front of NB and SB (`--relays`); none when absent. */
  relays?: LabRelayOptions;
  /** OVN interconnect availability zones (`--zones`); none when absent. */
  zones?: number;
  debug?: boolean;
}

function describeDatabase(db: LabDatabase, indent = ''): string[] {
  const lines = [`${indent}${db.name}:`, `${indent}  unix: ${db.unix}`, `${indent}  tcp:  ${db.tcp}`];
  if (db.ssl) lines.push(`${indent}  ssl:  ${db.ssl}`);
  if (db.relays) lines.push(`${indent}  relays (${db.relays.servers.length}): ${db.relays.unix}`, `${indent}          ${db.relays.tcp}`);
  return lines;
}

export function describeLab(lab: Lab): string {
  const lines = [`lab directory: ${lab.dir}`];
  for (const db of [lab.ovs, lab.nb, lab.sb]) lines.push(...describeDatabase(db));
  if (lab.interconnect) {
    lines.push(`Interconnect (ovn-ic in every zone; ${lab.nb.name} and ${lab.sb.name} above are ${lab.zones[0].name}'s):`);
    for (const db of [lab.interconnect.nb, lab.interconnect.sb]) lines.push(...describeDatabase(db, '  '));
    for (const zone of lab.zones) {
      const hvs = zone.hypervisors.map((hv) => hv.name).join(' ');
      lines.push(`  zone ${zone.name}: NB ${zone.nb.unix}  SB ${zone.sb.unix}${hvs ? `  hypervisors ${hvs}` : ''}`);
      if (zone.nb.relays || zone.sb.relays) lines.push(`    relays: NB ${zone.nb.relays?.unix ?? '-'}  SB ${zone.sb.relays?.unix ?? '-'}`);
    }
  }
  if (lab.tls) {
    lines.push('TLS files (client):', `  --ca ${lab.tls.caCert} --cert ${lab.tls.clientCert} --key ${lab.tls.clientKey}`);
  }
  if (lab.netns) lines.push(`ovs-vswitchd (userspace, dummy datapath) in network namespace ${lab.netns}`);
  if (lab.hypervisors.length > 0) {
    lines.push(`Hypervisors (ovsdb-server + ovs-vswitchd + ovn-controller each, ${lab.hypervisors[0].encapType}, wire ${lab.hub ? 'through a hub' : 'back to back'}):`);
    for (const hv of lab.hypervisors) {
      lines.push(`  ${hv.name}  underlay ${hv.encapIp}  Open_vSwitch at ${hv.ovsdb}  wire capture ${hv.pcapPath(hv.wirePort, 'tx')}`);
    }
  }
  lines.push('Try:', ...lab.hints.map((hint) => `  ${hint}`));
  lines.push(`  ovn-overlay repl --db ${[lab.nb.tcp, lab.sb.tcp, lab.ovs.tcp].join(',')}`);
  return lines.join('\n');
}

/** `--relays N` (N in front of NB and N in front of SB) or `--relays nb=N,sb=M` (either may be left out). */
export function relayCounts(text: string | undefined): LabRelayOptions | undefined {
  if (text === undefined) return undefined;
  const bad = () => usageError(`lab: --relays must be N (relays in front of NB and of SB each, 1..${MAX_RELAYS}) or nb=N,sb=M, not "${text}"`);
  const count = (digits: string, min: number): number => {
    const n = /^\d+$/.test(digits) ? Number(digits) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > MAX_RELAYS) throw bad();
    return n;
  };
  if (/^\d+$/.test(text)) {
    const n = count(text, 1);
    return { nb: n, sb: n };
  }
  const relays: { nb?: number; sb?: number } = {};
  for (const part of text.split(',')) {
    const m = /^(nb|sb)=(\d+)$/.exec(part);
    if (!m || relays[m[1] as 'nb' | 'sb'] !== undefined) throw bad();
    relays[m[1] as 'nb' | 'sb'] = count(m[2], 0);
  }
  if (!relays.nb && !relays.sb) throw bad();
  return relays;
}

/** `--zones N`: OVN interconnect availability zones, 2 and more (one zone is a lab without interconnect). */
export function zoneCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 2 || n > MAX_ZONES) throw usageError(`lab: --zones must be 2..${MAX_ZONES}, not "${text}"`);
  return n;
}

/** `--hypervisors N`: 0 (none) or 2 and more (a simulated overlay needs two ends). */
export function hypervisorCount(text: string | undefined): number {
  if (text === undefined) return DEFAULT_HYPERVISORS;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n === 1 || n > 16) throw usageError(`lab: --hypervisors must be 0 (none) or 2..16, not "${text}"`);
  return n;
}

export async function runLabCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse('lab', argv, { clustered: { type: 'boolean' }, hypervisors: { type: 'string' }, relays: { type: 'string' }, zones: { type: 'string' } });
  if (values.help) { process.stdout.write(LAB_USAGE); return 0; }
  const relays = relayCounts(values.relays);
  const zones = zoneCount(values.zones);
  await runLab({
    clustered: values.clustered ?? false, hypervisors: hypervisorCount(values.hypervisors), debug: values.debug,
    ...(relays ? { relays } : {}), ...(zones ? { zones } : {}),
  });
  return 0;
}

export async function runLab(options: LabCommandOptions): Promise<void> {
  const started = Date.now();
  const lab = await startLab({
    tls: true, vswitchd: true, clustered: options.clustered,
    ...(options.relays ? { relays: options.relays } : {}), ...(options.zones ? { zones: options.zones } : {}),
    ...(options.hypervisors > 0 ? {
      // The hypervisors' OVN settings are written by the library's node API, as a node agent would.
      hypervisors: { count: options.hypervisors, configureNode: async (node, settings) => { await configureNodeAt(node.ovsdb, settings); } },
    } : {}),
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= lab.stop().then(() => { process.stdout.write('lab stopped.\n'); });
    return stopping;
  };
  let k8s: ClusterApi | undefined;
  try {
    const relayCount = (db: LabDatabase) => db.relays?.servers.length ?? 0;
    const what = [
      options.clustered ? 'NB and SB clustered' : '',
      lab.nb.relays || lab.sb.relays ? `relays ${relayCount(lab.nb)} NB + ${relayCount(lab.sb)} SB${lab.zones.length > 0 ? ' per zone' : ''}` : '',
      lab.zones.length > 0 ? `${lab.zones.length} interconnect zones` : '',
      lab.hypervisors.length > 0 ? `${lab.hypervisors.length} hypervisors` : '',
    ].filter((x) => x !== '');
    console.log(`ovn-overlay lab is up (${Date.now() - started} ms)${what.length > 0 ? `, ${what.join(', ')}` : ''}.`);
    console.log(describeLab(lab));
    const databases = await connectDatabases([lab.nb.unix, lab.sb.unix, lab.ovs.unix].join(','));
    const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const hvs = Object.fromEntries(lab.hypervisors.map((hv) => [hv.name, hv]));
    const zones = Object.fromEntries(lab.zones.map((zone) => [zone.name, zone]));
    // The REPL's nb is the first zone's, so k8s binds pods only on that zone's hypervisors.
    const k8sHypervisors = lab.zones.length > 0 ? lab.zones[0].hypervisors : lab.hypervisors;
    k8s = new ClusterApi(aliasHandles(databases.byName).get('nb')!, { lab: { ...lab, hypervisors: k8sHypervisors } });
    console.log(`The REPL is connected to the lab:\n${describeConnections(databases.byName)}\n  lab  the lab itself (lab.nbctl(...), lab.vsctl(...), lab.stop())`
      + `${lab.hypervisors.length > 0 ? `\n  ${Object.keys(hvs).join(', ')}  the hypervisors (hv1.vsctl(...), hv1.inject(port, frame), hv1.pcapPath(port, 'tx'))` : ''}`
      + `${lab.zones.length > 0 ? `\n  ${Object.keys(zones).join(', ')}  the interconnect zones (az2.nbctl('show'), az2.sbctl(...), az2.nb.unix)` : ''}`
      + `${k8sHypervisors.length > 0 ? `\n  k8s  pods: addNode, addPod, bindPod(namespace, pod, ${k8sHypervisors[0].name}), waitUp(namespace, pod), send(namespace, from, to)`
        + `${lab.zones.length > 0 ? ` (on ${lab.zones[0].name}: ${k8sHypervisors.map((hv) => hv.name).join(', ')})` : ''}` : ''}`);
    console.log(terminal
      ? 'Type .help for commands. .exit, Ctrl-D or Ctrl-C twice stops the lab.'
      : 'Reading REPL input from stdin. Press Ctrl-C (SIGINT) or send SIGTERM to stop the lab.');
    const keepAlive = setInterval(() => undefined, 60_000);
    const live: { session?: ReturnType<typeof startRepl> } = {};
    const signalled = new Promise<void>((resolve) => {
      // The lab's own signal hook ends its servers at once: no "connection lost" notices for that.
      const onSignal = (): void => { live.session?.stopNotices(); resolve(); };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    const session = startRepl({ databases: databases.byName, debug: options.debug, k8s, context: { lab, ...hvs, ...zones } });
    live.session = session;
    const ended = session.closed.then(async ({ endOfInput }) => {
      if (!endOfInput) return;
      process.stdout.write('End of input: the lab stays up until Ctrl-C (SIGINT) or SIGTERM.\n');
      await signalled;
    });
    await Promise.race([ended, signalled]);
    session.stopNotices();
    clearInterval(keepAlive);
    await k8s.close();
    await databases.close();
    await stop();
  } catch (error) {
    await k8s?.close();
    await stop();
    throw error;
  }
}
