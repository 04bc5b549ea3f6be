// The watch-stream source on what the real kubectl printed when it watched the recorded API replay
// (fixtures/k8s/kubectl, captured by fixtures/k8s/capture-kubectl.ts; the integration test re-runs kubectl), and on
// a stream of bad input: every problem named with its line, everything else applied.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { V1Pod } from '@kubernetes/client-node';
import { ObjectCache } from '../../src/k8s/cache.js';
import { ManualClock } from '../../src/k8s/clock.js';
import type { InputProblem } from '../../src/k8s/events.js';
import { AgentMetrics } from '../../src/k8s/metrics.js';
import { startSources } from '../../src/k8s/source.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';
import { AFTER_FIRST_WATCH, capturingLogger, versions } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/k8s/${name}`, import.meta.url));
const RESOURCES = ['namespaces', 'nodes', 'pods', 'services', 'endpointslices', 'networkpolicies'];

test('kubectl watch-event files, one per kind: the cache kubectl saw, synced at their end', async (t) => {
  const { logger } = capturingLogger();
  const cache = new ObjectCache({ logger });
  const source = WatchStreamSource.fromPaths(RESOURCES.map((r) => fixture(`kubectl/${r}.events.jsonl`)), { logger });
  await startSources(cache, [source]);
  await source.done;
  t.true(cache.hasSynced());
  t.deepEqual(versions(cache), AFTER_FIRST_WATCH);
  t.is(cache.counts().problems, 0);
  const pod = cache.get('Pod', 'frontend/web-7d9f5c-klmno')!;
  t.true(pod instanceof V1Pod);
  t.is(pod.status?.podIP, '10.244.0.8');
  t.true(pod.metadata?.creationTimestamp instanceof Date);
});

test('one stream of several kinds (several kubectl outputs merged into one file or pipe): every object carries its kind', async (t) => {
  const { readFileSync } = await import('node:fs');
  // Interleaved the way several kubectl processes writing one pipe line by line interleave: round robin.
  const perKind = RESOURCES.map((r) => readFileSync(fixture(`kubectl/${r}.events.jsonl`), 'utf8').split('\n').filter(Boolean));
  const merged: string[] = [];
  for (let i = 0; perKind.some((lines) => i < lines.length); i++) for (const lines of perKind) if (i < lines.length) merged.push(lines[i]);
  const stream = new PassThrough();
  const cache = new ObjectCache();
  const source = new WatchStreamSource([{ name: 'all.jsonl', stream }]);
  const started = startSources(cache, [source]);
  stream.end(merged.join('\n') + '\n');
  await started;
  t.deepEqual(versions(cache), AFTER_FIRST_WATCH);
  t.is(cache.counts().problems, 0);
});

test('bare pretty-printed objects (kubectl -w -o json without watch events) are applied as they come', async (t) => {
  const cache = new ObjectCache();
  const source = WatchStreamSource.fromPaths([fixture('kubectl/pods.objects.json')]);
  await startSources(cache, [source]);
  t.deepEqual(versions(cache).Pod, AFTER_FIRST_WATCH.Pod);
  t.is(cache.counts().problems, 0);
});

test('bad input: each problem is reported once with its line and reason; the rest is applied', async (t) => {
  const { logger, lines } = capturingLogger('warn');
  const metrics = new AgentMetrics();
  const cache = new ObjectCache({ logger, metrics });
  const problems: InputProblem[] = [];
  cache.onProblem((p) => problems.push(p));
  const source = WatchStreamSource.fromPaths([fixture('streams/bad-input.jsonl')], { logger });
  await startSources(cache, [source]);
  await source.done;
  t.deepEqual(problems.map((p) => `${p.origin} ${p.reason} ${p.kind} ${p.key ?? ''}`.trim()), [
    'watch bad-input.jsonl:2 not-json',
    'watch bad-input.jsonl:6 truncated',
    'watch bad-input.jsonl:7 invalid-address Pod frontend/web-7d9f5c-abcde',
    'watch bad-input.jsonl:8 invalid-name Pod frontend/Web_Pod',
    'watch bad-input.jsonl:9 invalid-protocol Service kube-system/dns',
    'watch bad-input.jsonl:11 not-a-watch-event',
    'watch bad-input.jsonl:12 invalid-selector NetworkPolicy frontend/bad-selector',
    'watch bad-input.jsonl:13 invalid-cidr NetworkPolicy frontend/bad-except',
    'watch bad-input.jsonl:14 not-json',
  ]);
  t.regex(problems[2].message, /^status\.podIP "10\.244\.0\.300" is not an IP address$/);
  t.regex(problems[6].message, /matchExpressions\[0\]\.operator "Within" is not one of In, NotIn, Exists, DoesNotExist/);
  t.regex(problems[7].message, /except\[0\] 192\.168\.0\.0\/16 is not inside .*cidr 10\.0\.0\.0\/8/);
  // One log line per problem, naming the object and the reason.
  t.is(lines.length, problems.length);
  t.is(lines[2], '1970-01-01T00:00:00.000Z warn  skipped Pod frontend/web-7d9f5c-abcde: status.podIP "10.244.0.300" is not an IP address'
    + ' reason=invalid-address origin="watch bad-input.jsonl:7"');
  // What was good is there: the rejected version left the last good one in place; the delete went through.
  t.deepEqual(versions(cache).Pod, { 'frontend/web-7d9f5c-abcde': '700' });
  t.is(cache.get('Namespace', 'backend')?.metadata?.labels?.audit, 'on', 'the value before the trailing bytes was applied');
  t.deepEqual([...cache.rejected().keys()].sort(), [
    'NetworkPolicy frontend/bad-except', 'NetworkPolicy frontend/bad-selector', 'Pod frontend/Web_Pod', 'Pod frontend/web-7d9f5c-abcde', 'Service kube-system/dns',
  ]);
  t.is(cache.counts().ignored, 1, 'the Deployment is not read, and not an error');
  const text = await metrics.text();
  t.regex(text, /ovn_overlay_k8s_rejected_total\{kind="Pod",reason="invalid-address"\} 1/);
  t.regex(text, /ovn_overlay_k8s_rejected_total\{kind="",reason="not-json"\} 2/);
  t.regex(text, /ovn_overlay_k8s_ignored_total\{kind="Deployment"\} 1/);
});

test('a live input is synced after a quiet period, or at an initial-events-end bookmark; ERROR events are reported', async (t) => {
  const clock = new ManualClock();
  const quiet = new PassThrough();
  const marked = new PassThrough();
  const cache = new ObjectCache();
  const problems: InputProblem[] = [];
  cache.onProblem((p) => problems.push(p));
  const source = new WatchStreamSource([{ name: 'quiet', stream: quiet }, { name: 'marked', stream: marked }], { clock, quietMs: 2000 });
  await source.start(cache);
  quiet.write('{"type":"ADDED","object":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a","resourceVersion":"1"}}}\n');
  marked.write('{"type":"ADDED","object":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b","resourceVersion":"2"}}}\n');
  await new Promise((resolve) => setImmediate(resolve));
  clock.advance(1999);
  t.false(source.hasSynced());
  marked.write('{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"3","annotations":{"k8s.io/initial-events-end":"true"}}}}\n');
  await new Promise((resolve) => setImmediate(resolve));
  clock.advance(1);
  await source.synced;
  t.true(source.hasSynced());
  marked.write('{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}\n');
  await new Promise((resolve) => setImmediate(resolve));
  t.is(problems.length, 1);
  t.is(problems[0].reason, 'watch-error');
  t.regex(problems[0].message, /410 Expired: too old resource version: 1 \(5\) \(the watch expired/);
  t.deepEqual(cache.store('Namespace').keys().sort(), ['a', 'b']);
  quiet.end();
  marked.end();
  await source.done;
  await source.stop();
});
