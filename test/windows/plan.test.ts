// Unit: the Windows pod plan (src/ovs/windows-plan.ts) and the unix: -> pipe name rule, without Wine.
import test from 'ava';
import { OvsdbRemoteError } from '../../src/ovsdb/errors.js';
import { OvsError } from '../../src/ovs/errors.js';
import { windowsPipeName } from '../../src/ovsdb/remote.js';
import { windowsBindCommands } from '../../src/ovs/windows.js';
import { runWindowsPlan, windowsBindPlan, windowsUnbindPlan, WindowsPlanError, type WindowsPlanStep } from '../../src/ovs/windows-plan.js';

const pod = {
  namespace: 'default', pod: 'web-0', mac: '0a:58:0a:f4:01:05', ipAddresses: ['fd00::5/64', '10.244.1.5/24'], gateway: '10.244.1.1',
  hnsNetwork: 'ovn-transparent', containerId: 'c0ffee01', compartmentId: 3, mtu: 1400,
};

test('the bind plan is windowsBindCommands() typed, in order, one name throughout', (t) => {
  const plan = windowsBindPlan(pod);
  t.deepEqual(plan.steps.map((s) => s.command), windowsBindCommands(pod));
  t.deepEqual(plan.steps.map((s) => s.kind), ['hns-endpoint', 'hns-attach', 'hyperv-port-name', 'ovs-port', 'adapter-mtu']);
  const [endpoint, , , ovs] = plan.steps as [Extract<WindowsPlanStep, { kind: 'hns-endpoint' }>, unknown, unknown, Extract<WindowsPlanStep, { kind: 'ovs-port' }>];
  t.like(endpoint, { endpoint: 'default_web-0', ip: '10.244.1.5', prefixLength: 24, mac: '0A-58-0A-F4-01-05', gateway: '10.244.1.1' });
  t.like(ovs.binding, { platform: 'windows', sandbox: 'c0ffee01', bridge: 'br-int', mtu: 1400 });
  t.deepEqual(windowsUnbindPlan(pod).steps.map((s) => s.kind), ['ovs-del-port', 'hns-endpoint-delete']);
});

test('a failing step stops the plan and says which step, with what ran before it', async (t) => {
  const ran: string[] = [];
  const err = await t.throwsAsync(runWindowsPlan(windowsBindPlan(pod), async (step) => {
    if (step.kind === 'hyperv-port-name') throw new Error('no such VM network adapter');
    ran.push(step.kind);
    return { status: 'done' };
  }), { instanceOf: WindowsPlanError });
  t.is(err?.code, 'OVS_WINDOWS_STEP_FAILED');
  t.true(err instanceof OvsError);
  t.is((err?.cause as Error).message, 'no such VM network adapter');
  t.is(err?.step.kind, 'hyperv-port-name');
  t.deepEqual(err?.completed.map((c) => c.step.kind), ['hns-endpoint', 'hns-attach']);
  t.deepEqual(ran, ['hns-endpoint', 'hns-attach']);
});

test('unix: paths no OVS pipe can be named after are refused; an empty run dir counts as unset', (t) => {
  for (const path of ['C:/a<b', 'C:/a>b', 'C:/a"b', 'C:/a|b', 'C:/a?b', 'C:/a*b', 'C:/a\u0000b', 'C:/a\nb', `C:/${'z'.repeat(246)}`]) {
    t.throws(() => windowsPipeName(path), { instanceOf: OvsdbRemoteError }, JSON.stringify(path));
  }
  t.is(windowsPipeName('db.sock', 'C:/r'), '\\\\.\\pipe\\C:rdb.sock');
  t.is(windowsPipeName('x/db.sock', ''), windowsPipeName('x/db.sock'));
  t.is(windowsPipeName(`C:/${'z'.repeat(245)}`).length, 256);
});
