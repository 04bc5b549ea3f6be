// `k8s` in the REPL: the pod-networking API of src/ovn over the REPL's Northbound connection, in the words of a
// node agent: add a node (its switch, the cluster router, the join switch), add and delete pods.
//
//   await k8s.addNode('node1', '10.244.1.0/24')
//   await k8s.addPod('default', 'web', 'node1')      // -> port default_web, its MAC and IP
import { inspect } from 'node:util';
import { openNorthbound, type Northbound } from '../ovn/northbound.js';
import { PodNetworking, type PodNetwork } from '../ovn/pods.js';
import { ensureNode, type NodeOptions } from '../ovn/topology.js';
import type { DbHandle } from './db-handle.js';

export class ClusterApi {
  private northbound: Promise<Northbound> | undefined;
  private pods: PodNetworking | undefined;

  constructor(private readonly nb: DbHandle) {}

  /**
   * The Northbound replica src/ovn works on (opened on first use, on the REPL's member and TLS settings; closed
   * with the REPL's connection).
   */
  db(): Promise<Northbound> {
    if (!this.northbound) {
      const opening = openNorthbound({ remotes: this.nb.remote, tls: this.nb.tls, leaderOnly: false, syncTimeoutMs: 10_000 });
      this.northbound = opening;
      opening.then((db) => {
        if (this.nb.client.state === 'closed') void db.close();
        else this.nb.client.once('close', () => { void db.close(); });
      }, () => { if (this.northbound === opening) this.northbound = undefined; });
    }
    return this.northbound;
  }

  /** ensureNode: the node's switch with its subnet(s), management port, cluster router and join switch. */
  async addNode(name: string, subnets: string | readonly string[], options: Omit<NodeOptions, 'name' | 'subnets'> = {}): Promise<string> {
    await ensureNode(await this.db(), { ...options, name, subnets: typeof subnets === 'string' ? [subnets] : subnets });
    return `node ${name}: switch ${name} on ovn_cluster_router`;
  }

  /** addPod: a logical switch port <namespace>_<pod> on the node's switch with the next free address. */
  async addPod(namespace: string, name: string, node: string): Promise<PodNetwork> {
    this.pods ??= new PodNetworking(await this.db());
    return this.pods.addPod({ namespace, name, node });
  }

  async deletePod(namespace: string, name: string): Promise<boolean> {
    this.pods ??= new PodNetworking(await this.db());
    return this.pods.deletePod(namespace, name);
  }

  [inspect.custom](): string {
    return 'k8s { addNode(name, subnet), addPod(namespace, name, node), deletePod(namespace, name), db() }';
  }
}
