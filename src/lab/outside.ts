// A host outside the cluster, on the lab's underlay: north-south traffic (pod egress through a node's gateway,
// NodePorts reached from outside) is proven with real frames between it and the nodes.
//
//   hub (n1) --outside--> [outside sandbox: br-out] wire (dummy, the capture) <-> veth-eth0 <-> eth0 (kernel)
//                                                   raw  (dummy: frames a test injects, sent out of the wire)
//
// It is a sandbox of its own (ovsdb-server + userspace ovs-vswitchd in its own network namespace, as the
// hypervisors and the hub are), with a real Linux network stack behind it: `eth0`, one end of a veth pair whose
// other end is a port of br-out, holds the host's addresses, so the kernel answers ARP, IPv6 neighbour
// solicitations and ICMP/ICMPv6 echo requests by itself, as a real host would. Its `wire` port is joined to the
// hub like a hypervisor's and records both directions (`tx_pcap`: what the host sent, `rxq_pcap`: what reached
// it): that is the capture. br-out has no MAC learning (fail-mode secure, three fixed flows), so a frame a test
// injects on `raw` with the host's own MAC cannot teach it to send the host's traffic anywhere but to eth0.
//
// Its network stands for the nodes' external network (kind's docker network by default: 172.18.0.0/16 and
// fc00:f853:ccd:e793::/64, the host at .1 / ::1 as the nodes' default gateway), and it has "remote" addresses on
// its loopback (198.51.100.1, 2001:db8:100::1) that nodes reach only through that gateway. Each node gets an
// uplink (`uplink(hv)`): a dummy port for the node's br-ex, connected to a hub port of its own.
import { Address4, Address6 } from 'ip-address';
import { join } from 'node:path';
import { OvsSandbox } from './sandbox.js';
import { runCommand, waitFor } from './process.js';
import type { LabHubImpl } from './wire.js';
import type { LabHypervisor, LabOutsideHost, LabOutsideOptions, LabUplink } from './types.js';

/** The outside host's defaults: kind's docker network, the host as its gateway (.1). */
export const OUTSIDE_DEFAULTS = {
  ipv4: '172.18.0.1/16',
  ipv6: 'fc00:f853:ccd:e793::1/64',
  remote: ['198.51.100.1', '2001:db8:100::1'],
} as const satisfies Required<LabOutsideOptions>;

/** Node `index` (1-based) gets address network + NODE_ADDRESS_OFFSET + index on the outside network (hv1: .11). */
export const NODE_ADDRESS_OFFSET = 10;

/** br-out's ports, with fixed OpenFlow port numbers so its three flows can name them. */
const PORTS = { wire: { name: 'wire', ofport: 1 }, veth: { name: 'veth-eth0', ofport: 2 }, raw: { name: 'raw', ofport: 3 } } as const;
const BRIDGE = 'br-out';
const KERNEL_INTERFACE = 'eth0';

interface ParsedCidr { readonly family: 4 | 6; readonly address: string; readonly length: number; readonly network: bigint }

function parseCidr(text: string, what: string): ParsedCidr {
  const slash = text.indexOf('/');
  const [address, lengthText] = slash < 0 ? [text, ''] : [text.slice(0, slash), text.slice(slash + 1)];
  if (Address4.isValid(text) && slash > 0) {
    const a = new Address4(text);
    return { family: 4, address: a.correctForm(), length: Number(lengthText), network: a.startAddress().bigInt() };
  }
  if (Address6.isValid(text) && slash > 0) {
    const a = new Address6(text);
    return { family: 6, address: new Address6(address).correctForm(), length: Number(lengthText), network: a.startAddress().bigInt() };
  }
  throw new RangeError(`lab: outside ${what} ${JSON.stringify(text)} is not an address with a prefix length`);
}

function addressAt(cidr: ParsedCidr, offset: bigint): string {
  const value = cidr.network + offset;
  return cidr.family === 4 ? Address4.fromBigInt(value).correctForm() : Address6.fromBigInt(value).correctForm();
}

/** 02:00 + the four bytes of an IPv4 address: a fixed, locally administered MAC (as the hypervisors' br-phys). */
function macOf(ipv4: string): string {
  return ['02', '00', ...ipv4.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

export function normalizeOutsideOptions(options: true | LabOutsideOptions): Required<LabOutsideOptions> {
  const o = options === true ? {} : options;
  const ipv4 = o.ipv4 ?? OUTSIDE_DEFAULTS.ipv4;
  const ipv6 = o.ipv6 ?? OUTSIDE_DEFAULTS.ipv6;
  if (parseCidr(ipv4, 'ipv4').family !== 4) throw new RangeError(`lab: outside ipv4 ${ipv4} is not IPv4`);
  if (parseCidr(ipv6, 'ipv6').family !== 6) throw new RangeError(`lab: outside ipv6 ${ipv6} is not IPv6`);
  const remote = [...(o.remote ?? OUTSIDE_DEFAULTS.remote)];
  for (const r of remote) if (!Address4.isValid(r) && !Address6.isValid(r)) throw new RangeError(`lab: outside remote address ${JSON.stringify(r)} is not an address`);
  return { ipv4, ipv6, remote };
}

export class LabOutsideHostImpl implements LabOutsideHost {
  readonly name = 'outside';
  readonly sandbox: OvsSandbox;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly addresses: readonly string[];
  readonly remote: readonly string[];
  readonly interfaceName = KERNEL_INTERFACE;
  readonly wirePort = PORTS.wire.name;
  readonly #v4: ParsedCidr;
  readonly #v6: ParsedCidr;
  readonly #hub: LabHubImpl;

  constructor(labDir: string, netnsPrefix: string, baseEnv: NodeJS.ProcessEnv, hub: LabHubImpl, options: Required<LabOutsideOptions>) {
    this.sandbox = new OvsSandbox({ name: this.name, dir: join(labDir, this.name), netns: `${netnsPrefix}-${this.name}`, baseEnv });
    this.#hub = hub;
    this.#v4 = parseCidr(options.ipv4, 'ipv4');
    this.#v6 = parseCidr(options.ipv6, 'ipv6');
    this.ipv4 = this.#v4.address;
    this.ipv6 = this.#v6.address;
    this.addresses = [`${this.ipv4}/${this.#v4.length}`, `${this.ipv6}/${this.#v6.length}`];
    this.remote = options.remote;
    this.mac = macOf(this.ipv4);
  }

  get dir(): string { return this.sandbox.dir; }
  get netns(): string { return this.sandbox.netns; }
  get env(): NodeJS.ProcessEnv { return this.sandbox.env; }
  get ovsdb(): string { return this.sandbox.ovsdb; }
  get pids(): number[] { return this.sandbox.daemons.map((d) => d.pid); }

  async start(): Promise<void> {
    await this.sandbox.start();
    const stream = await this.#hub.listen(this.name);
    // The kernel side first: eth0 with its fixed MAC and addresses (nodad: usable at once, no DAD wait), the remote
    // addresses on lo.
    const remoteLines = this.remote.map((r) => `address add ${r}/${Address4.isValid(r) ? 32 : 128} dev lo`);
    await this.exec('ip', ['-batch', '-'], {
      input: [
        'link set lo up',
        `link add ${KERNEL_INTERFACE} type veth peer name ${PORTS.veth.name}`,
        `link set ${KERNEL_INTERFACE} address ${this.mac}`,
        `address add ${this.addresses[0]} dev ${KERNEL_INTERFACE}`,
        `address add ${this.addresses[1]} dev ${KERNEL_INTERFACE} nodad`,
        ...remoteLines,
        `link set ${KERNEL_INTERFACE} up`,
        `link set ${PORTS.veth.name} up`,
      ].join('\n') + '\n',
    });
    await this.sandbox.vsctl(
      '--', 'add-br', BRIDGE, '--', 'set', 'Bridge', BRIDGE, 'datapath_type=dummy', 'fail-mode=secure', 'other-config:disable-in-band=true',
      '--', 'add-port', BRIDGE, PORTS.wire.name, '--', 'set', 'Interface', PORTS.wire.name, 'type=dummy', `options:stream="${stream}"`,
      `ofport_request=${PORTS.wire.ofport}`, ...this.sandbox.pcapOptions(PORTS.wire.name),
      '--', 'add-port', BRIDGE, PORTS.veth.name, '--', 'set', 'Interface', PORTS.veth.name, `ofport_request=${PORTS.veth.ofport}`,
      '--', 'add-port', BRIDGE, PORTS.raw.name, '--', 'set', 'Interface', PORTS.raw.name, 'type=dummy', `ofport_request=${PORTS.raw.ofport}`,
    );
    await runCommand('ovs-ofctl', ['add-flows', BRIDGE, '-'], {
      env: this.env,
      input: [
        `in_port=${PORTS.wire.ofport},actions=output:${PORTS.veth.ofport}`,
        `in_port=${PORTS.veth.ofport},actions=output:${PORTS.wire.ofport}`,
        `in_port=${PORTS.raw.ofport},actions=output:${PORTS.wire.ofport}`,
      ].join('\n') + '\n',
    });
  }

  nodeAddress(index: number, family: 4 | 6 = 4): string {
    const cidr = family === 4 ? this.#v4 : this.#v6;
    return `${addressAt(cidr, BigInt(NODE_ADDRESS_OFFSET + index))}/${cidr.length}`;
  }

  async uplink(hv: LabHypervisor, port = 'eth1'): Promise<LabUplink> {
    const stream = await this.#hub.listen(`${hv.name}-ex`);
    const addresses = [this.nodeAddress(hv.index, 4), this.nodeAddress(hv.index, 6)];
    return {
      name: port, type: 'dummy',
      options: { stream, tx_pcap: hv.pcapPath(port, 'tx'), rxq_pcap: hv.pcapPath(port, 'rx') },
      mac: macOf(addresses[0].slice(0, addresses[0].indexOf('/'))),
      addresses, gateways: [this.ipv4, this.ipv6],
    };
  }

  exec(program: string, args: readonly string[] = [], options: { input?: string } = {}): Promise<string> {
    return runCommand('ip', ['netns', 'exec', this.netns, program, ...args], { env: this.env, ...options });
  }

  async addRoute(prefix: string, via: string): Promise<void> {
    await this.exec('ip', [...(prefix.includes(':') ? ['-6'] : []), 'route', 'replace', prefix, 'via', via]);
  }

  inject(frame: string | Uint8Array): Promise<void> {
    return this.sandbox.inject(PORTS.raw.name, frame);
  }

  received(): Promise<Uint8Array[]> { return this.sandbox.received(PORTS.wire.name); }
  sent(): Promise<Uint8Array[]> { return this.sandbox.transmitted(PORTS.wire.name); }

  pcapPath(direction: 'tx' | 'rx'): string { return this.sandbox.pcapPath(PORTS.wire.name, direction); }

  waitReceived(match: (frame: Uint8Array) => boolean, timeoutMs?: number): Promise<Uint8Array> {
    return this.#waitIn('rx', match, timeoutMs);
  }

  waitSent(match: (frame: Uint8Array) => boolean, timeoutMs?: number): Promise<Uint8Array> {
    return this.#waitIn('tx', match, timeoutMs);
  }

  #waitIn(direction: 'tx' | 'rx', match: (frame: Uint8Array) => boolean, timeoutMs = 5000): Promise<Uint8Array> {
    return waitFor(`a matching frame ${direction === 'rx' ? 'reaching' : 'sent by'} the outside host`, async () => {
      for (const frame of await (direction === 'rx' ? this.received() : this.sent())) if (match(frame)) return frame;
      return undefined;
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.all(this.sandbox.daemons.map((d) => d.stop()));
  }
}
