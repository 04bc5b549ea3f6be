// The informer source through the real @kubernetes/client-node (its generated API clients for the lists, its
// ListWatch and Watch) against a local server replaying recorded kube-apiserver responses (fixtures/k8s/apiserver):
// list, a watch that ends, a BOOKMARK, an ERROR 410 Expired answered by a relist, resumption from the right
// resourceVersion at every step, and a restart with backoff after the API was unavailable.
import test from 'ava';
import { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { ObjectCache } from '../../src/k8s/cache.js';
import { ManualClock } from '../../src/k8s/clock.js';
import type { ObjectEvent } from '../../src/k8s/events.js';
import { InformerSource } from '../../src/k8s/informer-source.js';
import { AgentMetrics } from '../../src/k8s/metrics.js';
import { startSources } from '../../src/k8s/source.js';
import { loadExchanges, startReplayServer } from './replay-server.js';
import { AFTER_FIRST_WATCH, cacheReaches, capturingLogger, versions } from './helpers.js';

function kubeConfig(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    // client-node refuses plain HTTP unless skipTLSVerify is set (the replay server speaks HTTP on loopback).
    clusters: [{ name: 'replay', server, skipTLSVerify: true }],
    users: [{ name: 'agent', token: 'replay-token' }],
    contexts: [{ name: 'replay', cluster: 'replay', user: 'agent' }],
    currentContext: 'replay',
  });
  return config;
}

test('lists, watches, resumes after a watch ends and after a bookmark, relists on 410 Gone', async (t) => {
  const server = await startReplayServer(loadExchanges('informer.exchanges.json'));
  const { logger } = capturingLogger();
  const metrics = new AgentMetrics();
  const cache = new ObjectCache({ logger, metrics });
  const events: string[] = [];
  cache.subscribe((e: ObjectEvent) => { if (e.kind === 'Pod') events.push(`${e.type} ${e.key} ${e.object.metadata?.resourceVersion}`); });
  const source = new InformerSource(kubeConfig(server.url), { logger, metrics, watchTimeoutSeconds: 300 });
  try {
    await startSources(cache, [source]);
    t.true(source.hasSynced());
    t.true(cache.hasSynced());
    await server.waitForRequests('/api/v1/pods', 6);
    await cacheReaches(cache, () => !cache.store('Pod').has('frontend/web-7d9f5c-klmno') && events.length >= 7);

    t.deepEqual(server.mismatches, [], 'every request was the one a client must make at that point');
    t.deepEqual(server.pending(), [], 'every recorded exchange was used');
    const pods = server.requests.filter((r) => r.path === '/api/v1/pods')
      .map((r) => r.query.watch ? `watch from ${r.query.resourceVersion}` : 'list');
    t.deepEqual(pods, ['list', 'watch from 1000', 'watch from 1104', 'watch from 1150', 'list', 'watch from 1200']);
    for (const r of server.requests.filter((r) => r.query.watch)) {
      t.is(r.query.allowWatchBookmarks, 'true');
      t.is(r.query.timeoutSeconds, '300');
    }
    t.deepEqual(events, [
      'added backend/db-0 702',
      'added frontend/web-7d9f5c-abcde 700',
      'added frontend/web-7d9f5c-fghij 701',
      'added frontend/web-7d9f5c-klmno 1103',
      'updated frontend/web-7d9f5c-klmno 1104',
      // the relist after 410: the pod deleted while no watch ran goes, the relabeled one changes, the others are the same
      'deleted frontend/web-7d9f5c-fghij 701',
      'updated backend/db-0 1190',
      'deleted frontend/web-7d9f5c-klmno 1104',
    ]);
    t.deepEqual(cache.store('Pod').keys().sort(), ['backend/db-0', 'frontend/web-7d9f5c-abcde']);
    const db = cache.get('Pod', 'backend/db-0')!;
    t.true(db instanceof V1Pod);
    t.is(db.metadata?.labels?.role, 'primary');
    t.true(db.metadata?.creationTimestamp instanceof Date, 'timestamps are Dates, as V1Pod says');
    t.is(source.resourceVersions().Pod, '1201');

    t.deepEqual(cache.store('Namespace').keys().sort(), ['backend', 'default', 'frontend', 'kube-system', 'monitoring']);
    t.is(cache.get('Node', 'node-b')?.metadata?.labels?.['k8s.ovn.org/egress-assignable'], '');
    t.deepEqual(cache.get('Service', 'frontend/web')?.spec?.ports?.map((p) => p.name), ['http', 'metrics']);
    const slice = cache.get('EndpointSlice', 'frontend/web-x7k2p')!;
    t.true(slice.metadata?.creationTimestamp instanceof Date, 'watch objects are model instances too');
    t.deepEqual(slice.endpoints.map((e) => `${e.addresses[0]} ready=${e.conditions?.ready} terminating=${e.conditions?.terminating}`),
      ['10.244.0.5 ready=true terminating=false', '10.244.1.6 ready=false terminating=true', '10.244.0.8 ready=true terminating=false']);
    t.deepEqual(cache.store('NetworkPolicy').keys().sort(), ['backend/allow-frontend', 'frontend/default-deny']);
    t.deepEqual(cache.counts().problems, 0);

    const text = await metrics.text();
    t.regex(text, /ovn_overlay_k8s_lists_total\{kind="Pod"\} 2/);
    t.regex(text, /ovn_overlay_k8s_watches_total\{kind="Pod"\} 4/);
    t.regex(text, /ovn_overlay_k8s_objects\{kind="Pod"\} 2/);
  } finally {
    await source.stop();
    await server.close();
  }
});

test('a list the API cannot serve (503) is retried after the backoff, then the informer syncs', async (t) => {
  const exchanges = [
    { path: '/api/v1/nodes', watch: false, body: 'unavailable.json', status: 503 },
    { path: '/api/v1/nodes', watch: false, body: 'nodes-list-1.json' },
    { path: '/api/v1/nodes', watch: true, resourceVersion: '1000', body: 'nodes-watch-1.jsonl', then: 'hold' as const },
  ];
  const server = await startReplayServer(exchanges);
  const { logger, waitForLine } = capturingLogger();
  const clock = new ManualClock();
  const metrics = new AgentMetrics();
  const cache = new ObjectCache({ logger, metrics });
  const source = new InformerSource(kubeConfig(server.url), { kinds: ['Node'], logger, metrics, clock, random: () => 0.5 });
  try {
    await source.start(cache);
    const line = await waitForLine(/list\/watch of Node failed; again in \d+ ms/);
    t.regex(line, /status=503/);
    t.false(source.hasSynced());
    t.deepEqual(clock.pending().length, 1, 'one restart is scheduled');
    clock.advance(30_000);
    await source.synced;
    await cacheReaches(cache, () => cache.get('Node', 'node-b')?.metadata?.resourceVersion === '1102');
    t.deepEqual(server.mismatches, []);
    t.deepEqual(server.pending(), []);
    t.regex(await metrics.text(), /ovn_overlay_k8s_watch_errors_total\{kind="Node"\} 1/);
  } finally {
    await source.stop();
    await server.close();
  }
});

test('stop() ends the watches: no request after it, and a stopped source delivers nothing', async (t) => {
  const server = await startReplayServer(loadExchanges('informer.exchanges.json').filter((e) => e.path === '/api/v1/namespaces'));
  const cache = new ObjectCache();
  const source = new InformerSource(kubeConfig(server.url), { kinds: ['Namespace'] });
  await source.start(cache);
  await source.synced;
  await cacheReaches(cache, () => cache.store('Namespace').has('monitoring'));
  await source.stop();
  const before = server.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(server.requests.length, before);
  await source.done;
  await server.close();
  t.pass();
});

test('a watch request answered with HTTP 410 Gone (as older API servers and some proxies do) also relists', async (t) => {
  const server = await startReplayServer([
    { path: '/api/v1/namespaces', watch: false, body: 'namespaces-list-1.json' },
    { path: '/api/v1/namespaces', watch: true, resourceVersion: '1000', body: 'expired.json', status: 410, then: 'close' },
    { path: '/api/v1/namespaces', watch: false, body: 'namespaces-list-1.json' },
    { path: '/api/v1/namespaces', watch: true, resourceVersion: '1000', body: 'namespaces-watch-1.jsonl', then: 'hold' },
  ]);
  const metrics = new AgentMetrics();
  const cache = new ObjectCache({ metrics });
  const source = new InformerSource(kubeConfig(server.url), { kinds: ['Namespace'], metrics });
  try {
    await source.start(cache);
    await cacheReaches(cache, () => cache.store('Namespace').has('monitoring'));
    t.deepEqual(server.mismatches, []);
    t.deepEqual(server.pending(), []);
    const text = await metrics.text();
    t.regex(text, /ovn_overlay_k8s_lists_total\{kind="Namespace"\} 2/);
    t.notRegex(text, /ovn_overlay_k8s_watch_errors_total\{kind="Namespace"\}/, '410 is a relist, not a failure');
  } finally {
    await source.stop();
    await server.close();
  }
});

test('two sources, one interface: the informer over the kubectl recording builds the cache kubectl\'s stream builds', async (t) => {
  const exchanges = loadExchanges('kubectl.exchanges.json').filter((e) => !e.repeat).map((e) => (e.watch ? { ...e, then: 'hold' as const } : e));
  const server = await startReplayServer(exchanges);
  const cache = new ObjectCache();
  const source = new InformerSource(kubeConfig(server.url));
  try {
    await startSources(cache, [source]);
    const canonical = (v: Record<string, Record<string, string | undefined>>) => JSON.stringify(Object.entries(v).map(([k, m]) => [k, Object.entries(m).sort()]));
    await cacheReaches(cache, () => canonical(versions(cache)) === canonical(AFTER_FIRST_WATCH));
    t.deepEqual(versions(cache), AFTER_FIRST_WATCH);
    t.deepEqual(server.mismatches, []);
  } finally {
    await source.stop();
    await server.close();
  }
});
