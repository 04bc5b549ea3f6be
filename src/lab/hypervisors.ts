// Brings up the lab's simulated hypervisors as one step: their switches (and the hub) in parallel, the
// wire between them, static tunnel neighbours, then the ovn-controllers; ready once every Chassis is in its
// SB and (with northd) every controller has caught up with its NB (`ovn-nbctl --wait=hv sync`). In a lab with
// zones each hypervisor joins its zone's central; the wire joins them all.
import { configureNodeWithVsctl, LabHypervisorImpl } from './hypervisor.js';
import { joinDirect, LabHubImpl } from './wire.js';
import type { LabEncapType, LabHypervisorOptions } from './types.js';

/** The central side a hypervisor joins: the lab's one, or its zone's. */
export interface HypervisorCentral {
  /** The zone's name, in a lab with zones: its hypervisors are interconnect gateways. */
  readonly zone?: string;
  /** Unix remote(s) of the SB (or of its relays): the hypervisors' namespaces have no usable 127.0.0.1. */
  readonly sbRemote: string;
  sbctl(...args: string[]): Promise<string>;
  /** Present when the central runs ovn-northd (needed for --wait=hv). */
  nbctl?: (...args: string[]) => Promise<string>;
}

export interface HypervisorsContext {
  readonly labDir: string;
  readonly netnsPrefix: string;
  readonly env: NodeJS.ProcessEnv;
  /** The central side of hypervisor `index` (1-based) of `count`. */
  centralOf(index: number, count: number): HypervisorCentral;
  /** Filled as things are created, so the lab's stop() and exit hooks see them even if a later step fails. */
  readonly started: { hypervisors: LabHypervisorImpl[]; hub?: LabHubImpl };
}

const ENCAP_TYPES: readonly string[] = ['geneve', 'vxlan'] satisfies LabEncapType[];

/** The underlay is 192.168.0.0/24 with hypervisor i at .i, so at most 254 hypervisors. */
const MAX_HYPERVISORS = 254;

export function normalizeHypervisorOptions(options: number | LabHypervisorOptions): Required<LabHypervisorOptions> {
  const o = typeof options === 'number' ? { count: options } : options;
  if (!Number.isInteger(o.count) || o.count < 2 || o.count > MAX_HYPERVISORS) {
    throw new RangeError(`lab: hypervisors must be an integer from 2 to ${MAX_HYPERVISORS}, got ${o.count}`);
  }
  const encapType = o.encapType ?? 'geneve';
  if (!ENCAP_TYPES.includes(encapType)) {
    // STT has no userspace (dpif-netdev) implementation: OVS creates the port, but nothing is ever sent.
    throw new RangeError(`lab: encapType ${String(encapType)} cannot run on the userspace datapath; use geneve or vxlan`);
  }
  const wire = o.wire ?? (o.count === 2 ? 'direct' : 'hub');
  if (wire === 'direct' && o.count !== 2) throw new RangeError('lab: a direct wire joins exactly two hypervisors; use a hub');
  return { count: o.count, encapType, wire, configureNode: o.configureNode ?? configureNodeWithVsctl };
}

export async function startHypervisors(ctx: HypervisorsContext, options: Required<LabHypervisorOptions>): Promise<void> {
  const hvs: LabHypervisorImpl[] = [];
  const centrals = new Map<LabHypervisorImpl, HypervisorCentral>();
  for (let index = 1; index <= options.count; index++) {
    const central = ctx.centralOf(index, options.count);
    const hv = new LabHypervisorImpl({
      index, labDir: ctx.labDir, netnsPrefix: ctx.netnsPrefix, baseEnv: ctx.env, sbRemote: central.sbRemote,
      encapType: options.encapType, configureNode: options.configureNode, ...(central.zone ? { zone: central.zone } : {}),
    });
    hvs.push(hv);
    centrals.set(hv, central);
    ctx.started.hypervisors.push(hv);
  }
  const hub = options.wire === 'hub' ? new LabHubImpl(ctx.labDir, ctx.netnsPrefix, ctx.env) : undefined;
  if (hub) ctx.started.hub = hub;

  await Promise.all([hub?.start(), ...hvs.map((hv) => hv.startSwitch())]);
  if (hub) await Promise.all(hvs.map((hv) => hub.attach(hv)));
  else await joinDirect(hvs[0], hvs[1]);
  await Promise.all(hvs.map(async (hv) => {
    for (const peer of hvs) if (peer !== hv) await hv.addNeighbour(peer.encapIp, peer.underlayMac);
  }));

  await Promise.all(hvs.map((hv) => hv.startController()));
  await Promise.all(hvs.map((hv) => centrals.get(hv)!.sbctl('--timeout=20', 'wait-until', 'Chassis', hv.name)));
  // Every controller has seen every other Chassis (so its tunnel ports exist) once it acknowledges its NB's
  // latest configuration.
  await Promise.all([...new Set(centrals.values())].map((central) => central.nbctl?.('--wait=hv', 'sync')));
}
