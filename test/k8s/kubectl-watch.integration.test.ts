// The real kubectl watching the recorded API replay (fixtures/k8s/apiserver/kubectl.exchanges.json): what it prints
// is read by the watch-stream source into the cache the informer source builds from the same recording, and it is
// what fixtures/k8s/kubectl holds (captured the same way), so the unit tests read kubectl's real output.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { ObjectCache } from '../../src/k8s/cache.js';
import { startSources } from '../../src/k8s/source.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';
import { AFTER_FIRST_WATCH, versions } from './helpers.js';
import { kubectlWatch, runKubectl, WATCHED_RESOURCES, type KubectlResult } from './kubectl.js';
import { loadExchanges, startReplayServer } from './replay-server.js';

async function watchReplay(resource: string, events = true): Promise<KubectlResult> {
  const server = await startReplayServer(loadExchanges('kubectl.exchanges.json'));
  try {
    const result = await kubectlWatch(server.url, resource, events);
    if (server.mismatches.length > 0) throw new Error(`kubectl asked what the recording does not hold: ${server.mismatches.join('; ')}`);
    return result;
  } finally {
    await server.close();
  }
}

/** (type, kind, name, resourceVersion) of each event line. */
function summary(text: string): string[] {
  return text.trim().split('\n').map((line) => {
    const { type, object } = JSON.parse(line) as { type: string; object: { kind: string; metadata: { name: string; resourceVersion: string } } };
    return `${type} ${object.kind} ${object.metadata.name} ${object.metadata.resourceVersion}`;
  });
}

test('kubectl get <resource> -A --watch --output-watch-events -o json, one per kind, read into the cache', async (t) => {
  const results = await Promise.all(WATCHED_RESOURCES.map((r) => watchReplay(r)));
  const inputs = results.map((result, i) => {
    t.is(result.code, 0, `${WATCHED_RESOURCES[i]}: ${result.stderr}`);
    t.true(result.stdout.split('\n').filter(Boolean).every((line) => line.startsWith('{"type":')), 'one compact event per line');
    const stream = new PassThrough();
    stream.end(result.stdout);
    t.deepEqual(summary(result.stdout), summary(readFileSync(new URL(`../../fixtures/k8s/kubectl/${WATCHED_RESOURCES[i]}.events.jsonl`, import.meta.url), 'utf8')),
      `${WATCHED_RESOURCES[i]}: the stored capture is what kubectl prints`);
    return { name: WATCHED_RESOURCES[i], stream };
  });
  const cache = new ObjectCache();
  await startSources(cache, [new WatchStreamSource(inputs)]);
  t.deepEqual(versions(cache), AFTER_FIRST_WATCH);
  t.is(cache.counts().problems, 0);
});

test('without --output-watch-events kubectl prints bare pretty-printed objects; they read into the same pods', async (t) => {
  const result = await watchReplay('pods', false);
  t.is(result.code, 0, result.stderr);
  t.true(result.stdout.startsWith('{\n    "apiVersion": "v1",'), 'indented by four spaces');
  const stream = new PassThrough();
  stream.end(result.stdout);
  const cache = new ObjectCache();
  await startSources(cache, [new WatchStreamSource([{ name: 'pods', stream }])]);
  t.deepEqual(versions(cache).Pod, AFTER_FIRST_WATCH.Pod);
});

test('kubectl watches one resource type per command (hence one input per kind)', async (t) => {
  const server = await startReplayServer(loadExchanges('kubectl.exchanges.json'));
  try {
    const result = await runKubectl(server.url, ['get', 'pods,services,endpointslices,networkpolicies,namespaces,nodes', '-A', '--watch', '--output-watch-events', '-o', 'json']);
    t.not(result.code, 0);
    t.regex(result.stderr, /you may only specify a single resource type/);
  } finally {
    await server.close();
  }
});
