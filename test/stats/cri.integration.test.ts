import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CriStatsError,
  decodeListPodSandboxStatsResponse,
  decodePodSandboxStats,
  encodeListPodSandboxStatsResponse,
  encodePodSandboxStats,
  podSandboxStatsType,
  podNetworkStatsFromInterfaces,
  type InterfaceCounters,
  type PodIdentity,
} from '../../src/stats/cri.js';
import { CRI_STATS_PROTO } from '../../src/stats/cri-proto.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const protoDir = join(root, 'src', 'stats');

/** What the real protoc reads from our bytes as `runtime.v1.<message>`, in protobuf text format. */
function protocDecode(bytes: Uint8Array, message = 'PodSandboxStats'): string {
  return execFileSync('protoc', [`--decode=runtime.v1.${message}`, '-I', protoDir, 'cri-stats.proto'], {
    input: bytes,
    encoding: 'utf8',
    timeout: 10_000,
  });
}

/** What protoc reads from our bytes knowing no .proto at all: field numbers only. */
function protocDecodeRaw(bytes: Uint8Array): string {
  return execFileSync('protoc', ['--decode_raw'], { input: bytes, encoding: 'utf8', timeout: 10_000 });
}

type Text = { [field: string]: (string | Text)[] };

/** A small parser for protoc's text output: every field becomes an array (repeated or not). */
function parseText(text: string): Text {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}]|[^\s{}:]+:?/g) ?? [];
  let i = 0;
  const block = (): Text => {
    const out: Text = {};
    while (i < tokens.length && tokens[i] !== '}') {
      const tok = tokens[i++];
      if (tok.endsWith(':')) {
        const raw = tokens[i++];
        const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
        (out[tok.slice(0, -1)] ??= []).push(value);
      } else {
        if (tokens[i++] !== '{') throw new Error(`unexpected token after ${tok}`);
        const inner = block();
        i++; // '}'
        (out[tok] ??= []).push(inner);
      }
    }
    return out;
  };
  return block();
}

const get = (t: Text, path: string): string | Text => {
  let cur: string | Text = t;
  for (const part of path.split('.')) {
    const [name, idx] = part.split('#');
    if (typeof cur === 'string') throw new Error(`${path}: ${name} is inside a scalar`);
    const v: (string | Text)[] | undefined = cur[name];
    if (v === undefined) throw new Error(`${path}: no field ${name}`);
    cur = v[idx === undefined ? 0 : Number(idx)];
  }
  return cur;
};

const BIG = 2n ** 53n + 1n; // 9007199254740993: not representable as a double
const HUGE = 2n ** 64n - 1n;

const stats = (entries: Record<string, bigint>): Map<string, bigint> => new Map(Object.entries(entries));

const linuxPod: PodIdentity = {
  namespace: 'default', name: 'web-0', uid: '0b7c5f0e-52b1-4a0b-9d0f-5b2c8e4a1d11', sandboxId: 'f3a1c0de',
  platform: 'linux', interfaceName: 'f3a1c0de9b2a4c1', reportedName: 'eth0',
  labels: { app: 'web' }, annotations: { 'k8s.ovn.org/pod-networks': '{"default":{}}' },
};
const linuxRows: InterfaceCounters[] = [
  { name: 'f3a1c0de9b2a4c1', statistics: stats({ rx_bytes: 1000n, tx_bytes: BIG, rx_errors: 3n, tx_errors: 0n, rx_dropped: 7n, tx_dropped: 8n }) },
  { name: 'f3a1c0de-net1', statistics: stats({ rx_bytes: HUGE, tx_bytes: 5n }) },
];

test('Linux pod: OVS counters become NetworkUsage from the pod side (rx and tx swapped)', (t) => {
  const s = podNetworkStatsFromInterfaces(linuxPod, linuxRows, { timestamp: 1_700_000_000_123_456_789n });
  t.is(s.windows, undefined);
  t.deepEqual(s.linux?.network?.defaultInterface, { name: 'eth0', rxBytes: BIG, rxErrors: 0n, txBytes: 1000n, txErrors: 3n });
  t.deepEqual(s.linux?.network?.interfaces, [{ name: 'f3a1c0de-net1', rxBytes: 5n, txBytes: HUGE }]);
  t.deepEqual(s.attributes?.metadata, { name: 'web-0', uid: linuxPod.uid, namespace: 'default', attempt: 0 });
  const asSwitch = podNetworkStatsFromInterfaces(linuxPod, linuxRows, { timestamp: 1n, perspective: 'switch' });
  t.deepEqual(asSwitch.linux?.network?.defaultInterface, { name: 'eth0', rxBytes: 1000n, rxErrors: 3n, txBytes: BIG, txErrors: 0n });
});

test('Linux pod: the real protoc decodes our bytes to the same values, beyond 2^53', (t) => {
  const s = podNetworkStatsFromInterfaces(linuxPod, linuxRows, { timestamp: 1_700_000_000_123_456_789n });
  const text = protocDecode(encodePodSandboxStats(s));
  const p = parseText(text);
  t.is(get(p, 'attributes.id'), 'f3a1c0de');
  t.is(get(p, 'attributes.metadata.name'), 'web-0');
  t.is(get(p, 'attributes.metadata.namespace'), 'default');
  t.is(get(p, 'attributes.metadata.uid'), linuxPod.uid);
  t.is(get(p, 'attributes.labels.key'), 'app');
  t.is(get(p, 'attributes.labels.value'), 'web');
  t.is(get(p, 'attributes.annotations.value'), '{"default":{}}');
  t.is(get(p, 'linux.network.timestamp'), '1700000000123456789');
  t.is(get(p, 'linux.network.default_interface.name'), 'eth0');
  t.is(get(p, 'linux.network.default_interface.rx_bytes.value'), '9007199254740993');
  t.is(get(p, 'linux.network.default_interface.tx_bytes.value'), '1000');
  t.is(get(p, 'linux.network.default_interface.tx_errors.value'), '3');
  // present with 0 is written (an empty UInt64Value), not dropped
  t.deepEqual(get(p, 'linux.network.default_interface.rx_errors'), {});
  t.is(get(p, 'linux.network.interfaces.name'), 'f3a1c0de-net1');
  t.is(get(p, 'linux.network.interfaces.tx_bytes.value'), '18446744073709551615');
  t.is(get(p, 'linux.network.interfaces.rx_bytes.value'), '5');
  t.false('rx_errors' in (get(p, 'linux.network.interfaces') as Text), 'a counter OVS did not report stays absent');
  t.false('windows' in p);
});

const windowsPod: PodIdentity = {
  namespace: 'kube-system', name: 'coredns-5d78c9869d-abcde', uid: 'a0e7', sandboxId: '9c1e', attempt: 2,
  platform: 'windows', interfaceName: 'kube-system_coredns-5d78c9869d-abcde',
};

test('Windows pod: bytes and drops, and protoc reads them back', (t) => {
  const rows: InterfaceCounters[] = [{
    name: 'kube-system_coredns-5d78c9869d-abcde',
    statistics: stats({ rx_bytes: 2n ** 62n + 3n, tx_bytes: 42n, rx_dropped: 11n, tx_dropped: BIG, rx_errors: 9n }),
  }];
  const s = podNetworkStatsFromInterfaces(windowsPod, rows, { timestamp: 5n });
  t.is(s.linux, undefined);
  t.deepEqual(s.windows?.network, {
    timestamp: 5n,
    defaultInterface: { name: 'kube-system_coredns-5d78c9869d-abcde', rxBytes: 42n, rxPacketsDropped: BIG, txBytes: 2n ** 62n + 3n, txPacketsDropped: 11n },
    interfaces: [],
  });
  const p = parseText(protocDecode(encodePodSandboxStats(s)));
  t.is(get(p, 'attributes.metadata.attempt'), '2');
  t.is(get(p, 'windows.network.timestamp'), '5');
  t.is(get(p, 'windows.network.default_interface.name'), 'kube-system_coredns-5d78c9869d-abcde');
  t.is(get(p, 'windows.network.default_interface.rx_bytes.value'), '42');
  t.is(get(p, 'windows.network.default_interface.rx_packets_dropped.value'), '9007199254740993');
  t.is(get(p, 'windows.network.default_interface.tx_bytes.value'), '4611686018427387907');
  t.is(get(p, 'windows.network.default_interface.tx_packets_dropped.value'), '11');
  t.false('linux' in p);
});

test('round trip through our decoder is exact (Linux and Windows, 64-bit values, negative timestamp)', (t) => {
  for (const [pod, rows] of [[linuxPod, linuxRows], [windowsPod, [{ name: windowsPod.interfaceName, statistics: stats({ rx_bytes: HUGE, tx_dropped: 0n }) }]]] as const) {
    for (const timestamp of [1_700_000_000_123_456_789n, 2n ** 63n - 1n, -(2n ** 63n), 0n]) {
      const s = podNetworkStatsFromInterfaces(pod, rows, { timestamp });
      t.deepEqual(decodePodSandboxStats(encodePodSandboxStats(s)), s);
    }
  }
});

test('field numbers on the wire are those of cri-api', (t) => {
  const bytes = encodePodSandboxStats({
    windows: { network: { timestamp: 1n, defaultInterface: { name: 'a', rxPacketsDropped: 1n }, interfaces: [] } },
  });
  // PodSandboxStats.windows = 3 (LEN) -> WindowsPodSandboxStats.network = 3 (LEN) -> WindowsNetworkUsage
  // timestamp = 1 (varint 1), default_interface = 2 (LEN) -> name = 1 "a", rx_packets_dropped = 3 -> value = 1
  t.deepEqual([...bytes], [0x1a, 13, 0x1a, 11, 0x08, 1, 0x12, 7, 0x0a, 1, 0x61, 0x1a, 2, 0x08, 1]);
});

test('ListPodSandboxStatsResponse: what stats --format cri writes, decoded by the real protoc by its cri-api name', (t) => {
  const linux = podNetworkStatsFromInterfaces(linuxPod, linuxRows, { timestamp: 7n });
  const windows = podNetworkStatsFromInterfaces(windowsPod, [{ name: windowsPod.interfaceName, statistics: stats({ tx_dropped: BIG }) }], { timestamp: 8n });
  const bytes = encodeListPodSandboxStatsResponse([linux, windows]);
  const p = parseText(protocDecode(bytes, 'ListPodSandboxStatsResponse'));
  t.is((p.stats as Text[]).length, 2);
  t.is(get(p, 'stats#0.attributes.metadata.name'), 'web-0');
  t.is(get(p, 'stats#0.linux.network.default_interface.rx_bytes.value'), '9007199254740993');
  t.is(get(p, 'stats#1.attributes.metadata.namespace'), 'kube-system');
  t.is(get(p, 'stats#1.windows.network.default_interface.rx_packets_dropped.value'), '9007199254740993');
  // The field numbers, read without any .proto: ListPodSandboxStatsResponse.stats = 1 -> PodSandboxStats.linux = 2
  // -> LinuxPodSandboxStats.network = 3 -> NetworkUsage.timestamp = 1, as in cri-api.
  t.regex(protocDecodeRaw(bytes), /^1 \{\n {2}1 \{\n {4}1: "f3a1c0de"\n(?:.*\n)*? {2}2 \{\n {4}3 \{\n {6}1: 7\n/);
  t.deepEqual(decodeListPodSandboxStatsResponse(bytes), [linux, windows]);
  t.deepEqual(decodeListPodSandboxStatsResponse(encodeListPodSandboxStatsResponse([])), []);
});

test('the messages we write are cri-api\'s: names, field names, numbers and types (kubernetes/cri-api 791729b)', (t) => {
  // Written down from upstream pkg/apis/runtime/v1/api.proto (package runtime.v1), independently of our .proto.
  const upstream: Record<string, Record<string, [number, string, 'repeated'?]>> = {
    ListPodSandboxStatsResponse: { stats: [1, 'PodSandboxStats', 'repeated'] },
    PodSandboxStats: { attributes: [1, 'PodSandboxAttributes'], linux: [2, 'LinuxPodSandboxStats'], windows: [3, 'WindowsPodSandboxStats'] },
    PodSandboxAttributes: { id: [1, 'string'], metadata: [2, 'PodSandboxMetadata'], labels: [3, 'map<string,string>'], annotations: [4, 'map<string,string>'] },
    PodSandboxMetadata: { name: [1, 'string'], uid: [2, 'string'], namespace: [3, 'string'], attempt: [4, 'uint32'] },
    LinuxPodSandboxStats: { network: [3, 'NetworkUsage'] },
    WindowsPodSandboxStats: { network: [3, 'WindowsNetworkUsage'] },
    NetworkUsage: { timestamp: [1, 'int64'], default_interface: [2, 'NetworkInterfaceUsage'], interfaces: [3, 'NetworkInterfaceUsage', 'repeated'] },
    NetworkInterfaceUsage: { name: [1, 'string'], rx_bytes: [2, 'UInt64Value'], rx_errors: [3, 'UInt64Value'], tx_bytes: [4, 'UInt64Value'], tx_errors: [5, 'UInt64Value'] },
    WindowsNetworkUsage: { timestamp: [1, 'int64'], default_interface: [2, 'WindowsNetworkInterfaceUsage'], interfaces: [3, 'WindowsNetworkInterfaceUsage', 'repeated'] },
    WindowsNetworkInterfaceUsage: {
      name: [1, 'string'], rx_bytes: [2, 'UInt64Value'], rx_packets_dropped: [3, 'UInt64Value'], tx_bytes: [4, 'UInt64Value'], tx_packets_dropped: [5, 'UInt64Value'],
    },
    UInt64Value: { value: [1, 'uint64'] },
  };
  const root = podSandboxStatsType().root;
  const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const [message, fields] of Object.entries(upstream)) {
    const type = root.lookupType(`runtime.v1.${message}`);
    const ours = Object.fromEntries(Object.values(type.fields).map((f) => {
      const kind = f.map ? `map<${(f as unknown as { keyType: string }).keyType},${f.type}>` : f.type;
      return [snake(f.name), f.repeated ? [f.id, kind, 'repeated'] : [f.id, kind]];
    }));
    t.deepEqual(ours, fields, message);
  }
  // What we leave out of the stats messages is reserved, so no field of ours can take an upstream number.
  t.deepEqual(root.lookupType('runtime.v1.LinuxPodSandboxStats').reserved, [[1, 1], [2, 2], [4, 4], [5, 5], [6, 6]]);
  t.deepEqual(root.lookupType('runtime.v1.WindowsPodSandboxStats').reserved, [[1, 1], [2, 2], [4, 4], [5, 5]]);
});

test('the embedded proto text is the committed .proto file', (t) => {
  t.is(CRI_STATS_PROTO, readFileSync(join(protoDir, 'cri-stats.proto'), 'utf8'));
});

test('errors: no default interface, counters out of range', (t) => {
  t.throws(() => podNetworkStatsFromInterfaces(linuxPod, [linuxRows[1]]), { instanceOf: CriStatsError, message: /no OVS Interface named/ });
  t.throws(() => podNetworkStatsFromInterfaces(linuxPod, [{ name: linuxPod.interfaceName, statistics: stats({ rx_bytes: -1n }) }]),
    { instanceOf: CriStatsError });
  t.throws(() => encodePodSandboxStats({ linux: { network: { timestamp: 0n, interfaces: [{ name: 'x', rxBytes: 2n ** 64n }] } } }),
    { instanceOf: CriStatsError, message: /outside/ });
  t.throws(() => podNetworkStatsFromInterfaces(linuxPod, linuxRows, { timestamp: 2n ** 63n }), { instanceOf: CriStatsError });
});

test('default timestamp is now, in nanoseconds', (t) => {
  const before = BigInt(Date.now()) * 1_000_000n;
  const s = podNetworkStatsFromInterfaces(linuxPod, linuxRows);
  const ts = s.linux?.network?.timestamp ?? 0n;
  t.true(ts >= before && ts <= BigInt(Date.now()) * 1_000_000n);
});
