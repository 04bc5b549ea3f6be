// `ovn-overlay repl` against a real lab, typed into as a user would (piped stdin: the REPL runs one line at a
// time, in order), plus the REPL's completion driven in-process through its `complete` function.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { startLab, type Lab } from '../../src/lab/index.js';
import { connectDatabases, type Databases } from '../../src/cli/connect.js';
import { startRepl } from '../../src/cli/repl.js';
import { insert } from '../../src/ovsdb/operations.js';
import { CliProcess, runCli } from './helpers.js';

let lab: Lab;
test.before(async () => {
  lab = await startLab({ tls: true });
});
test.after.always(async () => {
  await lab?.stop();
});

async function openRepl(extra: readonly string[] = []): Promise<CliProcess> {
  const p = new CliProcess(['repl', '--db', `${lab.nb.tcp},${lab.sb.tcp},${lab.ovs.unix}`, ...extra]);
  await p.waitFor(/ovn> /);
  return p;
}

/** `.exit`; the REPL reads a pipe, so it exits as a script does: 1 when a command typed into it failed. */
async function closeRepl(t: { is: (a: unknown, b: unknown) => void }, p: CliProcess, code = 0): Promise<void> {
  p.write('.exit\n');
  t.is(await p.exited, code);
}

test('.tables lists every connected database with row counts', async (t) => {
  const p = await openRepl();
  t.regex(p.output, /nb\s+OVN_Northbound at tcp:127\.0\.0\.1:\d+/);
  t.regex(p.output, /ovs\s+Open_vSwitch at unix:/);
  const out = await p.type('.tables');
  t.regex(out, /OVN_Northbound \(nb\) at tcp:/);
  t.regex(out, /OVN_Southbound \(sb\) at tcp:/);
  t.regex(out, /Open_vSwitch \(ovs\) at unix:/);
  t.regex(out, /NB_Global\(1\)/);
  t.regex(out, /Logical_Switch_Port\(\d+\)/);
  t.regex(out, /Open_vSwitch\(1\)/);
  await closeRepl(t, p);
});

test('.show lists a switch and its port created with the real ovn-nbctl; .dump prints the table', async (t) => {
  await lab.nbctl('ls-add', 'show-sw');
  await lab.nbctl('lsp-add', 'show-sw', 'default_pod-x', '--', 'lsp-set-addresses', 'default_pod-x', '0a:58:0a:f4:00:09 10.244.0.9');
  const p = await openRepl();
  const show = await p.type('.show nb');
  t.regex(show, /^switch [0-9a-f-]{36} \(show-sw\)\n {4}port default_pod-x\n {8}addresses: \["0a:58:0a:f4:00:09 10\.244\.0\.9"\]/m);
  // ovn-northd bound a datapath for it in SB: .show sb lists it with its tunnel key and port
  await lab.nbctl('--wait=sb', 'sync');
  t.regex(await p.type('.show sb'), /^ {4}\d+ show-sw: ports \d+=default_pod-x/m);
  t.regex(await p.type('.show ovs'), /Bridge br-int|^[0-9a-f-]{36}$/m);

  const dump = await p.type('.dump Logical_Switch');
  const lines = dump.trim().split('\n');
  t.regex(lines[0], /^_uuid\s+name\s+acls\s+.*other_config\s+ports/);
  t.regex(lines[1], /^-{36} {2}-+/);
  t.true(lines.some((l) => /^[0-9a-f-]{36}\s+show-sw\s+\[\]/.test(l)));
  t.regex(dump, /\(\d+ rows?\)\s*$/);
  t.regex(await p.type('.dump nb Connection'), /Connection: no rows/);
  t.regex(await p.type('.dump Connection'), /Error: "Connection" is in OVN_Northbound and OVN_Southbound: say which/);
  t.regex(await p.type('.dump No_Such_Table'), /Error: no table "No_Such_Table"/);
  await closeRepl(t, p, 1);
  t.regex(p.output, /ovn-overlay: 2 commands of the script failed\n$/);
});

test('a transaction typed at the prompt (top-level await) is seen by ovn-nbctl; rows print as tables with readable values', async (t) => {
  const p = await openRepl();
  const out = await p.type(`await nb.transact(insert('Logical_Switch', { name: 'typed-sw', other_config: new Map([['subnet', '10.9.0.0/24']]), external_ids: { owner: 'repl' } }, { uuidName: 'ls' }), comment('from the REPL test'))`);
  t.regex(out, /uuid\s*\n-+\s*\n[0-9a-f-]{36}/);
  t.regex(await lab.nbctl('--bare', '--columns=other_config', 'find', 'Logical_Switch', 'name=typed-sw'), /subnet=.?10\.9\.0\.0\/24/);
  const rows = await p.type(`await nb.select('Logical_Switch', { name: 'typed-sw' }, ['name', 'other_config', 'external_ids'])`);
  t.regex(rows, /name\s+external_ids\s+other_config\s*\n-+\s+-+\s+-+\s*\ntyped-sw\s+\{owner=repl\}\s+\{subnet="?10\.9\.0\.0\/24"?\}\s*\n\(1 row\)/);
  // bigint values print as plain digits, one row prints vertically
  const record = await p.type(`await sb.get('SB_Global', (await sb.list('SB_Global'))[0]._uuid)`);
  t.regex(record, /^nb_cfg\s+: \d+$/m);
  t.regex(await p.type('typeof (await nb.list("NB_Global"))[0].nb_cfg'), /'bigint'/);
  // ovn-nbctl's changes are visible to the next read
  await lab.nbctl('ls-add', 'typed-sw2');
  t.regex(await p.type(`(await nb.list('Logical_Switch')).map((r) => r.name).sort().join(' ')`), /typed-sw typed-sw2/);
  await closeRepl(t, p);
});

test('errors are one line and never end the session', async (t) => {
  const p = await openRepl();
  const bad = await p.type(`await nb.insert('Logical_Switch', { nmae: 'x' })`);
  t.regex(bad, /^Uncaught OvsdbValidationError: Logical_Switch\.nmae: table Logical_Switch has no column "nmae"/m);
  t.is(bad.trim().split('\n').length, 1);
  const refused = await p.type(`await nb.transact(insert('Address_Set', { name: 'dup' }), insert('Address_Set', { name: 'dup' }))`);
  t.regex(refused, /^Uncaught OvsdbConstraintViolationError: .*dup/m);
  t.regex(await p.type('throw new Error("plain")'), /^Uncaught plain|^Uncaught Error: plain/m);
  t.regex(await p.type('this is not javascript'), /SyntaxError/);
  // A rejection nobody awaits is reported a moment later, one line and a prompt of its own: wait for both, so
  // the next command's output is not taken for this prompt's.
  await p.type(`void Promise.reject(new Error('nobody awaits me'))`);
  await p.waitFor(/^Uncaught nobody awaits me\novn> /m);
  t.regex(await p.type(`nb.list('Nope').catch(() => 'caught')`), /^'caught'$/m);
  // still alive and connected
  t.regex(await p.type('(await nb.list("NB_Global")).length'), /^1$/m);
  t.is(p.child.exitCode, null);
  await closeRepl(t, p, 1);
});

test('piped input ends the REPL at end of input, in order, with exit code 0', async (t) => {
  const r = await runCli(['repl', '--db', lab.nb.unix], {
    input: `await new Promise((r) => setTimeout(r, 300)); 'first'\n'second'\n.show nb\n`,
  });
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.indexOf('first') < r.stdout.indexOf('second'));
  t.regex(r.stdout, /switch [0-9a-f-]{36} \(show-sw\)/);
});

test('a piped script: promises without await print their results, the last line finishes before the REPL closes', async (t) => {
  await lab.nbctl('ls-add', 'piped-sw');
  // The reproduction: no await, last line of the script, the database closed right after.
  const r = await runCli(['repl', '--db', lab.nb.unix], { input: `nb.list('Logical_Switch', ['name'])\n` });
  t.is(r.code, 0, r.stderr);
  t.notRegex(r.stdout, /Promise|pending|Uncaught/);
  t.regex(r.stdout, /^ovn> name\s*\n-+\s*\n/m);
  t.regex(r.stdout, /^piped-sw\s*$/m);
  t.regex(r.stdout, /\(\d+ rows?\)/);
  t.notRegex(r.stdout, /_uuid/, 'only the columns asked for');
  // a write without await resolves (with the new row's UUID) before the next line reads
  const w = await runCli(['repl', '--db', lab.nb.unix], { input: `nb.insert('Logical_Switch', { name: 'piped-sw2' })\nnb.get('Logical_Switch', 'piped-sw2').then((r) => r.name)\n` });
  t.is(w.code, 0, w.stderr);
  t.regex(w.stdout, /^ovn> '?[0-9a-f]{8}-[0-9a-f-]{27}'?$/m);
  t.regex(w.stdout, /^ovn> 'piped-sw2'$/m);
});

test('a piped script with a failed command exits 1 after running every line; a rejection prints one line', async (t) => {
  const r = await runCli(['repl', '--db', lab.nb.unix], {
    input: `nb.list('Logical_Swich')\nPromise.reject(new Error('refused here'))\n.dump Nope\n'last line ran'\n`,
  });
  t.is(r.code, 1);
  t.is(r.stderr, 'ovn-overlay: 3 commands of the script failed\n');
  t.regex(r.stdout, /^ovn> Uncaught OVN_Northbound has no table "Logical_Swich"; did you mean "Logical_Switch"\?$/m);
  t.regex(r.stdout, /^ovn> Uncaught refused here$/m);
  t.is(r.stdout.match(/Uncaught/g)?.length, 2, 'one line per failure, no second "Uncaught"');
  t.notRegex(r.stdout, /\n\s+at /, 'no stack');
  t.regex(r.stdout, /'last line ran'/);
  const ok = await runCli(['repl', '--db', lab.nb.unix], { input: `nb.list('NB_Global', ['nb_cfg'])\n.exit\n` });
  t.is(ok.code, 0, ok.stderr);
});

test('typos get a "did you mean": members, names, tables, columns, databases', async (t) => {
  const p = await openRepl();
  t.regex(await p.type(`nb.lsit('Logical_Switch')`), /^Uncaught TypeError: nb\.lsit is not a function; did you mean nb\.list\?$/m);
  t.regex(await p.type(`nbb.list('Logical_Switch')`), /^Uncaught ReferenceError: nbb is not defined; did you mean nb\?$/m);
  t.regex(await p.type(`await nb.select('Logical_Switch', {}, ['nmae'])`), /^Uncaught Logical_Switch has no column "nmae"; did you mean "name"\?$/m);
  t.regex(await p.type(`nb.insert('Logical_Switch', { nmae: 'x' })`), /^Uncaught OvsdbValidationError: .*has no column "nmae".*; did you mean "name"\?$/m);
  t.regex(await p.type('.dump nb Logical_Swtich'), /^Error: no table "Logical_Swtich" in OVN_Northbound; did you mean "Logical_Switch"\?$/m);
  t.regex(await p.type('.show bn'), /did you mean "nb"\?/);
  await closeRepl(t, p, 1);
});

test('.show nb prints the port lines ovn-nbctl show prints (no lone "router" address)', async (t) => {
  // (router-port names a port that need not exist: no router here, the other tests count the lab's routers)
  await lab.nbctl('ls-add', 'cmp-sw');
  await lab.nbctl('lsp-add', 'cmp-sw', 'cmp-stor', '--', 'lsp-set-type', 'cmp-stor', 'router', '--', 'lsp-set-addresses', 'cmp-stor', 'router',
    '--', 'lsp-set-options', 'cmp-stor', 'router-port=cmp-rp');
  await lab.nbctl('lsp-add', 'cmp-sw', 'cmp-mac', '--', 'lsp-set-type', 'cmp-mac', 'router', '--', 'lsp-set-addresses', 'cmp-mac', '0a:58:0a:f5:00:02',
    '--', 'lsp-set-options', 'cmp-mac', 'router-port=cmp-rp');
  await lab.nbctl('lsp-add', 'cmp-sw', 'cmp-vif', '--', 'lsp-set-addresses', 'cmp-vif', '0a:58:0a:f5:00:03 10.245.0.3');
  await lab.nbctl('lsp-add', 'cmp-sw', 'cmp-child', 'cmp-vif', '7');
  // The switch's ports, each with its lines (ovn-nbctl lists them in set order, .show by name).
  const portBlocks = (text: string) => {
    const section = /^(?:ovn> )?switch \S+ \(cmp-sw\)\n((?: {4}.*\n)*)/m.exec(text)?.[1] ?? '';
    return Object.fromEntries([...section.matchAll(/^ {4}port (\S+)\n((?: {8}.*\n)*)/gm)].map((m) => [m[1], m[2]]).sort());
  };
  const theirs = portBlocks(await lab.nbctl('show', 'cmp-sw'));
  const r = await runCli(['repl', '--db', lab.nb.unix], { input: '.show nb\n' });
  const ours = portBlocks(r.stdout);
  t.is(Object.keys(theirs).length, 4);
  t.deepEqual(ours, theirs);
  t.notRegex(theirs['cmp-stor'], /addresses/);
});

test('nb.<Tab> offers the handle\'s members, not Object.prototype\'s', async (t) => {
  const dbs = await connectDatabases(lab.nb.unix);
  try {
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    const session = startRepl({ databases: dbs.byName, input, output, terminal: true, historyFile: false });
    const [names] = await session.complete('nb.');
    for (const member of ['nb.list', 'nb.select', 'nb.transact', 'nb.db', 'nb.toString']) t.true(names.includes(member), member);
    for (const member of ['nb.__proto__', 'nb.__defineGetter__', 'nb.hasOwnProperty', 'nb.isPrototypeOf', 'nb.valueOf']) t.false(names.includes(member), member);
    t.deepEqual((await session.complete('nb.__'))[0], []);
    t.true((await session.complete('Object.'))[0].includes('Object.keys'), 'other completion untouched');
    session.server.close();
  } finally {
    await dbs.close();
  }
});

test('ssl: remotes with --ca/--cert/--key', async (t) => {
  const tls = lab.tls!;
  const r = await runCli(['repl', '--db', lab.nb.ssl!, '--ca', tls.caCert, '--cert', tls.clientCert, '--key', tls.clientKey], { input: '.dump NB_Global\n' });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /nb\s+OVN_Northbound at ssl:127\.0\.0\.1/);
  t.regex(r.stdout, /\(1 row\)/);
  const untrusted = await runCli(['repl', '--db', lab.nb.ssl!, '--ca', tls.otherCaCert, '--cert', tls.otherClientCert, '--key', tls.otherClientKey]);
  t.is(untrusted.code, 1);
  t.regex(untrusted.stderr, /^ovn-overlay: cannot connect to ssl:127\.0\.0\.1:\d+: .+\n$/);
});

test('bad remote, unreachable server and missing --db: one line, non-zero exit', async (t) => {
  const bad = await runCli(['repl', '--db', 'tcp:127.0.0.1']);
  t.is(bad.code, 1);
  const unreachable = await runCli(['repl', '--db', 'tcp:127.0.0.1:1']);
  t.is(unreachable.code, 1);
  t.is(unreachable.stderr, 'ovn-overlay: cannot connect to tcp:127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n');
  const syntax = await runCli(['repl', '--db', 'http://x']);
  t.is(syntax.code, 1);
  t.regex(syntax.stderr, /^ovn-overlay: invalid OVSDB remote "http:\/\/x": unknown connection method "http:"\n$/);
  const missing = await runCli(['repl'], { env: { OVN_OVERLAY_DB: '' } });
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^ovn-overlay: repl: --db .* is required/);
  const debug = await runCli(['repl', '--db', 'tcp:127.0.0.1:1', '--debug']);
  t.regex(debug.stderr, /\n\s+at /);
  // one unreachable remote among working ones is a warning
  const partial = await runCli(['repl', '--db', `tcp:127.0.0.1:1,${lab.nb.unix}`], { input: '' });
  t.is(partial.code, 0);
  t.regex(partial.stderr, /warning: cannot connect to tcp:127\.0\.0\.1:1/);
});

test('tab completion: tables, columns, dot-command arguments and handle methods', async (t) => {
  let dbs: Databases | undefined;
  try {
    dbs = await connectDatabases(`${lab.nb.unix},${lab.sb.unix},${lab.ovs.unix}`);
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    const session = startRepl({ databases: dbs.byName, input, output, terminal: true, historyFile: false });
    t.deepEqual(await session.complete(`nb.select('Logical_Switch_P`), [['Logical_Switch_Port'], 'Logical_Switch_P']);
    t.deepEqual((await session.complete(`nb.list("Logical_R`))[0], ['Logical_Router', 'Logical_Router_Policy', 'Logical_Router_Port', 'Logical_Router_Static_Route']);
    t.deepEqual((await session.complete(`sb.select('Port_B`))[0], ['Port_Binding']);
    t.deepEqual((await session.complete(`ovs.list('Br`))[0], ['Bridge']);
    t.deepEqual((await session.complete(`insert('Logical_Switch', { na`))[0], ['name']);
    t.deepEqual((await session.complete(`nb.select('ACL', [['pri`))[0], ['priority']);
    t.deepEqual((await session.complete(`nb.update('Logical_Switch_Port', { name: 'p' }, { addr`))[0], ['addresses']);
    t.deepEqual(await session.complete('.dump Datapath_B'), [['Datapath_Binding'], 'Datapath_B']);
    t.deepEqual((await session.complete('.dump ovs Int'))[0], ['Interface']);
    t.deepEqual((await session.complete('.show '))[0], ['nb', 'ovs', 'sb']);
    const methods = (await session.complete('nb.tr'))[0];
    t.true(methods.includes('nb.transact'), methods.join(' '));
    t.true((await session.complete('nb.'))[0].includes('nb.select'));
    t.true((await session.complete('ins'))[0].includes('insert'));
    // the same completion answers a Tab typed on the terminal
    let shown = '';
    output.on('data', (c: Buffer) => { shown += c.toString(); });
    input.write(`nb.select('Logical_Switch_P\t`);
    await new Promise((r) => setTimeout(r, 200));
    t.regex(shown, /Logical_Switch_Port/);
    session.server.close();
  } finally {
    await dbs?.close();
  }
});

test('select on the replica: RFC 7047 conditions (==, !=, includes/excludes on maps and sets, < on integers, optional columns)', async (t) => {
  const dbs = await connectDatabases(lab.nb.unix);
  try {
    const nb = dbs.byName.get('OVN_Northbound')!;
    await nb.transact(
      insert('Logical_Switch', { name: 'w1', external_ids: new Map([['k', 'a'], ['z', '1']]) }),
      insert('Logical_Switch', { name: 'w2', external_ids: new Map([['k', 'b']]) }),
      insert('Logical_Router', { name: 'r-on', enabled: true }),
      insert('Logical_Router', { name: 'r-default' }),
    );
    const names = async (table: string, where: Parameters<typeof nb.select>[1]) => (await nb.select(table, where)).map((r) => r.name ?? r.priority).sort();
    t.deepEqual(await names('Logical_Switch', [['external_ids', 'includes', new Map([['k', 'a']])]]), ['w1']);
    t.deepEqual(await names('Logical_Switch', [['external_ids', 'excludes', new Map([['k', 'a']])], ['name', '!=', 'show-sw'], ['name', 'includes', 'w2']]), ['w2']);
    t.deepEqual(await names('Logical_Switch', [['external_ids', '==', new Map([['k', 'b']])]]), ['w2']);
    const cfg = (await nb.list('NB_Global'))[0].nb_cfg as bigint;
    t.is((await nb.select('NB_Global', [['nb_cfg', '<', cfg + 1n]])).length, 1);
    t.is((await nb.select('NB_Global', [['nb_cfg', '>', cfg]])).length, 0);
    t.deepEqual(await nb.select('NB_Global', [['nb_cfg', '>=', Number(cfg)]], ['nb_cfg']), [{ nb_cfg: cfg }]);
    t.deepEqual(await names('Logical_Router', [['enabled', '==', true]]), ['r-on']);
    t.deepEqual(await names('Logical_Router', [['enabled', '==', []], ['name', '!=', 'ovn_cluster_router']]), ['r-default'], 'an empty optional equals the empty set');
    await t.throwsAsync(nb.select('Logical_Router', [['enabled', '<', 1]]), { name: 'OvsdbValidationError' }, 'refused as the server would');
    // a write by someone else is in the next read
    await lab.nbctl('ls-add', 'w3');
    t.true((await nb.list('Logical_Switch')).some((r) => r.name === 'w3'));
  } finally {
    await dbs.close();
  }
});
