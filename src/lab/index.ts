// The embedded lab: real ovsdb-server, ovn-northd and (optionally) ovs-vswitchd processes in a fresh
// temporary directory, reachable on unix sockets and 127.0.0.1 ports, stopped by PID.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { makeLabCertificates } from './certificates.js';
import { startCentral, type Central, type CentralOptions } from './central.js';
import { deleteNetnsNow, LAB_DIR_PREFIX, registerLab, removeLabDirNow, sweepOrphanedLabs, writeOwnerFile } from './cleanup.js';
import type { LabDaemon } from './daemon.js';
import { startDatabase, type StartContext } from './databases.js';
import { LabOutsideHostImpl, normalizeOutsideOptions } from './outside.js';
import { normalizeHypervisorOptions, startHypervisors, type HypervisorCentral, type HypervisorsContext } from './hypervisors.js';
import { readPidFile, runCommand, terminate } from './process.js';
import { normalizeRelayGroup } from './relay.js';
import type { Lab, LabOptions } from './types.js';
import { normalizeZoneOptions, startZones, zoneIndexOf } from './zones.js';

export type * from './types.js';
export { LabCommandError } from './process.js';
export { configureNodeWithVsctl, underlayIp, underlayMac } from './hypervisor.js';
export { OUTSIDE_DEFAULTS } from './outside.js';
export { arpRequest, echoRequest, igmpReport, mldv2Report, multicastMac, neighborSolicitation, readFrame, sctpInit, solicitedNode, udpDatagram } from './ip-frames.js';
export type { FrameView, FrameAddresses } from './ip-frames.js';
export { readPcapFrames } from './pcap.js';

export { SCHEMAS } from './databases.js';
export { LabRelayError } from './relay.js';

/**
 * Node cannot connect to unix socket paths of 108 bytes or more. The lab's longest path below the base is
 * `/ovnlab-XXXXXX/hv254/ovn-controller.4194304.ctl` (47 bytes), so a base of at most 50 keeps every socket
 * under 100.
 */
const MAX_BASE_DIR_LENGTH = 50;

function labBaseDir(): string {
  const base = tmpdir();
  return base.length <= MAX_BASE_DIR_LENGTH ? base : '/tmp';
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  // Refuse bad options before anything is started.
  const outsideOptions = options.outside ? normalizeOutsideOptions(options.outside) : undefined;
  let hypervisorOptions = options.hypervisors === undefined ? undefined : normalizeHypervisorOptions(options.hypervisors);
  if (outsideOptions) {
    // The outside host plugs into the hub: two hypervisors are then joined through one too.
    if (!hypervisorOptions) throw new RangeError('lab: an outside host needs hypervisors');
    if (typeof options.hypervisors === 'object' && options.hypervisors.wire === 'direct') {
      throw new RangeError('lab: an outside host needs the hypervisors joined through a hub (wire: \'hub\'), not a direct wire');
    }
    hypervisorOptions = { ...hypervisorOptions, wire: 'hub' };
  }
  const zoneOptions = options.zones === undefined ? undefined : normalizeZoneOptions(options.zones);
  const northd = options.northd ?? true;
  if (zoneOptions && !northd) throw new RangeError('lab: zones need ovn-northd (northd: false cannot go with zones)');
  const relays = { nb: normalizeRelayGroup('nb', options.relays?.nb), sb: normalizeRelayGroup('sb', options.relays?.sb) };
  const centralOptions: CentralOptions = {
    clustered: options.clustered ?? false, northd, relays: { ...(relays.nb ? { nb: relays.nb } : {}), ...(relays.sb ? { sb: relays.sb } : {}) },
    ...(options.electionTimerMs === undefined ? {} : { electionTimerMs: options.electionTimerMs }),
  };
  const base = options.baseDir ?? labBaseDir();
  if (base.length > MAX_BASE_DIR_LENGTH) {
    throw new RangeError(`lab: baseDir ${base} is longer than ${MAX_BASE_DIR_LENGTH} characters (unix socket paths must stay short)`);
  }
  sweepOrphanedLabs(base);
  const dir = mkdtempSync(join(base, LAB_DIR_PREFIX));
  writeOwnerFile(dir);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Every daemon's run, log, db and config directory is the lab's (vswitchd puts br-int.mgmt in its rundir).
  for (const prefix of ['OVS', 'OVN']) {
    for (const kind of ['RUNDIR', 'LOGDIR', 'DBDIR', 'SYSCONFDIR']) env[`${prefix}_${kind}`] = dir;
  }
  const ctx: StartContext = { dir, env, servers: [] };
  const extraPids: number[] = [];
  /** ovn-northd and ovn-ic: their PIDs change when a test restarts them. */
  const daemons: LabDaemon[] = [];
  let netns: string | undefined;
  const netnsPrefix = `${LAB_DIR_PREFIX}${basename(dir).slice(LAB_DIR_PREFIX.length)}`;
  const simulated: HypervisorsContext['started'] = { hypervisors: [] };
  let outside: LabOutsideHostImpl | undefined;
  const sandboxes = () => [
    ...simulated.hypervisors.map((hv) => hv.sandbox), ...(simulated.hub ? [simulated.hub.sandbox] : []), ...(outside ? [outside.sandbox] : []),
  ];
  let stopped = false;
  const unregister = registerLab({
    dir, keepDir: options.keepDir ?? false,
    pids: () => [
      ...extraPids, ...ctx.servers.map((s) => s.pid), ...daemons.map((d) => d.pid),
      ...simulated.hypervisors.flatMap((hv) => hv.daemons.map((d) => d.pid)),
      ...(simulated.hub?.pids ?? []), ...(outside?.pids ?? []),
    ].filter((pid) => pid > 0),
    namespaces: () => [...(netns ? [netns] : []), ...sandboxes().filter((s) => s.netnsCreated).map((s) => s.netns)],
  });

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([
      ...extraPids.map((pid) => terminate(pid)), ...ctx.servers.map((s) => s.stop()), ...daemons.map((d) => d.stop()),
      ...simulated.hypervisors.map((hv) => hv.stop()), simulated.hub?.stop(), outside?.stop(),
    ]);
    if (netns) deleteNetnsNow(netns);
    for (const sandbox of sandboxes()) if (sandbox.netnsCreated) deleteNetnsNow(sandbox.netns);
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
    unregister();
  };

  try {
    if (options.tls) {
      ctx.certificates = await makeLabCertificates(dir, typeof options.tls === 'object' ? options.tls.serverAltNames : undefined);
    }
    const [ovs, started, single] = await Promise.all([
      startDatabase(ctx, 'Open_vSwitch', 'ovs', false),
      zoneOptions ? startZones(ctx, zoneOptions, { ...centralOptions, northd: true }, daemons) : undefined,
      zoneOptions ? undefined : startCentral(ctx, '', centralOptions, daemons),
    ]);
    // The lab's own nb/sb are az1's in a lab with zones.
    const central: Central = started?.zones[0].central ?? single!;
    const { nb, sb, nbctl, sbctl } = central;
    const vsctl = (...args: string[]) => runCommand('ovs-vsctl', [`--db=${ovs.unix}`, '--timeout=20', ...args], { env });
    await vsctl('--no-wait', 'init');

    let vswitchdPid: number | undefined;
    if (options.vswitchd) {
      netns = netnsPrefix;
      await runCommand('ip', ['netns', 'add', netns]);
      writeFileSync(join(dir, 'netns'), netns);
      const pidFile = join(dir, 'vswitchd.pid');
      // --enable-dummy (not =override, which would turn tunnel ports into dummies too); no kernel datapath.
      await runCommand('ip', ['netns', 'exec', netns, 'ovs-vswitchd', '--detach', '--no-chdir', `--pidfile=${pidFile}`,
        `--log-file=${join(dir, 'vswitchd.log')}`, `--unixctl=${join(dir, 'vswitchd.ctl')}`,
        '--enable-dummy', '--disable-system', '--disable-system-route', ovs.servers[0].unix], { env });
      vswitchdPid = await readPidFile(pidFile);
      extraPids.push(vswitchdPid);
      await vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=dummy', 'fail-mode=secure',
        'other-config:disable-in-band=true');
    }

    if (hypervisorOptions) {
      const joinable = (c: Central, zone?: string): HypervisorCentral => ({
        sbRemote: c.sb.relays?.unix ?? c.sb.unix, sbctl: c.sbctl, ...(c.northd ? { nbctl: c.nbctl } : {}),
        ...(zone ? { zone } : {}),
      });
      const zones = started?.zones;
      await startHypervisors({
        labDir: dir, netnsPrefix, env, started: simulated,
        centralOf: (index, count) => {
          if (!zones) return joinable(central);
          const zone = zones[zoneIndexOf(index, count, zones.length) - 1];
          return joinable(zone.central, zone.name);
        },
      }, hypervisorOptions);
      for (const hv of simulated.hypervisors) started?.zones.find((z) => z.name === hv.zone)?.hypervisors.push(hv);
    }
    if (outsideOptions && simulated.hub) {
      outside = new LabOutsideHostImpl(dir, netnsPrefix, env, simulated.hub, outsideOptions);
      await outside.start();
    }

    const tls = ctx.certificates?.forClients;
    const hints = [
      `ovs-vsctl --db=${ovs.servers[0].unix} show`,
      `ovn-nbctl --db=${nb.unix} show`,
      `ovn-sbctl --db=${sb.unix} show`,
      `ovsdb-client list-dbs ${nb.servers[0].tcp}`,
    ];
    for (const hv of simulated.hypervisors.slice(0, 2)) {
      hints.push(`ovs-vsctl --db=${hv.ovsdb} show`, `ovs-appctl -t ${hv.vswitchdSocket} ofproto/list-tunnels`);
    }
    if (outside) hints.push(`ip netns exec ${outside.netns} ip address  # the outside host`, `tshark -r ${outside.pcapPath('rx')}  # what reached it`);
    if (tls && nb.ssl) {
      hints.push(`ovn-nbctl --db=${nb.ssl} -p ${tls.clientKey} -c ${tls.clientCert} -C ${tls.caCert} show`);
    }
    if (sb.relays) hints.push(`ovn-sbctl --no-leader-only --db=${sb.relays.unix} show`);
    if (started) {
      hints.push(`ovn-ic-sbctl --db=${started.interconnect.sb.unix} show`);
      for (const zone of started.zones.slice(1, 2)) hints.push(`ovn-nbctl --db=${zone.nb.unix} show  # ${zone.name}`);
    }
    const lab: Lab = {
      dir, ovs, nb, sb, hints, nbctl, sbctl, vsctl, stop,
      hypervisors: simulated.hypervisors,
      zones: started?.zones ?? [],
      ...(started ? { interconnect: started.interconnect } : {}),
      ...(central.northd ? { northd: central.northd } : {}),
      ...(simulated.hub ? { hub: simulated.hub } : {}),
      ...(outside ? { outside } : {}),
      ...(tls ? { tls } : {}),
      ...(netns ? { netns } : {}),
      ...(vswitchdPid ? { vswitchdPid } : {}),
    };
    return lab;
  } catch (error) {
    // The start failed part-way: end what was recorded, then whatever left a pidfile; the start's own error is
    // what the caller needs to see, not a clean-up error it may have caused.
    await stop().catch(() => undefined);
    if (!options.keepDir) removeLabDirNow(dir);
    throw error;
  }
}
