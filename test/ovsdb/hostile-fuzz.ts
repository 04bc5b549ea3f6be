// A byte-level fake OVSDB server for faults the real one cannot produce (issue 12, hostile peers): garbage, an
// endless message, deep nesting, huge numbers, invalid UTF-8, replies with unknown ids, updates for monitors
// that do not exist, malformed updates, half messages, a real transcript mutated, each cut into random chunks
// and followed by a close. The client under test is a real OvsdbClient with a monitor and three calls pending
// (transact, list_dbs, echo). Each stream must end the session (never hang), with a typed error or a clean
// close, the transact (an insert) rejected as "outcome unknown" and the others as "connection closed", and nothing thrown
// anywhere else. Shared by the unit test (`npm test`, a few thousand streams in memory) and the script
// (`npm run fuzz:ovsdb`, 100,000 streams over unix sockets).
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { OvsdbClient } from '../../src/ovsdb/client.js';
import { OvsdbConnectionClosedError, OvsdbError, OvsdbOutcomeUnknownError, type OvsdbErrorCode } from '../../src/ovsdb/errors.js';
import { JsonFramer } from '../../src/ovsdb/framing.js';
import { parseJsonBig, type Json } from '../../src/ovsdb/json.js';
import type { MessageLimits } from '../../src/ovsdb/message-limits.js';
import { parseSchema, type DatabaseSchema } from '../../src/ovsdb/schema.js';

/** Small bounds, so that a stream that reaches one costs kilobytes, not the default hundreds of megabytes. */
export const FUZZ_LIMITS: Required<MessageLimits> = { maxMessageBytes: 256 * 1024, maxDepth: 64, maxValues: 16 * 1024, maxNumberLength: 32 };

export const KINDS = [
  'garbage', 'endless', 'deep', 'values', 'digits', 'out-of-range', 'utf8', 'unknown-id', 'unknown-monitor',
  'bad-update', 'half', 'wrong-shape', 'server-request', 'mutated',
] as const;
export type Kind = typeof KINDS[number];

/** How a stream must end: with one of these error codes, cleanly (the peer's close), or either (mutations). */
export type Expectation = readonly OvsdbErrorCode[] | 'clean' | 'any';

export interface Scenario {
  readonly kind: Kind;
  readonly bytes: Buffer;
  /** Chunk boundaries (offsets into bytes). */
  readonly cuts: readonly number[];
  readonly expect: Expectation;
}

export type Rand = (n: number) => number;

/** A seeded PRNG (mulberry32): rand(n) is an integer in [0, n). */
export function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const NB = 'OVN_Northbound';
export const MONITOR_ID = 'hostile';
const LS = '6b1ae7e4-0b1f-4a3c-9a59-1f1f1f1f1f1f';
const LSP = '0e9c8a55-7e3d-4f4b-8f6a-2c2c2c2c2c2c';
const transcript = readFileSync(new URL('../../fixtures/ovsdb/nb-transcript.bin', import.meta.url));
let schemaCache: DatabaseSchema | undefined;
function nbSchema(): DatabaseSchema {
  schemaCache ??= parseSchema(parseJsonBig(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')));
  return schemaCache;
}

const pick = <T>(rand: Rand, items: readonly T[]): T => items[rand(items.length)];
const update2 = (monitor: Json, updates: string) => `{"id":null,"method":"update2","params":[${JSON.stringify(monitor)},${updates}]}`;
const validUpdate = () => update2(MONITOR_ID, `{"Logical_Switch":{"${LS}":{"modify":{"name":"renamed"}}}}`);

function randomBytes(rand: Rand, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
}

/** The hostile bytes of one stream (the server sends them after the monitor is set up and the calls are pending). */
function hostileBytes(rand: Rand, kind: Kind, limits: Required<MessageLimits>): { bytes: Buffer; expect: Expectation } {
  const prefix = rand(3) === 0 ? validUpdate() + '\n' : '';
  const text = (s: string, expect: Expectation) => ({ bytes: Buffer.from(prefix + s), expect });
  switch (kind) {
    case 'garbage': {
      const junk = randomBytes(rand, 1 + rand(512));
      return { bytes: Buffer.concat([Buffer.from(prefix + pick(rand, ['', '{"id":', '[', '{"method":"update2","params":["'])), junk]), expect: 'any' };
    }
    case 'endless': {
      const unit = pick(rand, ['"aaaaaaaaaaaaaaaa",', ' ', '"\\"\\\\",', 'x']);
      const head = pick(rand, ['{"id":3,"result":[', update2(MONITOR_ID, '{"Logical_Switch":{').slice(0, -3), '{"id":null,"method":"x","params":["']);
      // Units with a comma may reach maxValues before maxMessageBytes, whichever bound comes first.
      return text(head + unit.repeat(Math.ceil((limits.maxMessageBytes + 1 + rand(4096)) / unit.length)),
        unit.includes(',') ? ['OVSDB_MESSAGE_TOO_LARGE', 'OVSDB_MESSAGE_TOO_MANY_VALUES'] : ['OVSDB_MESSAGE_TOO_LARGE']);
    }
    case 'deep': {
      const open = pick(rand, ['[', '{"a":']);
      return text(`{"id":null,"method":"update2","params":${open.repeat(limits.maxDepth + rand(1000))}`, ['OVSDB_MESSAGE_TOO_DEEP']);
    }
    case 'values': {
      const unit = pick(rand, ['{},', '[],', '0,', '[[]],', '"",']);
      return text(`{"id":3,"result":[${unit.repeat(limits.maxValues + rand(1000))}0]}`, ['OVSDB_MESSAGE_TOO_MANY_VALUES']);
    }
    case 'digits':
      return text(`{"id":3,"result":[${pick(rand, ['', '-', '0.', '1e'])}${'7'.repeat(limits.maxNumberLength + 1 + rand(100000))}]}`, ['OVSDB_NUMBER_TOO_LONG']);
    case 'out-of-range': {
      const n = pick(rand, ['1180591620717411303424', '9223372036854775808', '-9223372036854775809', '1e400', '-1e309', '1.7976931348623159e308', '1E+999']);
      return text(pick(rand, [`{"id":3,"result":[${n}],"error":null}`, update2(MONITOR_ID, `{"Logical_Switch_Port":{"${LSP}":{"modify":{"tag_request":${n}}}}}`)]), ['OVSDB_NUMBER_OUT_OF_RANGE']);
    }
    case 'utf8': {
      const bad = pick(rand, [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe6, 0x97]]);
      const [a, b] = update2(MONITOR_ID, `{"Logical_Switch":{"${LS}":{"modify":{"name":"@"}}}}`).split('@');
      return { bytes: Buffer.concat([Buffer.from(prefix + a), Buffer.from(bad), Buffer.from(b)]), expect: ['OVSDB_INVALID_UTF8'] };
    }
    case 'unknown-id': {
      const ids = ['1000000', '-1', '0.5', '"3"', 'null', '[3]', '{"id":3}', '9223372036854775807', 'true'];
      const replies = Array.from({ length: 1 + rand(20) }, () => `{"id":${pick(rand, ids)},"result":${pick(rand, ['[]', '{}', 'null', '"x"'])},"error":${pick(rand, ['null', '"oops"'])}}`);
      return text(replies.join(pick(rand, ['', '\n', ' \t\r\n'])), 'clean');
    }
    case 'unknown-monitor': {
      const ids = ['"nope"', '0', 'null', '["hostile"]', '{"a":1}', '"hostile "'];
      const notes = Array.from({ length: 1 + rand(20) }, () => {
        const method = pick(rand, ['update', 'update2', 'update3', 'monitor_canceled', 'locked', 'stolen']);
        const id = pick(rand, ids);
        return method === 'update3' ? `{"id":null,"method":"update3","params":[${id},"00000000-0000-0000-0000-000000000000",{"Logical_Switch":{"${LS}":{"delete":null}}}]}`
          : `{"id":null,"method":"${method}","params":[${id},{"Logical_Switch":{"${LS}":{"delete":null}}}]}`;
      });
      return text(notes.join(''), 'clean');
    }
    case 'bad-update': {
      // For the monitor that exists: shapes the client must refuse (typed) or pass on as decoded values.
      const body = pick(rand, [
        '{"No_Such_Table":{}}', `{"Logical_Switch":{"${LS}":{"modify":{"no_such_column":1}}}}`, `{"Logical_Switch":{"${LS}":{"modify":{"name":5}}}}`,
        `{"Logical_Switch":{"${LS}":{}}}`, `{"Logical_Switch":{"${LS}":[]}}`, '{"Logical_Switch":[]}', '[]', '"x"', 'null',
        `{"Logical_Switch":{"${LS}":{"insert":{"ports":["uuid","not-a-uuid"]}}}}`, `{"Logical_Switch_Port":{"${LSP}":{"modify":{"tag_request":1.5}}}}`,
        `{"Logical_Switch":{"${LS}":{"modify":{"ports":["set",[["uuid","${LSP}"],["named-uuid","x"]]]}}}}`,
        `{"Logical_Switch":{"${LS}":{"insert":{"other_config":["map",[["k"]]]}}}}`,
      ]);
      return text(update2(MONITOR_ID, body), 'any');
    }
    case 'half': {
      const whole = pick(rand, [validUpdate(), '{"id":3,"result":["OVN_Northbound"],"error":null}', '{"id":"echo","method":"echo","params":[]}']);
      return text(whole.slice(0, 1 + rand(whole.length - 1)), 'clean');
    }
    case 'wrong-shape':
      // Valid JSON that is no JSON-RPC message; a bare id no call waits for is ignored.
      return rand(5) === 0 ? text(pick(rand, ['{"id":99}', '{"id":null}']), 'clean')
        : text(pick(rand, ['[1,2,3]', '{}', '{"result":[]}', '{"method":7,"params":[]}', '[]', '{"params":[],"error":null}']), ['OVSDB_PROTOCOL']);
    case 'server-request':
      // Requests from the server: echo is answered, others get "unknown method"; the session goes on until the close.
      return text(Array.from({ length: 1 + rand(5) }, (_, i) => `{"id":"s${i}","method":"${pick(rand, ['echo', 'transact', 'list_dbs'])}","params":${pick(rand, ['[]', '["x",1e2]', 'null'])}}`).join(''), 'clean');
    case 'mutated': {
      const b = Buffer.from(transcript);
      const out: Buffer[] = [b];
      for (let k = 1 + rand(5); k > 0; k--) {
        const cur = Buffer.concat(out);
        out.length = 0;
        const at = rand(cur.length);
        switch (rand(4)) {
          case 0: cur[at] = rand(256); out.push(cur); break;
          case 1: out.push(cur.subarray(0, at), cur.subarray(Math.min(cur.length, at + 1 + rand(64)))); break;
          case 2: out.push(cur.subarray(0, at), cur.subarray(at, at + rand(200)), cur.subarray(at)); break;
          default: out.push(cur.subarray(0, at), randomBytes(rand, 1 + rand(8)), cur.subarray(at)); break;
        }
      }
      return { bytes: Buffer.concat(out), expect: 'any' };
    }
  }
}

/** One hostile stream: its bytes and where they are cut into chunks. */
export function makeScenario(rand: Rand, limits: Required<MessageLimits> = FUZZ_LIMITS, kind: Kind = pick(rand, KINDS)): Scenario {
  const { bytes, expect } = hostileBytes(rand, kind, limits);
  const cuts: number[] = [];
  const style = rand(4);
  for (let at = 0; at < bytes.length;) {
    at += style === 0 ? 1 + rand(3) : style === 1 ? 1 + rand(64) : 1 + rand(65536);
    if (at < bytes.length) cuts.push(at);
    if (style === 0 && cuts.length > 512) break; // byte by byte only for the start of big streams
  }
  return { kind, bytes, cuts, expect };
}

export interface Outcome {
  /** Failures of the invariants (empty: the stream passed). */
  readonly failures: string[];
  /** The code the session ended with ('clean' for the peer's close). */
  readonly ended: string;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => new Promise<T>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
});

/**
 * Runs one stream: `client`/`server` are the two ends of a connection (a socket pair or memory-pair). The fake
 * server answers the monitor request, waits until the three calls are on the wire, writes the hostile chunks and
 * closes its end.
 */
export async function runScenario(scenario: Scenario, client: Duplex, server: Duplex, limits: MessageLimits = FUZZ_LIMITS): Promise<Outcome> {
  const failures: string[] = [];
  const pending = new Set(['transact', 'list_dbs', 'echo']);
  let release!: () => void;
  const callsOnWire = new Promise<void>((resolve) => { release = resolve; });
  const requests = new JsonFramer();
  server.on('error', () => undefined);
  server.on('data', (chunk: Buffer) => {
    try {
      requests.push(chunk, (msg) => {
        const { id, method } = msg as { id: Json; method: string };
        if (method === 'monitor_cond') {
          server.write(`{"id":${JSON.stringify(id)},"result":{"Logical_Switch":{"${LS}":{"initial":{"name":"ls0","ports":["uuid","${LSP}"]}}},`
            + `"Logical_Switch_Port":{"${LSP}":{"initial":{"name":"p0","tag_request":7}}}},"error":null}`);
        } else if (pending.delete(method) && pending.size === 0) release();
      });
    } catch (err) {
      failures.push(`the client sent bytes the fake server could not frame: ${String(err)}`);
    }
  });

  const session = OvsdbClient.fromStream(client, { ...limits }, 'fuzz');
  session.useSchema(nbSchema());
  let updates = 0;
  const monitor = await withTimeout(session.monitorCond(NB, { Logical_Switch: {}, Logical_Switch_Port: {} }, { id: MONITOR_ID }), 5000, 'monitor_cond');
  monitor.on('update', () => { updates++; });
  const calls = {
    // A transaction that writes: only such a one has an unknown outcome when the connection ends (a read has none).
    transact: session.transactRaw(NB, [{ op: 'insert', table: 'Logical_Switch', row: { name: 'hostile' } }]),
    list_dbs: session.call('list_dbs', []),
    echo: session.call('echo', ['x']),
  };
  for (const p of Object.values(calls)) p.catch(() => undefined);
  await withTimeout(callsOnWire, 5000, 'the calls reaching the server');

  let from = 0;
  for (const cut of [...scenario.cuts, scenario.bytes.length]) {
    if (server.destroyed) break;
    server.write(scenario.bytes.subarray(from, cut));
    from = cut;
  }
  server.end();

  let closedWith: OvsdbError | undefined;
  try {
    closedWith = await withTimeout(session.session.closed, 10_000, 'the session');
  } catch (err) {
    failures.push(String(err));
    session.session.close();
  }
  const ended = closedWith === undefined ? 'clean' : closedWith.code;
  if (closedWith !== undefined && !(closedWith instanceof OvsdbError)) failures.push(`ended with an untyped ${String(closedWith)}`);
  const expect = scenario.expect;
  if (expect === 'clean' && closedWith !== undefined) failures.push(`expected a clean close, got ${closedWith.code}: ${closedWith.message}`);
  if (Array.isArray(expect) && !expect.includes(ended as OvsdbErrorCode)) failures.push(`expected ${expect.join('|')}, got ${ended}${closedWith ? `: ${closedWith.message}` : ''}`);

  for (const [method, call] of Object.entries(calls)) {
    const settled = await withTimeout(call.then(() => undefined, (e: unknown) => e), 5000, method).catch((e: unknown) => e);
    if (settled === undefined) {
      if (scenario.kind !== 'mutated' && scenario.kind !== 'garbage') failures.push(`${method} resolved, but nothing answered it`);
      continue;
    }
    if (!(settled instanceof OvsdbError)) { failures.push(`${method} rejected with an untyped ${String(settled)}`); continue; }
    if (settled instanceof OvsdbConnectionClosedError) {
      const unknown = settled instanceof OvsdbOutcomeUnknownError;
      if (method === 'transact' && !unknown) failures.push('the pending transact was not reported as outcome unknown');
      if (method !== 'transact' && unknown) failures.push(`${method} was reported as a transaction of unknown outcome`);
    }
  }
  void updates;
  client.destroy();
  server.destroy();
  return { failures, ended };
}

export interface FuzzReport {
  streams: number;
  ms: number;
  byKind: Record<string, number>;
  /** How streams ended: error code (or 'clean') -> count. */
  endings: Record<string, number>;
  failures: string[];
  rssStartMb: number;
  rssMaxMb: number;
  rssEndMb: number;
  heapGrowthMb: number;
}

/** Runs `count` streams; `connect` gives the two ends of a fresh connection for each. */
export async function fuzzOvsdbClient(
  count: number, seed: number, connect: () => Promise<[Duplex, Duplex]>, options: { limits?: Required<MessageLimits>; gc?: () => void; onProgress?: (done: number) => void } = {},
): Promise<FuzzReport> {
  const limits = options.limits ?? FUZZ_LIMITS;
  const rand = seeded(seed);
  const report: FuzzReport = { streams: 0, ms: 0, byKind: {}, endings: {}, failures: [], rssStartMb: 0, rssMaxMb: 0, rssEndMb: 0, heapGrowthMb: 0 };
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => { uncaught.push(e); };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const mb = (n: number) => Math.round(n / 1048576);
  options.gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  report.rssStartMb = mb(process.memoryUsage().rss);
  const t0 = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const scenario = makeScenario(rand, limits);
      const [client, server] = await connect();
      const outcome = await runScenario(scenario, client, server, limits);
      report.streams++;
      report.byKind[scenario.kind] = (report.byKind[scenario.kind] ?? 0) + 1;
      report.endings[outcome.ended] = (report.endings[outcome.ended] ?? 0) + 1;
      for (const f of outcome.failures) if (report.failures.length < 50) report.failures.push(`stream ${i} (${scenario.kind}): ${f}`);
      if (i % 256 === 0) {
        report.rssMaxMb = Math.max(report.rssMaxMb, mb(process.memoryUsage().rss));
        options.onProgress?.(i);
      }
    }
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  report.ms = performance.now() - t0;
  for (const e of uncaught.slice(0, 10)) report.failures.push(`thrown outside any stream: ${String(e)}`);
  options.gc?.();
  report.rssEndMb = mb(process.memoryUsage().rss);
  report.rssMaxMb = Math.max(report.rssMaxMb, report.rssEndMb);
  report.heapGrowthMb = mb(process.memoryUsage().heapUsed - heapStart);
  return report;
}
