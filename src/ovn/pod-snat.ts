// Per-pod SNAT on the pod's node gateway, what ovn-kubernetes does instead of the cluster-subnet SNAT when
// `disable-snat-multiple-gws` is set (addOrUpdatePodSNAT in its pod handler): one NAT per pod address on GR_<node>,
// `snat` from the pod IP to the node IP of the same family, so that pods routed through other gateways (external
// gateways, egress IPs) are left out by simply not having one. Key `{ namespace, name }` (the pod); rows are owned
// by `Pod` `<namespace>:<name>`, listed and deleted by that owner alone.
import type { WriteRow } from '../ovsdb/datum.js';
import type { LogicalRouter, NorthboundTables } from '../models/ovn-northbound.js';
import { commitDesired, type DesiredState } from './desired-state.js';
import { OvnInvalidFieldError, OvnNotFoundError } from './errors.js';
import { tryParseAddress, type IpFamily } from './ip.js';
import { checkKubernetesName } from './kubernetes-names.js';
import { DEFAULT_CONTROLLER, OBJECT_NAME_KEY, gatewayRouterName, namespacedObjectName, parseNamespacedObjectName, routerToExternalPort } from './names.js';
import { byName, ownedBy, type Northbound } from './northbound.js';
import { isOwned, ownerIds, type Owner } from './ownership.js';
import { ensureRouterChildren, type RouterChild } from './router-rows.js';
import type { Changed, KindOptions, NamespaceFilter, NamespacedKey, OvnKind } from './kind.js';

/** A pod whose egress its node's gateway SNATs (a Pod: its namespace, name, `spec.nodeName` and `status.podIPs`). */
export interface PodSnatSpec extends NamespacedKey {
  readonly node: string;
  /** The pod's addresses (with or without prefix length). */
  readonly ipAddresses: readonly string[];
}

export interface PodSnatInfo {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  /** `<pod IP> -> <node IP>` per address. */
  readonly snat: readonly { readonly logicalIp: string; readonly externalIp: string }[];
}

const natKey = (n: Partial<RouterChild<'nat'>>): string => `${n.type}|${n.logical_ip}`;

/** Per-pod SNAT on gateway routers (see the file comment). */
export class OvnPodSnats implements OvnKind<PodSnatSpec, NamespacedKey, PodSnatInfo, PodSnatInfo & Changed, NamespaceFilter> {
  readonly ownerType = 'Pod' as const;
  readonly controller: string;
  private readonly owner: Owner;

  constructor(readonly db: Northbound, options: KindOptions = {}) {
    this.controller = options.controller ?? DEFAULT_CONTROLLER;
    this.owner = { controller: this.controller };
  }

  /** The NATs of this pod on any gateway router (a pod that moved node has its old ones removed by ensure). */
  private natsOf(objectName: string): { router: Readonly<LogicalRouter>; nats: Readonly<RouterChild<'nat'>>[] }[] {
    const out = new Map<string, { router: Readonly<LogicalRouter>; nats: Readonly<RouterChild<'nat'>>[] }>();
    for (const nat of ownedBy(this.db, 'NAT', this.owner, 'Pod', objectName)) {
      for (const router of this.db.table('Logical_Router')) {
        if (!router.nat.includes(nat._uuid)) continue;
        const entry = out.get(router._uuid) ?? { router, nats: [] };
        entry.nats.push(nat);
        out.set(router._uuid, entry);
      }
    }
    return [...out.values()];
  }

  /**
   * SNATs the pod's addresses to its node's gateway address of the same family; one transaction.
   * @throws OvnInvalidNameError, OvnInvalidFieldError (an address that is not one, or of a family the gateway has no
   *   address of); OvnNotFoundError when the node has no gateway (gateways.ensure first).
   */
  async ensure(spec: PodSnatSpec): Promise<PodSnatInfo & Changed> {
    checkKubernetesName('namespace', spec.namespace);
    checkKubernetesName('pod', spec.name);
    checkKubernetesName('node', spec.node);
    const object = `pod ${spec.namespace}/${spec.name}`;
    const ips = spec.ipAddresses.map((text, i) => {
      const a = tryParseAddress(text.includes('/') ? text.slice(0, text.indexOf('/')) : text);
      if (!a) throw new OvnInvalidFieldError(object, `ipAddresses[${i}]`, text, 'not an IP address');
      return a;
    });
    const objectName = namespacedObjectName(spec.namespace, spec.name);
    const changed = await commitDesired(this.db, (tx) => {
      const grName = gatewayRouterName(spec.node);
      const gr = byName(this.db, 'Logical_Router', grName);
      const rtoe = byName(this.db, 'Logical_Router_Port', routerToExternalPort(spec.node));
      if (!gr || !rtoe) throw new OvnNotFoundError('Logical_Router_Port', routerToExternalPort(spec.node), `node ${spec.node} has no gateway: gateways.ensure it first`);
      const external = new Map<IpFamily, string>();
      for (const n of rtoe.networks) { const a = tryParseAddress(n.slice(0, n.indexOf('/'))); if (a) external.set(a.family, a.text); }
      const ids = ownerIds(this.owner, 'Pod', objectName);
      const want: WriteRow<RouterChild<'nat'>>[] = ips.map((a, i) => {
        const to = external.get(a.family);
        if (!to) throw new OvnInvalidFieldError(object, `ipAddresses[${i}]`, a.text, `the gateway of node ${spec.node} has no IPv${a.family} address to SNAT it to`);
        return { type: 'snat', logical_ip: a.text, external_ip: to, options: new Map([['stateless', 'false']]), external_ids: ids };
      });
      const isMine = (r: { readonly external_ids: ReadonlyMap<string, string> }): boolean => isOwned(r, this.owner, 'Pod', objectName);
      for (const { router, nats } of this.natsOf(objectName)) if (router._uuid !== gr._uuid) tx.removeFromSet('Logical_Router', router._uuid, 'nat', nats.map((n) => n._uuid));
      ensureRouterChildren(this.db, tx, gr._uuid, gr, 'nat', want, natKey, isMine);
      return !tx.isEmpty;
    });
    return { ...(this.get(spec) ?? { namespace: spec.namespace, name: spec.name, node: spec.node, snat: [] }), changed };
  }

  async delete(key: NamespacedKey): Promise<boolean> {
    checkKubernetesName('namespace', key.namespace);
    checkKubernetesName('pod', key.name);
    return commitDesired(this.db, (tx) => {
      this.buildDelete(tx, namespacedObjectName(key.namespace, key.name));
      return !tx.isEmpty;
    });
  }

  private buildDelete(tx: DesiredState<NorthboundTables>, objectName: string): void {
    for (const { router, nats } of this.natsOf(objectName)) tx.removeFromSet('Logical_Router', router._uuid, 'nat', nats.map((n) => n._uuid));
  }

  get(key: NamespacedKey): PodSnatInfo | undefined {
    const found = this.natsOf(namespacedObjectName(key.namespace, key.name));
    if (found.length === 0) return undefined;
    const { router } = found[0];
    return {
      namespace: key.namespace, name: key.name, node: router.name.slice(gatewayRouterName('').length),
      snat: found.flatMap((f) => f.nats).map((n) => ({ logicalIp: n.logical_ip, externalIp: n.external_ip })).sort((a, b) => a.logicalIp.localeCompare(b.logicalIp)),
    };
  }

  list(filter: NamespaceFilter = {}): PodSnatInfo[] {
    const names = new Set(ownedBy(this.db, 'NAT', this.owner, 'Pod').map((n) => n.external_ids.get(OBJECT_NAME_KEY) as string));
    const out: PodSnatInfo[] = [];
    for (const objectName of names) {
      const key = parseNamespacedObjectName(objectName);
      if (filter.namespace !== undefined && key.namespace !== filter.namespace) continue;
      const info = this.get(key);
      if (info) out.push(info);
    }
    return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  async sync(existing: Iterable<NamespacedKey>): Promise<NamespacedKey[]> {
    const keep = new Set([...existing].map((k) => namespacedObjectName(k.namespace, k.name)));
    return commitDesired(this.db, (tx) => {
      const stale = new Set(ownedBy(this.db, 'NAT', this.owner, 'Pod').map((n) => n.external_ids.get(OBJECT_NAME_KEY) as string).filter((n) => !keep.has(n)));
      for (const name of stale) this.buildDelete(tx, name);
      return [...stale].sort().map(parseNamespacedObjectName);
    });
  }
}
