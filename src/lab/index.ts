// The embedded lab: real ovsdb-server, ovn-northd and (optionally) ovs-vswitchd processes in a fresh
// temporary directory, reachable on unix sockets and 127.0.0.1 ports, stopped by PID.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { makeLabCertificates, type LabCertificates } from './certificates.js';
import { deleteNetnsNow, LAB_DIR_PREFIX, OWNER_FILE, registerLab, removeLabDirNow, sweepOrphanedLabs } from './cleanup.js';
import { OvsdbServerProcess, waitForLeader } from './database-server.js';
import { normalizeHypervisorOptions, startHypervisors, type HypervisorsContext } from './hypervisors.js';
import { freePort, readPidFile, runCommand, terminate, waitFor } from './process.js';
import type { Lab, LabDatabase, LabDatabaseName, LabOptions, LabServer } from './types.js';

export type * from './types.js';
export { LabCommandError } from './process.js';
export { configureNodeWithVsctl, underlayIp, underlayMac } from './hypervisor.js';
export { readPcapFrames } from './pcap.js';

export const SCHEMAS: Record<LabDatabaseName, string> = {
  Open_vSwitch: '/usr/share/openvswitch/vswitch.ovsschema',
  OVN_Northbound: '/usr/share/ovn/ovn-nb.ovsschema',
  OVN_Southbound: '/usr/share/ovn/ovn-sb.ovsschema',
};

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

class LabDatabaseImpl implements LabDatabase {
  constructor(readonly name: LabDatabaseName, readonly servers: readonly OvsdbServerProcess[]) {}
  get tcp(): string { return this.servers.map((s) => s.tcp).join(','); }
  get unix(): string { return this.servers.map((s) => s.unix).join(','); }
  get ssl(): string | undefined {
    return this.servers[0].ssl === undefined ? undefined : this.servers.map((s) => s.ssl).join(',');
  }
  async leader(): Promise<LabServer> {
    if (this.servers.length === 1) return this.servers[0];
    return waitForLeader(this.servers);
  }
}

interface StartContext {
  dir: string;
  env: NodeJS.ProcessEnv;
  certificates?: LabCertificates;
  servers: OvsdbServerProcess[];
}

async function startStandalone(ctx: StartContext, name: LabDatabaseName, stem: string): Promise<LabDatabaseImpl> {
  const dbFile = join(ctx.dir, `${stem}.db`);
  await runCommand('ovsdb-tool', ['create', dbFile, SCHEMAS[name]], { env: ctx.env });
  const server = await OvsdbServerProcess.start({
    database: name, member: 1, dir: ctx.dir, stem, dbFile, env: ctx.env,
    ...(ctx.certificates ? { tls: ctx.certificates.forServers, sslPort: await freePort() } : {}),
  });
  ctx.servers.push(server);
  return new LabDatabaseImpl(name, [server]);
}

async function startCluster(
  ctx: StartContext, name: LabDatabaseName, stem: string, electionTimerMs: number | undefined,
): Promise<LabDatabaseImpl> {
  const raftPorts = [await freePort(), await freePort(), await freePort()];
  const raftAddress = (port: number) => `tcp:127.0.0.1:${port}`;
  const members: OvsdbServerProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const memberStem = `${stem}${i + 1}`;
    const dbFile = join(ctx.dir, `${memberStem}.db`);
    if (i === 0) {
      await runCommand('ovsdb-tool', ['create-cluster', dbFile, SCHEMAS[name], raftAddress(raftPorts[0])], { env: ctx.env });
    } else {
      await runCommand('ovsdb-tool', ['join-cluster', dbFile, name, raftAddress(raftPorts[i]), raftAddress(raftPorts[0])],
        { env: ctx.env });
    }
    const server = await OvsdbServerProcess.start({
      database: name, member: i + 1, dir: ctx.dir, stem: memberStem, dbFile, env: ctx.env, raftPort: raftPorts[i],
      ...(ctx.certificates ? { tls: ctx.certificates.forServers, sslPort: await freePort() } : {}),
    });
    ctx.servers.push(server);
    members.push(server);
  }
  await Promise.all(members.map((m) => m.waitConnected()));
  if (electionTimerMs !== undefined) await lowerElectionTimer(members, name, electionTimerMs);
  return new LabDatabaseImpl(name, members);
}

/** ovsdb-server accepts at most a halving (or doubling) of the election timer per call, so step towards it. */
async function lowerElectionTimer(members: OvsdbServerProcess[], name: string, targetMs: number): Promise<void> {
  let current = 1000;
  while (current !== targetMs) {
    const next = targetMs < current ? Math.max(targetMs, Math.ceil(current / 2)) : Math.min(targetMs, current * 2);
    // One change at a time: ovsdb-server refuses a new one ("election timer change pending") until the last
    // is committed through the log, which a loaded machine makes visible; so wait until the leader reports it.
    await waitFor(`election timer ${next} ms on ${name}`, async () => {
      const leader = await waitForLeader(members);
      const status = await leader.clusterStatus();
      if (status.includes(`Election timer: ${next}\n`)) return true;
      await leader.appctl('cluster/change-election-timer', name, String(next)).catch((error: Error) => {
        if (!/change pending/.test(error.message)) throw error;
      });
      return undefined;
    });
    current = next;
  }
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  // Refuse bad options before anything is started.
  const hypervisorOptions = options.hypervisors === undefined ? undefined : normalizeHypervisorOptions(options.hypervisors);
  const base = options.baseDir ?? labBaseDir();
  if (base.length > MAX_BASE_DIR_LENGTH) {
    throw new RangeError(`lab: baseDir ${base} is longer than ${MAX_BASE_DIR_LENGTH} characters (unix socket paths must stay short)`);
  }
  sweepOrphanedLabs(base);
  const dir = mkdtempSync(join(base, LAB_DIR_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), `${process.pid}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Every daemon's run, log, db and config directory is the lab's (vswitchd puts br-int.mgmt in its rundir).
  for (const prefix of ['OVS', 'OVN']) {
    for (const kind of ['RUNDIR', 'LOGDIR', 'DBDIR', 'SYSCONFDIR']) env[`${prefix}_${kind}`] = dir;
  }
  const ctx: StartContext = { dir, env, servers: [] };
  const extraPids: number[] = [];
  let netns: string | undefined;
  const netnsPrefix = `${LAB_DIR_PREFIX}${basename(dir).slice(LAB_DIR_PREFIX.length)}`;
  const simulated: HypervisorsContext['started'] = { hypervisors: [] };
  const sandboxes = () => [...simulated.hypervisors.map((hv) => hv.sandbox), ...(simulated.hub ? [simulated.hub.sandbox] : [])];
  let stopped = false;
  const unregister = registerLab({
    dir, keepDir: options.keepDir ?? false,
    pids: () => [
      ...extraPids, ...ctx.servers.map((s) => s.pid),
      ...simulated.hypervisors.flatMap((hv) => hv.daemons.map((d) => d.pid)),
      ...(simulated.hub?.pids ?? []),
    ].filter((pid) => pid > 0),
    namespaces: () => [...(netns ? [netns] : []), ...sandboxes().filter((s) => s.netnsCreated).map((s) => s.netns)],
  });

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([
      ...extraPids.map((pid) => terminate(pid)), ...ctx.servers.map((s) => s.stop()),
      ...simulated.hypervisors.map((hv) => hv.stop()), simulated.hub?.stop(),
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
    const [ovs, nb, sb] = await Promise.all([
      startStandalone(ctx, 'Open_vSwitch', 'ovs'),
      options.clustered ? startCluster(ctx, 'OVN_Northbound', 'nb', options.electionTimerMs) : startStandalone(ctx, 'OVN_Northbound', 'nb'),
      options.clustered ? startCluster(ctx, 'OVN_Southbound', 'sb', options.electionTimerMs) : startStandalone(ctx, 'OVN_Southbound', 'sb'),
    ]);
    const vsctl = (...args: string[]) => runCommand('ovs-vsctl', [`--db=${ovs.unix}`, '--timeout=20', ...args], { env });
    const nbctl = (...args: string[]) => runCommand('ovn-nbctl', [`--db=${nb.unix}`, '--timeout=20', ...args], { env });
    const sbctl = (...args: string[]) => runCommand('ovn-sbctl', [`--db=${sb.unix}`, '--timeout=20', ...args], { env });
    await vsctl('--no-wait', 'init');

    if (options.northd ?? true) {
      const pidFile = join(dir, 'northd.pid');
      await runCommand('ovn-northd', ['--detach', '--no-chdir', `--pidfile=${pidFile}`,
        `--log-file=${join(dir, 'northd.log')}`, `--unixctl=${join(dir, 'northd.ctl')}`,
        `--ovnnb-db=${nb.unix}`, `--ovnsb-db=${sb.unix}`], { env });
      extraPids.push(await readPidFile(pidFile));
      // Readiness without sleeping: returns once northd has carried NB's state into SB.
      await nbctl('--wait=sb', 'sync');
    }

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
      await startHypervisors({
        labDir: dir, netnsPrefix, env, sbRemote: sb.unix, sbctl, started: simulated,
        ...(options.northd ?? true ? { nbctl } : {}),
      }, hypervisorOptions);
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
    if (tls && nb.ssl) {
      hints.push(`ovn-nbctl --db=${nb.ssl} -p ${tls.clientKey} -c ${tls.clientCert} -C ${tls.caCert} show`);
    }
    const lab: Lab = {
      dir, ovs, nb, sb, hints, nbctl, sbctl, vsctl, stop,
      hypervisors: simulated.hypervisors,
      ...(simulated.hub ? { hub: simulated.hub } : {}),
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
