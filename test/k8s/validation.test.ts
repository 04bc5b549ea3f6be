// What an object must have before it enters the cache: one reason code and a message naming the field.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { validateObject, type RejectReason } from '../../src/k8s/validation.js';
import type { KindName } from '../../src/k8s/kinds.js';

const events = (resource: string) => readFileSync(new URL(`../../fixtures/k8s/kubectl/${resource}.events.jsonl`, import.meta.url), 'utf8')
  .trim().split('\n').map((line) => (JSON.parse(line) as { object: Record<string, unknown> }).object);

test('every object of the recorded cluster is valid', (t) => {
  const kinds: Array<[KindName, string]> = [['Namespace', 'namespaces'], ['Node', 'nodes'], ['Pod', 'pods'], ['Service', 'services'],
    ['EndpointSlice', 'endpointslices'], ['NetworkPolicy', 'networkpolicies']];
  for (const [kind, resource] of kinds) for (const object of events(resource)) t.is(validateObject(kind, object), undefined, `${kind} ${JSON.stringify(object.metadata)}`);
});

const pod = () => structuredClone(events('pods')[0]) as { metadata: Record<string, unknown>; spec: Record<string, unknown>; status: Record<string, unknown> } & Record<string, unknown>;
const policy = () => structuredClone(events('networkpolicies')[0]) as { spec: Record<string, unknown> } & Record<string, unknown>;
const service = () => structuredClone(events('services')[1]) as { spec: Record<string, unknown> } & Record<string, unknown>;

function expectProblem(t: import('ava').ExecutionContext, kind: KindName, object: unknown, reason: RejectReason, message: RegExp): void {
  const problem = validateObject(kind, object);
  t.is(problem?.reason, reason, JSON.stringify(problem));
  t.regex(problem?.message ?? '', message);
}

test('names, namespaces and the apiVersion', (t) => {
  expectProblem(t, 'Pod', { ...pod(), metadata: { namespace: 'a' } }, 'missing-field', /^metadata\.name is missing$/);
  expectProblem(t, 'Pod', { ...pod(), metadata: { name: 'p' } }, 'missing-field', /^metadata\.namespace is missing$/);
  expectProblem(t, 'Pod', { ...pod(), metadata: { name: 'Web_1', namespace: 'a' } }, 'invalid-name', /metadata\.name "Web_1" is not a dns-1123-subdomain name \(only lowercase/);
  expectProblem(t, 'Service', { ...service(), metadata: { name: '1web', namespace: 'a' } }, 'invalid-name', /is not a dns-1035-label name \(.*starting with a letter/);
  expectProblem(t, 'Namespace', { metadata: { name: 'a.b' } }, 'invalid-name', /is not a dns-1123-label name/);
  expectProblem(t, 'Pod', { ...pod(), apiVersion: 'v2' }, 'unsupported-api-version', /apiVersion "v2" of Pod is not supported \(v1 is\)/);
  expectProblem(t, 'EndpointSlice', { apiVersion: 'discovery.k8s.io/v1beta1', metadata: { name: 'a', namespace: 'b' } }, 'unsupported-api-version', /v1beta1/);
  expectProblem(t, 'Pod', 'a pod', 'not-an-object', /must be a JSON object/);
  expectProblem(t, 'Pod', { ...pod(), metadata: { ...pod().metadata, labels: { app: 1 } } }, 'invalid-field', /metadata\.labels\["app"\] is not a string/);
});

test('addresses, CIDRs, protocols, ports', (t) => {
  const p = pod();
  p.status.podIPs = [{ ip: '10.244.1.7' }, { ip: 'fd00::x' }];
  expectProblem(t, 'Pod', p, 'invalid-address', /^status\.podIPs\[1\]\.ip "fd00::x" is not an IP address$/);
  const c = pod();
  (c.spec.containers as Array<Record<string, unknown>>)[0].ports = [{ containerPort: 70000 }];
  expectProblem(t, 'Pod', c, 'invalid-port', /containerPort 70000 is not a port number/);
  const s = service();
  (s.spec.ports as Array<Record<string, unknown>>)[0].protocol = 'ICMP';
  expectProblem(t, 'Service', s, 'invalid-protocol', /^spec\.ports\[0\]\.protocol "ICMP" is not one of TCP, UDP, SCTP$/);
  const s2 = service();
  (s2.spec.ports as Array<Record<string, unknown>>)[0].targetPort = 'Not_A_Name';
  expectProblem(t, 'Service', s2, 'invalid-port', /targetPort "Not_A_Name" is neither a port number nor a port name/);
  const s3 = service();
  s3.spec.clusterIP = '10.96.0.999';
  expectProblem(t, 'Service', s3, 'invalid-address', /spec\.clusterIP/);
  t.is(validateObject('Service', { ...service(), spec: { ...service().spec, clusterIP: 'None', clusterIPs: ['None'] } }), undefined, 'headless');
  expectProblem(t, 'Node', { metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0/33' } }, 'invalid-cidr', /spec\.podCIDR "10\.244\.0\.0\/33" is not a CIDR/);
  expectProblem(t, 'EndpointSlice', { metadata: { name: 'e', namespace: 'a' }, addressType: 'IPv6', endpoints: [{ addresses: ['10.0.0.1'] }] },
    'invalid-address', /endpoints\[0\]\.addresses\[0\] "10\.0\.0\.1" is not an IPv6 address/);
  expectProblem(t, 'EndpointSlice', { metadata: { name: 'e', namespace: 'a' }, endpoints: [] }, 'missing-field', /addressType is missing/);
  t.is(validateObject('EndpointSlice', { metadata: { name: 'e', namespace: 'a' }, addressType: 'IPv4', endpoints: null, ports: null }), undefined,
    'the API writes null for a slice without endpoints');
});

test('NetworkPolicy: selectors, ipBlock and except, ports and endPort, peers', (t) => {
  const rule = (from: unknown, ports: unknown = undefined) => ({ ...policy(), spec: { podSelector: {}, ingress: [{ from, ports }] } });
  expectProblem(t, 'NetworkPolicy', { ...policy(), spec: {} }, 'missing-field', /^spec\.podSelector is missing$/);
  expectProblem(t, 'NetworkPolicy', rule([{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }]), 'invalid-cidr', /is not inside/);
  expectProblem(t, 'NetworkPolicy', rule([{ ipBlock: { cidr: '10.0.0.0/8', except: ['fd00::/64'] } }]), 'invalid-cidr', /is not inside/);
  t.is(validateObject('NetworkPolicy', rule([{ ipBlock: { cidr: '10.0.0.1/8', except: ['10.1.0.0/16'] } }])), undefined, 'host bits are accepted, as by the API');
  expectProblem(t, 'NetworkPolicy', rule([{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }]), 'invalid-field', /both an ipBlock and a selector/);
  expectProblem(t, 'NetworkPolicy', rule([{}]), 'missing-field', /neither a selector nor an ipBlock/);
  expectProblem(t, 'NetworkPolicy', rule([{ namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }]), 'invalid-selector', /needs at least one value/);
  expectProblem(t, 'NetworkPolicy', rule(undefined, [{ port: 'http', endPort: 90 }]), 'invalid-port', /endPort needs a numeric port/);
  expectProblem(t, 'NetworkPolicy', rule(undefined, [{ port: 100, endPort: 90 }]), 'invalid-port', /endPort 90 is below port 100/);
  expectProblem(t, 'NetworkPolicy', rule(undefined, [{ protocol: 'GRE' }]), 'invalid-protocol', /"GRE"/);
  expectProblem(t, 'NetworkPolicy', { ...policy(), spec: { podSelector: {}, policyTypes: ['Both'] } }, 'invalid-field', /policyTypes\[0\] "Both"/);
});
