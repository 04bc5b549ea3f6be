import test from 'ava';
import { copySum16, sum16, fold, add16 } from '../../codecs/index.js';
import { copyBytes } from '../../codecs/checksum.js';
import { createSimdSummer } from '../../codecs/checksum-simd.js';
import { naiveSum, rng, randInt } from './helpers.js';

test('sum16 equals the naive RFC 1071 sum at every alignment and length', (t) => {
  const r = rng(1);
  const backing = new Uint8Array(70000);
  for (let i = 0; i < backing.length; i++) backing[i] = Math.floor(r() * 256);
  for (let k = 0; k < 3000; k++) {
    const view = backing.subarray(randInt(r, 0, 7));
    const off = randInt(r, 0, 9);
    const len = k < 200 ? k : randInt(r, 0, 66000);
    const a = sum16(view, off, len);
    const b = naiveSum(view, off, len);
    // 0 and 0xffff are the same one's-complement value; sum16 never returns 0 for non-zero data
    if ((a % 0xffff) !== (b % 0xffff)) t.fail(`off ${off} len ${len} byteOffset ${view.byteOffset}: ${a} != ${b}`);
  }
  t.pass();
});

test('copySum16 copies exactly and sums like sum16, aligned or not', (t) => {
  const r = rng(2);
  const src = new Uint8Array(70000);
  for (let i = 0; i < src.length; i++) src[i] = Math.floor(r() * 256);
  const dst = new Uint8Array(70000);
  for (let k = 0; k < 1000; k++) {
    dst.fill(0xee);
    const so = randInt(r, 0, 100);
    const d = randInt(r, 0, 100);
    const len = randInt(r, 0, 65535);
    const s = copySum16(src, so, dst, d, len);
    t.is(Buffer.compare(Buffer.from(src.subarray(so, so + len)), Buffer.from(dst.subarray(d, d + len))), 0);
    t.is(dst[d + len], 0xee, 'no write past the end');
    if (d > 0) t.is(dst[d - 1], 0xee, 'no write before the start');
    t.is(s % 0xffff, naiveSum(src, so, len) % 0xffff);
  }
});

test('fold and add16 keep end-around carry', (t) => {
  t.is(fold(0x12345), 0x2346);
  t.is(fold(0x1ffff), 0x0001);
  t.is(fold(0xffff * 70000), 0xffff);
  t.is(add16(0xffff, 0x0001), 0x0001);
});

test('copySum16 at every alignment pair (mod 8), regions at the very ends of their buffers, arrays sharing a buffer', (t) => {
  const r = rng(3);
  for (let k = 0; k < 2000; k++) {
    const len = randInt(r, 60, 3000);
    // the source region ends exactly at its ArrayBuffer's end, the destination starts at its buffer's start
    const srcBuf = new ArrayBuffer(len + randInt(r, 0, 15));
    const so = srcBuf.byteLength - len;
    const src = new Uint8Array(srcBuf, randInt(r, 0, so));
    for (let i = 0; i < src.length; i++) src[i] = Math.floor(r() * 256);
    const dstBuf = new ArrayBuffer(len + 16);
    const shared = r() < 0.3;
    const dst = shared ? new Uint8Array(srcBuf) : new Uint8Array(dstBuf, randInt(r, 0, 15));
    const dOff = shared ? 0 : randInt(r, 0, dst.length - len);
    if (shared && so - src.byteOffset < len) continue; // would overlap
    const region = src.subarray(so - src.byteOffset);
    const expected = Buffer.from(region);
    const s = copySum16(src, so - src.byteOffset, dst, dOff, len);
    t.is(Buffer.compare(Buffer.from(dst.subarray(dOff, dOff + len)), expected), 0, `copy ${k}`);
    t.is(s % 0xffff, naiveSum(expected, 0, len) % 0xffff, `sum ${k}: len ${len}`);
  }
});

test('the WebAssembly SIMD sum equals sum16 (the plain-JS reference) at every offset mod 32 and every length to 64 KB', (t) => {
  const summer = createSimdSummer(200_000);
  // Node 20 and the Windows leg's Node 22 have WebAssembly SIMD on x86-64; elsewhere the reassembler keeps plain JS
  if (summer === null) { t.fail('WebAssembly SIMD is not available here'); return; }
  t.is(summer.bytes.length, 200_000);
  const r = rng(5);
  const b = summer.bytes;
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  for (let len = 0; len <= 200; len++) for (let off = 0; off < 32; off++) t.is(summer.sum(off, len), sum16(b, off, len), `off ${off} len ${len}`);
  for (let k = 0; k < 2000; k++) {
    const off = randInt(r, 0, 1000);
    const len = randInt(r, 0, 65535);
    t.is(summer.sum(off, len), sum16(b, off, len), `off ${off} len ${len}`);
  }
  // the region at the very end of the memory's view, all zeros (0) and all ones (0xffff)
  t.is(summer.sum(200_000 - 1449, 1449), sum16(b, 200_000 - 1449, 1449));
  b.fill(0, 0, 4096);
  t.is(summer.sum(0, 4096), 0);
  b.fill(0xff, 0, 4096);
  t.is(summer.sum(1, 4094), 0xffff);
  t.is(summer.sum(1, 4095), 0xff00, 'an odd tail is the high byte of a zero-padded word');
});

test('copyBytes copies exactly at every alignment pair (mod 8), writing nothing outside the region', (t) => {
  const r = rng(6);
  const src = new Uint8Array(70_000);
  for (let i = 0; i < src.length; i++) src[i] = Math.floor(r() * 256);
  const dst = new Uint8Array(70_100);
  for (let k = 0; k < 1500; k++) {
    dst.fill(0xee);
    const so = randInt(r, 0, 100);
    const d = randInt(r, 0, 100);
    const len = k < 500 ? randInt(r, 0, 300) : randInt(r, 0, 65535);
    copyBytes(src, so, dst, d, len);
    t.is(Buffer.compare(Buffer.from(src.subarray(so, so + len)), Buffer.from(dst.subarray(d, d + len))), 0, `copy ${k}`);
    t.is(dst[d + len], 0xee, 'no write past the end');
    if (d > 0) t.is(dst[d - 1], 0xee, 'no write before the start');
  }
});
