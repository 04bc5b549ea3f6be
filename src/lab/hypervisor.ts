// A simulated OVN hypervisor, the way the OVN testsuite's sim_add + ovn_attach make one: a sandbox
// (ovsdb-server + userspace ovs-vswitchd in a netns) with br-int and br-phys, an underlay address on
// br-phys, the OVN settings in its Open_vSwitch row, and an ovn-controller bound to the lab's SB.
import { join } from 'node:path';
import { LabDaemon } from './daemon.js';
import { runCommand } from './process.js';
import { OvsSandbox } from './sandbox.js';
import type {
  ConfigureNode, LabDaemonName, LabEncapType, LabHypervisor, LabVif, NodeHandle, NodeSettings,
} from './types.js';

export const UNDERLAY_PREFIX = '192.168.0.';
export const UNDERLAY_MASK = 24;

/** The underlay address of hypervisor `index` (1-based), as in the OVN testsuite's ovn_attach calls. */
export function underlayIp(index: number): string {
  return `${UNDERLAY_PREFIX}${index}`;
}

/**
 * A fixed, locally administered MAC for br-phys (02:00 + the IPv4 address). Fixed because the other
 * hypervisors' static neighbour entries name it, and a restarted vswitchd would otherwise pick a new one.
 */
export function underlayMac(index: number): string {
  const octets = [2, 0, 192, 168, 0, index];
  return octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
}

/** The default ConfigureNode: what the testsuite's ovn_attach writes, with ovs-vsctl. */
export const configureNodeWithVsctl: ConfigureNode = async (node, settings) => {
  await node.vsctl('set', 'Open_vSwitch', '.',
    `external_ids:system-id=${settings.systemId}`,
    `external_ids:hostname=${settings.hostname}`,
    `external_ids:ovn-remote="${settings.ovnRemote}"`,
    `external_ids:ovn-encap-type=${settings.encapType}`,
    `external_ids:ovn-encap-ip=${settings.encapIp}`,
    `external_ids:ovn-bridge-datapath-type=${settings.bridgeDatapathType}`);
};

export interface HypervisorSpec {
  readonly index: number;
  readonly labDir: string;
  /** Prefix of the lab's network namespaces; the hypervisor's is `<prefix>-hv<index>`. */
  readonly netnsPrefix: string;
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly sbRemote: string;
  readonly encapType: LabEncapType;
  readonly configureNode: ConfigureNode;
  /** The availability zone, in a lab with zones: the hypervisor is then an interconnect gateway. */
  readonly zone?: string;
}

export const WIRE_PORT = 'wire';

export class LabHypervisorImpl implements LabHypervisor {
  readonly name: string;
  readonly index: number;
  readonly zone?: string;
  readonly encapType: LabEncapType;
  readonly encapIp: string;
  readonly underlayMac: string;
  readonly wirePort = WIRE_PORT;
  readonly sandbox: OvsSandbox;
  readonly controller: LabDaemon;
  readonly #spec: HypervisorSpec;
  /** Neighbours (other hypervisors' underlay IP -> MAC) to restore after a vswitchd restart. */
  readonly #neighbours = new Map<string, string>();

  constructor(spec: HypervisorSpec) {
    this.#spec = spec;
    this.index = spec.index;
    this.name = `hv${spec.index}`;
    if (spec.zone !== undefined) this.zone = spec.zone;
    this.encapType = spec.encapType;
    this.encapIp = underlayIp(spec.index);
    this.underlayMac = underlayMac(spec.index);
    this.sandbox = new OvsSandbox({
      name: this.name, dir: join(spec.labDir, this.name), netns: `${spec.netnsPrefix}-${this.name}`, baseEnv: spec.baseEnv,
    });
    this.controller = new LabDaemon({
      label: `${this.name} ovn-controller`, program: 'ovn-controller', env: this.sandbox.env, netns: this.sandbox.netns,
      pidFile: join(this.sandbox.dir, 'ovn-controller.pid'), logFile: join(this.sandbox.dir, 'ovn-controller.log'),
      args: [this.sandbox.ovsdb],
    });
  }

  get dir(): string { return this.sandbox.dir; }
  get netns(): string { return this.sandbox.netns; }
  get env(): NodeJS.ProcessEnv { return this.sandbox.env; }
  get ovsdb(): string { return this.sandbox.ovsdb; }
  get vswitchdSocket(): string { return this.sandbox.vswitchdSocket; }
  get controllerSocket(): string { return join(this.dir, `ovn-controller.${this.controller.pid}.ctl`); }
  get daemons(): LabDaemon[] { return [this.controller, ...this.sandbox.daemons]; }
  get running(): boolean { return this.daemons.every((d) => d.running); }
  get pids(): Record<LabDaemonName, number> {
    return {
      'ovsdb-server': this.sandbox.ovsdbServer.pid,
      'ovs-vswitchd': this.sandbox.vswitchd.pid,
      'ovn-controller': this.controller.pid,
    };
  }

  /** First half of the start: the sandbox and its bridges, up to the point where the wire can be plugged in. */
  async startSwitch(): Promise<void> {
    await this.sandbox.start();
    await this.#addBridges();
    await this.#configureUnderlay();
  }

  async #addBridges(): Promise<void> {
    // Without --no-wait, ovs-vsctl returns once vswitchd has created the bridges, so appctl can address them.
    await this.vsctl(
      '--', 'add-br', 'br-phys',
      '--', 'set', 'Bridge', 'br-phys', 'datapath_type=dummy', `other-config:hwaddr="${this.underlayMac}"`,
      '--', 'set', 'Interface', 'br-phys', ...this.sandbox.pcapOptions('br-phys'),
      '--', 'add-br', 'br-int',
      '--', 'set', 'Bridge', 'br-int', 'datapath_type=dummy', 'fail-mode=secure', 'other-config:disable-in-band=true',
    );
  }

  /** The underlay address and route live in the userspace datapath only; vswitchd forgets them on restart. */
  async #configureUnderlay(): Promise<void> {
    await this.appctl('netdev-dummy/ip4addr', 'br-phys', `${this.encapIp}/${UNDERLAY_MASK}`);
    await this.appctl('ovs/route/add', `${this.encapIp}/${UNDERLAY_MASK}`, 'br-phys');
    for (const [ip, mac] of this.#neighbours) await this.appctl('tnl/neigh/set', 'br-phys', ip, mac);
  }

  /** Nothing answers ARP on a dummy wire, so the tunnel's next hops are written in statically. */
  async addNeighbour(ip: string, mac: string): Promise<void> {
    this.#neighbours.set(ip, mac);
    await this.appctl('tnl/neigh/set', 'br-phys', ip, mac);
  }

  /** Second half: OVN settings in the Open_vSwitch row, then ovn-controller. */
  async startController(): Promise<void> {
    const settings: NodeSettings = {
      systemId: this.name, hostname: this.name, ovnRemote: this.#spec.sbRemote, encapType: this.encapType,
      encapIp: this.encapIp, bridgeDatapathType: 'dummy',
    };
    const handle: NodeHandle = { name: this.name, ovsdb: this.ovsdb, vsctl: (...args) => this.vsctl(...args) };
    await this.#spec.configureNode(handle, settings);
    // ovn-controller then says is-interconn in its Chassis: ovn-ic publishes it to the other zones as a gateway,
    // and only such a chassis makes tunnels to the remote chassis of other zones. The IC tutorial sets it by hand
    // on the chassis too; it is the lab's choice, not a node setting the hook must know.
    if (this.zone !== undefined) await this.vsctl('set', 'Open_vSwitch', '.', 'external_ids:ovn-is-interconn=true');
    await this.controller.start();
  }

  vsctl(...args: string[]): Promise<string> { return this.sandbox.vsctl(...args); }
  appctl(...args: string[]): Promise<string> { return this.sandbox.appctl(...args); }
  ofctl(...args: string[]): Promise<string> { return this.sandbox.ofctl(...args); }

  controllerAppctl(...args: string[]): Promise<string> {
    return runCommand('ovn-appctl', ['-t', this.controllerSocket, ...args], { env: this.env });
  }

  async addVif(name: string, options: { ifaceId: string; mac: string }): Promise<LabVif> {
    await this.vsctl('--', 'add-port', 'br-int', name,
      '--', 'set', 'Interface', name, 'type=dummy', `external_ids:iface-id=${options.ifaceId}`,
      `external_ids:attached-mac="${options.mac}"`, ...this.sandbox.pcapOptions(name));
    return { name, ifaceId: options.ifaceId, mac: options.mac };
  }

  inject(port: string | LabVif, frame: string | Uint8Array): Promise<void> {
    return this.sandbox.inject(portName(port), frame);
  }

  transmitted(port: string | LabVif): Promise<Uint8Array[]> {
    return this.sandbox.transmitted(portName(port));
  }

  received(port: string | LabVif): Promise<Uint8Array[]> {
    return this.sandbox.received(portName(port));
  }

  pcapPath(port: string | LabVif, direction: 'tx' | 'rx'): string {
    return this.sandbox.pcapPath(portName(port), direction);
  }

  waitTransmitted(port: string | LabVif, match: (frame: Uint8Array) => boolean, timeoutMs?: number): Promise<Uint8Array> {
    return this.sandbox.waitTransmitted(portName(port), match, timeoutMs);
  }

  #daemon(name: LabDaemonName): LabDaemon {
    switch (name) {
      case 'ovsdb-server': return this.sandbox.ovsdbServer;
      case 'ovs-vswitchd': return this.sandbox.vswitchd;
      case 'ovn-controller': return this.controller;
    }
  }

  async kill(daemon?: LabDaemonName): Promise<void> {
    const targets = daemon ? [this.#daemon(daemon)] : this.daemons;
    await Promise.all(targets.map((d) => d.kill()));
  }

  async restart(daemon?: LabDaemonName): Promise<void> {
    // In dependency order: the database, then the switch (which needs its underlay again), then the controller.
    const order: LabDaemonName[] = ['ovsdb-server', 'ovs-vswitchd', 'ovn-controller'];
    for (const name of order) {
      const d = this.#daemon(name);
      if (daemon ? daemon !== name : d.running) continue;
      await d.restart();
      // --detach returns after vswitchd's first reconfiguration, so br-phys exists again by now.
      if (name === 'ovs-vswitchd') await this.#configureUnderlay();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.stop()));
  }
}

function portName(port: string | LabVif): string {
  return typeof port === 'string' ? port : port.name;
}
