// `ovn-overlay lab` driven as a user would: piped (as CI and `npm run lab </dev/null` run it: the lab stays up
// after the end of input until a signal) and on a terminal (a pty from script(1): Tab completion, history, .exit).
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, runCommand } from '../../src/lab/process.js';
import { CliProcess, NODE_ARGS, runCli } from './helpers.js';

async function labPids(dir: string, exclude: number | undefined): Promise<number[]> {
  // The central daemons' pid files are in the lab directory, each hypervisor's in its own subdirectory.
  return (await runCommand('sh', ['-c', `find ${dir} -name '*.pid' -exec cat {} +`])).trim().split('\n').map(Number).filter((pid) => pid > 0 && pid !== exclude);
}

test('piped, 2 hypervisors: the README walkthrough: nodes, pods bound and up, .show, a frame across nodes decoded into both pods; Ctrl-C stops everything', async (t) => {
  const p = new CliProcess(['lab']);
  await p.waitFor(/Press Ctrl-C/, 60_000);
  const out = p.output;
  t.regex(out, /^ovn-overlay lab is up \(\d+ ms\), 2 hypervisors\.$/m);
  t.regex(out, /^ {2}hv1 {2}underlay 192\.168\.0\.1 {2}Open_vSwitch at unix:\S+ {2}wire capture \S+$/m);
  const dir = /lab directory: (\S+)/.exec(out)![1];
  const nbTcp = /OVN_Northbound:\n\s+unix: \S+\n\s+tcp:\s+(\S+)/.exec(out)![1];
  const sbUnix = /OVN_Southbound:\n\s+unix: (\S+)/.exec(out)![1];
  t.regex(await runCommand('ovsdb-client', ['list-dbs', nbTcp]), /OVN_Northbound/);
  const hint = /^\s+(ovs-vsctl --db=\S+ show)$/m.exec(out)![1].split(' ');
  t.regex(await runCommand(hint[0], hint.slice(1)), /Bridge br-int/);
  t.regex(out, /nb\s+OVN_Northbound at unix:/);
  t.regex(out, /hv1, hv2 {2}the hypervisors/);
  await p.waitFor(/ovn> /);

  t.regex(await p.type('.show ovs'), /Bridge br-int\n\s+fail_mode: secure\n\s+datapath_type: dummy/);
  t.regex(await p.type(`await k8s.addNode('hv1', '10.244.1.0/24')`), /node hv1: switch hv1 on ovn_cluster_router \(chassis hv1, node IP 192\.168\.0\.1\)/);
  t.regex(await p.type(`await k8s.addNode('hv2', '10.244.2.0/24')`), /node hv2/);
  t.regex(await p.type(`(await k8s.addPod('default', 'web', 'hv1')).ipAddresses[0]`), /'10\.244\.1\.\d+\/24'/);
  t.regex(await p.type(`(await k8s.addPod('default', 'db', 'hv2')).ipAddresses[0]`), /'10\.244\.2\.\d+\/24'/);
  t.regex(await p.type(`(await k8s.bindPod('default', 'web', hv1)).interface`), /'web'/);
  t.regex(await p.type(`(await k8s.bindPod('default', 'db', 'hv2')).hypervisor`), /'hv2'/);
  t.regex(await p.type(`await k8s.bindPod('default', 'db', hv1)`), /^Uncaught .*default\/db is on node hv2/m, 'bound on the wrong hypervisor: one line');
  t.regex(await p.type(`await k8s.waitUp('default', 'web')`), /'default\/web is up'/);
  t.regex(await p.type(`await k8s.waitUp('default', 'db')`), /'default\/db is up'/);
  t.regex(await p.type('.show nb'), /switch [0-9a-f-]{36} \(hv1\)\n(.*\n)*?\s+port default_web\n\s+addresses: \["0a:58:0a:f4:01:\w\w 10\.244\.1\.\d+"\]/);
  t.regex(await p.type('.show sb'), /Chassis hv2\n(.*\n)*?\s+Port_Binding default_db/);
  t.regex(await p.type(`(await nb.get('Logical_Switch_Port', 'default_web')).up`), /^true$/m);
  t.regex(await runCommand('ovn-nbctl', [`--db=${nbTcp}`, 'lsp-list', 'hv1']), /default_web/);

  const sent = await p.type(`await k8s.send('default', 'web', 'db')`);
  t.regex(sent, /delivered: true/);
  const wire = /wire: '([^']+)'/.exec(sent)?.[1];
  t.truthy(wire, sent);
  t.regex(sent, new RegExp(`decode: 'ovn-overlay decode \\S+ --sb ${sbUnix.replace(/[/.]/g, '\\$&')}'`));
  const decoded = await runCli(['decode', wire!, '--sb', sbUnix]);
  t.is(decoded.code, 0, decoded.stderr);
  t.regex(decoded.stdout, /datapath \d+ "hv2" \(logical switch\)/);
  t.regex(decoded.stdout, /ingress port \d+ "stor-hv2" \(patch\)/);
  t.regex(decoded.stdout, /egress port \d+ "default_db"/);
  // The frame was routed: its source MAC is the router's, so the source pod is named by its IP.
  t.regex(decoded.stdout, /^ {2}from pod "default_web" by ip 10\.244\.1\.\d+ to pod "default_db" by mac 0a:58:0a:f4:02:\w\w$/m, decoded.stdout);
  t.regex(await p.type('lab.dir'), new RegExp(dir.replace(/[/.]/g, '\\$&')));

  const pids = await labPids(dir, p.child.pid);
  t.true(pids.length >= 10, 'central servers, northd, vswitchd, and 3 daemons per hypervisor');
  p.child.stdin.end();
  await p.waitFor(/End of input: the lab stays up until Ctrl-C/);
  await new Promise((r) => setTimeout(r, 500));
  t.is(p.child.exitCode, null);
  t.true(pids.every(isProcessAlive));

  p.child.kill('SIGINT');
  t.is(await p.exited, 0);
  t.regex(p.output, /lab stopped/);
  t.notRegex(p.output, /connection to \S+ lost/, 'no notices for a lab stopped on purpose');
  t.false(pids.some(isProcessAlive));
  t.false(existsSync(dir));
});

test('--hypervisors: 0 starts none (no hv1 in the REPL), 1 is a usage error', async (t) => {
  const one = await runCli(['lab', '--hypervisors', '1']);
  t.is(one.code, 2);
  t.regex(one.stderr, /^ovn-overlay: lab: --hypervisors must be 0 \(none\) or 2\.\.16, not "1"\n$/);
  const p = new CliProcess(['lab', '--hypervisors', '0']);
  await p.waitFor(/ovn> /, 60_000);
  t.regex(p.output, /^ovn-overlay lab is up \(\d+ ms\)\.$/m);
  t.notRegex(p.output, /Hypervisors/);
  t.regex(await p.type('typeof hv1'), /'undefined'/);
  t.regex(await p.type(`await k8s.bindPod('default', 'x', 'hv1')`), /^Uncaught .*no lab hypervisors/m);
  p.write('.exit\n');
  t.is(await p.exited, 0);
});

test('piped: .exit stops the lab at once', async (t) => {
  const p = new CliProcess(['lab', '--hypervisors', '0']);
  await p.waitFor(/ovn> /, 60_000);
  const dir = /lab directory: (\S+)/.exec(p.output)![1];
  const pids = await labPids(dir, p.child.pid);
  p.write('.exit\n');
  t.is(await p.exited, 0);
  t.regex(p.output, /lab stopped/);
  t.false(pids.some(isProcessAlive));
  t.false(existsSync(dir));
});

test('terminal: Tab completes from the schema, history is saved, .exit stops everything', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'ovn-overlay-hist-'));
  const history = join(home, 'history');
  try {
    const command = [process.execPath, ...NODE_ARGS, 'lab', '--hypervisors', '0'].map((a) => `'${a}'`).join(' ');
    const p = new CliProcess([], { command: 'script', commandArgs: ['-qfec', command, '/dev/null'], env: { OVN_OVERLAY_HISTORY: history, TERM: 'xterm' } });
    await p.waitFor(/\.exit, Ctrl-D or Ctrl-C twice stops the lab/, 60_000);
    const dir = /lab directory: (\S+)/.exec(p.output)![1];
    await p.waitFor(/ovn> /);
    p.write(`nb.select('Logical_Switch_P\t`);
    await p.waitFor(/Logical_Switch_Port/);
    p.write('\x15'); // Ctrl-U: clear the line
    p.write('.dump Datapath_Bin\t');
    await p.waitFor(/Datapath_Binding/);
    p.write('\r');
    await p.waitFor(/Datapath_Binding: no rows|\(\d+ rows?\)/);
    p.write('.show ovs\r');
    await p.waitFor(/Bridge br-int/);
    p.write('await nb.insert("Logical_Switch", { nmae: "x" })\r');
    await p.waitFor(/Uncaught OvsdbValidationError: Logical_Switch\.nmae/);
    const pids = await labPids(dir, undefined);
    p.write('.exit\r');
    t.is(await p.exited, 0);
    t.regex(p.output, /lab stopped/);
    t.false(pids.some(isProcessAlive));
    t.false(existsSync(dir));
    const saved = await readFile(history, 'utf8');
    t.regex(saved, /^\.show ovs$/m);
    t.regex(saved, /^\.dump Datapath_Binding$/m);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('--relays and --zones: relays in front of every zone\'s NB and SB, the zones in the REPL; bad values are usage errors', async (t) => {
  for (const [args, message] of [
    [['--relays', '0'], /--relays must be N/], [['--relays', 'sb=1,sb=2'], /--relays must be N/], [['--relays', 'nb=17'], /--relays must be N/],
    [['--zones', '1'], /--zones must be 2\.\.64, not "1"/],
  ] as const) {
    const r = await runCli(['lab', ...args]);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
  }
  const p = new CliProcess(['lab', '--relays', 'nb=1,sb=2', '--zones', '2']);
  await p.waitFor(/ovn> /, 90_000);
  const out = p.output;
  t.regex(out, /^ovn-overlay lab is up \(\d+ ms\), relays 1 NB \+ 2 SB per zone, 2 interconnect zones, 2 hypervisors\.$/m);
  t.regex(out, /^OVN_Southbound:\n(.*\n){3}\s+relays \(2\): unix:\S+sb-relay1\.sock,unix:\S+sb-relay2\.sock$/m);
  t.regex(out, /^ {2}zone az1: NB unix:\S+ {2}SB unix:\S+ {2}hypervisors hv1$/m);
  t.regex(out, /^ {2}zone az2: NB unix:\S+ {2}SB unix:\S+ {2}hypervisors hv2$/m);
  t.regex(out, /^ {4}relays: NB unix:\S+ {2}SB unix:\S+,unix:\S+$/m);
  t.regex(out, /^ {2}OVN_IC_Northbound:$/m);
  t.regex(out, /az1, az2 {2}the interconnect zones/);
  t.regex(out, /k8s {2}pods: .* \(on az1: hv1\)/);
  // Each zone's hypervisor is bound through its zone's SB relays, and ovn-ic has registered both zones.
  const relaysOfZone = [...out.matchAll(/^ {4}relays: NB \S+ {2}SB (\S+)$/gm)].map((m) => m[1]);
  t.is(relaysOfZone.length, 2);
  t.regex(await p.type(`(await hv2.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-remote')).trim()`), new RegExp(relaysOfZone[1].replace(/[/.]/g, '\\$&')));
  const registered = await p.type(`await lab.interconnect.sbctl('--bare', '--columns=name', 'list', 'Availability_Zone')`);
  t.regex(registered, /az1/);
  t.regex(registered, /az2/);
  t.regex(await p.type(`await az2.sbctl('--bare', '--columns=name', 'list', 'Chassis')`), /hv2/);
  p.write('.exit\n');
  t.is(await p.exited, 0);
  t.regex(p.output, /lab stopped/);
});
