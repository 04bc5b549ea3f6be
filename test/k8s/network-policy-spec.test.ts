// NetworkPolicy semantics, resolved against the cache into what src/ovn writes, and the precise watches: which
// policies a pod's or a namespace's change concerns. Pure: addresses come from a table (the agent reads OVN's).
import test from 'ava';
import { compilePolicy, networkPolicySpecFromKubernetes, policyTypes } from '../../src/k8s/controllers/network-policy-spec.js';
import { PolicyIndex, podFacts } from '../../src/k8s/controllers/policy-index.js';
import { cacheOf, namespace, networkPolicy, pod } from './cluster-objects.js';

const ADDRESSES: Record<string, string> = {
  'prod/web': '10.244.1.3', 'prod/web2': '10.244.2.3', 'prod/db': '10.244.1.4', 'dev/client': '10.244.1.5', 'dev/tool': '10.244.2.5',
  'other/x': '10.244.2.6', 'other/y': '10.244.1.6',
};
const addresses = (p: { namespace: string; name: string }): string[] => {
  const a = ADDRESSES[`${p.namespace}/${p.name}`];
  return a ? [a] : [];
};

const cluster = [
  namespace('prod', { team: 'a' }), namespace('dev', { team: 'b' }), // `other` has no Namespace object: only its name label
  pod('prod', 'web', { node: 'n1', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('prod', 'web2', { node: 'n2', labels: { app: 'web', tier: 'edge' }, ports: [{ name: 'http', containerPort: 9090 }] }),
  pod('prod', 'db', { node: 'n1', labels: { app: 'db' }, ports: [{ name: 'sql', containerPort: 5432 }] }),
  pod('prod', 'host', { node: 'n1', labels: { app: 'web' }, hostNetwork: true }),
  pod('prod', 'pending', { labels: { app: 'web' } }),
  pod('dev', 'client', { node: 'n1', labels: { app: 'client' } }),
  pod('dev', 'tool', { node: 'n2', labels: { app: 'tool' }, ports: [{ name: 'http', containerPort: 7070 }] }),
  pod('other', 'x', { node: 'n2', labels: { app: 'client' } }),
  pod('other', 'y', { node: 'n1', labels: { app: 'client', legacy: 'true' } }),
];

const allowWeb = networkPolicy('prod', 'allow-web', {
  podSelector: { matchLabels: { app: 'web' } },
  ingress: [{
    from: [
      { namespaceSelector: { matchLabels: { team: 'b' } }, podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['client'] }] } },
      { ipBlock: { cidr: '172.16.0.0/16', except: ['172.16.1.0/24'] } },
    ],
    ports: [{ port: 'http' }, { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 1000, endPort: 2000 }],
  }],
});
const egressAll = networkPolicy('prod', 'egress-cluster', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] });
const denyNonWeb = networkPolicy('prod', 'deny-non-web', { podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } });
const fromOther = networkPolicy('prod', 'from-other', {
  podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
  ingress: [
    { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } }, podSelector: { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] } }] },
    { from: [{ podSelector: {} }], ports: [{ port: 'no-such-port' }] },
    {},
  ],
  egress: [{ to: [{ podSelector: { matchLabels: { app: 'nobody' } } }] }, { ports: [{ port: 'http' }] }],
});

test('selectors, namespaces, ipBlock with except, numbered, ranged and named ports resolved per pod', (t) => {
  const cache = cacheOf(...cluster, allowWeb);
  const spec = networkPolicySpecFromKubernetes(cache.get('NetworkPolicy', 'prod/allow-web')!, cache, addresses);
  t.deepEqual(spec, {
    namespace: 'prod', name: 'allow-web',
    pods: [{ namespace: 'prod', name: 'web' }, { namespace: 'prod', name: 'web2' }], // not the host-network or the pending pod
    ingress: [{
      peerAddresses: ['10.244.1.5'], // dev/client: team=b and app in (client); not other/x (namespace team unset)
      ipBlocks: [{ cidr: '172.16.0.0/16', except: ['172.16.1.0/24'] }],
      ports: [
        { protocol: 'tcp', port: 8080, destinations: ['10.244.1.3'] }, // `http` is 8080 on web
        { protocol: 'tcp', port: 9090, destinations: ['10.244.2.3'] }, // and 9090 on web2
        { protocol: 'udp', port: 53 },
        { protocol: 'tcp', port: 1000, endPort: 2000 },
      ],
    }],
  });
});

test('policy types: given, or Ingress plus Egress when there are egress rules; an empty namespaceSelector is every namespace', (t) => {
  const cache = cacheOf(...cluster, egressAll, denyNonWeb);
  const egress = networkPolicySpecFromKubernetes(cache.get('NetworkPolicy', 'prod/egress-cluster')!, cache, addresses);
  t.is(egress.ingress, undefined);
  t.deepEqual(egress.pods.map((p) => p.name), ['db', 'web', 'web2']);
  t.deepEqual(egress.egress, [{ peerAddresses: Object.values(ADDRESSES).sort() }], 'every pod of every namespace, the one without a Namespace object too');
  const deny = networkPolicySpecFromKubernetes(cache.get('NetworkPolicy', 'prod/deny-non-web')!, cache, addresses);
  t.deepEqual(deny, { namespace: 'prod', name: 'deny-non-web', pods: [{ namespace: 'prod', name: 'db' }], ingress: [] }, 'NotIn: the pods without app=web; no rules: deny');
  t.deepEqual(policyTypes(cache.get('NetworkPolicy', 'prod/egress-cluster')!), ['egress']);
  t.deepEqual(policyTypes(cache.get('NetworkPolicy', 'prod/deny-non-web')!), ['ingress']);
});

test('the namespace name label, Exists and DoesNotExist, a named port no pod has (nothing allowed), a rule without peers (everything)', (t) => {
  const cache = cacheOf(...cluster, fromOther);
  const spec = networkPolicySpecFromKubernetes(cache.get('NetworkPolicy', 'prod/from-other')!, cache, addresses);
  t.deepEqual(spec.pods, [{ namespace: 'prod', name: 'web2' }], 'tier Exists');
  t.deepEqual(spec.ingress, [
    { peerAddresses: ['10.244.2.6'] }, // other/x; other/y has legacy
    { peerAddresses: [] }, // the port resolves to nothing: nothing allowed (an empty address set)
    {}, // no peers, no ports: everything
  ]);
  t.deepEqual(spec.egress, [
    { peerAddresses: [] }, // selects nothing
    { ports: [{ protocol: 'tcp', port: 7070, destinations: ['10.244.2.5'] }, { protocol: 'tcp', port: 8080, destinations: ['10.244.1.3'] }, { protocol: 'tcp', port: 9090, destinations: ['10.244.2.3'] }] },
  ], 'egress to a named port without selector peers: every pod that has it');
  t.deepEqual(policyTypes(cache.get('NetworkPolicy', 'prod/from-other')!), ['ingress', 'egress']);
});

test('watches: a relabeled pod concerns the policies whose verdict changed; a namespace relabeled, the namespaceSelectors it flips', (t) => {
  const cache = cacheOf(...cluster, allowWeb, egressAll, denyNonWeb, fromOther);
  const index = new PolicyIndex();
  for (const key of cache.store('NetworkPolicy').keys()) index.set(compilePolicy(key, cache.get('NetworkPolicy', key)!));
  const nsLabels = (ns: string) => ({ ...cache.get('Namespace', ns)?.metadata?.labels, 'kubernetes.io/metadata.name': ns });
  const facts = (ns: string, name: string, labels: Record<string, string>, ports?: { name: string; containerPort: number }[]) =>
    podFacts(cache.get('Pod', `${ns}/${name}`) ? { ...cache.get('Pod', `${ns}/${name}`)!, metadata: { namespace: ns, name, labels }, ...(ports ? { spec: { containers: [{ name: 'c', ports }] } } : {}) } : { metadata: { namespace: ns, name, labels } });
  const sorted = (keys: Iterable<string>) => [...keys].sort();

  // dev/client: app=client -> app=tool. It stays an egress-cluster peer (every pod); it leaves allow-web's peers.
  t.deepEqual(sorted(index.podChanged(facts('dev', 'client', { app: 'client' }), facts('dev', 'client', { app: 'tool' }), nsLabels)), ['prod/allow-web']);
  // prod/db: app=db -> app=web: selected by allow-web now, no longer by deny-non-web.
  t.deepEqual(sorted(index.podChanged(facts('prod', 'db', { app: 'db' }), facts('prod', 'db', { app: 'web' }), nsLabels)), ['prod/allow-web', 'prod/deny-non-web']);
  // A label no selector reads: nothing.
  t.deepEqual(index.podChanged(facts('prod', 'db', { app: 'db' }), facts('prod', 'db', { app: 'db', note: 'x' }), nsLabels), []);
  // Deleted: every policy that selected it or named it.
  t.deepEqual(sorted(index.podChanged(facts('other', 'x', { app: 'client' }), undefined, nsLabels)), ['prod/egress-cluster', 'prod/from-other']);
  // A container port renamed on a selected pod: the policies with named ports that concern it.
  t.deepEqual(sorted(index.podChanged(facts('prod', 'web', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]), facts('prod', 'web', { app: 'web' }, [{ name: 'http', containerPort: 8081 }]), nsLabels)),
    ['prod/allow-web', 'prod/from-other']);
  // A port renamed on a pod of another namespace: only from-other, whose egress named port may go to any pod.
  t.deepEqual(index.podChanged(facts('dev', 'tool', { app: 'tool' }, [{ name: 'http', containerPort: 7070 }]), facts('dev', 'tool', { app: 'tool' }, [{ name: 'http', containerPort: 7071 }]), nsLabels),
    ['prod/from-other']);
  // Namespace dev: team=b -> team=c flips allow-web's namespaceSelector; egress-cluster's {} matches both.
  t.deepEqual(index.namespaceChanged(nsLabels('dev'), { 'kubernetes.io/metadata.name': 'dev', team: 'c' }), ['prod/allow-web']);
  t.deepEqual(index.namespaceChanged(nsLabels('dev'), { ...nsLabels('dev'), owner: 'me' }), []);
  // A pod's address changed: every policy that selects it or names it.
  t.deepEqual(sorted(index.concerning(facts('prod', 'web2', { app: 'web', tier: 'edge' }), nsLabels)), ['prod/allow-web', 'prod/egress-cluster', 'prod/from-other']);
  index.delete('prod/allow-web');
  t.deepEqual(sorted(index.concerning(facts('prod', 'web2', { app: 'web', tier: 'edge' }), nsLabels)), ['prod/egress-cluster', 'prod/from-other']);
});
