// ApplySource: objects written in-process reach the cache as from the API server: each apply a new
// resourceVersion (a changed copy is an update, never dropped as "the same version"), namespaced objects without a
// namespace in `default`, lists and manifests item by item, deletes by kind and name.
import test from 'ava';
import { ApplySource } from '../../src/k8s/apply-source.js';
import { ObjectCache } from '../../src/k8s/cache.js';
import { K8sError } from '../../src/k8s/errors.js';
import type { ObjectEvent } from '../../src/k8s/events.js';
import { namespace, node, pod } from './cluster-objects.js';

async function started(): Promise<{ source: ApplySource; cache: ObjectCache; events: ObjectEvent[] }> {
  const source = new ApplySource();
  const cache = new ObjectCache();
  const events: ObjectEvent[] = [];
  cache.subscribe((e) => events.push(e));
  await source.start(cache);
  return { source, cache, events };
}

test('synced at start; applying the same object twice is an update; namespace defaults to default', async (t) => {
  const { source, cache, events } = await started();
  t.true(source.hasSynced());
  const web = pod('', 'web', { node: 'n1' });
  delete (web.metadata as { namespace?: string }).namespace;
  t.is(source.apply(web), 1);
  t.is(source.apply({ ...web, metadata: { ...(web.metadata as object), labels: { app: 'web' } } }), 1);
  t.deepEqual(events.map((e) => `${e.type} ${e.kind} ${e.key} ${e.object.metadata?.resourceVersion}`), ['added Pod default/web 1', 'updated Pod default/web 2']);
  t.deepEqual(cache.get('Pod', 'default/web')?.metadata?.labels, { app: 'web' });
  t.is(events[0].origin, 'apply');
});

test('arrays, lists and manifest text; deletes of objects and lists; problems go to the cache', async (t) => {
  const { source, cache, events } = await started();
  const problems: string[] = [];
  cache.onProblem((p) => problems.push(`${p.reason} ${p.origin}`));
  t.is(source.apply([namespace('shop'), node('n1', { subnet: '10.244.1.0/24' })], 'repl #1'), 2);
  t.is(source.apply({ kind: 'PodList', apiVersion: 'v1', items: [{ ...pod('shop', 'a'), kind: undefined }, pod('shop', 'b')] }), 2);
  t.is(source.applyManifest('apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: shop}\nspec: {containers: []}\n---\nkind: Pod\nmetadata: {name: "x y"}\n', 'm.yaml'), 2);
  t.deepEqual(cache.store('Pod').keys().sort(), ['shop/a', 'shop/b', 'shop/c']);
  t.deepEqual(problems, ['invalid-name manifest m.yaml#2:6']);
  t.deepEqual(events.slice(0, 2).map((e) => e.origin), ['repl #1 item 0', 'repl #1 item 1']);

  t.is(source.delete({ kind: 'PodList', items: [{ metadata: { name: 'a', namespace: 'shop' } }, { metadata: { name: 'b', namespace: 'shop' } }] }), 2);
  t.is(source.delete({ kind: 'Node', metadata: { name: 'n1' } }), 1);
  t.deepEqual(cache.store('Pod').keys(), ['shop/c']);
  t.is(cache.store('Node').size, 0);
  t.deepEqual(events.filter((e) => e.type === 'deleted').map((e) => e.key), ['shop/a', 'shop/b', 'n1']);
});

test('writing to a source that is not running is a typed error', async (t) => {
  const source = new ApplySource('repl');
  t.throws(() => source.apply(pod('a', 'b')), { instanceOf: K8sError, message: /repl is not running/ });
  await source.start(new ObjectCache());
  await source.stop();
  const error = t.throws(() => source.delete(pod('a', 'b')), { instanceOf: K8sError });
  t.is(error?.code, 'K8S_SOURCE_STOPPED');
});
