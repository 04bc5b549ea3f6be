// The ObjectCache: events after the store has the change, deduplication by resourceVersion, stores by key,
// namespace and label selector, rejected versions that leave the last good one, listeners that fail alone.
import test from 'ava';
import { V1Namespace } from '@kubernetes/client-node';
import { ObjectCache } from '../../src/k8s/cache.js';
import type { ObjectEvent } from '../../src/k8s/events.js';
import { capturingLogger } from './helpers.js';

const pod = (ns: string, name: string, rv: string, labels: Record<string, string> = {}, ip = '10.244.0.5') => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, resourceVersion: rv, labels },
  spec: { containers: [{ name: 'c', image: 'i' }] }, status: { podIP: ip },
});

test('added, updated (with the previous state), deleted (with the last state); a same resourceVersion is no event', (t) => {
  const cache = new ObjectCache();
  const seen: string[] = [];
  cache.subscribe((e: ObjectEvent) => {
    const inStore = cache.store(e.kind).has(e.key);
    seen.push(`${e.type} ${e.key} ${e.object.metadata?.resourceVersion} prev=${e.previous?.metadata?.resourceVersion ?? '-'} inStore=${inStore}`);
  });
  cache.upsert({ object: pod('a', 'p', '1'), origin: 't' });
  cache.upsert({ object: pod('a', 'p', '1'), origin: 't' });
  cache.upsert({ object: pod('a', 'p', '2'), origin: 't' });
  cache.delete({ object: { kind: 'Pod', metadata: { name: 'p', namespace: 'a' } }, origin: 't' });
  cache.delete({ object: { kind: 'Pod', metadata: { name: 'p', namespace: 'a' } }, origin: 't' });
  t.deepEqual(seen, ['added a/p 1 prev=- inStore=true', 'updated a/p 2 prev=1 inStore=true', 'deleted a/p 2 prev=- inStore=false']);
  t.like(cache.counts(), { events: 3, problems: 0 });
});

test('stores: by key, by namespace, by label selector; model instances of client-node', (t) => {
  const cache = new ObjectCache();
  cache.upsert({ object: pod('a', 'web-1', '1', { app: 'web', tier: 'front' }), origin: 't' });
  cache.upsert({ object: pod('a', 'db-1', '2', { app: 'db' }), origin: 't' });
  cache.upsert({ object: pod('b', 'web-2', '3', { app: 'web' }), origin: 't' });
  cache.upsert({ kind: 'Namespace', object: { metadata: { name: 'a' } }, origin: 't' });
  const pods = cache.store('Pod');
  t.deepEqual(pods.listNamespace('a').map((p) => p.metadata?.name).sort(), ['db-1', 'web-1']);
  t.deepEqual(pods.select({ matchLabels: { app: 'web' } }).map((p) => p.metadata?.name).sort(), ['web-1', 'web-2']);
  t.deepEqual(pods.select({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, 'a').map((p) => p.metadata?.name), ['web-1']);
  t.deepEqual(pods.select({}, 'b').map((p) => p.metadata?.name), ['web-2']);
  t.deepEqual(pods.select(null), []);
  t.true(cache.get('Namespace', 'a') instanceof V1Namespace);
  cache.delete({ kind: 'Pod', object: { metadata: { name: 'web-1', namespace: 'a' } }, origin: 't' });
  t.deepEqual(pods.listNamespace('a').map((p) => p.metadata?.name), ['db-1']);
  t.deepEqual(cache.counts().objects, { Namespace: 1, Node: 0, Pod: 2, Service: 0, EndpointSlice: 0, NetworkPolicy: 0 });
});

test('EndpointSlices by service name: the index follows a relabel and a delete; an unindexed label is scanned', (t) => {
  const cache = new ObjectCache();
  const slice = (ns: string, name: string, rv: string, service: string) => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4', endpoints: [],
    metadata: { name, namespace: ns, resourceVersion: rv, labels: { 'kubernetes.io/service-name': service, zone: ns } },
  });
  cache.upsert({ object: slice('a', 'web-x', '1', 'web'), origin: 't' });
  cache.upsert({ object: slice('a', 'web-y', '2', 'web'), origin: 't' });
  cache.upsert({ object: slice('b', 'web-z', '3', 'web'), origin: 't' });
  const slices = cache.store('EndpointSlice');
  const names = (list: readonly { metadata?: { name?: string } }[]): string[] => list.map((s) => s.metadata?.name ?? '').sort();
  t.deepEqual(names(slices.withLabel('kubernetes.io/service-name', 'web', 'a')), ['web-x', 'web-y']);
  t.deepEqual(names(slices.withLabel('kubernetes.io/service-name', 'web')), ['web-x', 'web-y', 'web-z']);
  cache.upsert({ object: slice('a', 'web-y', '4', 'db'), origin: 't' });
  t.deepEqual(names(slices.withLabel('kubernetes.io/service-name', 'web', 'a')), ['web-x']);
  t.deepEqual(names(slices.withLabel('kubernetes.io/service-name', 'db', 'a')), ['web-y']);
  cache.delete({ object: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', metadata: { name: 'web-x', namespace: 'a' } }, origin: 't' });
  t.deepEqual(slices.withLabel('kubernetes.io/service-name', 'web', 'a'), []);
  t.deepEqual(names(slices.withLabel('zone', 'b')), ['web-z'], 'not indexed: the same answer by a scan');
});

test('a rejected version leaves the last good one; a later good version or a delete clears the rejection', (t) => {
  const { logger, lines } = capturingLogger('warn');
  const cache = new ObjectCache({ logger });
  const events: string[] = [];
  cache.subscribe((e) => events.push(`${e.type} ${e.key}`));
  cache.upsert({ object: pod('a', 'p', '1'), origin: 'watch x:1' });
  cache.upsert({ object: pod('a', 'p', '2', {}, '10.0.0.300'), origin: 'watch x:2' });
  t.is(cache.get('Pod', 'a/p')?.metadata?.resourceVersion, '1');
  t.deepEqual([...cache.rejected().keys()], ['Pod a/p']);
  t.is(lines.length, 1);
  t.regex(lines[0], /skipped Pod a\/p: status\.podIP "10\.0\.0\.300" is not an IP address reason=invalid-address origin="watch x:2"/);
  cache.upsert({ object: pod('a', 'p', '3'), origin: 'watch x:3' });
  t.deepEqual([...cache.rejected().keys()], []);
  t.deepEqual(events, ['added a/p', 'updated a/p']);
  cache.upsert({ object: pod('a', 'q', '4', {}, 'bad'), origin: 't' });
  cache.delete({ object: pod('a', 'q', '5'), origin: 't' });
  t.deepEqual([...cache.rejected().keys()], [], 'the delete of a rejected object clears it');
});

test('objects of other kinds are ignored, things that are not objects are problems; a failing listener disturbs nobody', (t) => {
  const { logger, lines } = capturingLogger('warn');
  const cache = new ObjectCache({ logger });
  const seen: string[] = [];
  cache.subscribe(() => { throw new Error('listener bug'); });
  cache.subscribe((e) => seen.push(e.key));
  cache.upsert({ object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }, origin: 't' });
  cache.upsert({ object: 42, origin: 't' });
  cache.upsert({ object: { metadata: { name: 'x' } }, origin: 't' });
  cache.delete({ kind: 'Pod', object: { metadata: { namespace: 'a' } }, origin: 't' });
  cache.upsert({ object: pod('a', 'p', '1'), origin: 't' });
  t.deepEqual(seen, ['a/p']);
  t.like(cache.counts(), { ignored: 1, problems: 3, events: 1 });
  t.is(lines.length, 4);
  t.regex(lines[3], /error object listener failed kind=Pod key=a\/p error="listener bug"/);
});

test('whenSynced resolves once marked', async (t) => {
  const cache = new ObjectCache();
  t.false(cache.hasSynced());
  const waiting = cache.whenSynced();
  cache.markSynced();
  await waiting;
  t.true(cache.hasSynced());
});

test('a namespace deleted takes what the sources did not report deleted in it with it, first', (t) => {
  const cache = new ObjectCache();
  const seen: string[] = [];
  cache.subscribe((e: ObjectEvent) => seen.push(`${e.type} ${e.kind} ${e.key}`));
  cache.upsert({ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', resourceVersion: '1' } }, origin: 't' });
  cache.upsert({ object: pod('a', 'p', '2'), origin: 't' });
  cache.upsert({ object: pod('a', 'q', '3'), origin: 't' });
  cache.upsert({ object: pod('b', 'r', '4'), origin: 't' });
  cache.delete({ object: { kind: 'Pod', metadata: { name: 'q', namespace: 'a' } }, origin: 't' });
  cache.delete({ object: { kind: 'Namespace', metadata: { name: 'a' } }, origin: 't' });
  t.deepEqual(seen.slice(4), ['deleted Pod a/q', 'deleted Pod a/p', 'deleted Namespace a']);
  t.deepEqual(cache.store('Pod').keys(), ['b/r']);
});
