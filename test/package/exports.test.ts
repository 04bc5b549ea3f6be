// What the package exports is a decision, not a side effect: the names of every entry point (package.json
// `exports`) are held to the checked-in test/package/exports.snapshot. A change to an entry point fails here with
// the names added and removed; when it was meant, rewrite the snapshot (the command is in the message) and commit
// it with the change.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { SNAPSHOT, UPDATE_COMMAND, entryPoints, exportLists, parseSnapshot } from './export-list.js';

const lists = exportLists();
const snapshot = parseSnapshot(readFileSync(SNAPSHOT, 'utf8'));

test('every entry point is in the snapshot, and the snapshot names no other', (t) => {
  t.deepEqual([...snapshot.keys()].sort(), [...entryPoints().keys()].sort(),
    `the entry points of package.json differ from test/package/exports.snapshot; if meant, run: ${UPDATE_COMMAND}`);
});

for (const [entry, names] of lists) {
  test(`${entry} exports exactly the names in the snapshot`, (t) => {
    const expected = snapshot.get(entry) ?? [];
    const added = names.filter((n) => !expected.includes(n));
    const removed = expected.filter((n) => !names.includes(n));
    t.true(added.length === 0 && removed.length === 0,
      `${entry} changed its exports: added ${added.join(', ') || 'none'}; removed ${removed.join(', ') || 'none'}. `
      + `If that was meant, run: ${UPDATE_COMMAND}`);
  });
}

test('the root exports the main objects; the protocol pieces are in ovn-overlay/ovsdb only', (t) => {
  const root = lists.get('ovn-overlay') ?? [];
  const ovsdb = lists.get('ovn-overlay/ovsdb') ?? [];
  for (const name of ['OvsdbClient', 'OvsdbDatabase', 'ops', 'OvsdbError', 'OvsdbOutcomeUnknownError', 'ClusterNetwork', 'rowToJson']) {
    t.true(root.includes(name), `root exports ${name}`);
  }
  for (const name of ['RpcSession', 'JsonSplitter', 'Backoff', 'InactivityProbe', 'ClusterMemberChooser', 'OvsdbProtocol', 'parseSchema']) {
    t.false(root.includes(name), `root does not export ${name}`);
    t.true(ovsdb.includes(name), `ovn-overlay/ovsdb exports ${name}`);
  }
  t.false(root.includes('OVN_GENEVE_OPTION_CLASS'), 'the Geneve option class is the codecs\' OVN_GENEVE_CLASS only');
  t.true((lists.get('ovn-overlay/codecs') ?? []).includes('OVN_GENEVE_CLASS'));
});
