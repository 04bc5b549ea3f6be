// Datum-level checks of hostile values (issue 12 item 6, the decode part): values the wire can hold but the
// column cannot are protocol errors naming the column; and values ovsdb-server would answer by dropping the
// whole connection are refused before they are sent.
import test from 'ava';
import { decodeAtom, decodeValue, encodeValue } from '../../src/ovsdb/datum.js';
import { OvsdbProtocolError, OvsdbValidationError } from '../../src/ovsdb/errors.js';
import { parseColumnType } from '../../src/ovsdb/schema.js';

const integer = parseColumnType('i', { key: 'integer' });
const real = parseColumnType('r', { key: 'real', min: 0, max: 'unlimited' });
const ref = parseColumnType('u', { key: { type: 'uuid' }, min: 0, max: 'unlimited' });
const text = parseColumnType('s', { key: 'string' });
const site = { table: 'T', column: 'c' };

test('decode: an integer beyond 64 bits, an infinite real, a uuid that is not one: protocol errors naming the column', (t) => {
  t.throws(() => decodeAtom(integer.key, 2n ** 70n, 'T.i'), { instanceOf: OvsdbProtocolError, message: /^T\.i: expected a 64-bit integer, got 1180591620717411303424$/ });
  t.throws(() => decodeAtom(integer.key, -(2n ** 63n) - 1n, 'T.i'), { instanceOf: OvsdbProtocolError });
  t.is(decodeAtom(integer.key, -(2n ** 63n), 'T.i'), -(2n ** 63n));
  // It said "got null" before: Infinity is shown as itself.
  t.throws(() => decodeAtom(real.key, Infinity, 'T.r'), { instanceOf: OvsdbProtocolError, message: /expected a finite real, got Infinity/ });
  t.throws(() => decodeAtom(integer.key, -Infinity, 'T.i'), { instanceOf: OvsdbProtocolError, message: /got -Infinity/ });
  t.throws(() => decodeValue(ref, ['set', [['uuid', 'not-a-uuid']]], 'T.u'), { instanceOf: OvsdbProtocolError, message: /expected \["uuid", <a UUID>\]/ });
  t.throws(() => decodeValue(ref, ['uuid', 42], 'T.u'), { instanceOf: OvsdbProtocolError });
  t.deepEqual(decodeValue(ref, ['set', [['uuid', '6b1ae7e4-0b1f-4a3c-9a59-1f1f1f1f1f1f']]], 'T.u'), ['6b1ae7e4-0b1f-4a3c-9a59-1f1f1f1f1f1f']);
  t.deepEqual(decodeValue(real, ['set', [1.5, 10000000000000000n, Number.MAX_VALUE]], 'T.r'), [1.5, 1e16, Number.MAX_VALUE]);
});

test('encode: a NUL or an unpaired surrogate in a string is refused (ovsdb-server would drop the connection)', (t) => {
  for (const bad of ['a\0b', '\ud800', 'x\udc00y', '\ud83d']) {
    t.throws(() => encodeValue(text, bad, site), { instanceOf: OvsdbValidationError, message: /NUL character or an unpaired UTF-16 surrogate/ }, JSON.stringify(bad));
  }
  for (const good of ['', 'ü日本', '🚀', '\u{10ffff}', '\uffff', 'tab\tnewline\n']) t.is(encodeValue(text, good, site), good);
});

test('encode: a subnormal real is refused (ovsdb-server drops the connection on one); 0 and the smallest normal pass', (t) => {
  for (const bad of [5e-324, -1e-310, 2.225073858507201e-308]) {
    t.throws(() => encodeValue(real, [bad], site), { instanceOf: OvsdbValidationError, message: /subnormal/ }, String(bad));
  }
  t.deepEqual(encodeValue(real, [0, 2.2250738585072014e-308, -Number.MAX_VALUE], site), ['set', [0, 2.2250738585072014e-308, -Number.MAX_VALUE]]);
});
