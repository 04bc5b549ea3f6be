// One agent's view of the cluster network in OVN_Northbound: every kind (nodes, pods, services, network
// policies) over one Northbound replica, all writing and selecting rows as one controller. The kinds have one
// shape (kind.ts: ensure, delete, get, list, sync), so an agent's controllers and its periodic garbage collection
// treat them alike:
//
//   const nb = await openNorthbound('unix:/run/ovn/ovnnb_db.sock');
//   const net = new ClusterNetwork(nb, { controller: 'my-agent' });
//   await net.nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24'], chassis: 'node1' });
//   const web = await net.pods.ensure({ namespace: 'default', name: 'web', node: 'node1' });
//   await net.services.ensure({ namespace: 'default', name: 'web', vips: [{ ip: '10.96.0.10', port: 80, endpoints: [{ ip: '10.244.1.3', port: 8080 }] }] });
//   await net.pods.sync(podsThatExist);   // removes the ports of pods this controller added that are gone
import { DEFAULT_CONTROLLER } from './names.js';
import { commitDesired } from './desired-state.js';
import type { Northbound } from './northbound.js';
import { buildCluster, type ClusterOptions } from './topology.js';
import { OvnNodes, type OvnNodesOptions } from './nodes.js';
import { OvnPods, type OvnPodsOptions } from './pods.js';
import { OvnServices, type OvnServicesOptions } from './services.js';
import { OvnNetworkPolicies } from './network-policy.js';
import { OvnGateways } from './gateway.js';
import { OvnPodSnats } from './pod-snat.js';
import { OvnEgressIPs } from './egress-ip.js';
import { OvnEgressFirewalls, type OvnEgressFirewallsOptions } from './egress-firewall.js';
import { OvnMulticast } from './multicast.js';
import type { Changed, KindOptions } from './kind.js';

/** Options of ClusterNetwork: the controller name, the cluster's join subnet, how pods are allocated. */
export interface ClusterNetworkOptions extends KindOptions, ClusterOptions {
  /** Node batching (OvnNodes' coalesce and maxBatch; the controller and join subnets are ClusterNetwork's). */
  readonly nodes?: Pick<OvnNodesOptions, 'coalesce' | 'maxBatch'>;
  /** Pod allocation and batching (OvnPods' options; the controller is ClusterNetwork's). */
  readonly pods?: Omit<OvnPodsOptions, 'controller'>;
  /** Service load balancers' batching (OvnServices' options; the controller is ClusterNetwork's). */
  readonly services?: Omit<OvnServicesOptions, 'controller'>;
  /** The cluster's pod networks (`--cluster-subnets`): egress IPs' no-reroute policies, egress firewalls' exclusions. */
  readonly clusterSubnets?: readonly string[];
  /** How egress firewalls resolve DNS names and node selectors (without them, such rules are refused). */
  readonly egressFirewall?: Pick<OvnEgressFirewallsOptions, 'resolver' | 'nodeAddresses'>;
}

/** Every kind of object the library maintains in OVN_Northbound, as one controller (see the file comment). */
export class ClusterNetwork {
  /** The controller written to and selected on `k8s.ovn.org/owner-controller` by every kind. */
  readonly controller: string;
  /** Node switches, management ports, gateway routers (key `{ name }`). */
  readonly nodes: OvnNodes;
  /** Pod ports with IPAM (key `{ namespace, name }`). */
  readonly pods: OvnPods;
  /** Service load balancers (key `{ namespace, name }`). */
  readonly services: OvnServices;
  /** NetworkPolicy port groups, ACLs and address sets (key `{ namespace, name }`). */
  readonly networkPolicies: OvnNetworkPolicies;
  /** Node gateways: external switch, localnet port, default routes, SNAT (key `{ name }`: the node). */
  readonly gateways: OvnGateways;
  /** Per-pod SNAT on the pod's node gateway, for disable-snat-multiple-gws (key `{ namespace, name }`: the pod). */
  readonly podSnats: OvnPodSnats;
  /** EgressIPs: reroute policies and SNAT on the hosting nodes (key `{ name }`). */
  readonly egressIPs: OvnEgressIPs;
  /** EgressFirewalls: ACLs on the namespace's port group (key `{ namespace, name: 'default' }`). */
  readonly egressFirewalls: OvnEgressFirewalls;
  /** Per-namespace multicast allows and the cluster's default deny (key `{ name }`: the namespace); with `multicast: true`. */
  readonly multicast: OvnMulticast;

  private clusterPending: Promise<Changed> | undefined;

  /** Every kind over `nb`, as the controller `options.controller` (default `ovn-overlay`). */
  constructor(readonly nb: Northbound, private readonly options: ClusterNetworkOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    const controller = this.controller;
    this.nodes = new OvnNodes(nb, {
      ...options.nodes, controller, ...(options.joinSubnet !== undefined ? { joinSubnet: options.joinSubnet } : {}),
      ...(options.joinSubnetV6 !== undefined ? { joinSubnetV6: options.joinSubnetV6 } : {}), ...(options.multicast !== undefined ? { multicast: options.multicast } : {}),
    });
    this.pods = new OvnPods(nb, { ...options.pods, controller });
    this.services = new OvnServices(nb, { ...options.services, controller });
    this.networkPolicies = new OvnNetworkPolicies(nb, { controller });
    this.gateways = new OvnGateways(nb, { controller });
    this.podSnats = new OvnPodSnats(nb, { controller });
    const cluster = {
      ...(options.clusterSubnets !== undefined ? { clusterSubnets: options.clusterSubnets } : {}),
      ...(options.joinSubnet !== undefined ? { joinSubnet: options.joinSubnet } : {}),
      ...(options.joinSubnetV6 !== undefined ? { joinSubnetV6: options.joinSubnetV6 } : {}),
    };
    this.egressIPs = new OvnEgressIPs(nb, { controller, ...cluster });
    this.egressFirewalls = new OvnEgressFirewalls(nb, { controller, ...cluster, ...options.egressFirewall });
    const families = [...new Set((options.clusterSubnets ?? []).map((s): 4 | 6 => (s.includes(':') ? 6 : 4)))];
    this.multicast = new OvnMulticast(nb, { controller, ...(families.length > 0 ? { families } : {}) });
  }

  /**
   * Ensures the cluster router, the join switch and the cluster load balancer group (nodes.ensure does it too,
   * in the node's transaction). Rows another controller or tool made are used as they are. One transaction, shared by
   * the calls made while it is in flight.
   */
  ensureCluster(): Promise<Changed> {
    // Concurrent calls (an agent's Service workers finding no cluster load balancer group at once) share one
    // transaction instead of racing each other for the same names.
    this.clusterPending ??= commitDesired(this.nb, (tx) => {
      buildCluster(this.nb, tx, { controller: this.controller }, this.options);
      return !tx.isEmpty;
    }).then((changed) => ({ changed })).finally(() => { this.clusterPending = undefined; });
    return this.clusterPending;
  }
}
