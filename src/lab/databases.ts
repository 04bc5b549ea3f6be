// The lab's databases: one schema file per database name, started as a standalone ovsdb-server or as a
// 3-member RAFT cluster on 127.0.0.1, each server recorded in the start context as soon as it runs.
import { join } from 'node:path';
import type { LabCertificates } from './certificates.js';
import { OvsdbServerProcess, waitForLeader } from './database-server.js';
import { freePort, runCommand, waitFor } from './process.js';
import type { LabDatabase, LabDatabaseName, LabRelays, LabServer } from './types.js';

export const SCHEMAS: Record<LabDatabaseName, string> = {
  Open_vSwitch: '/usr/share/openvswitch/vswitch.ovsschema',
  OVN_Northbound: '/usr/share/ovn/ovn-nb.ovsschema',
  OVN_Southbound: '/usr/share/ovn/ovn-sb.ovsschema',
  OVN_IC_Northbound: '/usr/share/ovn/ovn-ic-nb.ovsschema',
  OVN_IC_Southbound: '/usr/share/ovn/ovn-ic-sb.ovsschema',
};

/** What every start step shares: the lab directory, the daemons' environment, and what has been started. */
export interface StartContext {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  certificates?: LabCertificates;
  /** Every ovsdb-server of the lab (members and relays), recorded as soon as it runs, for stop() and hooks. */
  readonly servers: OvsdbServerProcess[];
}

/** Remotes joined as OVS writes remote lists. */
export function remoteList(servers: readonly LabServer[], kind: 'tcp' | 'unix'): string {
  return servers.map((s) => s[kind]).join(',');
}

export class LabDatabaseImpl implements LabDatabase {
  relays?: LabRelays;
  constructor(readonly name: LabDatabaseName, readonly servers: readonly OvsdbServerProcess[]) {}
  get tcp(): string { return remoteList(this.servers, 'tcp'); }
  get unix(): string { return remoteList(this.servers, 'unix'); }
  get ssl(): string | undefined {
    return this.servers[0].ssl === undefined ? undefined : this.servers.map((s) => s.ssl).join(',');
  }
  async leader(): Promise<LabServer> {
    if (this.servers.length === 1) return this.servers[0];
    return waitForLeader(this.servers);
  }
}

export async function startDatabase(
  ctx: StartContext, name: LabDatabaseName, stem: string, clustered: boolean, electionTimerMs?: number,
): Promise<LabDatabaseImpl> {
  return clustered ? startCluster(ctx, name, stem, electionTimerMs) : startStandalone(ctx, name, stem);
}

async function startStandalone(ctx: StartContext, name: LabDatabaseName, stem: string): Promise<LabDatabaseImpl> {
  const dbFile = join(ctx.dir, `${stem}.db`);
  await runCommand('ovsdb-tool', ['create', dbFile, SCHEMAS[name]], { env: ctx.env });
  const server = await OvsdbServerProcess.start({
    database: name, model: 'standalone', member: 1, dir: ctx.dir, stem, dbFile, env: ctx.env,
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
      database: name, model: 'clustered', member: i + 1, dir: ctx.dir, stem: memberStem, dbFile, env: ctx.env,
      raftPort: raftPorts[i], raftAddresses: raftPorts.map(raftAddress),
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
