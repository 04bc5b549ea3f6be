import test from 'ava';
import { parseJson, parseJsonBig, stringifyJson, type Json } from '../../src/ovsdb/json.js';
import { OvsdbMessageTooDeepError, OvsdbNumberOutOfRangeError, OvsdbProtocolError } from '../../src/ovsdb/errors.js';

test('integers beyond 2^53 parse to exact bigints; safe integers and reals stay numbers', (t) => {
  const v = parseJsonBig('[9007199254740993,-9223372036854775808,9223372036854775807,9007199254740991,1.5,-0.25e3,0,-7]');
  t.deepEqual(v, [9007199254740993n, -9223372036854775808n, 9223372036854775807n, 9007199254740991, 1.5, -250, 0, -7]);
  // 16+ digits that are still safe stay numbers
  t.deepEqual(parseJsonBig('[1000000000000000,-9007199254740991]'), [1000000000000000, -9007199254740991]);
});

test('bigints serialize as exact digits and round-trip', (t) => {
  const v: Json = { a: [9223372036854775807n, -9223372036854775808n, 1, 'x"y'], b: { c: -1234567890123456789n } };
  const text = stringifyJson(v);
  t.is(text, '{"a":[9223372036854775807,-9223372036854775808,1,"x\\"y"],"b":{"c":-1234567890123456789}}');
  t.deepEqual(parseJsonBig(text), v);
  t.is(stringifyJson({ a: 1, b: 'no bigint' }), '{"a":1,"b":"no bigint"}');
});

test('strings: escapes, surrogate pairs, control characters refused', (t) => {
  t.deepEqual(parseJsonBig('{"s":"a\\"b\\\\c\\/d\\n\\t\\u00fc\\ud83d\\ude80"}'), { s: 'a"b\\c/d\n\tü🚀' });
  t.throws(() => parseJsonBig('{"s":"a\u0001"}'), { instanceOf: OvsdbProtocolError });
  t.throws(() => parseJsonBig('{"s":"\\x"}'), { instanceOf: OvsdbProtocolError });
  t.throws(() => parseJsonBig('{"s":"\\u12"}'), { instanceOf: OvsdbProtocolError });
});

test('the hand-written parser agrees with JSON.parse on texts without big integers', (t) => {
  let seed = 3;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const gen = (depth: number): unknown => {
    switch (rand(depth > 3 ? 5 : 7)) {
      case 0: return null;
      case 1: return rand(2) === 0;
      case 2: return (rand(2000000) - 1000000) / (rand(3) === 0 ? 7 : 1);
      case 3: return String.fromCodePoint(...Array.from({ length: rand(8) }, () => [0x22, 0x5c, 0x41, 0xe9, 0x65e5, 0x1f680, 0x0a][rand(7)]));
      case 4: return rand(100000);
      case 5: return Array.from({ length: rand(4) }, () => gen(depth + 1));
      default: return Object.fromEntries(Array.from({ length: rand(4) }, (_, i) => [`k${i}`, gen(depth + 1)]));
    }
  };
  for (let i = 0; i < 500; i++) {
    const text = JSON.stringify(gen(0));
    t.deepEqual(parseJsonBig(text), JSON.parse(text));
    t.deepEqual(parseJson(text, false), JSON.parse(text));
  }
});

test('malformed texts and absurd nesting are protocol errors', (t) => {
  for (const bad of ['', '{', '[1,]', '{"a" 1}', 'nul', '01x', '-', '1.', '1e', '[1 2]', '{"a":1}x']) {
    t.throws(() => parseJsonBig(bad), { instanceOf: OvsdbProtocolError }, bad);
  }
  t.throws(() => parseJsonBig('['.repeat(5000) + ']'.repeat(5000)), { instanceOf: OvsdbMessageTooDeepError, message: /nests deeper than 1000 levels/ });
  // The depth counts arrays and objects only: 1000 levels parse, 1001 do not (ovsdb-server's own bound).
  t.is(JSON.stringify(parseJsonBig(`${'['.repeat(999)}[7]${']'.repeat(999)}`)).length, 2001);
  t.throws(() => parseJsonBig(`${'['.repeat(1000)}[7]${']'.repeat(1000)}`), { instanceOf: OvsdbMessageTooDeepError });
  t.throws(() => parseJsonBig('[[[1]]]', 2), { instanceOf: OvsdbMessageTooDeepError, message: /maxDepth 2/ });
  t.throws(() => parseJson('{bad', false), { instanceOf: OvsdbProtocolError });
});

test('numbers OVSDB cannot carry are refused with a typed error, as ovsdb-server refuses them', (t) => {
  for (const text of ['[9223372036854775808]', '[-9223372036854775809]', '[18446744073709551615]', '[1180591620717411303424]', `[${'9'.repeat(100000)}]`]) {
    const e = t.throws(() => parseJsonBig(text), { instanceOf: OvsdbNumberOutOfRangeError }, text.slice(0, 30));
    t.is(e.code, 'OVSDB_NUMBER_OUT_OF_RANGE');
    t.regex(e.message, /beyond the 64-bit range/);
    t.true(e.message.length < 200, 'the message quotes the number shortened');
  }
  for (const text of ['[1e400]', '[-1e309]', '[1.7976931348623159e308]']) {
    t.throws(() => parseJsonBig(text), { instanceOf: OvsdbNumberOutOfRangeError, message: /beyond the range of a double/ }, text);
  }
  // The extremes that fit, reals in every form ovsdb-server writes, and an underflow (strtod gives 0, as OVS does).
  t.deepEqual(parseJsonBig('[9223372036854775807,-9223372036854775808,-1.7976931348623157e308,-2.5e-300,1E2,0.1,1e-400]'),
    [9223372036854775807n, -9223372036854775808n, -1.7976931348623157e308, -2.5e-300, 100, 0.1, 0]);
  // ovsdb-server 3.1 writes the largest double rounded to 15 digits, just beyond it: that one text reads as it.
  t.deepEqual(parseJsonBig('[1.79769313486232e+308,-1.79769313486232e308]'), [Number.MAX_VALUE, -Number.MAX_VALUE]);
  t.throws(() => parseJsonBig('[1.79769313486233e+308]'), { instanceOf: OvsdbNumberOutOfRangeError });
});
