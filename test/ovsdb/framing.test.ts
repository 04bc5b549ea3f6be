import test from 'ava';
import { readFileSync } from 'node:fs';
import { JsonFramer, JsonSplitter } from '../../src/ovsdb/framing.js';
import { OvsdbMessageTooLargeError, OvsdbProtocolError } from '../../src/ovsdb/errors.js';
import type { Json } from '../../src/ovsdb/json.js';

// Recorded from a real ovsdb-server by fixtures/ovsdb/record-transcript.ts.
const transcript = readFileSync(new URL('../../fixtures/ovsdb/nb-transcript.bin', import.meta.url));

function splitAll(chunks: Uint8Array[]): Buffer[] {
  const s = new JsonSplitter();
  const out: Buffer[] = [];
  for (const c of chunks) s.push(c, (b) => out.push(Buffer.from(b)));
  return out;
}

function parseAll(chunks: Uint8Array[]): Json[] {
  const f = new JsonFramer();
  const out: Json[] = [];
  for (const c of chunks) f.push(c, (v) => out.push(v));
  return out;
}

const whole = splitAll([transcript]);

test('the real transcript splits into its 12 messages: 9 replies (one an RPC error) and 3 update2 notifications', (t) => {
  const values = parseAll([transcript]) as Record<string, Json>[];
  t.is(values.length, 12);
  t.deepEqual(values.filter((v) => typeof v.id === 'number').map((v) => v.id), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.is(values.filter((v) => v.method === 'update2').length, 3);
  t.is(Buffer.concat(whole).toString('utf8').replace(/\s/g, ''), transcript.toString('utf8').replace(/\s/g, ''));
});

test('the transcript split at every byte yields identical messages', (t) => {
  const expected = whole.map((b) => b.toString('hex'));
  for (let i = 0; i <= transcript.length; i++) {
    const got = splitAll([transcript.subarray(0, i), transcript.subarray(i)]).map((b) => b.toString('hex'));
    if (got.length !== expected.length || got.some((g, k) => g !== expected[k])) {
      t.fail(`split at byte ${i} gave different messages`);
      return;
    }
  }
  const values = parseAll([transcript]);
  const oneByOne = parseAll([...transcript].map((b) => Uint8Array.of(b)));
  t.deepEqual(oneByOne, values);
});

test('random multi-way splits of the transcript give the same values (bigints included)', (t) => {
  const values = parseAll([transcript]);
  let seed = 7;
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  for (let round = 0; round < 300; round++) {
    const chunks: Uint8Array[] = [];
    let i = 0;
    while (i < transcript.length) { const n = 1 + (rand() % 40); chunks.push(transcript.subarray(i, i + n)); i += n; }
    t.deepEqual(parseAll(chunks), values);
  }
  // The values carry the 64-bit extremes exactly.
  const text = JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  t.true(text.includes('"9223372036854775807n"'));
  t.true(text.includes('"-9223372036854775808n"'));
  t.true(text.includes('"9007199254740993"'), 'a big number inside a string stays a string');
  t.true(text.includes('sw-ü-日本-🚀'));
});

test('a multi-byte UTF-8 character split between chunks decodes once whole', (t) => {
  const msg = Buffer.from('{"s":"a🚀ü日"}', 'utf8');
  const rocket = msg.indexOf(0xf0);
  for (let cut = rocket; cut <= rocket + 4; cut++) {
    t.deepEqual(parseAll([msg.subarray(0, cut), msg.subarray(cut)]), [{ s: 'a🚀ü日' }]);
  }
});

test('escaped quotes and backslashes at chunk boundaries do not end a string early', (t) => {
  const msg = Buffer.from('{"a":"x\\\\\\"}{[","b":["\\\\"]}[1]', 'utf8');
  for (let i = 0; i <= msg.length; i++) {
    t.deepEqual(parseAll([msg.subarray(0, i), msg.subarray(i)]), [{ a: 'x\\"}{[', b: ['\\'] }, [1]]);
  }
});

test('many texts in one chunk, with whitespace between them', (t) => {
  const parts: string[] = [];
  for (let i = 0; i < 1000; i++) parts.push(`{"id":${i},"result":[${i}],"error":null}${i % 3 === 0 ? '\n ' : ''}`);
  const values = parseAll([Buffer.from(parts.join(''))]) as { id: number }[];
  t.is(values.length, 1000);
  t.is(values[999].id, 999);
});

test('the framer is linear: an 8 MiB message in 1 KiB chunks is framed in well under a second', (t) => {
  const row = `{"name":"${'x'.repeat(100)}","v":[1,2,3]},`;
  const body = Buffer.from(`{"id":1,"result":[${row.repeat(Math.ceil((8 << 20) / row.length))}{}],"error":null}`);
  const f = new JsonSplitter();
  let got = 0;
  const start = performance.now();
  for (let i = 0; i < body.length; i += 1024) f.push(body.subarray(i, i + 1024), (b) => { got = b.length; });
  const ms = performance.now() - start;
  t.is(got, body.length);
  t.true(ms < 1000, `took ${ms.toFixed(0)} ms`); // a re-scan per chunk would take minutes (8192 chunks x 4 MiB)
});

test('an oversized message ends with OvsdbMessageTooLargeError without holding more than the limit', (t) => {
  const f = new JsonSplitter({ maxMessageBytes: 1000 });
  const big = Buffer.from(`{"x":"${'y'.repeat(5000)}"}`);
  const err = t.throws(() => {
    for (let i = 0; i < big.length; i += 100) {
      f.push(big.subarray(i, i + 100), () => t.fail('no message expected'));
      t.true(f.pendingBytes <= 1000);
    }
  });
  t.true(err instanceof OvsdbMessageTooLargeError);
  t.is((err as OvsdbMessageTooLargeError).code, 'OVSDB_MESSAGE_TOO_LARGE');
  // A complete oversized message in one chunk is refused too, and the splitter stays failed.
  const g = new JsonSplitter({ maxMessageBytes: 10 });
  t.throws(() => g.push(Buffer.from('{"a":"0123456789"}'), () => t.fail()), { instanceOf: OvsdbMessageTooLargeError });
  t.throws(() => g.push(Buffer.from('{}'), () => t.fail()), { instanceOf: OvsdbMessageTooLargeError });
});

test('garbage between messages and malformed JSON are protocol errors, never crashes', (t) => {
  t.throws(() => parseAll([Buffer.from('{"id":1}  x')]), { instanceOf: OvsdbProtocolError, message: /unexpected byte 0x78/ });
  t.throws(() => parseAll([Buffer.from('42')]), { instanceOf: OvsdbProtocolError });
  t.throws(() => parseAll([Buffer.from('{"a":tru}')]), { instanceOf: OvsdbProtocolError });
  t.throws(() => parseAll([Buffer.from('{"a":1,}')]), { instanceOf: OvsdbProtocolError });
  t.throws(() => parseAll([Buffer.from('{"a":12345678901234567890x}')]), { instanceOf: OvsdbProtocolError });
  let seed = 42;
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  let errors = 0;
  for (let round = 0; round < 2000; round++) {
    const bytes = Buffer.alloc(1 + (rand() % 300));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rand() & 0xff;
    if (round % 2 === 0) bytes[0] = 0x7b; // start like a message half of the time
    const f = new JsonFramer({ maxMessageBytes: 4096 });
    try {
      f.push(bytes, () => undefined);
      t.true(f.pendingBytes <= 4096);
    } catch (err) {
      errors++;
      if (!(err instanceof OvsdbProtocolError)) { t.fail(`not a protocol error: ${String(err)}`); return; }
    }
  }
  t.true(errors > 500, `${errors} of 2000 random inputs were refused`);
});

test('a half-written message stays pending until the rest arrives', (t) => {
  const f = new JsonFramer();
  t.deepEqual(f.pushAll(Buffer.from('{"id":1,"res')), []);
  t.true(f.pendingBytes > 0);
  t.deepEqual(f.pushAll(Buffer.from('ult":[]}{"id"')), [{ id: 1, result: [] }]);
  t.deepEqual(f.pushAll(Buffer.from(':2}')), [{ id: 2 }]);
  t.is(f.pendingBytes, 0);
});
