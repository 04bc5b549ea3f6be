// Index lookups after a modify that leaves the indexed columns alone return the new row object, not the one it
// replaced (unique schema index, declared non-unique index, set-element index).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Replica } from '../../src/ovsdb/replica.js';
import { parseSchema } from '../../src/ovsdb/schema.js';

const nb = parseSchema(JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')));
const P1 = 'aaaaaaaa-0000-0000-0000-000000000001';
const S1 = 'bbbbbbbb-0000-0000-0000-000000000001';

test('a modify of other columns: every index returns the current row', (t) => {
  const r = new Replica(nb);
  r.addTable('Logical_Switch_Port', {});
  r.addTable('Logical_Switch', { indexes: { name: 'name', byPort: 'ports' } });
  r.applyUpdates(2, {
    Logical_Switch_Port: { [P1]: { insert: { name: 'p1' } } },
    Logical_Switch: { [S1]: { insert: { name: 's1', ports: ['uuid', P1] } } },
  }, undefined);
  r.applyUpdates(2, {
    Logical_Switch_Port: { [P1]: { modify: { addresses: ['set', ['0a:58:0a:00:00:03 10.0.0.3']] } } },
    Logical_Switch: { [S1]: { modify: { other_config: ['map', [['subnet', '10.0.0.0/24']]] } } },
  }, undefined);
  const lsp = r.table('Logical_Switch_Port');
  t.is(lsp.indexes.get('name')!.lookupOne('p1'), lsp.rows.get(P1));
  t.deepEqual(lsp.indexes.get('name')!.lookupOne('p1')!.addresses, ['0a:58:0a:00:00:03 10.0.0.3']);
  const ls = r.table('Logical_Switch');
  t.is(ls.indexes.get('name')!.lookupOne('s1'), ls.rows.get(S1));
  t.is(ls.indexes.get('byPort')!.lookupOne(P1), ls.rows.get(S1));
  t.deepEqual(ls.indexes.get('byPort')!.lookup(P1), [ls.rows.get(S1)]);
});
