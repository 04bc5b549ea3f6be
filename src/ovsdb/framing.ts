// Incremental splitter of back-to-back JSON texts, as ovsdb-server writes them (no delimiter between messages).
//
// A state machine over bytes: it remembers (depth, inside a string, after a backslash, inside a number) across
// chunks, so each byte is looked at once and a text may be split anywhere, also inside a multi-byte UTF-8
// character (bytes of such characters are >= 0x80 and never equal to a quote, a backslash or a bracket). It
// enforces the per-message bounds (message-limits.ts) as the bytes arrive: a text over one is refused before
// the rest of it is held. Only when a text is complete are its bytes checked as UTF-8, joined and decoded.
// While scanning, it notes numbers the engine's JSON.parse could get wrong (a digit run of 16 or more: maybe
// beyond 2^53; an exponent: maybe beyond a double): texts with one go to the exact parser, the others to JSON.parse.
import { isUtf8 } from 'node:buffer';
import {
  OvsdbInvalidUtf8Error, OvsdbMessageTooDeepError, OvsdbMessageTooLargeError, OvsdbMessageTooManyValuesError,
  OvsdbNumberTooLongError, OvsdbProtocolError,
} from './errors.js';
import { parseJson, type Json } from './json.js';
import { resolveMessageLimits, type MessageLimits } from './message-limits.js';

export { DEFAULT_MAX_MESSAGE_BYTES } from './message-limits.js';

/** Bounds of one message; a message over one ends the stream with a typed OvsdbMessageLimitError. */
export type FramerOptions = MessageLimits;

/** Splits a byte stream into complete JSON texts (the raw bytes of each). */
export class JsonSplitter {
  readonly maxMessageBytes: number;
  readonly maxDepth: number;
  readonly maxValues: number;
  readonly maxNumberLength: number;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private digitRun = 0;
  /** Characters of the number being scanned (0: not in a number). */
  private numberLength = 0;
  /** The text holds a number JSON.parse may not read exactly. */
  private needsExact = false;
  private values = 0;
  /** Bytes of the current (incomplete) text from earlier chunks. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private failed: Error | undefined;

  constructor(options: FramerOptions = {}) {
    const limits = resolveMessageLimits(options);
    this.maxMessageBytes = limits.maxMessageBytes;
    this.maxDepth = limits.maxDepth;
    this.maxValues = limits.maxValues;
    this.maxNumberLength = limits.maxNumberLength;
  }

  /** Bytes held for an incomplete text. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /**
   * Feeds one chunk; calls `emit` for each complete text with its bytes, whether it may hold a number that
   * JSON.parse cannot read exactly, and the offset in `chunk` just after the text. Throws OvsdbProtocolError (and stays failed) on bytes that cannot start a
   * text, or an OvsdbMessageLimitError on a text over a bound.
   */
  push(chunk: Uint8Array, emit: (bytes: Buffer, needsExactParser: boolean, end: number) => void): void {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let digitRun = this.digitRun;
    let numberLength = this.numberLength;
    let needsExact = this.needsExact;
    let values = this.values;
    let start = depth > 0 ? 0 : -1;
    const max = this.maxMessageBytes;
    const maxDepth = this.maxDepth;
    const maxValues = this.maxValues;
    const maxNumber = this.maxNumberLength;
    for (let i = 0; i < n; i++) {
      const c = buf[i];
      if (depth === 0) {
        if (c === 0x7b || c === 0x5b) { // { [
          depth = 1;
          start = i;
          digitRun = 0;
          numberLength = 0;
          needsExact = false;
          values = 1;
          continue;
        }
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        this.fail(new OvsdbProtocolError(`unexpected byte 0x${c.toString(16).padStart(2, '0')} between JSON-RPC messages`));
      }
      if (inString) {
        // Jump to the next quote (memchr) and count the backslashes before it: an odd run escapes it. Only
        // bytes after `i` are counted; an escape begun at the end of the previous chunk is carried in `escaped`.
        if (escaped) { escaped = false; continue; }
        let from = i;
        for (;;) {
          const q = buf.indexOf(0x22, from);
          if (q < 0) {
            let k = n - 1;
            while (k >= from && buf[k] === 0x5c) k--;
            escaped = ((n - 1 - k) & 1) === 1;
            i = n;
            break;
          }
          let k = q - 1;
          while (k >= from && buf[k] === 0x5c) k--;
          if (((q - 1 - k) & 1) === 0) { inString = false; i = q; break; }
          from = q + 1;
        }
        continue;
      }
      if (c >= 0x30 && c <= 0x39) {
        if (++digitRun >= 16) needsExact = true;
        if (++numberLength > maxNumber) this.fail(new OvsdbNumberTooLongError(maxNumber));
        continue;
      }
      digitRun = 0;
      if (c === 0x2d || (numberLength > 0 && (c === 0x2e || c === 0x2b || c === 0x65 || c === 0x45))) { // - . + e E
        if (c === 0x65 || c === 0x45) needsExact = true;
        if (++numberLength > maxNumber) this.fail(new OvsdbNumberTooLongError(maxNumber));
        continue;
      }
      numberLength = 0;
      if (c === 0x22) inString = true;
      else if (c === 0x2c) { // ,
        if (++values > maxValues) this.fail(new OvsdbMessageTooManyValuesError(maxValues));
      } else if (c === 0x7b || c === 0x5b) {
        if (++depth > maxDepth) this.fail(new OvsdbMessageTooDeepError(maxDepth));
        if (++values > maxValues) this.fail(new OvsdbMessageTooManyValuesError(maxValues));
      } else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) {
          const size = this.partBytes + (i + 1 - start);
          if (size > max) this.fail(new OvsdbMessageTooLargeError(max));
          let bytes: Buffer;
          if (this.parts.length === 0) bytes = buf.subarray(start, i + 1);
          else {
            this.parts.push(buf.subarray(0, i + 1));
            bytes = Buffer.concat(this.parts, size);
            this.parts = [];
            this.partBytes = 0;
          }
          // Save state before emitting: the callback may throw or re-enter.
          this.depth = 0; this.inString = false; this.escaped = false; this.digitRun = 0; this.numberLength = 0;
          this.needsExact = false; this.values = 0;
          emit(bytes, needsExact, i + 1);
          if (this.failed) throw this.failed;
          start = -1;
        }
      }
    }
    if (depth > 0) {
      const tail = buf.subarray(start < 0 ? 0 : start);
      this.partBytes += tail.length;
      if (this.partBytes > max) this.fail(new OvsdbMessageTooLargeError(max));
      // Copy: the caller may reuse the chunk's memory.
      this.parts.push(Buffer.from(tail));
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.digitRun = digitRun;
    this.numberLength = numberLength;
    this.needsExact = needsExact;
    this.values = values;
  }

  /** Marks the splitter failed with `err` (frees held bytes) and throws it. */
  fail(err: Error): never {
    this.failed = err;
    this.parts = [];
    this.partBytes = 0;
    throw err;
  }
}

/** Splits a byte stream into parsed JSON values. */
export class JsonFramer {
  private readonly splitter: JsonSplitter;

  constructor(options: FramerOptions = {}) {
    this.splitter = new JsonSplitter(options);
  }

  get pendingBytes(): number {
    return this.splitter.pendingBytes;
  }

  /** Feeds one chunk and calls `onMessage` for every complete JSON value. Throws OvsdbProtocolError. */
  push(chunk: Uint8Array, onMessage: (value: Json) => void): void {
    this.splitter.push(chunk, (bytes, needsExact) => {
      let value: Json;
      try {
        // isUtf8 is simdutf; toString alone would turn invalid bytes into U+FFFD without a word.
        if (!isUtf8(bytes)) throw new OvsdbInvalidUtf8Error(firstInvalidUtf8(bytes));
        value = parseJson(bytes.toString('utf8'), needsExact, this.splitter.maxDepth);
      } catch (err) {
        this.splitter.fail(err as Error);
      }
      onMessage(value);
    });
  }

  /** Feeds one chunk and returns the complete values it finished. */
  pushAll(chunk: Uint8Array): Json[] {
    const out: Json[] = [];
    this.push(chunk, (v) => out.push(v));
    return out;
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (RFC 3629); -1 if none. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) min = 0xa0; // overlong
      else if (c === 0xed) max = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) min = 0x90; // overlong
      else if (c === 0xf4) max = 0x8f; // beyond U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (d < (k === 1 ? min : 0x80) || d > (k === 1 ? max : 0xbf)) return i + k;
    }
    i += need + 1;
  }
  return -1;
}
