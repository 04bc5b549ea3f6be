import test from 'ava';
import { canonicalDump, rowCount, rowDifferences } from '../../bench/scale-rows.js';

// Two dumps in ovsdb-client's `-f json dump` form: one JSON object per table, one per line.
const dump = (tables: { caption: string; headings: string[]; data: unknown[][] }[]) => tables.map((t) => JSON.stringify(t)).join('\n') + '\n';
const router = (uuid: string, ports: string[], name = 'r1') => ({ caption: 'Logical_Router table', headings: ['_uuid', '_version', 'name', 'ports'],
  data: [[['uuid', uuid], ['uuid', '9'], name, ['set', ports.map((p) => ['uuid', p])]]] });
const port = (uuid: string, name: string, mac: string) => ({ caption: 'Logical_Router_Port table', headings: ['_uuid', '_version', 'mac', 'name'],
  data: [[['uuid', uuid], ['uuid', '8'], mac, name]] });
const ports = (rows: [string, string, string][]) => ({ caption: 'Logical_Router_Port table', headings: ['_uuid', '_version', 'mac', 'name'],
  data: rows.map(([u, name, mac]) => [['uuid', u], ['uuid', '7'], mac, name]) });

test('databases with the same rows compare equal whatever their UUIDs, versions and set order', (t) => {
  const a = canonicalDump(dump([router('a1', ['p1', 'p2']), ports([['p1', 'rtos-a', '0a:58:00:00:00:01'], ['p2', 'rtos-b', '0a:58:00:00:00:02']])]));
  const b = canonicalDump(dump([ports([['x2', 'rtos-b', '0a:58:00:00:00:02'], ['x1', 'rtos-a', '0a:58:00:00:00:01']]), router('b1', ['x2', 'x1'])]));
  t.deepEqual(rowDifferences(a, b), []);
  t.is(rowCount(a), 3);
});

test('a different column value, a reference to another row and a missing row are each reported', (t) => {
  const a = canonicalDump(dump([router('a1', ['p1']), port('p1', 'rtos-a', '0a:58:00:00:00:01')]));
  t.deepEqual(rowDifferences(a, canonicalDump(dump([router('b1', ['x1']), port('x1', 'rtos-a', '0a:58:00:00:00:09')]))), [
    'Logical_Router_Port: only in the first: mac="0a:58:00:00:00:01" name="rtos-a"',
    'Logical_Router_Port: only in the second: mac="0a:58:00:00:00:09" name="rtos-a"',
  ]);
  const renamed = canonicalDump(dump([router('b1', ['x1']), port('x1', 'rtos-z', '0a:58:00:00:00:01')]));
  t.true(rowDifferences(a, renamed).some((d) => d.startsWith('Logical_Router: only in the first') && d.includes('Logical_Router_Port:rtos-a')));
  t.deepEqual(rowDifferences(a, canonicalDump(dump([router('b1', [])]))).slice(0, 1), ['Logical_Router: only in the first: name="r1" ports=["Logical_Router_Port:rtos-a"]']);
  t.true(rowDifferences(a, canonicalDump(dump([router('b1', [])]))).includes('Logical_Router_Port: 1 rows against 0'));
});

test('skipped tables are left out', (t) => {
  const a = canonicalDump(dump([router('a1', [])]), new Set(['Logical_Router']));
  t.is(rowCount(a), 0);
});
