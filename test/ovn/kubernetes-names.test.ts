// Kubernetes names as the API server checks them: which rule each kind follows, and the rules themselves.
import test from 'ava';
import { checkKubernetesName, kubernetesNameProblem, NAME_RULES } from '../../src/ovn/kubernetes-names.js';
import { OvnInvalidNameError } from '../../src/ovn/errors.js';

test('each kind follows the rule apimachinery gives it', (t) => {
  t.deepEqual(NAME_RULES, {
    namespace: 'dns-1123-label', service: 'dns-1035-label', pod: 'dns-1123-subdomain', node: 'dns-1123-subdomain', 'network policy': 'dns-1123-subdomain',
    // ovn-kubernetes' custom resources (apiextensions' default rule for names).
    'egress ip': 'dns-1123-subdomain', 'egress firewall': 'dns-1123-subdomain',
  });
});

test('DNS-1123 label: lowercase alphanumerics and "-", alphanumeric at both ends, at most 63', (t) => {
  for (const ok of ['a', 'default', 'kube-system', '0abc', 'a'.repeat(63)]) t.is(kubernetesNameProblem('dns-1123-label', ok), undefined, ok);
  for (const bad of ['', 'Default', 'my_ns', 'a.b', '-a', 'a-', 'bad name!', 'a'.repeat(64), 'é']) t.not(kubernetesNameProblem('dns-1123-label', bad), undefined, bad);
});

test('DNS-1035 label (Services): as a DNS-1123 label but starting with a letter', (t) => {
  for (const ok of ['web', 'a1', 'my-svc']) t.is(kubernetesNameProblem('dns-1035-label', ok), undefined, ok);
  for (const bad of ['1web', '0', 'web.v1', 'Web', 'web-']) t.not(kubernetesNameProblem('dns-1035-label', bad), undefined, bad);
});

test('DNS-1123 subdomain: dot-separated labels, at most 253', (t) => {
  for (const ok of ['web', 'web-0', 'web.v1', 'node-1.example.com', `${'a'.repeat(63)}.${'b'.repeat(63)}`]) t.is(kubernetesNameProblem('dns-1123-subdomain', ok), undefined, ok);
  for (const bad of ['', 'bad name!', 'web_0', "it's", 'web-', '.web', 'web..v1', 'Web', 'x'.repeat(254)]) t.not(kubernetesNameProblem('dns-1123-subdomain', bad), undefined, bad);
});

test('checkKubernetesName throws OvnInvalidNameError naming the kind, the value and the rule', (t) => {
  const e = t.throws(() => checkKubernetesName('pod', 'bad name!'), { instanceOf: OvnInvalidNameError });
  t.is(e?.code, 'OVN_INVALID_NAME');
  t.is(e?.kind, 'pod');
  t.is(e?.value, 'bad name!');
  t.is(e?.rule, 'dns-1123-subdomain');
  t.regex(e?.message ?? '', /^pod name "bad name!" is not a valid dns-1123-subdomain: /);
  t.notThrows(() => checkKubernetesName('service', 'web'));
  t.is(t.throws(() => checkKubernetesName('service', '1web'), { instanceOf: OvnInvalidNameError })?.rule, 'dns-1035-label');
});
