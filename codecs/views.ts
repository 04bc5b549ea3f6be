// A one-entry DataView cache per encoder/decoder, keyed by the identity of the caller's Uint8Array.
//
// Why: DataView reads are one bounds-checked load per 16/32-bit field (15 ns to read 60 bytes as words here,
// against 36 ns byte by byte), but a DataView needs the array's ArrayBuffer and byteOffset, and on Node 20
// those getters are 10-15 ns builtin calls each (see bytes.ts). Comparing the array with the last one seen
// is free; only a different Uint8Array pays the getters, and only a different ArrayBuffer allocates a view
// (once; a pipeline that carves packets out of one pool, or reuses its buffers, never allocates again).
// Index the view with `base + offset`. The cache keeps a reference to the last array it saw.

const EMPTY = new DataView(new ArrayBuffer(0));
/** The array a fresh view is bound to: not null, so that a null argument misses the cache and is refused by bind(). */
const NO_ARRAY = new Uint8Array(0);

export class ByteView {
  array: Uint8Array = NO_ARRAY;
  buffer: ArrayBufferLike | null = null;
  view: DataView = EMPTY;
  base = 0;

  /**
   * Points the view at `buf` (call when `buf !== this.array`); false when `buf` is not a Uint8Array. The type check
   * lives here, on the cache miss, so the per-packet path (the same array again) pays nothing for it.
   */
  bind(buf: Uint8Array): boolean {
    if (!(buf instanceof Uint8Array)) return false;
    this.array = buf;
    const b = buf.buffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.view = new DataView(b);
    }
    this.base = buf.byteOffset;
    return true;
  }
}
