// The REPL on the replica: the lab's NB server is killed and restarted while the REPL is open; the REPL says so
// in one line each way and the next command works without the user doing anything (a read typed while the
// server is down waits for it). And ssl: remotes whose certificate does not name the host (--no-check-server-name).
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { startLab, type Lab } from '../../src/lab/index.js';
import { CliProcess, runCli } from './helpers.js';

let lab: Lab;
test.before(async () => {
  lab = await startLab({ tls: true, northd: false });
});
test.after.always(async () => {
  await lab?.stop();
});

test.serial('NB server killed and restarted under the REPL: a notice each way, and the next commands just work', async (t) => {
  const p = new CliProcess(['repl', '--db', `${lab.nb.unix},${lab.sb.unix}`]);
  await p.waitFor(/ovn> /);
  t.regex(await p.type(`await nb.insert('Logical_Switch', { name: 'before' })`), /'[0-9a-f-]{36}'/);

  const server = lab.nb.servers[0];
  await server.kill();
  const lost = await p.waitFor(/\(nb: connection to unix:\S+ lost[^\n]*; reconnecting\)\n/);
  t.notRegex(lost[0], /\n\s+at /, 'one line, no stack');
  // Typed while the server is down: it waits for the replica to reconnect instead of failing.
  const start = p.output.length;
  p.write(`(await nb.list('Logical_Switch')).map((r) => r.name).join(',')\n`);
  await new Promise((r) => setTimeout(r, 300));
  t.false(/'before'/.test(p.output.slice(start)), 'no answer while the server is down');
  await server.restart();
  await p.waitFor(/\(nb: reconnected to unix:\S+\)\n/);
  await p.waitFor(/'before'\n/);
  await p.waitFor(/ovn> /);

  // Writes go through the new connection and are in the replica when they resolve; ovn-nbctl sees them.
  t.regex(await p.type(`await nb.insert('Logical_Switch', { name: 'after' })`), /'[0-9a-f-]{36}'/);
  t.regex(await p.type(`(await nb.select('Logical_Switch', [['name', '!=', 'before']], ['name']))[0].name`), /'after'/);
  t.regex(await lab.nbctl('ls-list'), /\(after\)/);
  t.regex(await p.type('.show nb'), /\(after\)[\s\S]*|\(before\)/);
  // sb was never disconnected
  t.notRegex(p.output, /\(sb: /);
  p.write('.exit\n');
  t.is(await p.exited, 0);
});

/** A name for 127.0.0.1 that the lab's server certificate (IP:127.0.0.1, DNS:localhost) does not carry. */
async function otherNameOfLoopback(): Promise<string | undefined> {
  const hosts = await readFile('/etc/hosts', 'utf8').catch(() => '');
  for (const line of hosts.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (address !== '127.0.0.1') continue;
    const name = names.find((n) => !/^localhost(\.|$)/i.test(n) && /^[a-z0-9.-]+$/i.test(n));
    if (name) return name;
  }
  return undefined;
}

test('ssl: a certificate that does not name the host: refused, unless --no-check-server-name (the CA still checked)', async (t) => {
  const tls = lab.tls!;
  const noCa = await runCli(['repl', '--db', lab.nb.unix, '--no-check-server-name']);
  t.is(noCa.code, 2);
  t.regex(noCa.stderr, /--no-check-server-name is for ssl: remotes: it needs --ca/);
  const host = await otherNameOfLoopback();
  if (!host) { t.log('no other name of 127.0.0.1 in /etc/hosts: the name check itself is not exercised'); return; }
  const port = /:(\d+)$/.exec(lab.nb.ssl!)![1];
  const remote = `ssl:${host}:${port}`;
  const files = ['--ca', tls.caCert, '--cert', tls.clientCert, '--key', tls.clientKey];
  const byName = await runCli(['repl', '--db', remote, ...files]);
  t.is(byName.code, 1);
  t.regex(byName.stderr, /^ovn-overlay: cannot connect to ssl:\S+: .*altnames.*\n$/);
  const unchecked = await runCli(['repl', '--db', remote, ...files, '--no-check-server-name'], { input: '.dump NB_Global\n' });
  t.is(unchecked.code, 0, unchecked.stderr);
  t.regex(unchecked.stdout, /nb\s+OVN_Northbound at ssl:\S+:\d+/);
  t.regex(unchecked.stdout, /\(1 row\)/);
  const otherCa = await runCli(['repl', '--db', remote, '--ca', tls.otherCaCert, '--cert', tls.otherClientCert, '--key', tls.otherClientKey, '--no-check-server-name']);
  t.is(otherCa.code, 1, 'the chain is still verified');
});
