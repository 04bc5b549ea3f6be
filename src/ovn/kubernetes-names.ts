// Kubernetes object names, checked the way the API server checks them (k8s.io/apimachinery validation, and the
// rule each kind uses in k8s.io/kubernetes pkg/apis/*/validation): namespaces are DNS-1123 labels, Services
// DNS-1035 labels (a letter first), pods, nodes and NetworkPolicies DNS-1123 subdomains. Names become parts of
// OVN row names (`<namespace>_<pod>`, `GR_<node>`, `Service_<ns>/<name>_TCP_cluster`), so what the API server
// would refuse is refused here too, before anything is written.
import { OvnInvalidNameError, type KubernetesNameRule } from './errors.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_MAX = 63;
const SUBDOMAIN_MAX = 253;

/** The rule each kind's name follows. */
export const NAME_RULES = {
  namespace: 'dns-1123-label',
  service: 'dns-1035-label',
  pod: 'dns-1123-subdomain',
  node: 'dns-1123-subdomain',
  'network policy': 'dns-1123-subdomain',
  // Custom resources' names are DNS-1123 subdomains (apiextensions' default).
  'egress ip': 'dns-1123-subdomain',
  'egress firewall': 'dns-1123-subdomain',
} as const satisfies Record<string, KubernetesNameRule>;

/** A kind whose names the library checks. */
export type NamedKind = keyof typeof NAME_RULES;

/** Why `value` breaks `rule`, or undefined when it follows it (for layers with errors of their own, e.g. src/ovs). */
export function kubernetesNameProblem(rule: KubernetesNameRule, value: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'it is empty';
  if (rule === 'dns-1123-subdomain') {
    if (value.length > SUBDOMAIN_MAX) return `it has ${value.length} characters, at most ${SUBDOMAIN_MAX} are allowed`;
    return SUBDOMAIN.test(value) ? undefined : 'only lowercase a-z, 0-9, \'-\' and \'.\' are allowed, each dot-separated part starting and ending with a letter or digit';
  }
  if (value.length > LABEL_MAX) return `it has ${value.length} characters, at most ${LABEL_MAX} are allowed`;
  if (rule === 'dns-1035-label') {
    return DNS1035_LABEL.test(value) ? undefined : 'only lowercase a-z, 0-9 and \'-\' are allowed, starting with a letter and ending with a letter or digit';
  }
  return LABEL.test(value) ? undefined : 'only lowercase a-z, 0-9 and \'-\' are allowed, starting and ending with a letter or digit';
}

/**
 * Checks the name of an object of `kind` against the Kubernetes rule for that kind.
 * @throws OvnInvalidNameError naming the kind, the value and the rule.
 */
export function checkKubernetesName(kind: NamedKind, value: string): void {
  const rule = NAME_RULES[kind];
  const problem = kubernetesNameProblem(rule, value);
  if (problem !== undefined) throw new OvnInvalidNameError(kind, value, rule, problem);
}

/** Checks the namespace and name of a namespaced object (`kind` is the kind of the object itself). */
export function checkNamespacedName(kind: NamedKind, key: { readonly namespace: string; readonly name: string }): void {
  checkKubernetesName('namespace', key.namespace);
  checkKubernetesName(kind, key.name);
}
