// Relays in the lab: ovsdb-server relays (`relay:<db>:<remotes>`) in front of NB and SB, the hypervisors'
// ovn-controllers bound through the SB relays, relay kill/restart, and relays pointed at a wrong source.
import test from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { LabRelayError, startLab } from '../../src/lab/index.js';
import { isProcessAlive, runCommand, waitFor } from '../../src/lab/process.js';

test('relays in front of a clustered NB and SB: hypervisors bind pods through the SB relays', async (t) => {
  const lab = await startLab({ clustered: true, relays: { nb: 1, sb: 2 }, hypervisors: 2 });
  t.teardown(() => lab.stop());
  const nbRelays = lab.nb.relays!;
  const sbRelays = lab.sb.relays!;
  t.is(nbRelays.servers.length, 1);
  t.is(sbRelays.servers.length, 2);
  for (const relay of [...nbRelays.servers, ...sbRelays.servers]) {
    t.is(relay.model, 'relay');
    t.is(relay.source, relay.database === 'OVN_Northbound' ? lab.nb.unix : lab.sb.unix, 'every member is a source');
    const model = await runCommand('ovsdb-client', ['--no-headings', 'dump', relay.tcp, '_Server', 'Database', 'name', 'model']);
    t.regex(model, new RegExp(`relay\\s+${relay.database}`), 'the relay says so in _Server');
  }
  t.deepEqual(lab.sb.servers.map((s) => s.model), ['clustered', 'clustered', 'clustered']);

  // Every hypervisor's ovn-remote is the list of SB relays, and nothing else.
  for (const hv of lab.hypervisors) {
    t.is((await hv.vsctl('get', 'Open_vSwitch', '.', 'external_ids:ovn-remote')).trim(), `"${sbRelays.unix}"`);
  }
  // A write through the NB relay is forwarded to the cluster; the pods' ports come up through the SB relays
  // (ovn-controller's Port_Binding and Chassis writes are forwarded too).
  await runCommand('ovn-nbctl', [`--db=${nbRelays.unix}`, '--no-leader-only', '--timeout=20', 'ls-add', 'sw0',
    '--', 'lsp-add', 'sw0', 'lp1', '--', 'lsp-set-addresses', 'lp1', '50:54:00:00:00:01 10.0.0.1',
    '--', 'lsp-add', 'sw0', 'lp2', '--', 'lsp-set-addresses', 'lp2', '50:54:00:00:00:02 10.0.0.2']);
  await lab.hypervisors[0].addVif('vif-lp1', { ifaceId: 'lp1', mac: '50:54:00:00:00:01' });
  await lab.hypervisors[1].addVif('vif-lp2', { ifaceId: 'lp2', mac: '50:54:00:00:00:02' });
  for (const port of ['lp1', 'lp2']) await lab.nbctl('wait-until', 'Logical_Switch_Port', port, 'up=true');

  // With both SB relays down the controllers lose SB while SB itself runs; restarted, they reconnect.
  const hv = lab.hypervisors[0];
  const oldPids = sbRelays.servers.map((r) => r.pid);
  await Promise.all(sbRelays.servers.map((r) => r.kill()));
  t.false(oldPids.some(isProcessAlive));
  await waitFor('hv1 to notice', async () => /^not connected/.test(await hv.controllerAppctl('connection-status')) || undefined);
  t.regex(await lab.sbctl('--bare', '--columns=name', 'list', 'Chassis'), /hv1/, 'SB itself still serves');
  await Promise.all(sbRelays.servers.map((r) => r.restart()));
  t.true(sbRelays.servers.every((r) => r.running));
  t.notDeepEqual(sbRelays.servers.map((r) => r.pid), oldPids);
  await waitFor('hv1 to reconnect', async () => /^connected/.test(await hv.controllerAppctl('connection-status')) || undefined);
  // And what was written meanwhile reaches the controllers through the restarted relays.
  await lab.nbctl('lsp-add', 'sw0', 'lp3', '--', 'lsp-set-addresses', 'lp3', '50:54:00:00:00:03 10.0.0.3');
  await lab.hypervisors[1].addVif('vif-lp3', { ifaceId: 'lp3', mac: '50:54:00:00:00:03' });
  await lab.nbctl('wait-until', 'Logical_Switch_Port', 'lp3', 'up=true');
  t.pass();
});

test('a relay pointed at a wrong source fails startLab with one LabRelayError, and nothing is left running', async (t) => {
  const target = await startLab({ northd: false });
  t.teardown(() => target.stop());
  // A base of the test's own, so it can see that the failed labs left no directory behind.
  const baseDir = mkdtempSync('/tmp/relayfail-');
  t.teardown(() => rmSync(baseDir, { recursive: true, force: true }));
  const cases = [
    // An SB relay in front of a server that has no OVN_Southbound.
    { source: target.nb.unix, reason: /server does not have OVN_Southbound database/ },
    // Nothing listens there.
    { source: 'tcp:127.0.0.1:1', reason: /connection attempt failed \(Connection refused\)/ },
  ];
  for (const { source, reason } of cases) {
    const started = performance.now();
    const error = await t.throwsAsync(startLab({ northd: false, baseDir, relays: { sb: { count: 2, source } } }), { instanceOf: LabRelayError });
    t.log(`${source}: refused after ${Math.round(performance.now() - started)} ms: ${error?.message}`);
    t.is(error?.code, 'LAB_RELAY_SOURCE');
    t.regex(error?.message ?? '', reason);
    t.is(error?.target, `relay:OVN_Southbound:${source}`);
    t.regex(error?.relay ?? '', /^sb-relay[12]$/);
    t.deepEqual(readdirSync(baseDir), [], 'the failed lab ended its servers and removed its directory');
  }
  t.true(target.nb.servers[0].running, 'the other lab is untouched');
});

test('relay options are refused before anything starts', async (t) => {
  await t.throwsAsync(startLab({ relays: { sb: -1 } }), { instanceOf: RangeError, message: /relays\.sb/ });
  await t.throwsAsync(startLab({ relays: { nb: 1.5 } }), { instanceOf: RangeError, message: /relays\.nb/ });
  await t.throwsAsync(startLab({ relays: { sb: { count: 1, source: 'localhost:6642' } } }), { instanceOf: RangeError, message: /tcp:, ssl: or unix:/ });
});
