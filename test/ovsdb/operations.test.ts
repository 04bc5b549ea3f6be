// Operation classification without servers.
import test from 'ava';
import { abort, assert, comment, commit, del, insert, isReadOnly, mutate, select, update, wait } from '../../src/ovsdb/operations.js';
import type { Row } from '../../src/ovsdb/datum.js';

test('isReadOnly: reads, waits, comments, asserts, commit and abort write nothing; any insert/update/mutate/delete does', (t) => {
  t.true(isReadOnly([select('T'), wait('T', [], ['a'], '==', [], 0), comment('x'), assert('L'), commit(true), abort()]));
  t.true(isReadOnly([]));
  t.false(isReadOnly([select('T'), insert('T', {})]));
  t.false(isReadOnly([update('T', [], {})]));
  t.false(isReadOnly([mutate<Row>('T', [], [])]));
  t.false(isReadOnly([del('T', [])]));
  t.true(isReadOnly([{ op: 'select', table: 'T', where: [] }]), 'wire form');
  t.false(isReadOnly([{ op: 'insert', table: 'T', row: {} }]));
  t.false(isReadOnly([null]), 'not an operation: not known to be a read');
});
