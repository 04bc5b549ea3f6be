// toModel() compiles client-node's ObjectSerializer walk once per type (model.ts): for every recorded API object
// and the bench's stream it must build exactly what ObjectSerializer.deserialize builds (same classes, Dates,
// nulls, maps and arrays, unknown fields dropped), and fail where it fails.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { V1Pod } from '@kubernetes/client-node';
import { toModel } from '../../src/k8s/model.js';
import { isKindName, KIND_INFO } from '../../src/k8s/kinds.js';
import { agentBenchSize, densityStream } from '../../bench/agent.js';

const API = join(import.meta.dirname, '../../fixtures/k8s/apiserver');

/** Every object of a kind the agent reads in the recorded list and watch responses. */
function recordedObjects(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const take = (o: unknown, kind?: string): void => {
    if (typeof o !== 'object' || o === null) return;
    const r = o as Record<string, unknown>;
    const k = typeof r.kind === 'string' ? r.kind : kind;
    if (isKindName(k)) out.push({ ...r, kind: k });
  };
  for (const file of readdirSync(API)) {
    const text = readFileSync(join(API, file), 'utf8');
    if (file.endsWith('-list-1.json') || file.endsWith('-list-2.json')) {
      const list = JSON.parse(text) as { kind: string; items: unknown[] };
      for (const item of list.items) take(item, list.kind.replace(/List$/, ''));
    } else if (file.endsWith('.jsonl')) {
      for (const line of text.split('\n')) if (line.trim()) take((JSON.parse(line) as { object: unknown }).object);
    } else if (file.startsWith('pods-patched-')) take(JSON.parse(text), 'Pod');
  }
  return out;
}

const same = (t: import('ava').ExecutionContext, object: Record<string, unknown>): void => {
  const kind = object.kind as keyof typeof KIND_INFO;
  t.deepEqual(toModel(kind, object), ObjectSerializer.deserialize(object, KIND_INFO[kind].modelType), `${kind} ${JSON.stringify((object.metadata as { name?: string })?.name)}`);
};

test('every recorded API object, and the bench stream, become what ObjectSerializer makes of them', (t) => {
  const recorded = recordedObjects();
  t.true(recorded.length > 20);
  t.true(new Set(recorded.map((o) => o.kind)).size >= 5, 'several kinds');
  for (const object of recorded) same(t, object);
  for (const line of densityStream(agentBenchSize('quick')).text.split('\n')) if (line) same(t, (JSON.parse(line) as { object: Record<string, unknown> }).object);
});

test('Dates, nulls, maps, nested arrays and unknown fields as ObjectSerializer has them; model instances pass through', (t) => {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', unknownTopLevel: 1,
    metadata: { name: 'p', namespace: 'n', creationTimestamp: '2026-11-30T09:00:00Z', deletionTimestamp: null, labels: { a: 'b' }, annotations: {}, ownerReferences: [], extra: 'dropped' },
    spec: {
      nodeName: 'n1', containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, name: 'http' }], resources: { limits: { cpu: '1' } }, env: [{ name: 'X', valueFrom: null }] }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }] } } },
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-30T09:01:00Z' }], podIPs: [{ ip: '10.0.0.1' }] },
  };
  const model = toModel('Pod', pod);
  t.deepEqual(model, ObjectSerializer.deserialize(pod, 'V1Pod'));
  t.true(model instanceof V1Pod);
  t.true(model.metadata?.creationTimestamp instanceof Date);
  t.true(model.status?.conditions?.[0].lastTransitionTime instanceof Date);
  t.is(toModel('Pod', model), model);
  // Where ObjectSerializer throws (an array that is not one), so does toModel.
  const bad = { ...pod, spec: { containers: 5 } };
  t.throws(() => ObjectSerializer.deserialize(bad, 'V1Pod'));
  t.throws(() => toModel('Pod', bad));
});
