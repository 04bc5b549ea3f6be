// The management port's node side: the interface that lets the node reach its pods (health checks, host-network
// traffic to pods) through its logical switch port `k8s-<node>`. As ovn-kubernetes makes it (management-port.go,
// management-port_linux.go, and the Windows code it had until 2020):
//
//   OVS     ovs-vsctl --may-exist add-port br-int ovn-k8s-mp0 -- set interface ovn-k8s-mp0 type=internal
//           mac="<mac>" mtu_request=<mtu> external-ids:iface-id=k8s-<node>            ensureManagementPort()
//   Linux   the node subnet's .2 on it, routes to the cluster (and service) subnets via .1, a permanent neighbour
//           entry for .1 (the cluster router's MAC: OVN drops ARPs from the node IP), IPv4 forwarding on it
//   Windows Enable-NetAdapter, New-NetIPAddress (.2), the MTU with netsh, `route -p add` for each subnet via .1
//           (IPv4 only, as ovn-kubernetes had it)                                      managementPortHostPlan()
//
// The host side is a list of typed steps, each with the exact command; an executor runs them (runHostPlan), on
// the node or, in the lab, inside a hypervisor's network namespace. On a userspace (netdev) datapath an internal
// interface is a tap device; the lab's dummy datapath has no kernel device for internal interfaces, so the lab
// asks for `interfaceType: 'tap'`, the device a netdev datapath would make, and the kernel steps run for real.
import { del, mutate, select, wait } from '../ovsdb/operations.js';
import type { Bridge, Interface, Port } from '../models/open-vswitch.js';
import type { DroppedItem } from '../models/schema-skew.js';
import { Address4, Address6 } from 'ip-address';
import { IFACE_ID_KEY, MANAGEMENT_INTERFACE, managementPort } from '../ovn/names.js';
import { kubernetesNameProblem } from '../ovn/kubernetes-names.js';
import { INTEGRATION_BRIDGE, validateBridgeName } from './bridge.js';
import { OvsError } from './errors.js';
import { validateLinuxInterfaceName } from './linux.js';
import { OPEN_VSWITCH, guarded, vswitchFilter, type NodeDatabase } from './node-db.js';
import { planPort, portSelects, type InterfaceRow, type PortRow } from './port-plan.js';
import type { NodePlatform } from './pod-binding.js';
import { psQuote } from './windows.js';

/** The OVS side of the management port. */
export interface ManagementPortSpec {
  /** The node: the interface is bound to logical port `k8s-<node>`. */
  readonly node: string;
  /** Its MAC: the node's `k8s.ovn.org/node-mgmt-port-mac-addresses` entry, or macFromAddress(.2) as nodes.ensure derives it. */
  readonly mac: string;
  /** Default `ovn-k8s-mp0`. */
  readonly interfaceName?: string;
  /** Default `internal`; `tap` on a userspace lab whose internal interfaces have no kernel device. */
  readonly interfaceType?: string;
  /** Default br-int. */
  readonly bridge?: string;
  /** `mtu_request`: the cluster's MTU. */
  readonly mtu?: number;
}

export interface ManagementPortResult {
  readonly changed: boolean;
  readonly created: boolean;
  readonly ifaceId: string;
  readonly interfaceName: string;
  readonly changes: readonly string[];
  readonly dropped: readonly DroppedItem[];
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function checkNode(node: string): void {
  const problem = kubernetesNameProblem('dns-1123-subdomain', node);
  if (problem !== undefined) throw new OvsError('OVS_BAD_OPTION', node, `node name "${node}" is not a DNS-1123 subdomain: ${problem}`);
}

function checkMtu(mtu: number | undefined): void {
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 576 || mtu > 65535)) throw new OvsError('OVS_BAD_MTU', mtu, 'mtu must be an integer in [576, 65535]');
}

/**
 * The management port's Port and Interface on br-int, bound to `k8s-<node>`, in one transaction (nothing sent
 * beyond the read when it is already as asked).
 * @throws OvsError for a bad name, MAC or MTU (nothing sent), a missing bridge, or a port of that name that is not one port with one interface on br-int.
 */
export async function ensureManagementPort(db: NodeDatabase, spec: ManagementPortSpec): Promise<ManagementPortResult> {
  checkNode(spec.node);
  const name = spec.interfaceName ?? MANAGEMENT_INTERFACE;
  validateLinuxInterfaceName(name);
  const bridge = spec.bridge ?? INTEGRATION_BRIDGE;
  validateBridgeName(bridge);
  if (!MAC_RE.test(spec.mac)) throw new OvsError('OVS_BAD_MAC', spec.mac, `"${spec.mac}" is not a MAC address`);
  checkMtu(spec.mtu);
  const ifaceId = managementPort(spec.node);
  const filter = await vswitchFilter(db);
  filter.require('ensureManagementPort', ['Bridge.name', 'Bridge.ports', 'Port.name', 'Port.interfaces', 'Interface.name', 'Interface.type', 'Interface.external_ids']);
  return guarded(`ensureManagementPort ${name}`, async () => {
    const [brSel, portSel, ifaceSel] = await db.transact(OPEN_VSWITCH, [
      select<Bridge, '_uuid' | 'ports'>('Bridge', [['name', '==', bridge]], ['_uuid', 'ports']),
      ...portSelects(filter, name),
    ]);
    const br = brSel.rows[0];
    if (!br) throw new OvsError('OVS_NO_BRIDGE', bridge, `bridge ${bridge} does not exist (configureNode or ensureBridge creates it)`);
    const plan = planPort(filter, { name: bridge, ref: br._uuid, ports: br.ports }, portSel.rows[0] as PortRow | undefined, ifaceSel.rows[0] as InterfaceRow | undefined, {
      name, type: spec.interfaceType ?? 'internal', mac: spec.mac.toLowerCase(), externalIds: new Map([[IFACE_ID_KEY, ifaceId]]),
      ...(spec.mtu !== undefined ? { mtuRequest: spec.mtu } : {}),
    });
    if (plan.ops.length > 0) await db.transact(OPEN_VSWITCH, plan.ops);
    return { changed: plan.ops.length > 0, created: plan.created, ifaceId, interfaceName: name, changes: plan.changes, dropped: filter.dropped };
  });
}

/**
 * Removes the management port's Port and Interface, only while the Interface is still bound to `k8s-<node>`; one
 * transaction. False when there was none (or it belongs to something else).
 */
export async function removeManagementPort(db: NodeDatabase, spec: Pick<ManagementPortSpec, 'node' | 'interfaceName' | 'bridge'>): Promise<boolean> {
  checkNode(spec.node);
  const name = spec.interfaceName ?? MANAGEMENT_INTERFACE;
  const bridge = spec.bridge ?? INTEGRATION_BRIDGE;
  const ifaceId = managementPort(spec.node);
  return guarded(`removeManagementPort ${name}`, async () => {
    const [brSel, portSel, ifaceSel] = await db.transact(OPEN_VSWITCH, [
      select<Bridge, '_uuid' | 'ports'>('Bridge', [['name', '==', bridge]], ['_uuid', 'ports']),
      select<Port, '_uuid' | 'interfaces'>('Port', [['name', '==', name]], ['_uuid', 'interfaces']),
      select<Interface, '_uuid' | 'external_ids'>('Interface', [['name', '==', name]], ['_uuid', 'external_ids']),
    ]);
    const [br, port, iface] = [brSel.rows[0], portSel.rows[0], ifaceSel.rows[0]];
    if (!br || !port || !iface || !br.ports.includes(port._uuid) || iface.external_ids.get(IFACE_ID_KEY) !== ifaceId) return false;
    await db.transact(OPEN_VSWITCH, [
      wait<Interface>('Interface', [['_uuid', '==', iface._uuid], ['external_ids', 'includes', new Map([[IFACE_ID_KEY, ifaceId]])]], ['name'], '==', [{ name }], 0),
      mutate<Bridge>('Bridge', [['_uuid', '==', br._uuid]], [['ports', 'delete', [port._uuid]]]),
      del<Port>('Port', [['_uuid', '==', port._uuid]]),
      del<Interface>('Interface', [['_uuid', '==', iface._uuid]]),
    ]);
    return true;
  });
}

// ---- The host side ----------------------------------------------------------------------------------------------

/** What the node's own network stack needs for the management port. */
export interface ManagementPortHostSpec {
  /** Default `ovn-k8s-mp0` (on Windows the adapter carries the port's name). */
  readonly interfaceName?: string;
  readonly mac: string;
  readonly mtu?: number;
  /** The node's pod subnets: the interface takes .2 of each. */
  readonly subnets: readonly string[];
  /** Subnets the node reaches through the cluster router (.1 of the node subnet of the same family): cluster and service CIDRs. */
  readonly routes: readonly string[];
  /** Default linux. */
  readonly platform?: NodePlatform;
  /** The cluster router port's MAC (rtos-<node>); derived from the IPv4 gateway when the node has an IPv4 subnet. */
  readonly routerMac?: string;
}

/** One step on the node, with the exact command; `kind` says what it sets. */
export interface HostStep {
  readonly kind: 'link' | 'address' | 'route' | 'neighbour' | 'forwarding' | 'mtu';
  readonly what: string;
  readonly program: string;
  readonly args: readonly string[];
  /** The command as one would type it. */
  readonly text: string;
}

function step(kind: HostStep['kind'], what: string, program: string, args: string[]): HostStep {
  return { kind, what, program, args, text: [program, ...args.map((a) => (/^[A-Za-z0-9_.:/=,@+-]+$/.test(a) ? a : psQuote(a)))].join(' ') };
}

function powershellStep(kind: HostStep['kind'], what: string, script: string): HostStep {
  return { kind, what, program: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-Command', script], text: script };
}

/** A node subnet as the host plan needs it: family, length, and the addresses at an offset (.1 gateway, .2 ours). */
interface HostSubnet { readonly family: 4 | 6; readonly text: string; readonly length: number; at(offset: bigint): string }

// src/ovs may use ovn/names and ovn/kubernetes-names only (docs/architecture.md): the subnet arithmetic is done
// here with ip-address, as src/ovn/ip.ts does it.
function subnetOf(text: string, field: string): HostSubnet {
  const v4 = !text.includes(':');
  if (!text.includes('/') || !(v4 ? Address4.isValid(text) : Address6.isValid(text))) throw new OvsError('OVS_BAD_IP', text, `${field}: "${text}" is not a prefix (10.244.1.0/24)`);
  const length = Number(text.slice(text.indexOf('/') + 1));
  const network = v4 ? new Address4(text).startAddress().bigInt() : new Address6(text).startAddress().bigInt();
  const canonical = v4 ? Address4.fromBigInt(network).correctForm() : Address6.fromBigInt(network).correctForm();
  return {
    family: v4 ? 4 : 6, length, text: `${canonical}/${length}`,
    at: (offset) => (v4 ? Address4.fromBigInt(network + offset).correctForm() : Address6.fromBigInt(network + offset).correctForm()),
  };
}

const GATEWAY_OFFSET = 1n;
const MANAGEMENT_OFFSET = 2n;

/** ovn-kubernetes' IPAddrToHWAddr for an IPv4 address (0a:58 + its bytes): the cluster router port's MAC. */
function macOfIpv4(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

function netmask(prefix: HostSubnet): string {
  const mask = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix.length)) - 1n);
  return [24n, 16n, 8n, 0n].map((s) => Number((mask >> s) & 255n)).join('.');
}

/**
 * The steps that give the node's management interface its addresses and routes (see the file comment), in order.
 * Idempotent commands (`ip ... replace`, guarded PowerShell), so the plan can run again after a restart.
 * @throws OvsError for bad subnets, a route of a family the node has no subnet of, or IPv6 on Windows.
 */
export function managementPortHostPlan(spec: ManagementPortHostSpec): HostStep[] {
  const name = spec.interfaceName ?? MANAGEMENT_INTERFACE;
  if (!MAC_RE.test(spec.mac)) throw new OvsError('OVS_BAD_MAC', spec.mac, `"${spec.mac}" is not a MAC address`);
  checkMtu(spec.mtu);
  const subnets = spec.subnets.map((s, i) => subnetOf(s, `subnets[${i}]`));
  if (subnets.length === 0) throw new OvsError('OVS_BAD_IP', spec.subnets, 'the management port needs the node subnet(s)');
  const routes = spec.routes.map((r, i) => {
    const p = subnetOf(r, `routes[${i}]`);
    const subnet = subnets.find((s) => s.family === p.family);
    if (!subnet) throw new OvsError('OVS_BAD_IP', r, `routes[${i}]: ${r} is IPv${p.family}, but the node has no IPv${p.family} subnet to route it through`);
    return { prefix: p, via: subnet.at(GATEWAY_OFFSET) };
  });
  // The cluster router's port MAC, as nodes.ensure gives rtos-<node> (macFromAddress of the first gateway): IPv4
  // bytes; a node with an IPv6 subnet only gets ovn-kubernetes' hash-derived MAC, which the caller passes as routerMac.
  const v4Subnet = subnets.find((s) => s.family === 4);
  const routerMac = spec.routerMac ?? (v4Subnet ? macOfIpv4(v4Subnet.at(GATEWAY_OFFSET)) : undefined);
  if (routerMac === undefined || !MAC_RE.test(routerMac)) throw new OvsError('OVS_BAD_MAC', routerMac, 'routerMac: the cluster router port\'s MAC is needed for an IPv6-only node (rtos-<node>\'s mac)');
  if ((spec.platform ?? 'linux') === 'windows') {
    const v6 = subnets.find((s) => s.family === 6);
    if (v6) throw new OvsError('OVS_BAD_IP', v6.text, 'Windows management ports are IPv4 only (as ovn-kubernetes had them)');
    const v4 = subnets[0];
    const alias = psQuote(name);
    return [
      powershellStep('link', `Enable the adapter of ${name}.`, `Enable-NetAdapter -IncludeHidden -Name ${alias}`),
      powershellStep('address', `Give ${name} ${v4.at(MANAGEMENT_OFFSET)}/${v4.length} (only that address).`,
        `Get-NetIPAddress -InterfaceAlias ${alias} -ErrorAction SilentlyContinue | Remove-NetIPAddress -Confirm:$false; `
          + `New-NetIPAddress -IPAddress ${psQuote(v4.at(MANAGEMENT_OFFSET))} -PrefixLength ${v4.length} -InterfaceAlias ${alias}`),
      ...(spec.mtu !== undefined ? [step('mtu', `Set the MTU of ${name} to ${spec.mtu}.`, 'netsh', ['interface', 'ipv4', 'set', 'subinterface', name, `mtu=${spec.mtu}`, 'store=persistent'])] : []),
      ...routes.map((r) => powershellStep('route', `Route ${r.prefix.text} via ${r.via} on ${name}.`,
        `$i = (Get-NetAdapter -IncludeHidden -Name ${alias}).ifIndex; `
          + `if (-not (Get-NetRoute -DestinationPrefix ${psQuote(r.prefix.text)} -InterfaceIndex $i -ErrorAction SilentlyContinue)) { `
          + `route -p add ${r.prefix.text.split('/')[0]} mask ${netmask(r.prefix)} ${r.via} METRIC 2 IF $i }`)),
    ];
  }
  validateLinuxInterfaceName(name);
  return [
    step('link', `Set ${name}'s MAC${spec.mtu !== undefined ? ' and MTU' : ''} and bring it up.`, 'ip',
      ['link', 'set', 'dev', name, 'address', spec.mac.toLowerCase(), ...(spec.mtu !== undefined ? ['mtu', String(spec.mtu)] : []), 'up']),
    ...subnets.map((s) => step('address', `Give ${name} ${s.at(MANAGEMENT_OFFSET)}/${s.length}.`, 'ip',
      [...(s.family === 6 ? ['-6'] : []), 'address', 'replace', `${s.at(MANAGEMENT_OFFSET)}/${s.length}`, 'dev', name, ...(s.family === 6 ? ['nodad'] : [])])),
    ...subnets.map((s) => step('neighbour', `Pin ${s.at(GATEWAY_OFFSET)} (the cluster router) to ${routerMac} on ${name}.`, 'ip',
      ['neighbour', 'replace', s.at(GATEWAY_OFFSET), 'lladdr', routerMac, 'dev', name, 'nud', 'permanent'])),
    ...routes.map((r) => step('route', `Route ${r.prefix.text} via ${r.via} on ${name}.`, 'ip',
      [...(r.prefix.family === 6 ? ['-6'] : []), 'route', 'replace', r.prefix.text, 'via', r.via, 'dev', name])),
    ...(subnets.some((s) => s.family === 4) ? [step('forwarding', `Forward IPv4 on ${name}.`, 'sysctl', ['-w', `net.ipv4.conf.${name}.forwarding=1`])] : []),
  ];
}

/** A step failed; those before it had run. */
export class HostPlanError extends Error {
  readonly code = 'HOST_PLAN_STEP_FAILED';
  constructor(readonly step: HostStep, readonly completed: readonly HostStep[], options: { cause: unknown }) {
    super(`host step ${step.kind} (${step.text}) failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'HostPlanError';
  }
}

/** Runs the steps in order with `run(program, args)`; the first that throws stops the plan (HostPlanError). */
export async function runHostPlan(steps: readonly HostStep[], run: (program: string, args: readonly string[]) => Promise<unknown>): Promise<void> {
  const done: HostStep[] = [];
  for (const s of steps) {
    try { await run(s.program, s.args); } catch (cause) { throw new HostPlanError(s, done, { cause }); }
    done.push(s);
  }
}
