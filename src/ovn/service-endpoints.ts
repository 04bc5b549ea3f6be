// Which endpoints of a Service port a load balancer balances to, by EndpointSlice conditions, as ovn-kubernetes
// chooses them (go-controller pkg/util/kube.go getSelectedEligibleEndpoints, KEP-1669): the ready endpoints; when
// there is none, the endpoints that are serving and terminating (so a rollout's last pods keep answering while
// they drain); everything with publishNotReadyAddresses. For a traffic policy Local the choice is made among the
// node's own endpoints alone, so a node whose local pods are all terminating still uses them while other nodes have
// ready ones.
import { parseAddress, type IpFamily } from './ip.js';
import type { ServiceEndpointSpec } from './service-spec.js';

/** A backend of a VIP as written in `vips`: address (canonical text) and port. */
export interface Backend { readonly ip: string; readonly port: number; readonly family: IpFamily }

/** The backends of one Service port, by family, in a stable order (address, then port), without duplicates. */
export interface Backends { readonly v4: readonly Backend[]; readonly v6: readonly Backend[] }

/** Ready unless told otherwise (Kubernetes: "consumers should interpret this unknown state as ready"). */
function isReady(e: ServiceEndpointSpec): boolean { return e.ready ?? true; }
/** Serving defers to ready when unknown. */
function isServing(e: ServiceEndpointSpec): boolean { return e.serving ?? isReady(e); }
function isTerminating(e: ServiceEndpointSpec): boolean { return e.terminating ?? false; }

/**
 * The endpoints a load balancer uses (see the file comment), optionally only those on `node`.
 * Endpoints without a node never count as local.
 */
export function eligibleEndpoints(endpoints: readonly ServiceEndpointSpec[], publishNotReadyAddresses: boolean, node?: string): ServiceEndpointSpec[] {
  const ready: ServiceEndpointSpec[] = [];
  const servingTerminating: ServiceEndpointSpec[] = [];
  for (const e of endpoints) {
    if (node !== undefined && e.node !== node) continue;
    if (publishNotReadyAddresses || isReady(e)) ready.push(e);
    else if (isServing(e) && isTerminating(e)) servingTerminating.push(e);
  }
  return ready.length > 0 ? ready : servingTerminating;
}

function compareBackends(a: Backend, b: Backend): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  return a.port - b.port;
}

/** The endpoints as backends, split by family, canonical, sorted and deduplicated. */
export function backendsOf(endpoints: readonly ServiceEndpointSpec[]): Backends {
  const seen = new Set<string>();
  const v4: Backend[] = [];
  const v6: Backend[] = [];
  for (const e of endpoints) {
    const address = parseAddress(e.ip);
    const key = `${address.text}|${e.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    (address.family === 4 ? v4 : v6).push({ ip: address.text, port: e.port, family: address.family });
  }
  return { v4: v4.sort(compareBackends), v6: v6.sort(compareBackends) };
}

/** The backends of `backends` of the family of `family`. */
export function backendsOfFamily(backends: Backends, family: IpFamily): readonly Backend[] {
  return family === 4 ? backends.v4 : backends.v6;
}
