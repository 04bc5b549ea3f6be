// The Internet checksum (RFC 1071) of bytes in a WebAssembly memory, 32 bytes per loop iteration with 128-bit SIMD:
// for a buffer the codecs own (the STT reassembler's arena), where the plain-JS sum (checksum.ts) pays V8's per-access
// checks. Built from the opcodes below when this module loads: no runtime dependency, no binary blob. Where
// WebAssembly or its SIMD is missing, createSimdSummer() returns null and the caller keeps the plain-JS path, which
// stays the reference in the tests (test/codecs/checksum).
//
// sum(off, len), in WebAssembly text:
//   p = off; end = off + len
//   while (p + 32 <= end) { a0 += i32x4.extadd_pairwise_i16x8_u(v128.load(p)); a1 += ...(v128.load(p + 16)); p += 32 }
//   if (p + 16 <= end) { a0 += ...(v128.load(p)); p += 16 }
//   s = the four lanes of a0 + a1 (i64); while (p + 2 <= end) { s += i32.load16_u(p); p += 2 }; if (p < end) s += i32.load8_u(p)
//   fold s to 16 bits (four rounds); return it byte-swapped
// The loads are little-endian, so the lanes hold byte-swapped big-endian words: their one's-complement sum is the
// byte-swapped sum (RFC 1071 section 2(B)), swapped back at the end; a trailing odd byte, the high byte of a
// zero-padded big-endian word, is the low byte once swapped. Each lane grows by at most 131,070 per iteration, so
// the sum is exact for len up to 1 MiB.

/** The part of the WebAssembly JS API used here (the project's TypeScript libs, ES2023 and @types/node 20, lack it). */
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { sum: (off: number, len: number) => number; memory: { buffer: ArrayBuffer } } };
};

const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;
const BLOCK = 0x02; const LOOP = 0x03; const IF = 0x04; const EMPTY = 0x40; const END = 0x0b;
const BR = 0x0c; const BR_IF = 0x0d;
const LOCAL_GET = 0x20; const LOCAL_SET = 0x21; const LOCAL_TEE = 0x22;
const I32_LOAD8_U = 0x2d; const I32_LOAD16_U = 0x2f;
const I32_CONST = 0x41; const I64_CONST = 0x42;
const I32_LT_U = 0x49; const I32_GT_U = 0x4b;
const I32_ADD = 0x6a; const I32_AND = 0x71; const I32_OR = 0x72; const I32_SHL = 0x74; const I32_SHR_U = 0x76;
const I64_ADD = 0x7c; const I64_AND = 0x83; const I64_SHR_U = 0x88;
const I32_WRAP_I64 = 0xa7; const I64_EXTEND_I32_U = 0xad;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00];
const I32X4_EXTRACT_LANE = [SIMD, 0x1b];
const I32X4_EXTADD_PAIRWISE_I16X8_U = [SIMD, 0x7f];
const I32X4_ADD = [SIMD, 0xae, 0x01];

// parameters and locals
const OFF = 0; const LEN = 1; const END_AT = 2; const P = 3; const A0 = 4; const A1 = 5; const S = 6;

/** Unsigned LEB128. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
}

/** a += extadd(v128.load(p + offset)) */
function addBlock(acc: number, offset: number): number[] {
  return [
    LOCAL_GET, acc, LOCAL_GET, P, ...V128_LOAD, 0, ...leb(offset), ...I32X4_EXTADD_PAIRWISE_I16X8_U, ...I32X4_ADD, LOCAL_SET, acc,
  ];
}

/** p + n > end: the loops branch out on it. */
function pastEnd(n: number): number[] {
  return [LOCAL_GET, P, I32_CONST, ...leb(n), I32_ADD, LOCAL_GET, END_AT, I32_GT_U];
}

function lane(i: number): number[] {
  return [LOCAL_GET, A0, ...I32X4_EXTRACT_LANE, i, I64_EXTEND_I32_U];
}

function foldStep(): number[] {
  return [LOCAL_GET, S, I64_CONST, ...leb(0xffff), I64_AND, LOCAL_GET, S, I64_CONST, 16, I64_SHR_U, I64_ADD, LOCAL_SET, S];
}

function moduleBytes(pages: number): Uint8Array {
  const body = [
    // locals: end, p (i32), a0, a1 (v128), s (i64)
    3, 2, I32, 2, V128, 1, I64,
    LOCAL_GET, OFF, LOCAL_TEE, P, LOCAL_GET, LEN, I32_ADD, LOCAL_SET, END_AT,
    BLOCK, EMPTY, LOOP, EMPTY,
    ...pastEnd(32), BR_IF, 1,
    ...addBlock(A0, 0), ...addBlock(A1, 16),
    LOCAL_GET, P, I32_CONST, 32, I32_ADD, LOCAL_SET, P,
    BR, 0, END, END,
    ...pastEnd(16), 0x45 /* i32.eqz */, IF, EMPTY,
    ...addBlock(A0, 0), LOCAL_GET, P, I32_CONST, 16, I32_ADD, LOCAL_SET, P,
    END,
    LOCAL_GET, A0, LOCAL_GET, A1, ...I32X4_ADD, LOCAL_SET, A0,
    ...lane(0), ...lane(1), I64_ADD, ...lane(2), I64_ADD, ...lane(3), I64_ADD, LOCAL_SET, S,
    BLOCK, EMPTY, LOOP, EMPTY,
    ...pastEnd(2), BR_IF, 1,
    LOCAL_GET, S, LOCAL_GET, P, I32_LOAD16_U, 0, 0, I64_EXTEND_I32_U, I64_ADD, LOCAL_SET, S,
    LOCAL_GET, P, I32_CONST, 2, I32_ADD, LOCAL_SET, P,
    BR, 0, END, END,
    LOCAL_GET, P, LOCAL_GET, END_AT, I32_LT_U, IF, EMPTY,
    LOCAL_GET, S, LOCAL_GET, P, I32_LOAD8_U, 0, 0, I64_EXTEND_I32_U, I64_ADD, LOCAL_SET, S,
    END,
    ...foldStep(), ...foldStep(), ...foldStep(), ...foldStep(),
    // ((s & 0xff) << 8) | (s >> 8)
    LOCAL_GET, S, I32_WRAP_I64, LOCAL_TEE, OFF, I32_CONST, ...leb(0xff), I32_AND, I32_CONST, 8, I32_SHL,
    LOCAL_GET, OFF, I32_CONST, 8, I32_SHR_U, I32_OR,
    END,
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, I32, I32, 1, I32]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x01, ...leb(pages), ...leb(pages)]),
    ...section(7, [2, ...name('sum'), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ];
  return Uint8Array.from(bytes);
}

/** A WebAssembly memory of at least `size` bytes and the checksum over it. */
export interface SimdSummer {
  /** The first `size` bytes of the memory (it never grows, so this view stays attached). */
  readonly bytes: Uint8Array;
  /** The one's-complement sum (folded, not inverted) of bytes[off, off+len) read as big-endian 16-bit words from
   * `off`, an odd length padded with a zero byte: sum16()'s value. The caller keeps the region inside `bytes`. */
  readonly sum: (off: number, len: number) => number;
}

let supported: boolean | undefined;

/**
 * A summer over a fresh memory of `size` bytes, or null where WebAssembly SIMD is not available (then use the
 * plain-JS functions of checksum.ts). Allocates the memory: call it once, at construction.
 */
export function createSimdSummer(size: number): SimdSummer | null {
  if (typeof WebAssembly !== 'object' || !Number.isInteger(size) || size < 1 || size > 0x7fff0000) return null;
  const pages = Math.ceil(size / 65536);
  const code = moduleBytes(pages);
  if (supported === undefined) supported = WebAssembly.validate(code);
  if (!supported) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(code), {});
  return { bytes: new Uint8Array(instance.exports.memory.buffer, 0, size), sum: instance.exports.sum };
}
