// Manifests as a starting state: YAML (several documents, YAML 1.1 as Kubernetes reads it), JSON (`kind: List`, a
// typed list as the API returns it), a directory in name order, -R; bad documents reported and skipped.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { ObjectCache } from '../../src/k8s/cache.js';
import { K8sError } from '../../src/k8s/errors.js';
import type { InputProblem } from '../../src/k8s/events.js';
import { applyManifestText, ManifestSource, manifestFiles } from '../../src/k8s/manifest-source.js';
import { startSources } from '../../src/k8s/source.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/k8s/${name}`, import.meta.url));

function collect(cache: ObjectCache): InputProblem[] {
  const problems: InputProblem[] = [];
  cache.onProblem((p) => problems.push(p));
  return problems;
}

test('a directory of manifests: files in name order, every good document applied, bad ones named', async (t) => {
  const cache = new ObjectCache();
  const problems = collect(cache);
  const order: string[] = [];
  cache.subscribe((e) => order.push(`${e.kind} ${e.key}`));
  await startSources(cache, [new ManifestSource([fixture('manifests')])]);
  t.true(cache.hasSynced());
  t.deepEqual(order, [
    'Namespace frontend', 'Namespace backend', 'Node node-a', 'Node node-b', 'Pod frontend/web-0', 'Service frontend/web',
    'EndpointSlice frontend/web-abc12', 'NetworkPolicy backend/allow-frontend', 'Namespace monitoring',
  ]);
  t.deepEqual(problems.map((p) => [p.reason, p.kind, p.key ?? '', p.origin.replace(/^manifest .*\//, '')]), [
    ['manifest-syntax', '', '', '30-bad.yaml#1:2'],
    ['invalid-field', 'Pod', 'frontend/yes-label', '30-bad.yaml#2:9'],
  ]);
  t.regex(problems[1].message, /metadata\.labels\["enabled"\] is not a string/, 'YAML 1.1: yes is a boolean, as for kubectl');
  t.is(cache.counts().ignored, 1);
  t.is(cache.get('Service', 'frontend/web')?.spec?.ports?.[0].targetPort, 'http');
  t.like(cache.get('EndpointSlice', 'frontend/web-abc12')?.endpoints[0].conditions, { ready: true, serving: true, terminating: false });
  t.false(cache.store('Namespace').has('extra'), 'subdirectories only with recursive');
});

test('recursive reads subdirectories; a typed list from the API (PodList, items without kind) is read too', async (t) => {
  t.deepEqual((await manifestFiles([fixture('manifests')], true)).map((f) => f.replace(/^.*manifests\//, '')),
    ['00-namespaces.yaml', '10-nodes.json', '20-workloads.yaml', '30-bad.yaml', 'more/40-extra.yaml']);
  const cache = new ObjectCache();
  await startSources(cache, [new ManifestSource([fixture('manifests'), fixture('apiserver/pods-list-1.json')], { recursive: true })]);
  t.true(cache.store('Namespace').has('extra'));
  t.deepEqual(cache.store('Pod').keys().sort(), ['backend/db-0', 'frontend/web-0', 'frontend/web-7d9f5c-abcde', 'frontend/web-7d9f5c-fghij']);
});

test('a path that cannot be read is a K8S_MANIFEST_READ error', async (t) => {
  const source = new ManifestSource([fixture('manifests/no-such-file.yaml')]);
  const err = await t.throwsAsync(source.start(new ObjectCache()), { instanceOf: K8sError });
  t.is(err?.code, 'K8S_MANIFEST_READ');
  t.false(source.hasSynced());
});

test('manifest text: a document that is not an object, an empty file, a JSON file with two objects', (t) => {
  const cache = new ObjectCache();
  const problems = collect(cache);
  t.is(applyManifestText(cache, '# only a comment\n', 'empty.yaml'), 0);
  t.is(applyManifestText(cache, '- a\n- b\n', 'list.yaml'), 1);
  t.is(problems[0].reason, 'not-an-object');
  t.is(applyManifestText(cache, '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}\n{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}', 'two.json'), 2);
  t.deepEqual(cache.store('Namespace').keys(), ['a', 'b']);
  applyManifestText(cache, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: "1"}}\n', 'ns.yml');
  t.deepEqual(cache.store('Namespace').keys(), ['a', 'b', 'c']);
  t.is(cache.get('Namespace', 'a')?.metadata?.labels?.x, '1', 'a later document of the same object replaces it');
});
