// Cached views over the caller's ArrayBuffers, so hot-path code can read and write 16/32-bit words without
// creating a view per packet. One view per underlying ArrayBuffer (two cached), covering the whole buffer:
// index with `buf.byteOffset + offset`. A pipeline that carves its packets out of one pool hits the cache
// every time; switching between more than two ArrayBuffers per packet creates a view on a miss.

let dvBuffer: ArrayBufferLike | null = null;
let dv: DataView = new DataView(new ArrayBuffer(0));
let dvBuffer2: ArrayBufferLike | null = null;
let dv2: DataView = dv;

export function dataViewOf(buf: Uint8Array): DataView {
  const b = buf.buffer;
  if (b === dvBuffer) return dv;
  if (b === dvBuffer2) {
    const tb = dvBuffer; const tv = dv;
    dvBuffer = dvBuffer2; dv = dv2;
    dvBuffer2 = tb; dv2 = tv;
    return dv;
  }
  dvBuffer2 = dvBuffer; dv2 = dv;
  dvBuffer = b;
  dv = new DataView(b);
  return dv;
}
