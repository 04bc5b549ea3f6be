// `ovn-overlay stats` against a lab with the userspace ovs-vswitchd: a pod interface bound on br-int receives
// frames, vswitchd writes its counters to Interface:statistics, and the command reports them per pod.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { decodeListPodSandboxStatsResponse } from '../../src/stats/cri.js';
import { runCli } from './helpers.js';

const protoDir = fileURLToPath(new URL('../../src/stats/', import.meta.url));
const FRAME = '0a580af401060a580af401050800450000200000400040116c880af401050af4010604d2162e000cffff6869';

let lab: Lab;
let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovn-overlay-stats-'));
  lab = await startLab({ vswitchd: true, northd: false });
  await lab.vsctl('add-port', 'br-int', 'web-veth', '--', 'set', 'Interface', 'web-veth', 'type=dummy',
    'external_ids:iface-id=default_web', 'external_ids:iface-id-ver=6f1c3a2e-uid', 'external_ids:sandbox=sandbox-web');
  await lab.vsctl('add-port', 'br-int', 'db-veth', '--', 'set', 'Interface', 'db-veth', 'type=dummy', 'external_ids:iface-id=prod_db-0');
  await lab.vsctl('add-port', 'br-int', 'other', '--', 'set', 'Interface', 'other', 'type=dummy');
  for (let i = 0; i < 3; i++) await runCommand('ovs-appctl', ['-t', join(lab.dir, 'vswitchd.ctl'), 'netdev-dummy/receive', 'web-veth', FRAME]);
});
test.after.always(async () => {
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface JsonPod { namespace: string; pod: string; uid: string; sandboxId: string; interfaces: { name: string; counters: Record<string, string> }[] }

/** vswitchd refreshes Interface:statistics every 5 s: poll until the frames sent by the pod show. */
async function podStatsWithTraffic(): Promise<JsonPod[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await runCli(['stats', '--db', lab.ovs.tcp, '--format', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    const pods = JSON.parse(r.stdout) as JsonPod[];
    const web = pods.find((p) => p.pod === 'web');
    if (web && web.interfaces[0].counters.tx_packets === '3') return pods;
    if (Date.now() > deadline) throw new Error(`no counters after 15 s: ${r.stdout}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

test('text, json and CRI output of a bound pod interface that sent frames', async (t) => {
  const pods = await podStatsWithTraffic();
  t.deepEqual(pods.map((p) => `${p.namespace}/${p.pod}`), ['default/web', 'prod/db-0']);
  const web = pods[0];
  t.is(web.uid, '6f1c3a2e-uid');
  t.is(web.sandboxId, 'sandbox-web');
  t.is(web.interfaces[0].name, 'web-veth');
  // OVS received 3 frames of 60 bytes from the pod: from the pod's side that is tx
  t.is(web.interfaces[0].counters.tx_packets, '3');
  t.is(web.interfaces[0].counters.tx_bytes, String(3 * (FRAME.length / 2)));
  t.is(web.interfaces[0].counters.rx_packets, '0');
  const ovs = await lab.vsctl('--bare', 'get', 'Interface', 'web-veth', 'statistics:rx_bytes');
  t.is(ovs.trim(), web.interfaces[0].counters.tx_bytes);

  const text = await runCli(['stats', '--db', lab.ovs.unix]);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /^namespace\s+pod\s+interface\s+rx_bytes\s+rx_packets\s+rx_dropped\s+rx_errors\s+tx_bytes\s+tx_packets/m);
  t.regex(text.stdout, new RegExp(`^default\\s+web\\s+web-veth\\s+0\\s+0\\s+\\S+\\s+\\S+\\s+${3 * (FRAME.length / 2)}\\s+3\\b`, 'm'));
  t.regex(text.stdout, /^prod\s+db-0\s+db-veth\s/m);
  t.notRegex(text.stdout, /\bother\b/);
  const switchView = await runCli(['stats', '--db', lab.ovs.unix, '--format', 'json', '--perspective', 'switch']);
  t.is((JSON.parse(switchView.stdout) as JsonPod[])[0].interfaces[0].counters.rx_packets, '3');

  // CRI: ListPodSandboxStatsResponse bytes, base64 on stdout or raw to a file; each entry a PodSandboxStats
  const cri = await runCli(['stats', '--db', lab.ovs.unix, '--format', 'cri']);
  t.is(cri.code, 0, cri.stderr);
  const bytes = Buffer.from(cri.stdout.trim(), 'base64');
  const file = join(dir, 'stats.pb');
  t.is((await runCli(['stats', '--db', lab.ovs.unix, '--format', 'cri', '-o', file])).code, 0);
  const raw = await readFile(file);
  t.is(raw[0], 0x0a);
  // A user's protoc reads it by the cri-api message name (the issue: "Type not defined" before)
  const decoded = execFileSync('protoc', ['--decode=runtime.v1.ListPodSandboxStatsResponse', '-I', protoDir, 'cri-stats.proto'], { input: raw, encoding: 'utf8' });
  t.regex(decoded, /^stats \{\n {2}attributes \{\n {4}id: "sandbox-web"/);
  t.is(decoded.match(/^stats \{$/gm)?.length, 2);
  const entries = decodeListPodSandboxStatsResponse(bytes);
  t.is(entries.length, 2);
  t.is(entries[0].attributes?.metadata?.name, 'web');
  t.is(entries[0].attributes?.metadata?.namespace, 'default');
  t.is(entries[0].attributes?.metadata?.uid, '6f1c3a2e-uid');
  t.is(entries[0].attributes?.id, 'sandbox-web');
  t.is(entries[0].linux?.network?.defaultInterface?.name, 'web-veth');
  t.is(entries[0].linux?.network?.defaultInterface?.txBytes, BigInt(3 * (FRAME.length / 2)));
  t.is(entries[0].linux?.network?.defaultInterface?.rxBytes, 0n);
  const windows = await runCli(['stats', '--db', lab.ovs.unix, '--format', 'cri', '--platform', 'windows']);
  const w = Buffer.from(windows.stdout.trim(), 'base64');
  t.is(decodeListPodSandboxStatsResponse(w)[0].windows?.network?.defaultInterface?.txBytes, BigInt(3 * (FRAME.length / 2)));
});

test('stats: wrong database, bad format, unreachable server: one line, non-zero exit', async (t) => {
  const nb = await runCli(['stats', '--db', lab.nb.unix]);
  t.is(nb.code, 1);
  t.regex(nb.stderr, /^ovn-overlay: unix:\S+ does not serve Open_vSwitch \(it serves OVN_Northbound\)\n$/);
  const format = await runCli(['stats', '--db', lab.ovs.unix, '--format', 'xml']);
  t.is(format.code, 2);
  t.regex(format.stderr, /--format must be text, json or cri/);
  const gone = await runCli(['stats', '--db', `unix:${join(dir, 'no.sock')}`]);
  t.is(gone.code, 1);
  t.regex(gone.stderr, /^ovn-overlay: cannot connect to unix:\S+no\.sock: .*ENOENT.*\n$/);
});
