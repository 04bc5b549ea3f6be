// JSON values as OVSDB puts them on the wire, with 64-bit integers kept exact: an integer literal that is not a
// safe JavaScript integer parses to a bigint (and a bigint serializes back to the same digits). Safe integers stay
// `number`, so the common path uses the engine's JSON.parse / JSON.stringify and only texts with long digit runs
// or exponents take the hand-written parser below. Numbers OVSDB cannot carry are refused, as ovsdb-server
// refuses them: an integer outside the 64-bit range, a real beyond a double (1e400 would be Infinity).
import { OvsdbMessageTooDeepError, OvsdbNumberOutOfRangeError, OvsdbProtocolError } from './errors.js';
import { DEFAULT_MAX_DEPTH } from './message-limits.js';

import type { Json, JsonObject } from './json-value.js';

export type { Json, JsonObject };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DBL_MAX_15_DIGITS = /^-?1\.79769313486232[eE]\+?308$/;
/** Digits of the longest 64-bit integer (2^63 has 19); a longer integer is out of range without a BigInt. */
const INT64_DIGITS = 19;

/**
 * Parses one JSON text; integers beyond 2^53 become bigints. Throws OvsdbProtocolError on malformed input,
 * OvsdbNumberOutOfRangeError on a number OVSDB cannot carry, OvsdbMessageTooDeepError past `maxDepth` levels.
 */
export function parseJsonBig(text: string, maxDepth = DEFAULT_MAX_DEPTH): Json {
  const p = new Parser(text, maxDepth);
  p.ws();
  let v: Json;
  try {
    v = p.value(0);
  } catch (err) {
    // A maxDepth set beyond what the stack holds: still a typed refusal, not a crash.
    if (err instanceof RangeError) throw new OvsdbMessageTooDeepError(maxDepth);
    throw err;
  }
  p.ws();
  if (p.i !== text.length) p.fail('unexpected trailing characters');
  return v;
}

/**
 * Parses one JSON text. `needsExactParser` false (the framer saw no digit run of 16 or more and no exponent
 * outside strings) lets the engine's JSON.parse do the work.
 */
export function parseJson(text: string, needsExactParser = true, maxDepth = DEFAULT_MAX_DEPTH): Json {
  if (needsExactParser) return parseJsonBig(text, maxDepth);
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new OvsdbProtocolError(`invalid JSON from peer: ${(err as Error).message}`, { cause: err });
  }
}

class Parser {
  i = 0;
  constructor(readonly s: string, readonly maxDepth: number) {}

  fail(what: string): never {
    const near = this.s.slice(Math.max(0, this.i - 20), this.i + 20);
    throw new OvsdbProtocolError(`invalid JSON from peer at offset ${this.i}: ${what} (near ${JSON.stringify(near)})`);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** One value inside `depth` arrays/objects. */
  value(depth: number): Json {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if ((c === 0x7b || c === 0x5b) && depth >= this.maxDepth) throw new OvsdbMessageTooDeepError(this.maxDepth);
    switch (c) {
      case 0x7b: { // {
        this.i++;
        const obj: Record<string, Json> = {};
        this.ws();
        if (s.charCodeAt(this.i) === 0x7d) { this.i++; return obj; }
        for (;;) {
          this.ws();
          if (s.charCodeAt(this.i) !== 0x22) this.fail('expected a member name');
          const key = this.string();
          this.ws();
          if (s.charCodeAt(this.i) !== 0x3a) this.fail('expected ":"');
          this.i++;
          this.ws();
          const v = this.value(depth + 1);
          if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
          else obj[key] = v;
          this.ws();
          const d = s.charCodeAt(this.i++);
          if (d === 0x2c) continue;
          if (d === 0x7d) return obj;
          this.i--;
          this.fail('expected "," or "}"');
        }
      }
      case 0x5b: { // [
        this.i++;
        const arr: Json[] = [];
        this.ws();
        if (s.charCodeAt(this.i) === 0x5d) { this.i++; return arr; }
        for (;;) {
          this.ws();
          arr.push(this.value(depth + 1));
          this.ws();
          const d = s.charCodeAt(this.i++);
          if (d === 0x2c) continue;
          if (d === 0x5d) return arr;
          this.i--;
          this.fail('expected "," or "]"');
        }
      }
      case 0x22: return this.string();
      case 0x74: return this.word('true', true);
      case 0x66: return this.word('false', false);
      case 0x6e: return this.word('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(Number.isNaN(c) ? 'unexpected end of text' : 'unexpected character');
    }
  }

  word<T extends Json>(w: string, v: T): T {
    if (!this.s.startsWith(w, this.i)) this.fail('unexpected character');
    this.i += w.length;
    return v;
  }

  number(): number | bigint {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 0x2d) i++;
    const intStart = i;
    const first = s.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) { while (isDigit(s.charCodeAt(i))) i++; } else { this.i = i; this.fail('bad number'); }
    let integer = true;
    if (s.charCodeAt(i) === 0x2e) {
      integer = false;
      i++;
      if (!isDigit(s.charCodeAt(i))) { this.i = i; this.fail('bad number'); }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      integer = false;
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(s.charCodeAt(i))) { this.i = i; this.fail('bad number'); }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    this.i = i;
    const text = s.slice(start, i);
    if (integer) {
      if (i - intStart <= 15) return Number(text);
      if (i - intStart > INT64_DIGITS) throw new OvsdbNumberOutOfRangeError(text, 'an integer beyond the 64-bit range');
      const big = BigInt(text);
      if (big > INT64_MAX || big < INT64_MIN) throw new OvsdbNumberOutOfRangeError(text, 'an integer beyond the 64-bit range');
      return big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER) ? big : Number(text);
    }
    const real = Number(text);
    if (Number.isFinite(real)) return real;
    // ovsdb-server 3.1 writes reals with 15 significant digits, so the largest double comes out as
    // 1.79769313486232e+308, just beyond it: read that (and only that) as the largest double.
    if (DBL_MAX_15_DIGITS.test(text)) return real > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
    throw new OvsdbNumberOutOfRangeError(text, 'a real beyond the range of a double');
  }

  string(): string {
    const s = this.s;
    const start = this.i + 1;
    const close = s.indexOf('"', start);
    if (close < 0) { this.i = s.length; this.fail('unterminated string'); }
    const slash = s.indexOf('\\', start);
    if (slash < 0 || slash > close) {
      for (let k = start; k < close; k++) if (s.charCodeAt(k) < 0x20) { this.i = k; this.fail('control character in string'); }
      this.i = close + 1;
      return s.slice(start, close);
    }
    let out = '';
    let i = start;
    let chunk = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) { this.i = i; this.fail('unterminated string'); }
      if (c === 0x22) { out += s.slice(chunk, i); this.i = i + 1; return out; }
      if (c < 0x20) { this.i = i; this.fail('control character in string'); }
      if (c !== 0x5c) { i++; continue; }
      out += s.slice(chunk, i);
      const e = s.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const hex = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) { this.i = i; this.fail('bad \\u escape'); }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default: this.i = i - 1; this.fail('bad escape');
      }
      chunk = i;
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Serializes a JSON value; bigints are written as their exact digits. */
export function stringifyJson(value: Json): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return stringifyBig(value);
  }
}

function stringifyBig(v: Json | undefined): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'number': return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean': return v ? 'true' : 'false';
    case 'string': return JSON.stringify(v);
    case 'undefined': return 'null';
    default: break;
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + stringifyBig(v[i]);
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const key of Object.keys(v)) {
    const x = (v as Record<string, Json | undefined>)[key];
    if (x === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${stringifyBig(x)}`;
    first = false;
  }
  return `${out}}`;
}
