// The REPL on the replica: the lab's NB server is killed and restarted while the REPL is open; the REPL says so
// in one line each way and the next command works without the user doing anything (a read typed while the
// server is down waits for it). And ssl: remotes whose certificate does not name the host (--no-check-server-name).
import test from 'ava';
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

test('ssl: a certificate that does not name the host: refused, unless --no-check-server-name (the CA still checked)', async (t) => {
  const noCa = await runCli(['repl', '--db', lab.nb.unix, '--no-check-server-name']);
  t.is(noCa.code, 2);
  t.regex(noCa.stderr, /--no-check-server-name is for ssl: remotes: it needs --ca/);
  // A lab whose server certificate names another host: connecting to 127.0.0.1 fails the name check.
  const misnamed = await startLab({ tls: { serverAltNames: ['DNS:ovn-central.invalid'] }, northd: false });
  t.teardown(() => misnamed.stop());
  const remote = misnamed.nb.ssl!;
  const files = ['--ca', misnamed.tls!.caCert, '--cert', misnamed.tls!.clientCert, '--key', misnamed.tls!.clientKey];
  const byName = await runCli(['repl', '--db', remote, ...files]);
  t.is(byName.code, 1);
  t.regex(byName.stderr, /^ovn-overlay: cannot connect to ssl:\S+: .*altnames.*\n$/);
  const unchecked = await runCli(['repl', '--db', remote, ...files, '--no-check-server-name'], { input: '.dump NB_Global\n' });
  t.is(unchecked.code, 0, unchecked.stderr);
  t.regex(unchecked.stdout, /nb\s+OVN_Northbound at ssl:\S+:\d+/);
  t.regex(unchecked.stdout, /NB_Global: no rows/, 'connected and read (a lab without northd has no NB_Global row)');
  const otherCa = await runCli(['repl', '--db', remote, '--ca', misnamed.tls!.otherCaCert, '--cert', misnamed.tls!.otherClientCert, '--key', misnamed.tls!.otherClientKey, '--no-check-server-name']);
  t.is(otherCa.code, 1, 'the chain is still verified');
});
