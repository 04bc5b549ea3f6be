// Relays killed (SIGKILL) while they serve: the replica (over the NB relays, writing every ~10 ms) and the real
// ovn-controllers of two hypervisors (over the SB relays) move to the other relay, keep working while the killed
// one is down, and move back once it is up again and the other is killed. Nothing is lost or written twice: every
// transaction the replica was told committed is in NB exactly once (outcome-unknown ones are never resent), the
// replica resumes on the other relay (relays carry the cluster's transaction ids, so the other relay's history
// has the replica's last one: 0 resyncs), and SB keeps one Chassis, one Encap and one Chassis_Private per
// hypervisor with every pod bound to its own chassis.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLab, type LabHypervisor, type LabServer } from '../../src/lab/index.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { dumpTable, MarkerWriter, markerCounts, replicaTable, tableDiff, waitUntil } from './helpers.js';

const DATABASE = 'OVN_Northbound';
const COLUMNS = ['name', 'external_ids'] as const;

/** The SB relay a hypervisor's ovn-controller is connected to now, from its log ("<remote>: connected"). */
async function controllerRelay(hv: LabHypervisor, relays: readonly LabServer[]): Promise<LabServer | undefined> {
  const log = await readFile(join(hv.dir, 'ovn-controller.log'), 'utf8');
  const remotes = [...log.matchAll(/\|reconnect\|INFO\|(unix:\S+): (connected|connection dropped|connection closed by peer)/g)];
  const last = remotes.at(-1);
  if (!last || last[2] !== 'connected') return undefined;
  return relays.find((r) => r.unix === last[1]);
}

async function controllerConnected(hv: LabHypervisor): Promise<boolean> {
  return /^connected/.test(await hv.controllerAppctl('connection-status'));
}

test('relays SIGKILLed under the replica and the ovn-controllers: they move to the other relay and back; nothing lost, nothing twice', async (t) => {
  t.timeout(120_000);
  const lab = await startLab({ clustered: true, relays: { nb: 2, sb: 2 }, hypervisors: 2 });
  t.teardown(() => lab.stop());
  const nbRelays = lab.nb.relays!.servers;
  const sbRelays = lab.sb.relays!.servers;
  const [hv1, hv2] = lab.hypervisors;

  const db = OvsdbDatabase.connect<NorthboundTables>({
    remotes: lab.nb.relays!.tcp, database: DATABASE, leaderOnly: false, backoff: { initialMs: 20, maxMs: 200 },
    tables: { Logical_Switch: { columns: COLUMNS, indexes: { marker: { column: 'external_ids', key: 'marker' } } } },
  });
  t.teardown(() => db.close());
  await db.synced;
  const writer = new MarkerWriter(db, 'kill-w', 10);
  writer.start();
  const commitsAfter = async (what: string, n = 5): Promise<void> => {
    const before = writer.committed.size;
    await waitUntil(`${n} commits ${what}`, () => writer.committed.size >= before + n, 30_000);
  };

  let port = 0;
  /** A pod's port on `hv`, bound through whichever SB relay its controller uses; resolves once NB says up. */
  const podUp = async (hv: LabHypervisor): Promise<string> => {
    const n = ++port;
    const lsp = `lp${n}`;
    const mac = `50:54:00:00:00:${n.toString(16).padStart(2, '0')}`;
    await lab.nbctl('lsp-add', 'sw0', lsp, '--', 'lsp-set-addresses', lsp, `${mac} 10.0.0.${n}`);
    await hv.addVif(`vif-${lsp}`, { ifaceId: lsp, mac });
    await lab.nbctl('--timeout=30', 'wait-until', 'Logical_Switch_Port', lsp, 'up=true');
    return lsp;
  };

  const figures: Record<string, unknown> = {};
  const bound = new Map<string, string>();
  try {
    await lab.nbctl('ls-add', 'sw0');
    bound.set(await podUp(hv1), hv1.name);
    bound.set(await podUp(hv2), hv2.name);
    await commitsAfter('before the kill');

    // Twice: kill the NB relay the replica is on and the SB relay hv1's controller is on; both move to the other
    // relay and work there; then the killed ones start again (the second round moves everyone back to them).
    for (const round of [1, 2]) {
      const nbKilled = nbRelays.find((r) => r.tcp === db.remote)!;
      const sbKilled = (await controllerRelay(hv1, sbRelays))!;
      t.truthy(sbKilled, 'hv1 is connected to an SB relay');
      const { resumes, resyncs, connects } = db.stats;
      const killedAt = performance.now();
      await Promise.all([nbKilled.kill(), sbKilled.kill()]);
      await waitUntil('the replica on the other NB relay', () => db.state === 'connected' && db.stats.connects > connects, 30_000);
      t.not(db.remote, nbKilled.tcp);
      await commitsAfter('on the other NB relay');
      const movedAt = writer.firstCommitSentAfter(killedAt)! - killedAt;
      await waitUntil('hv1 on the other SB relay', async () => (await controllerConnected(hv1)) && (await controllerRelay(hv1, sbRelays)) !== undefined
        && (await controllerRelay(hv1, sbRelays)) !== sbKilled, 30_000);
      const controllerMovedAt = performance.now() - killedAt;
      // Work while the killed relays are down: a pod on each hypervisor comes up through the surviving SB relay.
      bound.set(await podUp(hv1), hv1.name);
      bound.set(await podUp(hv2), hv2.name);
      figures[`round${round}`] = {
        replicaFirstCommitMs: Math.round(movedAt), controllerMovedMs: Math.round(controllerMovedAt),
        resumes: db.stats.resumes - resumes, resyncs: db.stats.resyncs - resyncs,
      };
      // At least one resume: under load it may take more than one connection to settle (a relay just restarted
      // in the previous round still catching up), but every one of them must resume, never resync.
      t.true(db.stats.resumes >= resumes + 1, `round ${round}: the replica resumed on the other relay`);
      t.is(db.stats.resyncs, resyncs, `round ${round}: no resync`);
      await Promise.all([nbKilled.restart(), sbKilled.restart()]);
      if (round === 1) {
        // The survivors are killed next round: the replica and hv1 must come back to the restarted relays.
        await commitsAfter('with both NB relays up');
      }
    }
  } finally {
    await writer.stop();
  }
  for (const hv of lab.hypervisors) await waitUntil(`${hv.name} connected`, () => controllerConnected(hv), 30_000);

  // Nothing lost, nothing twice: NB against the ledger, the replica against the dump.
  const counts = await markerCounts((await lab.nb.leader()).unix, db.schema!);
  t.deepEqual([...writer.committed].filter((n) => (counts.get(n) ?? 0) !== 1), [], 'every commit in NB exactly once');
  t.deepEqual([...counts].filter(([, c]) => c > 1).map(([n]) => n), [], 'nothing written twice');
  t.is(writer.failed, 0, `every transaction committed or was reported outcome-unknown: ${writer.failures.slice(0, 3).join('; ')}`);
  t.deepEqual(tableDiff(replicaTable(db, 'Logical_Switch', COLUMNS), await dumpTable((await lab.nb.leader()).unix, db.schema!, 'Logical_Switch', COLUMNS)), []);
  // SB: one Chassis, Encap and Chassis_Private per hypervisor (a controller that came back through another relay
  // found its own rows), every pod bound to its hypervisor's chassis.
  const names = async (table: string, column: string) => (await lab.sbctl('--bare', `--columns=${column}`, 'list', table)).split('\n').filter((l) => l !== '').sort();
  t.deepEqual(await names('Chassis', 'name'), ['hv1', 'hv2']);
  t.deepEqual(await names('Chassis_Private', 'name'), ['hv1', 'hv2']);
  t.deepEqual(await names('Encap', 'chassis_name'), ['hv1', 'hv2']);
  for (const [lsp, hv] of bound) {
    const chassis = (await lab.sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${lsp}`)).trim();
    t.is((await lab.sbctl('--bare', '--columns=name', 'list', 'Chassis', chassis)).trim(), hv, `${lsp} bound to ${hv}`);
  }
  Object.assign(figures, { committed: writer.committed.size, outcomeUnknown: writer.unknown.size, pods: bound.size, stats: db.stats });
  t.log(JSON.stringify(figures));
  console.log(`relay kill figures: ${JSON.stringify(figures)}`);
});
