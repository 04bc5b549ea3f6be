// The work one incoming message may cost is bounded (issue 12 item 3), invalid UTF-8 is refused (item 7) and
// numbers OVSDB cannot carry are refused (item 6, the parse part). Every refusal is typed, happens while the
// message streams in, and leaves the splitter holding no more than the bound.
import test from 'ava';
import { JsonFramer, JsonSplitter, firstInvalidUtf8 } from '../../src/ovsdb/framing.js';
import {
  OvsdbInvalidUtf8Error, OvsdbMessageLimitError, OvsdbMessageTooDeepError, OvsdbMessageTooLargeError,
  OvsdbMessageTooManyValuesError, OvsdbNumberOutOfRangeError, OvsdbNumberTooLongError, OvsdbProtocolError,
} from '../../src/ovsdb/errors.js';
import { DEFAULT_MESSAGE_LIMITS, resolveMessageLimits } from '../../src/ovsdb/message-limits.js';
import type { Json } from '../../src/ovsdb/json.js';

const CHUNK = 64 * 1024;

/** Feeds `head` then `repeat` over and over in socket-sized chunks until the framer throws; returns the error and the bytes fed. */
function feedUntilRefused(framer: JsonFramer, head: string, unit: string, maxBytes: number): { error: unknown; fed: number; maxPending: number } {
  const body = Buffer.from(unit.repeat(Math.ceil(CHUNK / unit.length)));
  let fed = 0;
  let maxPending = 0;
  try {
    framer.push(Buffer.from(head), () => undefined);
    while (fed < maxBytes) {
      framer.push(body, () => undefined);
      fed += body.length;
      maxPending = Math.max(maxPending, framer.pendingBytes);
    }
  } catch (error) {
    return { error, fed, maxPending };
  }
  return { error: undefined, fed, maxPending };
}

test('defaults: the bounds documented in docs/ovsdb.md', (t) => {
  t.deepEqual({ ...DEFAULT_MESSAGE_LIMITS }, { maxMessageBytes: 256 * 1024 * 1024, maxDepth: 1000, maxValues: 16 * 1024 * 1024, maxNumberLength: 32 });
  t.throws(() => resolveMessageLimits({ maxValues: 0 }), { instanceOf: RangeError, message: /maxValues must be a positive integer/ });
  t.throws(() => new JsonSplitter({ maxDepth: Number.NaN }), { instanceOf: RangeError });
});

test('a reply of {},{},... is refused at maxValues, long before the byte cap, holding no more than it read', (t) => {
  // 64 MB of `{},` took 2.1 GB and 30 s before: 21 million objects.
  const framer = new JsonFramer();
  const { error, fed, maxPending } = feedUntilRefused(framer, '{"id":1,"result":[', '{},', 64 * 1024 * 1024);
  t.true(error instanceof OvsdbMessageTooManyValuesError, String(error));
  const e = error as OvsdbMessageTooManyValuesError;
  t.is(e.code, 'OVSDB_MESSAGE_TOO_MANY_VALUES');
  t.is(e.option, 'maxValues');
  t.is(e.limit, DEFAULT_MESSAGE_LIMITS.maxValues);
  // `{},` is two values ({ and ,) in three bytes: refused within a chunk of the bound.
  t.true(fed <= (DEFAULT_MESSAGE_LIMITS.maxValues / 2) * 3 + CHUNK, `fed ${fed}`);
  t.true(maxPending <= fed + CHUNK);
  t.is(framer.pendingBytes, 0, 'the held bytes are released');
  // The framer stays failed: the connection is over.
  t.throws(() => framer.push(Buffer.from('{}'), () => undefined), { is: error as Error });
});

test('a run of digits is refused at maxNumberLength in the first chunk (no 250M-digit bigint, no 25 s parse)', (t) => {
  const framer = new JsonFramer();
  const { error, fed } = feedUntilRefused(framer, '{"id":1,"result":[', '9', 256 * 1024 * 1024);
  t.true(error instanceof OvsdbNumberTooLongError, String(error));
  t.is((error as OvsdbNumberTooLongError).code, 'OVSDB_NUMBER_TOO_LONG');
  t.is(fed, 0, 'refused inside the first chunk');
  t.is(framer.pendingBytes, 0);
  // Every sign, dot and exponent counts; 32 characters pass, 33 do not.
  const at = (text: string) => new JsonFramer({ maxNumberLength: 8 }).pushAll(Buffer.from(text));
  t.deepEqual(at('[-1.25e+7,12345678]'), [[-12500000, 12345678]]);
  t.throws(() => at('[-1.25e+70]'), { instanceOf: OvsdbNumberTooLongError });
  t.throws(() => at('[123456789]'), { instanceOf: OvsdbNumberTooLongError });
  t.deepEqual(at('[true,false,null,"123456789012"]'), [[true, false, null, '123456789012']], 'letters and strings are not numbers');
  t.deepEqual(new JsonFramer().pushAll(Buffer.from(`[${'1'.repeat(19)},-9.99999999999999e+307,-0.000123456789012345]`)),
    [[1111111111111111111n, -9.99999999999999e+307, -0.000123456789012345]]);
});

test('deep nesting is refused at maxDepth as the brackets arrive', (t) => {
  const framer = new JsonFramer();
  const { error, fed } = feedUntilRefused(framer, '{"id":1,"result":', '[', 1024 * 1024);
  t.true(error instanceof OvsdbMessageTooDeepError, String(error));
  t.is((error as OvsdbMessageTooDeepError).code, 'OVSDB_MESSAGE_TOO_DEEP');
  t.is(fed, 0);
  // ovsdb-server's own bound: 1000 levels in all pass, 1001 do not.
  const nested = (levels: number) => Buffer.from(`${'['.repeat(levels)}${']'.repeat(levels)}`);
  t.is(new JsonFramer().pushAll(nested(1000)).length, 1);
  t.throws(() => new JsonFramer().pushAll(nested(1001)), { instanceOf: OvsdbMessageTooDeepError });
  t.throws(() => new JsonFramer({ maxDepth: 3 }).pushAll(Buffer.from('{"a":[{"b":[]}]}')), { instanceOf: OvsdbMessageTooDeepError, message: /maxDepth 3/ });
  t.deepEqual(new JsonFramer({ maxDepth: 3 }).pushAll(Buffer.from('{"a":[{"b":1}]}')), [{ a: [{ b: 1 }] }]);
});

test('an endless message is refused at maxMessageBytes, holding at most that', (t) => {
  const framer = new JsonFramer({ maxMessageBytes: 1024 * 1024 });
  const { error, maxPending } = feedUntilRefused(framer, '{"id":1,"result":"', 'x', 64 * 1024 * 1024);
  t.true(error instanceof OvsdbMessageTooLargeError, String(error));
  t.true(error instanceof OvsdbMessageLimitError);
  t.is((error as OvsdbMessageTooLargeError).option, 'maxMessageBytes');
  t.true(maxPending <= 1024 * 1024);
});

test('every bound is configurable, and a message just within every bound passes', (t) => {
  const limits = { maxMessageBytes: 200, maxDepth: 4, maxValues: 20, maxNumberLength: 5 };
  const ok = '{"id":1,"result":[[[1,2]],{"a":-1.5},"[[[[[,,,,,,,,,,,,,,,,,,,,,,,,]]]]]"],"error":null}';
  t.is(new JsonFramer(limits).pushAll(Buffer.from(ok)).length, 1);
  t.throws(() => new JsonFramer({ ...limits, maxValues: 8 }).pushAll(Buffer.from(ok)), { instanceOf: OvsdbMessageTooManyValuesError });
  t.throws(() => new JsonFramer({ ...limits, maxDepth: 3 }).pushAll(Buffer.from(ok)), { instanceOf: OvsdbMessageTooDeepError });
  t.throws(() => new JsonFramer({ ...limits, maxNumberLength: 3 }).pushAll(Buffer.from(ok)), { instanceOf: OvsdbNumberTooLongError });
  t.throws(() => new JsonFramer({ ...limits, maxMessageBytes: ok.length - 1 }).pushAll(Buffer.from(ok)), { instanceOf: OvsdbMessageTooLargeError });
  // Counted per message: the next message starts from zero.
  t.is(new JsonFramer({ ...limits, maxValues: 3 }).pushAll(Buffer.from('[1,2][3,4][5,6]')).length, 3);
});

test('invalid UTF-8 is refused with the offset of the first bad byte, not turned into U+FFFD', (t) => {
  const message = (bytes: number[]) => Buffer.concat([Buffer.from('{"id":1,"result":"'), Buffer.from(bytes), Buffer.from('"}')]);
  const prefix = '{"id":1,"result":"'.length;
  const cases: [string, number[], number][] = [
    ['a lone continuation byte', [0x41, 0x80], 1],
    ['0xff', [0xff], 0],
    ['an overlong "/"', [0xc0, 0xaf], 0],
    ['an overlong 3-byte form', [0xe0, 0x80, 0xaf], 1],
    ['a UTF-16 surrogate (CESU-8)', [0xed, 0xa0, 0x80], 1],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 1],
    ['a sequence cut short', [0xe6, 0x97, 0x41], 2],
  ];
  for (const [what, bytes, at] of cases) {
    const e = t.throws(() => new JsonFramer().pushAll(message(bytes)), { instanceOf: OvsdbInvalidUtf8Error }, what);
    t.is(e.code, 'OVSDB_INVALID_UTF8');
    t.is(e.offset, prefix + at, what);
  }
  // A character cut at the end of the message: its bytes run into the closing quote.
  t.is(firstInvalidUtf8(Buffer.from([0x61, 0xf0, 0x9f])), 1);
  // Valid text of every length passes, also split inside a character.
  const good = Buffer.from('{"s":"aü日🚀\u07ff\uffff\u{10ffff}"}');
  t.is(firstInvalidUtf8(good), -1);
  const f = new JsonFramer();
  const out: Json[] = [];
  for (const b of good) f.push(Uint8Array.of(b), (v) => out.push(v));
  t.deepEqual(out, [{ s: 'aü日🚀\u07ff\uffff\u{10ffff}' }]);
});

test('numbers out of range are refused through the framer too: 2^70, 1e400 (it was Infinity), -1e309', (t) => {
  for (const n of ['1180591620717411303424', '1e400', '-1e309', '9223372036854775808', '1E+999']) {
    const e = t.throws(() => new JsonFramer().pushAll(Buffer.from(`{"id":1,"result":[${n}],"error":null}`)), { instanceOf: OvsdbNumberOutOfRangeError }, n);
    t.is(e.code, 'OVSDB_NUMBER_OUT_OF_RANGE');
  }
  // Exponents that stay in range still parse, on the exact path.
  t.deepEqual(new JsonFramer().pushAll(Buffer.from('[1e2,2.5E-3,1e308]')), [[100, 0.0025, 1e308]]);
  // Every refusal is a protocol error: the session ends the connection on any of them.
  t.true(new OvsdbNumberOutOfRangeError('1', 'x') instanceof OvsdbProtocolError);
});
