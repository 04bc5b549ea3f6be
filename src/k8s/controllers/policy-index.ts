// Which NetworkPolicies a change of a pod or a namespace concerns, so that an event queues exactly the policies whose
// port group, address sets or ACLs it can change, not every policy. Policies are indexed by namespace (a pod is
// selected by, or a peer through a podSelector of, policies of its own namespace only) plus the set of policies with
// a namespaceSelector peer (those may name pods of any namespace).
//
//   pod labels change       the policies that selected it or named it as a peer before XOR after
//   pod deleted             the policies that selected it or named it as a peer
//   pod container ports     with a named port: the policies that select it or name it (the port's number per pod),
//                           and those with an egress named port to any pod
//   pod address (its port)  the policies that select it or name it (Pod controller's podNetwork news)
//   namespace labels change the policies with a namespaceSelector peer whose verdict on the namespace changed, if the
//                           namespace has pods
import type { V1Pod } from '@kubernetes/client-node';
import type { Labels } from '../label-selector.js';
import type { CompiledPolicy } from './network-policy-spec.js';

/** What of a pod the policies see. */
export interface PodFacts {
  readonly namespace: string;
  readonly labels: Labels;
  /** The pod's container ports, as text (a change matters to policies with named ports). */
  readonly ports: string;
}

export function podFacts(pod: V1Pod): PodFacts {
  const ports = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).filter((p) => p.name).map((p) => `${p.name}/${p.protocol ?? 'TCP'}/${p.containerPort}`).sort().join(',');
  return { namespace: pod.metadata?.namespace ?? '', labels: pod.metadata?.labels, ports };
}

export class PolicyIndex {
  private readonly policies = new Map<string, CompiledPolicy>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly crossNamespace = new Set<string>();
  /** Policies for which any pod with a named port may be a destination. */
  private readonly anyPod = new Set<string>();

  get size(): number {
    return this.policies.size;
  }

  set(policy: CompiledPolicy): void {
    this.delete(policy.key);
    this.policies.set(policy.key, policy);
    let keys = this.byNamespace.get(policy.namespace);
    if (!keys) this.byNamespace.set(policy.namespace, (keys = new Set()));
    keys.add(policy.key);
    if (policy.crossNamespace) this.crossNamespace.add(policy.key);
    if (policy.namedPortsOfAnyPod) this.anyPod.add(policy.key);
  }

  delete(key: string): void {
    const policy = this.policies.get(key);
    if (!policy) return;
    this.policies.delete(key);
    const keys = this.byNamespace.get(policy.namespace);
    keys?.delete(key);
    if (keys?.size === 0) this.byNamespace.delete(policy.namespace);
    this.crossNamespace.delete(key);
    this.anyPod.delete(key);
  }

  clear(): void {
    this.policies.clear();
    this.byNamespace.clear();
    this.crossNamespace.clear();
    this.anyPod.clear();
  }

  /** The policies that select the pod or name it as a peer (its namespace's labels: `namespaceLabels`). */
  concerning(pod: PodFacts, namespaceLabels: (namespace: string) => Labels): Set<string> {
    const out = new Set<string>();
    let labelsOfNamespace: Labels | undefined;
    const nsLabels = (): Labels => (labelsOfNamespace ??= namespaceLabels(pod.namespace));
    for (const key of this.candidates(pod.namespace)) {
      const policy = this.policies.get(key)!;
      const local = policy.namespace === pod.namespace;
      if ((local && policy.selects(pod.labels)) || (policy.namedPortsOfAnyPod && pod.ports !== '')) { out.add(key); continue; }
      for (const peer of policy.peers) {
        const inNamespace = peer.namespaces ? peer.namespaces(nsLabels()) : local;
        if (inNamespace && peer.pods(pod.labels)) { out.add(key); break; }
      }
    }
    return out;
  }

  /** The policies a pod's change concerns (see the file comment); `before`/`after` undefined for an add/delete. */
  podChanged(before: PodFacts | undefined, after: PodFacts | undefined, namespaceLabels: (namespace: string) => Labels): string[] {
    const was = before ? this.concerning(before, namespaceLabels) : new Set<string>();
    const is = after ? this.concerning(after, namespaceLabels) : new Set<string>();
    const out = new Set<string>();
    const portsChanged = before !== undefined && after !== undefined && before.ports !== after.ports;
    for (const key of was) if (!is.has(key) || (portsChanged && this.policies.get(key)!.namedPorts)) out.add(key);
    for (const key of is) if (!was.has(key) || (portsChanged && this.policies.get(key)!.namedPorts)) out.add(key);
    return [...out];
  }

  /** The policies whose namespaceSelector verdict on a namespace changed with its labels. */
  namespaceChanged(before: Labels | undefined, after: Labels | undefined): string[] {
    const out: string[] = [];
    for (const key of this.crossNamespace) {
      const policy = this.policies.get(key)!;
      for (const peer of policy.peers) {
        if (!peer.namespaces) continue;
        const was = before !== undefined && peer.namespaces(before);
        const is = after !== undefined && peer.namespaces(after);
        if (was !== is) { out.push(key); break; }
      }
    }
    return out;
  }

  private *candidates(namespace: string): Iterable<string> {
    const local = this.byNamespace.get(namespace);
    if (local) yield* local;
    for (const key of this.crossNamespace) if (!local?.has(key)) yield key;
    for (const key of this.anyPod) if (!local?.has(key) && !this.crossNamespace.has(key)) yield key;
  }
}
