// Incremental splitter of back-to-back JSON texts, as ovsdb-server writes them (no delimiter between messages).
//
// A state machine over bytes: it remembers (depth, inside a string, after a backslash) across chunks, so each
// byte is looked at once and a text may be split anywhere, also inside a multi-byte UTF-8 character (bytes of
// such characters are >= 0x80 and never equal to a quote, a backslash or a bracket). Only when a text is
// complete are its bytes joined and decoded. While scanning, it notes digit runs of 16 or more outside strings:
// texts without one are parsed by the engine's JSON.parse, the others by the bigint-exact parser.
import { OvsdbMessageTooLargeError, OvsdbProtocolError } from './errors.js';
import { parseJson, type Json } from './json.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface FramerOptions {
  /** A text longer than this ends the stream with OvsdbMessageTooLargeError. Default 256 MiB. */
  maxMessageBytes?: number;
}

/** Splits a byte stream into complete JSON texts (the raw bytes of each). */
export class JsonSplitter {
  readonly maxMessageBytes: number;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private digitRun = 0;
  private bigDigits = false;
  /** Bytes of the current (incomplete) text from earlier chunks. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private failed: Error | undefined;

  constructor(options: FramerOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Bytes held for an incomplete text. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /**
   * Feeds one chunk; calls `emit` for each complete text with its bytes and whether it may hold integers beyond
   * 2^53. Throws OvsdbProtocolError (and stays failed) on bytes that cannot start a text or on an oversized text.
   */
  push(chunk: Uint8Array, emit: (bytes: Buffer, mayHaveBigIntegers: boolean) => void): void {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let digitRun = this.digitRun;
    let bigDigits = this.bigDigits;
    let start = depth > 0 ? 0 : -1;
    const max = this.maxMessageBytes;
    for (let i = 0; i < n; i++) {
      const c = buf[i];
      if (depth === 0) {
        if (c === 0x7b || c === 0x5b) { // { [
          depth = 1;
          start = i;
          digitRun = 0;
          bigDigits = false;
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
        if (++digitRun >= 16) bigDigits = true;
        continue;
      }
      digitRun = 0;
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
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
          this.depth = 0; this.inString = false; this.escaped = false; this.digitRun = 0; this.bigDigits = false;
          emit(bytes, bigDigits);
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
    this.bigDigits = bigDigits;
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
    this.splitter.push(chunk, (bytes, big) => {
      let value: Json;
      try {
        value = parseJson(bytes.toString('utf8'), big);
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
