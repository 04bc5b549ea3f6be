// `ovn-overlay decode` on the committed captures made by the real ovs-vswitchd, `encap` read back by tshark,
// and the two together against a lab: frames built with the tunnel keys ovn-northd put in SB decode back into
// the switch and pod names.
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { GeneveEncoder, PcapWriter, Reason } from '../../codecs/index.js';
import { buildInnerFrame, DEFAULT_INNER } from '../../src/cli/inner-frame.js';
import { runCli } from './helpers.js';

const fixtures = fileURLToPath(new URL('../../fixtures/codecs/', import.meta.url));

interface Capture { name: string; pcap: string; tunnel: string; src: string; dst: string; vni: number; ovnOption: string | null; inner: string }

let lab: Lab;
let dir: string;
const keys = { dp: 0, a: 0, b: 0 };
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovn-overlay-cli-'));
  lab = await startLab();
  await lab.nbctl('ls-add', 'node1');
  await lab.nbctl('lsp-add', 'node1', 'default_pod-a', '--', 'lsp-set-addresses', 'default_pod-a', '0a:58:0a:f4:00:05 10.244.0.5');
  await lab.nbctl('lsp-add', 'node1', 'default_pod-b', '--', 'lsp-set-addresses', 'default_pod-b', '0a:58:0a:f4:00:06 10.244.0.6');
  await lab.nbctl('--wait=sb', 'sync');
  const sb = async (...args: string[]) => Number((await lab.sbctl('--bare', '--columns=tunnel_key', 'find', ...args)).trim());
  keys.dp = await sb('Datapath_Binding', 'external_ids:name=node1');
  keys.a = await sb('Port_Binding', 'logical_port=default_pod-a');
  keys.b = await sb('Port_Binding', 'logical_port=default_pod-b');
});
test.after.always(async () => {
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('decode reads every committed OVS capture with the values it was made with', async (t) => {
  const { captures } = JSON.parse(await readFile(join(fixtures, 'ovs-frames.json'), 'utf8')) as { captures: Capture[] };
  t.true(captures.length >= 5);
  for (const c of captures) {
    const text = await runCli(['decode', join(fixtures, c.pcap)]);
    t.is(text.code, 0, text.stderr);
    t.regex(text.stdout, new RegExp(`^frame 1: ${c.tunnel} ${c.src.replace(/\./g, '\\.')}:\\d+ > ${c.dst.replace(/\./g, '\\.')}:\\d+ vni ${c.vni}$`, 'm'), c.name);
    const json = await runCli(['decode', '--json', join(fixtures, c.pcap)]);
    const frame = JSON.parse(json.stdout.trim().split('\n')[0]) as { tunnel: string; vni: number; innerLength: number; ovn?: { ingress: number; egress: number } };
    t.is(frame.tunnel, c.tunnel);
    t.is(frame.vni, c.vni);
    t.is(frame.innerLength, c.inner.length / 2);
    if (c.ovnOption !== null) {
      const v = Number.parseInt(c.ovnOption, 16);
      t.deepEqual(frame.ovn, { datapath: c.vni, ingress: (v >>> 16) & 0x7fff, egress: v & 0xffff }, c.name);
      t.regex(text.stdout, new RegExp(`option class 0x0102 type 0x80 data ${c.ovnOption}`));
    }
  }
});

test('encap writes Geneve and VXLAN frames that tshark reads back', async (t) => {
  const g = join(dir, 'g.pcap');
  const r = await runCli(['encap', '--type', 'geneve', '--src', '10.0.0.1', '--dst', '10.0.0.2', '--datapath', '5', '--ingress', '3', '--egress', '4', '--count', '2', '-o', g]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /wrote 2 geneve frames \(datapath 5 ingress 3 egress 4\)/);
  const fields = await runCommand('tshark', ['-r', g, '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'geneve.vni', '-e', 'geneve.option.class', '-e', 'geneve.option.type']);
  const lines = fields.trim().split('\n');
  t.is(lines.length, 2);
  t.regex(lines[0], /^10\.0\.0\.1(,10\.244\.0\.5)?,10\.0\.0\.2(,10\.244\.1\.6)?,6081(,8080)?,0x0+5,0x0102,0x80$/);
  const v = join(dir, 'v.pcap');
  t.is((await runCli(['encap', '--type', 'vxlan', '--vni', '4242', '--inner', '0a580af40106 0a580af40005 0800 4500001c000040004001a6d20af400050af40106 0800f7ff00000000', '-o', v])).code, 0);
  t.regex(await runCommand('tshark', ['-r', v, '-T', 'fields', '-e', 'vxlan.vni', '-e', 'icmp.type']), /^4242\t8$/m);
  const verbose = await runCommand('tshark', ['-r', g, '-V', '-c', '1']);
  t.regex(verbose, /Generic Network Virtualization Encapsulation/);
  t.regex(verbose, /Virtual Network Identifier \(VNI\): 0x0+5/);
});

test('encap --help says how tshark sees STT, and it is so: heuristics first, or no STT', async (t) => {
  const help = await runCli(['encap', '--help']);
  t.regex(help.stdout, /tshark -r out\.pcap -o ip\.try_heuristic_first:TRUE/);
  const file = join(dir, 'stt.pcap');
  const r = await runCli(['encap', '--type', 'stt', '--context', '0x1234', '-o', file]);
  t.is(r.code, 0, r.stderr);
  const stt = async (...options: string[]) => runCommand('tshark', ['-r', file, ...options, '-T', 'fields', '-e', 'stt.context_id']);
  t.is((await stt()).trim(), '', 'by default tshark takes it for plain TCP');
  t.regex(await stt('-o', 'ip.try_heuristic_first:TRUE'), /^0x0+1234$/m);
});

test('encap with SB names, decode --sb: frames name the logical switch and the pods', async (t) => {
  const sbRemote = lab.sb.tcp;
  for (const type of ['geneve', 'stt'] as const) {
    const file = join(dir, `named-${type}.pcap`);
    const payload = type === 'stt' ? 'x'.repeat(3000) : 'hi';
    const made = await runCli(['encap', '--type', type, '--sb', sbRemote, '--datapath', 'node1', '--ingress', 'default_pod-a', '--egress', 'default_pod-b', '--payload', payload, '-o', file]);
    t.is(made.code, 0, made.stderr);
    t.regex(made.stdout, new RegExp(`datapath ${keys.dp} ingress ${keys.a} egress ${keys.b}`));
    const out = await runCli(['decode', file, '--sb', sbRemote]);
    t.is(out.code, 0, out.stderr);
    t.regex(out.stdout, new RegExp(`^  datapath ${keys.dp} "node1" \\(logical switch\\)$`, 'm'), out.stdout);
    t.regex(out.stdout, new RegExp(`^  ingress port ${keys.a} "default_pod-a"$`, 'm'));
    t.regex(out.stdout, new RegExp(`^  egress port ${keys.b} "default_pod-b"$`, 'm'));
    t.regex(out.stdout, /inner \d+ bytes: 0a:58:0a:f4:00:05 > 0a:58:0a:f4:01:06, IPv4 10\.244\.0\.5 > 10\.244\.1\.6, UDP 40000 > 8080/);
    // The inner source is pod-a's MAC and IP (Port_Binding.mac); the destination's are nobody's.
    t.regex(out.stdout, /^ {2}from pod "default_pod-a" by mac 0a:58:0a:f4:00:05 to \(unknown\)$/m);
    if (type === 'stt') t.regex(out.stdout, /stt .* context 0x[0-9a-f]+ \(3 segments\)/);
  }
  // VXLAN carries the datapath and the egress port only; numeric keys read from SB with ovn-sbctl
  const vx = join(dir, 'named-vxlan.pcap');
  t.is((await runCli(['encap', '--type', 'vxlan', '--datapath', String(keys.dp), '--egress', String(keys.b), '-o', vx])).code, 0);
  const out = await runCli(['decode', vx, '--sb', lab.sb.unix]);
  t.regex(out.stdout, new RegExp(`vni ${(keys.b << 12) | keys.dp}\\n  datapath ${keys.dp} "node1" \\(logical switch\\)\\n  egress port ${keys.b} "default_pod-b"`));
  // the destination named too: by MAC, or by IP when the MAC is not a pod's (a routed frame)
  const both = join(dir, 'both.pcap');
  t.is((await runCli(['encap', '--datapath', String(keys.dp), '--ingress', String(keys.a), '--egress', String(keys.b), '--inner-dst-mac', '0a:58:0a:f4:00:06', '--inner-dst-ip', '10.244.0.6', '-o', both])).code, 0);
  t.regex((await runCli(['decode', both, '--sb', sbRemote])).stdout, /^ {2}from pod "default_pod-a" by mac \S+ to pod "default_pod-b" by mac 0a:58:0a:f4:00:06$/m);
  const routed = join(dir, 'routed.pcap');
  t.is((await runCli(['encap', '--datapath', String(keys.dp), '--egress', String(keys.b), '--inner-src-mac', '0a:58:0a:f4:00:01', '--inner-dst-ip', '10.244.0.6', '-o', routed])).code, 0);
  const routedOut = await runCli(['decode', routed, '--sb', sbRemote, '--json']);
  const names = (JSON.parse(routedOut.stdout) as { names: { source: unknown; destination: unknown } }).names;
  t.deepEqual(names.source, { name: 'default_pod-a', type: '', by: 'ip', address: '10.244.0.5' });
  t.deepEqual(names.destination, { name: 'default_pod-b', type: '', by: 'ip', address: '10.244.0.6' });
  // without --sb: the keys, no names
  const plain = await runCli(['decode', join(dir, 'named-geneve.pcap')]);
  t.regex(plain.stdout, new RegExp(`^  datapath ${keys.dp}$`, 'm'));
  // unknown keys are marked as such
  const unknown = join(dir, 'unknown.pcap');
  await runCli(['encap', '--datapath', '4000', '--ingress', '1', '--egress', '2', '-o', unknown]);
  t.regex((await runCli(['decode', unknown, '--sb', sbRemote])).stdout, /datapath 4000 \(unknown\)\n {2}ingress port 1 \(unknown\)/);
  // a name SB does not know is a one-line error
  const missing = await runCli(['encap', '--sb', sbRemote, '--datapath', 'nope', '-o', join(dir, 'x.pcap')]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^ovn-overlay: no logical datapath named "nope" in tcp:/);
});

test('decode shows a Geneve frame with an unknown critical option, flagged, instead of rejecting it', async (t) => {
  const inner = buildInnerFrame(DEFAULT_INNER);
  const enc = new GeneveEncoder({
    outer: { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '192.168.0.1', dst: '192.168.0.2' }, ovn: true,
    options: [{ optionClass: 0x0103, type: 0x81, data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) }],
  });
  const buf = new Uint8Array(enc.headerLength + inner.length);
  buf.set(inner, enc.headerLength);
  t.is(enc.encapOvn(buf, enc.headerLength, inner.length, 5, 3, 4), Reason.Ok);
  const writer = new PcapWriter();
  writer.add(buf);
  const file = join(dir, 'critical.pcap');
  await writeFile(file, writer.toBytes());
  const out = await runCli(['decode', file]);
  t.is(out.code, 0, out.stderr);
  t.regex(out.stdout, /^frame 1: geneve 192\.168\.0\.1:\d+ > 192\.168\.0\.2:6081 vni 5 \[unknown critical option: a receiver drops this frame\]$/m);
  t.regex(out.stdout, /^ {2}option class 0x0102 type 0x80 data 00030004$/m);
  t.regex(out.stdout, /^ {2}option class 0x0103 type 0x81 data deadbeef \(critical, unknown\)$/m);
  t.regex(out.stdout, /^ {2}egress port 4$/m);
  t.regex(out.stdout, /inner \d+ bytes: 0a:58:0a:f4:00:05 > /);
  t.regex(out.stdout, /1 record, 1 tunnel frame\(s\) decoded/);
  const json = JSON.parse((await runCli(['decode', file, '--json'])).stdout) as { unknownCritical: boolean; geneveOptions: { unknownCritical?: boolean }[] };
  t.true(json.unknownCritical);
  t.deepEqual(json.geneveOptions.map((o) => o.unknownCritical === true), [false, true]);
});

test('decode and encap: bad files, remotes and options are one line with a non-zero exit', async (t) => {
  const missing = await runCli(['decode', join(dir, 'missing.pcap')]);
  t.is(missing.code, 1);
  t.is(missing.stderr, `ovn-overlay: cannot read ${join(dir, 'missing.pcap')}: no such file\n`);
  const notPcap = join(dir, 'not.pcap');
  await writeFile(notPcap, 'hello, this is not a capture');
  const bad = await runCli(['decode', notPcap]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /^ovn-overlay: .*not\.pcap is not a pcap file: bad magic 0x[0-9a-f]+.*\n$/);
  const unreachable = await runCli(['decode', join(fixtures, 'ovs-vxlan4.pcap'), '--sb', 'tcp:127.0.0.1:1']);
  t.is(unreachable.code, 1);
  t.is(unreachable.stderr.split('\n').length, 2);
  const wrongDb = await runCli(['decode', join(fixtures, 'ovs-vxlan4.pcap'), '--sb', lab.nb.unix]);
  t.is(wrongDb.code, 1);
  t.regex(wrongDb.stderr, /does not serve OVN_Southbound \(it serves OVN_Northbound\)/);
  const noOut = await runCli(['encap', '--type', 'geneve']);
  t.is(noOut.code, 2);
  t.regex(noOut.stderr, /-o <out\.pcap> is required/);
  const badType = await runCli(['encap', '--type', 'gre', '-o', join(dir, 'x.pcap')]);
  t.is(badType.code, 2);
  const badVni = await runCli(['encap', '--vni', '99999999', '-o', join(dir, 'x.pcap')]);
  t.is(badVni.code, 2);
  t.regex(badVni.stderr, /--vni: expected an integer in 0\.\.16777215/);
  const unknownOption = await runCli(['decode', '--frobnicate', 'x.pcap']);
  t.is(unknownOption.code, 2);
  t.false(/\n\s+at /.test(unknownOption.stderr + bad.stderr + missing.stderr));
});

test('--help for every command', async (t) => {
  const main = await runCli(['--help']);
  t.is(main.code, 0);
  for (const command of ['lab', 'repl', 'decode', 'encap', 'stats']) {
    t.regex(main.stdout, new RegExp(`^  ${command} `, 'm'));
    const r = await runCli([command, '--help']);
    t.is(r.code, 0, command);
    t.regex(r.stdout, new RegExp(`^usage: ovn-overlay ${command}`), command);
  }
  const none = await runCli([]);
  t.is(none.code, 2);
  const unknown = await runCli(['frob']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /^ovn-overlay: unknown command 'frob'/);
});
