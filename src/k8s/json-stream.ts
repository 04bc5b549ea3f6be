// Splits a text stream into JSON values with the line numbers they came from, and goes on past bad input. It
// reads both layouts kubectl prints: one compact JSON text per line (`--output-watch-events -o json`, and the API's
// own watch body) and pretty-printed texts one after another (`-o json` without watch events).
//
// The byte-level split is src/ovsdb/framing.ts's JsonSplitter (it tracks strings, escapes and depth across
// chunks); this file feeds it one line at a time so that every value, and every problem, has line numbers:
//  - a line outside any value that does not start a JSON text is "not-json" (a run of such lines is one problem);
//  - a value that does not parse, or bytes after a value on its line, are "not-json" too;
//  - a line starting with "{" in its first column while a value is still open means that value was cut short
//    ("truncated"): kubectl starts every value in column 1 and never puts an inner line there;
//  - the end of the stream inside a value is "truncated".
// A line that is one whole JSON text (kubectl's compact layout) is parsed as it is, without the byte-level split:
// that halves the cost of reading a watch stream; any other line (a pretty-printed value's first line, two values
// on a line, bad JSON) fails that parse and goes through the split as before.
import { OvsdbMessageTooLargeError } from '../ovsdb/errors.js';
import { JsonSplitter } from '../ovsdb/framing.js';

export interface JsonStreamItem {
  readonly value: unknown;
  readonly firstLine: number;
  readonly lastLine: number;
}

export interface JsonStreamFault {
  readonly reason: 'not-json' | 'truncated';
  readonly message: string;
  readonly firstLine: number;
  readonly lastLine: number;
}

export interface JsonStreamOptions {
  /** A value larger than this is refused (default 64 MiB; the API's own objects stay below ~1.5 MiB). */
  maxItemBytes?: number;
}

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

function firstNonBlank(line: Buffer): number {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return c;
  }
  return -1;
}

function preview(line: Buffer): string {
  const text = line.toString('utf8').trim();
  return JSON.stringify(text.length > 60 ? text.slice(0, 57) + '...' : text);
}

export class JsonStreamReader {
  private readonly maxItemBytes: number;
  private splitter: JsonSplitter;
  private partial: Buffer[] = [];
  private lineNumber = 0;
  /** First line of the value being read (0: none open). */
  private valueStart = 0;
  /** A run of lines that are not JSON, reported as one fault when it ends. */
  private badRun: { first: number; last: number; sample: string } | undefined;
  private started = false;

  constructor(private readonly onItem: (item: JsonStreamItem) => void, private readonly onFault: (fault: JsonStreamFault) => void,
    options: JsonStreamOptions = {}) {
    this.maxItemBytes = options.maxItemBytes ?? 64 * 1024 * 1024;
    this.splitter = new JsonSplitter({ maxMessageBytes: this.maxItemBytes });
  }

  /** Lines read so far. */
  get lines(): number {
    return this.lineNumber;
  }

  push(chunk: Uint8Array | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.started && buf.length > 0) {
      this.started = true;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3); // UTF-8 BOM
    }
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, from);
      if (nl < 0) break;
      const piece = buf.subarray(from, nl + 1);
      const line = this.partial.length === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      this.line(line);
      from = nl + 1;
    }
    // Copy: the caller may reuse the chunk's memory.
    if (from < buf.length) this.partial.push(Buffer.from(buf.subarray(from)));
  }

  /** The stream ended: reads a last line without a newline, reports a value left open. */
  end(): void {
    if (this.partial.length > 0) {
      const line = Buffer.concat(this.partial);
      this.partial = [];
      this.line(line);
    }
    this.flushBadRun();
    if (this.valueStart > 0) {
      this.onFault({ reason: 'truncated', message: `the stream ended inside the value that starts on line ${this.valueStart}`,
        firstLine: this.valueStart, lastLine: this.lineNumber });
      this.reset();
    }
  }

  private reset(): void {
    this.splitter = new JsonSplitter({ maxMessageBytes: this.maxItemBytes });
    this.valueStart = 0;
  }

  private flushBadRun(): void {
    const run = this.badRun;
    if (!run) return;
    this.badRun = undefined;
    const where = run.first === run.last ? `line ${run.first}` : `lines ${run.first}-${run.last}`;
    this.onFault({ reason: 'not-json', message: `${where}: not JSON (${run.sample})`, firstLine: run.first, lastLine: run.last });
  }

  /** A line holding exactly one JSON text: its item, true. Anything else: false, nothing reported. */
  private wholeLine(line: Buffer, number: number): boolean {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      return false;
    }
    this.onItem({ value, firstLine: number, lastLine: number });
    return true;
  }

  private line(line: Buffer): void {
    const number = ++this.lineNumber;
    if (this.valueStart > 0 && line[0] === OPEN_BRACE) {
      this.onFault({ reason: 'truncated', message: `the value that starts on line ${this.valueStart} ends without closing before line ${number}`,
        firstLine: this.valueStart, lastLine: number - 1 });
      this.reset();
    }
    if (this.valueStart === 0) {
      const first = firstNonBlank(line);
      if (first < 0) return;
      if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
        if (this.badRun) this.badRun.last = number;
        else this.badRun = { first: number, last: number, sample: preview(line) };
        return;
      }
      this.flushBadRun();
      if (first === OPEN_BRACE && line.length <= this.maxItemBytes && this.wholeLine(line, number)) return;
      this.valueStart = number;
    }
    try {
      this.splitter.push(line, (bytes) => {
        const firstLine = this.valueStart;
        // Another value may begin on the same line.
        this.valueStart = number;
        let value: unknown;
        try {
          value = JSON.parse(bytes.toString('utf8'));
        } catch (err) {
          this.onFault({ reason: 'not-json', message: `${firstLine === number ? `line ${number}` : `lines ${firstLine}-${number}`}: ${(err as Error).message}`,
            firstLine, lastLine: number });
          return;
        }
        this.onItem({ value, firstLine, lastLine: number });
      });
    } catch (err) {
      // Bytes after a value on its line, or a value over the size limit: the rest of the line is dropped.
      const why = err instanceof OvsdbMessageTooLargeError ? `a value larger than ${this.maxItemBytes} bytes` : 'bytes after the end of a JSON value';
      this.onFault({ reason: 'not-json', message: `line ${number}: ${why}`, firstLine: number, lastLine: number });
      this.reset();
      return;
    }
    if (this.splitter.pendingBytes === 0) this.valueStart = 0;
  }
}
