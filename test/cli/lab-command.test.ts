// `ovn-overlay lab` driven as a user would: piped (as CI and `npm run lab </dev/null` run it: the lab stays up
// after the end of input until a signal) and on a terminal (a pty from script(1): Tab completion, history, .exit).
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, runCommand } from '../../src/lab/process.js';
import { CliProcess, NODE_ARGS } from './helpers.js';

async function labPids(dir: string, exclude: number | undefined): Promise<number[]> {
  return (await runCommand('sh', ['-c', `cat ${dir}/*.pid`])).trim().split('\n').map(Number).filter((pid) => pid !== exclude);
}

test('piped: prints working remotes, runs typed lines, stays up after end of input, stops everything on Ctrl-C', async (t) => {
  const p = new CliProcess(['lab']);
  await p.waitFor(/Press Ctrl-C/, 60_000);
  const out = p.output;
  const dir = /lab directory: (\S+)/.exec(out)![1];
  const nbTcp = /OVN_Northbound:\n\s+unix: \S+\n\s+tcp:\s+(\S+)/.exec(out)![1];
  t.regex(await runCommand('ovsdb-client', ['list-dbs', nbTcp]), /OVN_Northbound/);
  const hint = /^\s+(ovs-vsctl --db=\S+ show)$/m.exec(out)![1].split(' ');
  t.regex(await runCommand(hint[0], hint.slice(1)), /Bridge br-int/);
  t.regex(out, /nb\s+OVN_Northbound at unix:/);
  await p.waitFor(/ovn> /);

  t.regex(await p.type('.show ovs'), /Bridge br-int\n\s+fail_mode: secure\n\s+datapath_type: dummy/);
  t.regex(await p.type(`await k8s.addNode('node1', '10.244.1.0/24')`), /node node1/);
  t.regex(await p.type(`(await k8s.addPod('default', 'web', 'node1')).ipAddresses[0]`), /'10\.244\.1\.\d+\/24'/);
  t.regex(await p.type('.show nb'), /switch [0-9a-f-]{36} \(node1\)\n(.*\n)*?\s+port default_web\n\s+addresses: \["0a:58:0a:f4:01:\w\w 10\.244\.1\.\d+"\]/);
  t.regex(await runCommand('ovn-nbctl', [`--db=${nbTcp}`, 'lsp-list', 'node1']), /default_web/);
  t.regex(await p.type('lab.dir'), new RegExp(dir.replace(/[/.]/g, '\\$&')));

  const pids = await labPids(dir, p.child.pid);
  t.true(pids.length >= 4);
  p.child.stdin.end();
  await p.waitFor(/End of input: the lab stays up until Ctrl-C/);
  await new Promise((r) => setTimeout(r, 500));
  t.is(p.child.exitCode, null);
  t.true(pids.every(isProcessAlive));

  p.child.kill('SIGINT');
  t.is(await p.exited, 0);
  t.regex(p.output, /lab stopped/);
  t.false(pids.some(isProcessAlive));
  t.false(existsSync(dir));
});

test('piped: .exit stops the lab at once', async (t) => {
  const p = new CliProcess(['lab']);
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
    const command = [process.execPath, ...NODE_ARGS, 'lab'].map((a) => `'${a}'`).join(' ');
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
