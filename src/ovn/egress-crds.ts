// The Kubernetes custom resources of ovn-kubernetes' egress features, as minimal typed shapes. @kubernetes/client-node
// has no model types for them; these follow the CRDs' Go types and schemas in ovn-kubernetes
// (go-controller/pkg/crd/egressip/v1/types.go, go-controller/pkg/crd/egressfirewall/v1/types.go, and the generated
// dist/templates/k8s.ovn.org_egressips.yaml.j2 / k8s.ovn.org_egressfirewalls.yaml.j2), group k8s.ovn.org, version
// v1. Field names and optionality are the JSON ones; what the API server's schema validates is said per field.

/** metav1.LabelSelector (matchLabels, and matchExpressions with In, NotIn, Exists, DoesNotExist). */
export interface CrdLabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; readonly values?: readonly string[] }[];
}

/** The part of metav1.ObjectMeta these kinds use. */
export interface CrdObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
  readonly uid?: string;
}

/** `k8s.ovn.org/v1` EgressIP (cluster-scoped): pods of the selected namespaces leave the cluster with these source IPs. */
export interface EgressIP {
  readonly apiVersion?: 'k8s.ovn.org/v1';
  readonly kind?: 'EgressIP';
  readonly metadata: CrdObjectMeta;
  readonly spec: {
    /** The egress IPs (IPv4 or IPv6 addresses), each hosted by one egress-assignable node. */
    readonly egressIPs: readonly string[];
    /** Namespaces whose pods use them (required). */
    readonly namespaceSelector: CrdLabelSelector;
    /** Pods of those namespaces (empty or absent: all of them). */
    readonly podSelector?: CrdLabelSelector;
  };
  /** Which node hosts which egress IP (written by ovn-kubernetes' cluster manager; assignEgressIPs computes it). */
  readonly status?: { readonly items: readonly EgressIPStatusItem[] };
}

export interface EgressIPStatusItem {
  readonly node: string;
  readonly egressIP: string;
}

/** One rule of an EgressFirewall: exactly one of `to`'s fields is set (the CRD's MinProperties/MaxProperties 1). */
export interface EgressFirewallRule {
  /** `Allow` or `Deny` (schema pattern `^Allow|Deny$`). */
  readonly type: 'Allow' | 'Deny';
  /** Destination ports; absent: any port of any protocol. `protocol` matches `^TCP|UDP|SCTP$`, `port` 1..65535 (0: every port of it). */
  readonly ports?: readonly { readonly protocol: 'TCP' | 'UDP' | 'SCTP'; readonly port?: number }[];
  readonly to: {
    /** An IPv4 or IPv6 CIDR. */
    readonly cidrSelector?: string;
    /** A DNS name, `*.` allowed once at the front (schema pattern `^(\*\.)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+\.?$`). */
    readonly dnsName?: string;
    /** The node IPs of the selected nodes. */
    readonly nodeSelector?: CrdLabelSelector;
  };
}

/** `k8s.ovn.org/v1` EgressFirewall: one per namespace, named `default`; rules in order, first match wins, default allow. */
export interface EgressFirewall {
  readonly apiVersion?: 'k8s.ovn.org/v1';
  readonly kind?: 'EgressFirewall';
  readonly metadata: CrdObjectMeta;
  readonly spec: { readonly egress: readonly EgressFirewallRule[] };
  readonly status?: { readonly status?: string; readonly messages?: readonly string[] };
}
