// The density bench's server floor (bench/scale-floor.ts): transactions recorded on the wire of a real replica,
// sent again raw to another real NB, write the same rows, with references to rows the server created in an
// earlier phase rewritten to the replay's UUIDs; a replay whose transaction fails where the original did not is
// refused rather than timed.
import test from 'ava';
import { replayRaw, TransactionLog } from '../../bench/scale-floor.js';
import { canonicalRows, rowDifferences } from '../../bench/scale-rows.js';
import { startLab, type Lab } from '../../src/lab/index.js';
import { openNorthbound } from '../../src/ovn/northbound.js';
import { NamedUuid } from '../../src/ovsdb/datum.js';
import { ops } from '../../src/ovsdb/operations.js';

const labs: Lab[] = [];
test.after.always(async () => { await Promise.all(labs.map((l) => l.stop())); });

async function lab(): Promise<Lab> {
  const started = await startLab({ northd: false });
  labs.push(started);
  return started;
}

test('recorded transactions replayed raw write the same rows; references to earlier phases follow the new UUIDs', async (t) => {
  const [original, replay, refusing] = await Promise.all([lab(), lab(), lab()]);
  const log = new TransactionLog();
  const nb = await openNorthbound({ remotes: original.nb.unix, openChannel: log.openChannel });
  try {
    log.startPhase('switches');
    const switches = await Promise.all([0, 1, 2].map(async (i) => (await nb.transact([ops.insert('Logical_Switch', { name: `ls${i}` })]))[0].uuid));
    log.startPhase('ports');
    // Each port refers to a switch of the first phase by the UUID the server gave it.
    await Promise.all(switches.map((ls, i) => nb.transact([
      ops.insert('Logical_Switch_Port', { name: `lsp${i}` }, { uuidName: 'p' }),
      ops.mutate('Logical_Switch', [['_uuid', '==', ls]], [['ports', 'insert', [new NamedUuid('p')]]]),
    ])));
  } finally {
    await nb.close();
  }
  t.deepEqual([...log.phases.keys()], ['switches', 'ports']);
  t.is(log.transactions, 6);

  const times = await replayRaw(replay.nb.unix, log, { switches: 3, ports: 3 });
  t.deepEqual([...times.keys()], ['switches', 'ports']);
  t.true([...times.values()].every((ms) => ms > 0));
  const [want, got] = await Promise.all([canonicalRows(original.nb.unix, 'OVN_Northbound', new Set(['NB_Global'])),
    canonicalRows(replay.nb.unix, 'OVN_Northbound', new Set(['NB_Global']))]);
  t.deepEqual(rowDifferences(got, want), [], 'every port on the switch of its name');

  // A database where a port's name is taken (a unique index): its transaction fails there, and the replay says so.
  const client = await openNorthbound(refusing.nb.unix);
  await client.transact([
    ops.insert('Logical_Switch_Port', { name: 'lsp1' }, { uuidName: 'taken' }),
    ops.insert('Logical_Switch', { name: 'other', ports: [new NamedUuid('taken')] }),
  ]);
  await client.close();
  await t.throwsAsync(replayRaw(refusing.nb.unix, log, { switches: 1, ports: 1 }), { message: /ports transaction \d failed on the replay: .*identical values \(lsp1\)/ });
});
