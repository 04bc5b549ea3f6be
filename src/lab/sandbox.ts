// A simulated Open vSwitch instance, as the OVN testsuite's sim_add makes one: a directory of its own that
// is every OVS/OVN rundir/logdir/dbdir, an Open_vSwitch ovsdb-server and a userspace ovs-vswitchd, both in a
// network namespace the lab creates. Hypervisors and the wire's hub are both sandboxes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabDaemon } from './daemon.js';
import { readPcapFrames } from './pcap.js';
import { runCommand, waitFor } from './process.js';

const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Written into each sandbox directory so the orphan sweep can delete the namespace. */
export const NETNS_FILE = 'netns';

export interface SandboxSpec {
  readonly name: string;
  readonly dir: string;
  readonly netns: string;
  /** The environment to start from; the sandbox points every OVS_*DIR / OVN_*DIR at its directory. */
  readonly baseEnv: NodeJS.ProcessEnv;
}

export class OvsSandbox {
  readonly name: string;
  readonly dir: string;
  readonly netns: string;
  readonly env: NodeJS.ProcessEnv;
  /** `unix:` remote of the sandbox's Open_vSwitch database. */
  readonly ovsdb: string;
  readonly vswitchdSocket: string;
  readonly ovsdbServer: LabDaemon;
  readonly vswitchd: LabDaemon;
  #netnsCreated = false;

  constructor(spec: SandboxSpec) {
    this.name = spec.name;
    this.dir = spec.dir;
    this.netns = spec.netns;
    const env: NodeJS.ProcessEnv = { ...spec.baseEnv };
    // ovn-controller finds br-int.mgmt and names its control socket in OVN_RUNDIR/OVS_RUNDIR, and the CLIs
    // find their daemons there: every such directory is the sandbox's own.
    for (const prefix of ['OVS', 'OVN']) {
      for (const kind of ['RUNDIR', 'LOGDIR', 'DBDIR', 'SYSCONFDIR']) env[`${prefix}_${kind}`] = spec.dir;
    }
    this.env = env;
    const socket = join(spec.dir, 'db.sock');
    this.ovsdb = `unix:${socket}`;
    this.vswitchdSocket = join(spec.dir, 'vswitchd.ctl');
    const common = { env, netns: spec.netns };
    this.ovsdbServer = new LabDaemon({
      ...common, label: `${spec.name} ovsdb-server`, program: 'ovsdb-server',
      pidFile: join(spec.dir, 'ovsdb-server.pid'), logFile: join(spec.dir, 'ovsdb-server.log'),
      args: [`--unixctl=${join(spec.dir, 'ovsdb-server.ctl')}`, `--remote=punix:${socket}`, join(spec.dir, 'conf.db')],
    });
    this.vswitchd = new LabDaemon({
      ...common, label: `${spec.name} ovs-vswitchd`, program: 'ovs-vswitchd',
      pidFile: join(spec.dir, 'ovs-vswitchd.pid'), logFile: join(spec.dir, 'ovs-vswitchd.log'),
      // --enable-dummy, not =override: override would turn the geneve/vxlan ports into dummies as well.
      args: [`--unixctl=${this.vswitchdSocket}`, '--enable-dummy', '--disable-system', '--disable-system-route', this.ovsdb],
    });
  }

  get netnsCreated(): boolean { return this.#netnsCreated; }

  async start(): Promise<void> {
    mkdirSync(this.dir);
    // Recorded before the namespace exists, so a sweep after a crash in between still deletes it.
    writeFileSync(join(this.dir, NETNS_FILE), this.netns);
    await runCommand('ip', ['netns', 'add', this.netns]);
    this.#netnsCreated = true;
    await runCommand('ovsdb-tool', ['create', join(this.dir, 'conf.db'), VSWITCH_SCHEMA], { env: this.env });
    await this.ovsdbServer.start();
    await this.vsctl('--no-wait', 'init');
    await this.vswitchd.start();
  }

  get daemons(): LabDaemon[] { return [this.vswitchd, this.ovsdbServer]; }

  vsctl(...args: string[]): Promise<string> {
    return runCommand('ovs-vsctl', [`--db=${this.ovsdb}`, '--timeout=20', ...args], { env: this.env });
  }

  appctl(...args: string[]): Promise<string> {
    return runCommand('ovs-appctl', ['-t', this.vswitchdSocket, ...args], { env: this.env });
  }

  /** ovs-ofctl reaches a bridge through `<bridge>.mgmt` in OVS_RUNDIR, which env points at this sandbox. */
  ofctl(...args: string[]): Promise<string> {
    return runCommand('ovs-ofctl', args, { env: this.env });
  }

  /** Where a dummy port's captures go: what OVS sent out of it, and what it took in. */
  pcapPath(port: string, direction: 'tx' | 'rx'): string {
    return join(this.dir, `${port}-${direction}.pcap`);
  }

  /** ovs-vsctl arguments that make a port's dummy netdev record both directions. */
  pcapOptions(port: string): string[] {
    return [`options:tx_pcap=${this.pcapPath(port, 'tx')}`, `options:rxq_pcap=${this.pcapPath(port, 'rx')}`];
  }

  transmitted(port: string): Promise<Uint8Array[]> {
    return readPcapFrames(this.pcapPath(port, 'tx'));
  }

  received(port: string): Promise<Uint8Array[]> {
    return readPcapFrames(this.pcapPath(port, 'rx'));
  }

  /** Polls the port's tx capture (OVS flushes it after every frame) until a frame matches. */
  waitTransmitted(port: string, match: (frame: Uint8Array) => boolean, timeoutMs = 5000): Promise<Uint8Array> {
    return waitFor(`a matching frame out of ${this.name} ${port}`, async () => {
      for (const frame of await this.transmitted(port)) if (match(frame)) return frame;
      return undefined;
    }, timeoutMs);
  }

  async inject(port: string, frame: string | Uint8Array): Promise<void> {
    const hex = typeof frame === 'string' ? frame.replace(/\s+/g, '') : Buffer.from(frame).toString('hex');
    await this.appctl('netdev-dummy/receive', port, hex);
  }
}
