// How a controller plugs in: events mapped to its keys, reconciled through its queue; the full resync (keys and
// hook) after the initial sync and then periodically; stop.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { ObjectCache } from '../../src/k8s/cache.js';
import { ManualClock } from '../../src/k8s/clock.js';
import { ControllerRunner, type Controller } from '../../src/k8s/controller.js';
import { ManifestSource } from '../../src/k8s/manifest-source.js';
import { objectKey } from '../../src/k8s/kinds.js';
import { startSources } from '../../src/k8s/source.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A pod controller as the next phase will write them, with a reconcile that records what it saw in the cache. */
function podController(cache: ObjectCache, log: string[]): Controller & { resyncs: number } {
  return {
    name: 'pods',
    resyncs: 0,
    watches: {
      Pod: (event) => [event.key],
      // A namespace's labels select pods for policies: every pod of the namespace is touched.
      Namespace: (event, c) => c.store('Pod').listNamespace(event.key).map((p) => objectKey('Pod', p.metadata?.namespace, p.metadata!.name!)),
    },
    async reconcile(key) {
      log.push(`${key}:${cache.get('Pod', key) ? 'present' : 'gone'}`);
    },
    resyncKeys: (c) => c.store('Pod').keys(),
    async resync() { this.resyncs++; },
  };
}

test('events become the controller\'s keys; the first full resync runs once the cache has synced', async (t) => {
  const cache = new ObjectCache();
  const log: string[] = [];
  const controller = podController(cache, log);
  const runner = new ControllerRunner(cache, controller, { clock: new ManualClock() });
  runner.start();
  await startSources(cache, [new ManifestSource([fileURLToPath(new URL('../../fixtures/k8s/manifests/20-workloads.yaml', import.meta.url))])]);
  await flush();
  await runner.queue.idle();
  t.deepEqual(log, ['frontend/web-0:present'], 'nothing before the sync; then the pod event and the resync key are one reconcile');
  t.is(controller.resyncs, 1);
  cache.upsert({ kind: 'Namespace', object: { metadata: { name: 'frontend', labels: { team: 'web' } } }, origin: 't' });
  cache.delete({ kind: 'Pod', object: { metadata: { name: 'web-0', namespace: 'frontend' } }, origin: 't' });
  await flush();
  await runner.queue.idle();
  // The namespace's change touched its pod (reconciled at once), the delete came during that reconcile: once more after.
  t.deepEqual(log, ['frontend/web-0:present', 'frontend/web-0:present', 'frontend/web-0:gone']);
  cache.upsert({ kind: 'Service', object: { metadata: { name: 's', namespace: 'frontend' }, spec: {} }, origin: 't' });
  await flush();
  t.is(runner.queue.stats().adds, 4, 'a kind the controller does not watch adds nothing');
  t.deepEqual(await runner.stop(), { queued: [], retrying: [] });
});

test('the full resync repeats every resyncIntervalMs', async (t) => {
  const clock = new ManualClock();
  const cache = new ObjectCache();
  const log: string[] = [];
  const controller = podController(cache, log);
  cache.upsert({ object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, spec: { containers: [{ name: 'c' }] } }, origin: 't' });
  const runner = new ControllerRunner(cache, controller, { clock, resyncIntervalMs: 60_000, sweepIntervalMs: 0 });
  runner.start();
  await flush();
  t.deepEqual(log, [], 'nothing is reconciled before the cache has synced');
  cache.markSynced();
  await flush(); await flush();
  await runner.queue.idle();
  t.is(controller.resyncs, 1);
  clock.advance(60_000);
  await flush(); await flush();
  await runner.queue.idle();
  t.is(controller.resyncs, 2);
  t.deepEqual(log, ['a/p:present', 'a/p:present']);
  await runner.stop();
  t.deepEqual(clock.pending(), []);
});
