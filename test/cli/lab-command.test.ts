import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isProcessAlive, runCommand } from '../../src/lab/process.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

test('`ovn-overlay lab` prints working remotes, stays up, and stops everything on Ctrl-C', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'lab'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('Press Ctrl-C')) { clearInterval(timer); resolve(); }
      if (child.exitCode !== null) { clearInterval(timer); reject(new Error(`lab exited early:\n${out}`)); }
    }, 20);
  });
  const dir = /lab directory: (\S+)/.exec(out)![1];
  const nbTcp = /OVN_Northbound:\n\s+unix: \S+\n\s+tcp:\s+(\S+)/.exec(out)![1];
  t.regex(await runCommand('ovsdb-client', ['list-dbs', nbTcp]), /OVN_Northbound/);
  // The printed hint lines are ready to paste.
  const hint = /^\s+(ovs-vsctl --db=\S+ show)$/m.exec(out)![1].split(' ');
  t.regex(await runCommand(hint[0], hint.slice(1)), /Bridge br-int/);
  const pids = (await runCommand('sh', ['-c', `cat ${dir}/*.pid`])).trim().split('\n').map(Number)
    .filter((pid) => pid !== child.pid);
  t.true(pids.length >= 4);

  child.kill('SIGINT');
  t.is(await exited, 0);
  t.regex(out, /lab stopped/);
  t.false(pids.some(isProcessAlive));
  t.false(existsSync(dir));
});
