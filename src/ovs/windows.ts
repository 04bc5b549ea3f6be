// Windows Server node naming for pod interfaces (the 2018 ovn-kubernetes Windows flow, OVS with the Hyper-V
// switch extension on an HNS transparent network), and the PowerShell / ovs-vsctl text an agent runs on the
// Windows host to bind and unbind a pod. Pure functions: nothing here talks to a database or runs a process.
//
// One pod, one HNS endpoint, one Hyper-V switch port, one OVS port:
//
//   logical switch port / external_ids:iface-id   <namespace>_<pod>            (always the full name)
//   HNS endpoint name                              <name>
//   OVS Port and Interface (type=internal)         <name>
//   Hyper-V switch port ElementName ("OVS port name", how the OVS datapath matches a Hyper-V port to its
//   OVS port; OVS.psm1's Set-VMNetworkAdapterOVSPort accepts 1..48 characters)   <name>
//   adapter seen from the host (the pod's vNIC)    vEthernet (<name>)
//
// <name> is <namespace>_<pod> when that fits in 48 characters. Longer names are shortened deterministically:
// <namespace prefix>_<pod prefix>_<12 hex of SHA-256(<namespace>_<pod>)>, exactly 48 characters. A full name
// has exactly one '_' (Kubernetes namespaces and pod names cannot contain '_'), a shortened one has two, so a
// shortened name never equals another pod's full name; two shortened names differ unless 48 bits of SHA-256
// collide. Every place that needs the name calls windowsPodNames(), so endpoint, port, ElementName and adapter
// always agree, and iface-id keeps the full name that the Northbound logical switch port has.
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { OvsError } from './errors.js';
import { kubernetesNameProblem } from '../ovn/kubernetes-names.js';
import { podPortName } from '../ovn/names.js';

/** Longest Hyper-V switch port ElementName the OVS tooling accepts (OVS.psm1 `ValidateLength(1, 48)`). */
export const HYPERV_PORT_NAME_MAX = 48;

/** Hex digits of the hash suffix of a shortened name. */
export const SHORT_NAME_HASH_LENGTH = 12;

/**
 * Characters allowed in a name we give to HNS, OVS and Hyper-V. OVS (vswitchd) refuses '/' and '\' in names
 * and the Windows datapath converts port names to ANSI; the OVS PowerShell module puts the name inside
 * single-quoted WMI filters (`ElementName = '<name>'`); interface aliases become `vEthernet (<name>)`. ASCII
 * letters, digits, '.', '-' and '_' are safe everywhere, and they are all `<namespace>_<pod>` can contain.
 */
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

/** Checks a namespace: a DNS-1123 label (a-z, 0-9, '-', 1..63 characters). */
export function validateNamespace(namespace: string): void {
  const problem = kubernetesNameProblem('dns-1123-label', namespace);
  if (problem !== undefined) throw new OvsError('OVS_BAD_NAMESPACE', namespace, `namespace "${namespace}" is not a DNS-1123 label: ${problem}`);
}

/** Checks a pod name: a DNS-1123 subdomain (a-z, 0-9, '-', '.', 1..253 characters). */
export function validatePodName(pod: string): void {
  const problem = kubernetesNameProblem('dns-1123-subdomain', pod);
  if (problem !== undefined) throw new OvsError('OVS_BAD_POD_NAME', pod, `pod name "${pod}" is not a DNS-1123 subdomain: ${problem}`);
}

/**
 * Checks a name used at once as HNS endpoint name, OVS interface name and Hyper-V port ElementName.
 * @throws OvsError `OVS_PORT_NAME_EMPTY`, `OVS_PORT_NAME_TOO_LONG` (over 48) or `OVS_PORT_NAME_BAD_CHARACTER`.
 */
export function validateHypervPortName(name: string): void {
  if (name.length === 0) throw new OvsError('OVS_PORT_NAME_EMPTY', name, 'the port name is empty');
  if (name.length > HYPERV_PORT_NAME_MAX) {
    throw new OvsError('OVS_PORT_NAME_TOO_LONG', name,
      `port name "${name}" has ${name.length} characters; a Hyper-V port ElementName holds at most ${HYPERV_PORT_NAME_MAX}`);
  }
  if (!SAFE_NAME.test(name)) {
    const bad = [...name].find((c) => !SAFE_NAME.test(c)) ?? '';
    throw new OvsError('OVS_PORT_NAME_BAD_CHARACTER', name,
      `port name "${name}" contains ${JSON.stringify(bad)}; only A-Z a-z 0-9 . - _ are allowed`);
  }
}

/** The logical switch port name and `external_ids:iface-id` of a pod: `<namespace>_<pod>` (ovn-kubernetes). */
export function logicalPortName(namespace: string, pod: string): string {
  validateNamespace(namespace);
  validatePodName(pod);
  return podPortName(namespace, pod);
}

/** Every name of one pod on a Windows node. */
export interface WindowsPodNames {
  /** `<namespace>_<pod>`: logical switch port name and OVS `external_ids:iface-id`. Never shortened. */
  ifaceId: string;
  /** HNS endpoint name. */
  endpointName: string;
  /** OVS Port and Interface name (the interface is `type=internal`). */
  interfaceName: string;
  /** Hyper-V switch port ElementName (the "OVS port name"); equals `interfaceName`. */
  elementName: string;
  /** The pod's adapter as Windows names it: `vEthernet (<endpointName>)`. */
  hostAdapter: string;
  /** True when `<namespace>_<pod>` was longer than 48 characters and the hashed short form is used. */
  shortened: boolean;
}

/** The short form of a `<namespace>_<pod>` longer than 48 characters (see the file comment). */
function shortName(namespace: string, pod: string, full: string): string {
  const hash = createHash('sha256').update(full, 'utf8').digest('hex').slice(0, SHORT_NAME_HASH_LENGTH);
  const budget = HYPERV_PORT_NAME_MAX - SHORT_NAME_HASH_LENGTH - 2; // two '_' separators
  const nsLen = Math.min(namespace.length, Math.max(12, budget - pod.length));
  const podLen = Math.min(pod.length, budget - nsLen);
  return `${namespace.slice(0, nsLen)}_${pod.slice(0, podLen)}_${hash}`;
}

/**
 * The HNS endpoint, OVS interface, Hyper-V ElementName and host adapter names of a pod.
 * @throws OvsError when the namespace or pod name is not a valid Kubernetes name.
 */
export function windowsPodNames(namespace: string, pod: string): WindowsPodNames {
  const ifaceId = logicalPortName(namespace, pod);
  const shortened = ifaceId.length > HYPERV_PORT_NAME_MAX;
  const name = shortened ? shortName(namespace, pod, ifaceId) : ifaceId;
  validateHypervPortName(name);
  return { ifaceId, endpointName: name, interfaceName: name, elementName: name, hostAdapter: hostAdapterName(name), shortened };
}

/** `vEthernet (<name>)`: how Windows names the adapter of a Hyper-V host vNIC / HNS endpoint. */
export function hostAdapterName(name: string): string {
  return `vEthernet (${name})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Commands for the Windows side

/** One command for the Windows host: run `program` with `args` (no shell in between); `text` is for people. */
export interface WindowsCommand {
  /** What the command does and why, in one or two sentences. */
  what: string;
  program: 'powershell.exe' | 'ovs-vsctl.exe';
  args: string[];
  /** The command as one would type it (the PowerShell script, or the ovs-vsctl command line). */
  text: string;
}

export interface WindowsBindOptions {
  namespace: string;
  pod: string;
  /** The pod's MAC, `0a:58:0a:f4:01:05` (from the logical switch port). */
  mac: string;
  /** The pod's addresses with prefix length, e.g. `['10.244.1.5/24']`; HNS gets the first IPv4 one. */
  ipAddresses: string[];
  /** The node subnet gateway (the `rtos-<node>` address), e.g. `10.244.1.1`. */
  gateway: string;
  /** The HNS network the endpoint joins: its GUID, or its name (the transparent network with OVS enabled). */
  hnsNetwork: string;
  /** The pod sandbox (infra container) id; also written to `external_ids:sandbox`. */
  containerId: string;
  /** The network compartment of the sandbox, as `Attach-HnsEndpoint` needs it. */
  compartmentId: number;
  /** `options:iface-id-ver` of the logical switch port (the pod UID); written to `external_ids:iface-id-ver`. */
  ifaceIdVer?: string;
  /** MTU of the pod adapter (overlay MTU, e.g. 1400 for Geneve on a 1500 underlay); not set when omitted. */
  mtu?: number;
  /** Integration bridge, default `br-int`. */
  bridge?: string;
  /** Path of Microsoft's hns.psm1 (New-HnsEndpoint, Attach-HnsEndpoint, ...), default `C:\k\hns.psm1`. */
  hnsModule?: string;
  /** Path of OVS's OVS.psm1 (Set-VMNetworkAdapterOVSPort), default `C:\openvswitch\usr\bin\OVS.psm1`. */
  ovsModule?: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** A PowerShell single-quoted string literal (no expansion; `'` doubled). */
export function psQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** An OVSDB string atom as ovs-vsctl parses it: bare when it is a plain token, else double-quoted. */
function ovsAtom(s: string): string {
  return /^[A-Za-z0-9_.:/-]+$/.test(s) && !/^[0-9.-]+$/.test(s) ? s : JSON.stringify(s);
}

function powershell(what: string, script: string): WindowsCommand {
  return { what, program: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-Command', script], text: script };
}

function ovsVsctl(what: string, args: string[]): WindowsCommand {
  const shown = args.map((a) => (/^[A-Za-z0-9_.:/=,-]+$/.test(a) ? a : psQuote(a))).join(' ');
  return { what, program: 'ovs-vsctl.exe', args, text: `ovs-vsctl ${shown}` };
}

function parseCidr(cidr: string): { ip: string; prefix: number; v4: boolean } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const ip = m?.[1] ?? '';
  const prefix = Number(m?.[2] ?? -1);
  if (isIPv4(ip) && prefix >= 0 && prefix <= 32) return { ip, prefix, v4: true };
  if (isIPv6(ip) && prefix >= 0 && prefix <= 128) return { ip, prefix, v4: false };
  throw new OvsError('OVS_BAD_IP', cidr, `"${cidr}" is not an address with prefix length (10.244.1.5/24)`);
}

function modules(o: { hnsModule?: string; ovsModule?: string }): string {
  return `Import-Module -DisableNameChecking ${psQuote(o.hnsModule ?? 'C:\\k\\hns.psm1')}; `
    + `Import-Module -DisableNameChecking ${psQuote(o.ovsModule ?? 'C:\\openvswitch\\usr\\bin\\OVS.psm1')}; `;
}

/** PowerShell that sets `$ep` to the pod's HNS endpoint (or $null). */
function findEndpoint(name: string): string {
  return `$ep = Get-HnsEndpoint | Where-Object { $_.Name -eq ${psQuote(name)} } | Select-Object -First 1; `;
}

/**
 * The commands, in order, that bind a pod on a Windows node, after the agent has created the logical switch
 * port `<namespace>_<pod>` in the Northbound database. Each command is self-contained (its own PowerShell
 * process may run it) and idempotent, as CNI ADD on Windows must be (kubelet may call it once per container):
 *
 * 1. HNS endpoint: find the endpoint by name, else `New-HnsEndpoint` it on the OVS-enabled HNS network with
 *    the pod's IPv4 address, gateway and MAC (HNS wants the MAC as `0A-58-...`).
 * 2. Attach: `Attach-HnsEndpoint` hot-adds the endpoint to the sandbox's compartment (what the 2018
 *    ovn-kubernetes CNI did with hcsshim.HotAttachEndpoint); the pod's adapter appears as `vEthernet (<name>)`.
 * 3. ElementName: unless a Hyper-V port already carries the OVS port name, find the vNIC by its MAC among the
 *    management-OS adapters (`Get-VMNetworkAdapter -ManagementOS`) and give its switch port the ElementName
 *    `<name>` with OVS.psm1's `Set-VMNetworkAdapterOVSPort`: the OVS Windows datapath binds a Hyper-V port to
 *    the OVS port whose name equals the ElementName.
 * 4. OVS: `ovs-vsctl --may-exist add-port br-int <name> -- set interface <name> type=internal external_ids:...`
 *    creates the Port and Interface ovn-controller binds through `iface-id`. (The agent does this step with its
 *    OVSDB client in one transaction; the ovs-vsctl text is the reference and the manual fallback.)
 * 5. MTU (when `mtu` is given): `Set-NetIPInterface -IncludeAllCompartments -InterfaceAlias 'vEthernet (<name>)'
 *    -NlMtuBytes <mtu>`, as the overlay needs room for the Geneve/STT/VXLAN header.
 */
export function windowsBindCommands(o: WindowsBindOptions): WindowsCommand[] {
  const names = windowsPodNames(o.namespace, o.pod);
  if (!MAC.test(o.mac)) throw new OvsError('OVS_BAD_MAC', o.mac, `"${o.mac}" is not a MAC address (0a:58:0a:f4:01:05)`);
  const addrs = o.ipAddresses.map(parseCidr);
  const v4 = addrs.find((a) => a.v4);
  if (v4 === undefined) throw new OvsError('OVS_BAD_IP', o.ipAddresses.join(','), 'HNS endpoints need an IPv4 address');
  if (!isIPv4(o.gateway)) throw new OvsError('OVS_BAD_IP', o.gateway, `gateway "${o.gateway}" is not an IPv4 address`);
  if (!Number.isInteger(o.compartmentId) || o.compartmentId < 0) {
    throw new OvsError('OVS_BAD_OPTION', String(o.compartmentId), 'compartmentId must be a non-negative integer');
  }
  if (o.containerId.length === 0 || !SAFE_NAME.test(o.containerId)) {
    throw new OvsError('OVS_BAD_OPTION', o.containerId, 'containerId must be a non-empty id (A-Z a-z 0-9 . - _)');
  }
  if (o.mtu !== undefined && (!Number.isInteger(o.mtu) || o.mtu < 576 || o.mtu > 65535)) {
    throw new OvsError('OVS_BAD_OPTION', String(o.mtu), 'mtu must be an integer in [576, 65535]');
  }
  if (o.hnsNetwork.length === 0) throw new OvsError('OVS_BAD_OPTION', o.hnsNetwork, 'hnsNetwork is empty');
  const bridge = o.bridge ?? 'br-int';
  validateHypervPortName(bridge);
  const name = names.endpointName;
  const macHns = o.mac.toUpperCase().replace(/:/g, '-');
  const macVm = o.mac.toUpperCase().replace(/:/g, '');
  const networkId = GUID.test(o.hnsNetwork)
    ? psQuote(o.hnsNetwork)
    : `(Get-HnsNetwork | Where-Object { $_.Name -eq ${psQuote(o.hnsNetwork)} } | Select-Object -First 1).Id`;

  const commands: WindowsCommand[] = [
    powershell(
      `Create the HNS endpoint "${name}" (IP ${v4.ip}/${v4.prefix}, MAC ${macHns}, gateway ${o.gateway}) on HNS network ${o.hnsNetwork}, unless it exists.`,
      `${modules(o)}${findEndpoint(name)}if (-not $ep) { $ep = New-HnsEndpoint -NetworkId ${networkId} -Name ${psQuote(name)} `
        + `-IPAddress ${psQuote(v4.ip)} -Gateway ${psQuote(o.gateway)} -MacAddress ${psQuote(macHns)} }; $ep.Id`,
    ),
    powershell(
      `Attach the endpoint to the pod sandbox ${o.containerId} (compartment ${o.compartmentId}); the pod adapter becomes "${names.hostAdapter}".`,
      `${modules(o)}${findEndpoint(name)}if (-not $ep) { throw ${psQuote(`no HNS endpoint ${name}`)} }; `
        + `Attach-HnsEndpoint -EndpointID $ep.Id -CompartmentID ${o.compartmentId} -ContainerID ${psQuote(o.containerId)}`,
    ),
    powershell(
      `Name the Hyper-V switch port of the pod vNIC (MAC ${macVm}) "${name}" (ElementName), so the OVS datapath binds it to OVS port "${name}".`,
      `${modules(o)}if (-not (Get-VMNetworkAdapterByOVSPort -OVSPortName ${psQuote(name)})) { `
        + `Get-VMNetworkAdapter -ManagementOS | Where-Object { $_.MacAddress -eq ${psQuote(macVm)} } | `
        + `Set-VMNetworkAdapterOVSPort -OVSPortName ${psQuote(name)} }`,
    ),
  ];
  const externalIds = [
    `external_ids:iface-id=${ovsAtom(names.ifaceId)}`,
    ...(o.ifaceIdVer === undefined ? [] : [`external_ids:iface-id-ver=${ovsAtom(o.ifaceIdVer)}`]),
    `external_ids:attached_mac=${ovsAtom(o.mac.toLowerCase())}`,
    `external_ids:ip_addresses=${ovsAtom(o.ipAddresses.join(','))}`,
    `external_ids:sandbox=${ovsAtom(o.containerId)}`,
  ];
  commands.push(ovsVsctl(
    `Add OVS port "${name}" to ${bridge} as an internal interface with external_ids:iface-id=${names.ifaceId}, so ovn-controller binds logical port ${names.ifaceId} here.`,
    ['--may-exist', 'add-port', bridge, name, '--', 'set', 'Interface', name, 'type=internal', ...externalIds],
  ));
  if (o.mtu !== undefined) {
    commands.push(powershell(
      `Set the MTU of "${names.hostAdapter}" to ${o.mtu} (room for the tunnel header).`,
      `Set-NetIPInterface -IncludeAllCompartments -InterfaceAlias ${psQuote(names.hostAdapter)} -NlMtuBytes ${o.mtu}`,
    ));
  }
  return commands;
}

export interface WindowsUnbindOptions {
  namespace: string;
  pod: string;
  bridge?: string;
  hnsModule?: string;
  ovsModule?: string;
}

/**
 * The commands that undo windowsBindCommands(), exactly what it created, in reverse order, and idempotent
 * (CNI DEL may come more than once, or for a pod that was never bound):
 *
 * 1. `ovs-vsctl --if-exists del-port br-int <name>`: removes the Port and its Interface.
 * 2. Find the HNS endpoint by name and `Remove-HnsEndpoint` it; this detaches it from the sandbox, and the
 *    Hyper-V switch port with its ElementName and the `vEthernet (<name>)` adapter go with it.
 *
 * The MTU needs no undoing (it belonged to the adapter).
 */
export function windowsUnbindCommands(o: WindowsUnbindOptions): WindowsCommand[] {
  const names = windowsPodNames(o.namespace, o.pod);
  const bridge = o.bridge ?? 'br-int';
  validateHypervPortName(bridge);
  const name = names.endpointName;
  return [
    ovsVsctl(`Remove OVS port "${name}" (logical port ${names.ifaceId}) from ${bridge}, if present.`,
      ['--if-exists', 'del-port', bridge, name]),
    powershell(`Delete the HNS endpoint "${name}", if present (this also removes its Hyper-V port and "${names.hostAdapter}").`,
      `${modules(o)}Get-HnsEndpoint | Where-Object { $_.Name -eq ${psQuote(name)} } | Remove-HnsEndpoint`),
  ];
}

/** The commands as one PowerShell script (for logs, dry runs, or pasting into a console). */
export function windowsScript(commands: readonly WindowsCommand[]): string {
  return commands.map((c) => `# ${c.what}\n${c.program === 'ovs-vsctl.exe' ? `& ${c.text}` : c.text}`).join('\n') + '\n';
}
