// Kubernetes objects as the API serves them (JSON, kind and apiVersion on each), and a kubectl-style watch-event
// stream to feed them to an agent: `{"type":"ADDED","object":{...}}` one per line, every change with a new
// resourceVersion, as `kubectl get ... --watch --output-watch-events -o json` prints it.
import { PassThrough } from 'node:stream';
import { createHash } from 'node:crypto';
import { INITIAL_EVENTS_END_ANNOTATION, type WatchStreamInput } from '../../src/k8s/watch-stream-source.js';
import { ObjectCache } from '../../src/k8s/cache.js';

export type Json = Record<string, unknown>;
type Labels = Record<string, string>;

const uidOf = (text: string): string => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

export function namespace(name: string, labels: Labels = {}): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: uidOf(`ns/${name}`), labels: { 'kubernetes.io/metadata.name': name, ...labels } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

export interface NodeOptions { subnet?: string; chassis?: string; ip?: string; podCidr?: string }

/** A Node with ovn-kubernetes' node-subnets and node-chassis-id annotations (or spec.podCIDR). */
export function node(name: string, o: NodeOptions = {}): Json {
  const annotations: Record<string, string> = {};
  if (o.subnet) annotations['k8s.ovn.org/node-subnets'] = JSON.stringify({ default: [o.subnet] });
  if (o.chassis) annotations['k8s.ovn.org/node-chassis-id'] = o.chassis;
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, uid: uidOf(`node/${name}`), labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' }, annotations },
    spec: o.podCidr ? { podCIDR: o.podCidr, podCIDRs: [o.podCidr] } : {},
    status: { addresses: o.ip ? [{ type: 'InternalIP', address: o.ip }, { type: 'Hostname', address: name }] : [{ type: 'Hostname', address: name }] },
  };
}

export interface ContainerPort { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }
export interface PodOptions { node?: string; labels?: Labels; ports?: ContainerPort[]; hostNetwork?: boolean; phase?: string; uid?: string }

export function pod(ns: string, name: string, o: PodOptions = {}): Json {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: ns, uid: o.uid ?? uidOf(`pod/${ns}/${name}`), labels: o.labels ?? {} },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}), ...(o.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', ...(o.ports ? { ports: o.ports.map((p) => ({ protocol: 'TCP', ...p })) } : {}) }],
    },
    status: { phase: o.phase ?? (o.node ? 'Running' : 'Pending') },
  };
}

export interface ServicePortSpec { name?: string; port: number; targetPort?: number | string; protocol?: 'TCP' | 'UDP' | 'SCTP' }

export function service(ns: string, name: string, clusterIP: string, ports: ServicePortSpec[], selector: Labels = {}): Json {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: ns, uid: uidOf(`svc/${ns}/${name}`) },
    spec: {
      type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', selector,
      ports: ports.map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p })), sessionAffinity: 'None',
    },
  };
}

export interface SliceEndpoint { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean; pod?: string }

export function endpointSlice(ns: string, name: string, serviceName: string, ports: { name?: string; port: number; protocol?: string }[], endpoints: SliceEndpoint[]): Json {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name, namespace: ns, uid: uidOf(`eps/${ns}/${name}`), labels: { 'kubernetes.io/service-name': serviceName, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', namespace: ns, name: e.pod } } : {}),
    })),
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
  };
}

export function networkPolicy(ns: string, name: string, spec: Json): Json {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns, uid: uidOf(`np/${ns}/${name}`) }, spec };
}

/** A watch-event stream an agent reads, written by the test as kubectl would print it. */
export class WatchFeed {
  readonly stream = new PassThrough();
  private version = 1000;
  /** Lines written so far (what a file of the same stream would hold). */
  readonly lines: string[] = [];

  constructor(readonly name = 'watch.jsonl') {}

  get input(): WatchStreamInput {
    return { name: this.name, stream: this.stream, close: () => { this.stream.end(); } };
  }

  /** One event; the object gets the next resourceVersion. Returns the line. */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Json): string {
    const metadata = { ...(object.metadata as Json), resourceVersion: String(++this.version) };
    const line = JSON.stringify({ type, object: { ...object, metadata } });
    this.lines.push(line);
    this.stream.write(line + '\n');
    return line;
  }

  added(...objects: Json[]): void { for (const o of objects) this.event('ADDED', o); }
  modified(...objects: Json[]): void { for (const o of objects) this.event('MODIFIED', o); }
  deleted(...objects: Json[]): void { for (const o of objects) this.event('DELETED', o); }

  /** The BOOKMARK that ends the initial events (the source counts as synced at once). */
  initialEventsEnd(): void {
    const line = JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.version), annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } } });
    this.lines.push(line);
    this.stream.write(line + '\n');
  }

  end(): void {
    this.stream.end();
  }

  private barriers = 0;

  /**
   * Resolves once the cache has read everything written so far: a ConfigMap (a kind the agent does not read, only
   * counted as ignored) goes last, and the cache's ignored count says when it has been read.
   */
  async read(cache: ObjectCache): Promise<void> {
    const n = ++this.barriers;
    this.event('ADDED', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `barrier-${n}`, namespace: 'default' } });
    await new Promise<void>((resolve) => {
      if (cache.counts().ignored >= n) { resolve(); return; }
      const timer = setInterval(() => { if (cache.counts().ignored >= n) { clearInterval(timer); resolve(); } }, 2);
    });
  }
}

/** A synced cache holding `objects` (each at its own resourceVersion); throws if one is refused. */
export function cacheOf(...objects: Json[]): ObjectCache {
  const cache = new ObjectCache();
  let rv = 1;
  for (const o of objects) cache.upsert({ object: { ...o, metadata: { ...(o.metadata as Json), resourceVersion: String(rv++) } }, origin: 'test' });
  if (cache.counts().problems > 0) throw new Error('a test object was refused');
  return cache;
}

/** The same object with changes to its metadata (labels...) or top-level fields. */
export function withLabels(object: Json, labels: Labels): Json {
  return { ...object, metadata: { ...(object.metadata as Json), labels } };
}
