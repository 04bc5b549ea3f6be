// JsonStreamReader: JSON values with their line numbers out of a byte stream in any chunking, compact or
// pretty-printed, going on past lines that are not JSON, values cut short and bytes after a value.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { JsonStreamReader, type JsonStreamFault, type JsonStreamItem } from '../../src/k8s/json-stream.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/k8s/${name}`, import.meta.url));

function read(chunks: Array<Uint8Array | string>): { items: JsonStreamItem[]; faults: JsonStreamFault[] } {
  const items: JsonStreamItem[] = [];
  const faults: JsonStreamFault[] = [];
  const reader = new JsonStreamReader((i) => items.push(i), (f) => faults.push(f));
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return { items, faults };
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

test('kubectl --output-watch-events lines and pretty-printed objects read the same in any chunking', (t) => {
  const compact = fixture('kubectl/pods.events.jsonl');
  const whole = read([compact]);
  t.is(whole.items.length, 5);
  t.deepEqual(whole.faults, []);
  t.deepEqual(whole.items.map((i) => [i.firstLine, i.lastLine]), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
  for (const size of [1, 7, 4096]) t.deepEqual(read(chunked(compact, size)), whole, `chunks of ${size}`);

  const pretty = fixture('kubectl/pods.objects.json');
  const objects = read(chunked(pretty, 13));
  t.deepEqual(objects.faults, []);
  t.is(objects.items.length, 5);
  t.is(objects.items[0].firstLine, 1);
  t.true(objects.items[0].lastLine > 50, 'a pretty-printed object spans many lines');
  t.is(objects.items[1].firstLine, objects.items[0].lastLine + 1);
  // The same objects as the events', except that kubectl leaves managedFields out of bare objects (its
  // --show-managed-fields=false) but not out of watch events.
  type Obj = { metadata: { managedFields?: unknown } };
  const withoutManagedFields = (o: Obj) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } });
  t.true(objects.items.every((i) => (i.value as Obj).metadata.managedFields === undefined));
  t.deepEqual(objects.items.map((i) => withoutManagedFields(i.value as Obj)),
    whole.items.map((i) => withoutManagedFields((i.value as { object: Obj }).object)));
});

test('lines that are not JSON are one problem per run, with line numbers, and reading goes on', (t) => {
  const { items, faults } = read(['{"a":1}\nError from server\nW1203 retrying\n\n{"b":2}\nnot json\n']);
  t.deepEqual(items.map((i) => [i.value, i.firstLine]), [[{ a: 1 }, 1], [{ b: 2 }, 5]]);
  t.deepEqual(faults.map((f) => [f.reason, f.firstLine, f.lastLine]), [["not-json", 2, 3], ["not-json", 6, 6]]);
  t.regex(faults[0].message, /^lines 2-3: not JSON \("Error from server"\)/);
});

test('a value cut short is reported when the next line starts a new one, and at the end of the stream', (t) => {
  const { items, faults } = read(['{"type":"ADDED","object":{"kind":"Pod",\n{"c":3}\n{"d":\n']);
  t.deepEqual(items.map((i) => i.value), [{ c: 3 }]);
  t.deepEqual(faults.map((f) => [f.reason, f.firstLine, f.lastLine]), [['truncated', 1, 1], ['truncated', 3, 3]]);
});

test('bytes after a value on its line: the value counts, the rest of the line is reported', (t) => {
  const { items, faults } = read(['{"a":1} trailing\n{"b":2}{"c":3}\n']);
  t.deepEqual(items.map((i) => i.value), [{ a: 1 }, { b: 2 }, { c: 3 }]);
  t.deepEqual(faults.map((f) => [f.reason, f.firstLine]), [['not-json', 1]]);
  t.regex(faults[0].message, /bytes after the end of a JSON value/);
});

test('a text that splits like JSON but does not parse is not-json; strings with braces, escapes and UTF-8 are kept', (t) => {
  const text = '{"a": tru}\n{"s":"}{\\"\\\\","é":"ü€"}\n';
  const bytes = Buffer.from(text);
  const { items, faults } = read(chunked(bytes, 1));
  t.deepEqual(items.map((i) => i.value), [{ s: '}{"\\', é: 'ü€' }]);
  t.is(faults.length, 1);
  t.is(faults[0].reason, 'not-json');
  t.is(faults[0].firstLine, 1);
});

test('a byte-order mark, CRLF line ends and a last line without a newline', (t) => {
  const { items, faults } = read([Buffer.from([0xef, 0xbb, 0xbf]), '{"a":1}\r\n', '{"b":2}']);
  t.deepEqual(items.map((i) => [i.value, i.firstLine]), [[{ a: 1 }, 1], [{ b: 2 }, 2]]);
  t.deepEqual(faults, []);
});

test('a value over the size limit is refused and the stream goes on', (t) => {
  const items: unknown[] = [];
  const faults: JsonStreamFault[] = [];
  const reader = new JsonStreamReader((i) => items.push(i.value), (f) => faults.push(f), { maxItemBytes: 32 });
  reader.push(`{"big":"${'x'.repeat(100)}"}\n{"ok":1}\n`);
  reader.end();
  t.deepEqual(items, [{ ok: 1 }]);
  t.is(faults[0].reason, 'not-json');
  t.regex(faults[0].message, /larger than 32 bytes/);
});
