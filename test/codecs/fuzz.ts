// Seeded, repeatable fuzzing of the decoders and the STT reassembler. Used by fuzz.test.ts (a smaller count
// inside npm test) and by `npm run fuzz:codecs` (the full count). Checks, for every frame:
// - no exception, and a valid reason code;
// - no read outside [off, off+len): each frame is decoded twice, placed at different offsets inside different
//   random garbage; any out-of-bounds read would let the garbage change the verdict or a field;
// - oracles: a frame cut short of its IP length never decodes Ok; changing only inner-frame bytes of a valid
//   frame without UDP checksum leaves the verdict Ok; results that are Ok stay inside the frame;
// - STT: every delivered frame whose segments were not mutated equals the original; memory stays fixed.

import {
  GeneveDecoder, GeneveEncoder, GeneveResult, inspectFrame, Reason, REASON_COUNT, SttReassembler, SttResult, SttSegmenter,
  VxlanDecoder, VxlanEncoder, VxlanResult, type OuterSpec,
} from '../../codecs/index.js';
import { randInt, rng, writeInner } from './helpers.js';

export interface FuzzReport {
  name: string;
  frames: number;
  reasons: Record<string, number>;
  failures: string[];
  ms: number;
}

const outers: OuterSpec[] = [
  { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '10.0.0.1', dst: '10.0.0.2' },
  { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '10.0.0.1', dst: '10.0.0.2', udpChecksum: true, vlan: { id: 5 } },
  { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: 'fd00::1', dst: 'fd00::2' },
  { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: 'fd00::1', dst: 'fd00::2', udpChecksum: false, vlan: { id: 7, pcp: 1 } },
];

interface Corpus { frames: Uint8Array[]; innerStart: number[]; csum: boolean[] }

function geneveCorpus(r: () => number, n: number): Corpus {
  const c: Corpus = { frames: [], innerStart: [], csum: [] };
  const buf = new Uint8Array(4096);
  for (let i = 0; i < n; i++) {
    const outer = outers[i % outers.length];
    const opts = [];
    const nOpt = randInt(r, 0, 3);
    for (let k = 0; k < nOpt; k++) opts.push({ optionClass: randInt(r, 0, 0xffff), type: randInt(r, 0, 0x7f), data: new Uint8Array(4 * randInt(r, 0, 6)) });
    const enc = new GeneveEncoder({ outer, ovn: r() < 0.7, options: opts });
    const len = randInt(r, 0, 1500);
    writeInner(buf, 1024, len, r);
    enc.setVni(randInt(r, 0, 0xffffff));
    if (enc.encap(buf, 1024, len) !== Reason.Ok) throw new Error('corpus encap failed');
    c.frames.push(buf.slice(1024 - enc.headerLength, 1024 + len));
    c.innerStart.push(enc.headerLength);
    c.csum.push(enc.template.udpChecksum);
  }
  return c;
}

function vxlanCorpus(r: () => number, n: number): Corpus {
  const c: Corpus = { frames: [], innerStart: [], csum: [] };
  const buf = new Uint8Array(4096);
  for (let i = 0; i < n; i++) {
    const enc = new VxlanEncoder({ outer: outers[i % outers.length], vni: randInt(r, 0, 0xffffff) });
    const len = randInt(r, 0, 1500);
    writeInner(buf, 1024, len, r);
    enc.encap(buf, 1024, len);
    c.frames.push(buf.slice(1024 - enc.headerLength, 1024 + len));
    c.innerStart.push(enc.headerLength);
    c.csum.push(enc.template.udpChecksum);
  }
  return c;
}

/** Mutates a copy of `f` into `dst` (returns its length): byte flips, header field randomization, cuts, growth, or pure noise. */
function mutate(r: () => number, f: Uint8Array, dst: Uint8Array, headerLen: number): { len: number; kind: number } {
  const kind = Math.floor(r() * 7);
  let len = f.length;
  if (kind === 6) { // random bytes
    len = randInt(r, 0, 300);
    for (let i = 0; i < len; i++) dst[i] = Math.floor(r() * 256);
    return { len, kind };
  }
  dst.set(f);
  switch (kind) {
    case 0: break; // unchanged
    case 1: { const n = randInt(r, 1, 4); for (let i = 0; i < n; i++) dst[randInt(r, 0, Math.min(len - 1, headerLen + 8))] = Math.floor(r() * 256); break; }
    case 2: { const n = randInt(r, 1, 8); for (let i = 0; i < n && len > 0; i++) dst[randInt(r, 0, len - 1)] ^= 1 << randInt(r, 0, 7); break; }
    case 3: len = randInt(r, 0, len); break; // cut
    case 4: { const extra = randInt(r, 1, 64); for (let i = 0; i < extra; i++) dst[len + i] = Math.floor(r() * 256); len += extra; break; }
    case 5: { // inner bytes only
      if (len > headerLen) { const n = randInt(r, 1, 4); for (let i = 0; i < n; i++) dst[randInt(r, headerLen, len - 1)] ^= 0xff; }
      break;
    }
  }
  return { len, kind };
}

type Decoder<R> = { decode(buf: Uint8Array, off: number, len: number, out: R): Reason };

function fuzzDecoder<R extends GeneveResult | VxlanResult>(
  name: string, count: number, seed: number, corpus: Corpus, dec: Decoder<R>, mk: () => R,
  fields: (o: R, off: number) => number[], check?: (frame: Uint8Array, len: number, o: R) => string | undefined,
): FuzzReport {
  const t0 = performance.now();
  const r = rng(seed);
  const g = rng(seed ^ 0x5a5a5a5a);
  const frame = new Uint8Array(4096);
  const a = new Uint8Array(8192); const b = new Uint8Array(8192);
  const outA = mk(); const outB = mk();
  const reasons = new Float64Array(REASON_COUNT);
  const failures: string[] = [];
  const fail = (msg: string) => { if (failures.length < 20) failures.push(msg); };
  for (let i = 0; i < count; i++) {
    const k = Math.floor(r() * corpus.frames.length);
    const orig = corpus.frames[k];
    const { len, kind } = mutate(r, orig, frame, corpus.innerStart[k]);
    // two placements in different garbage
    for (let j = 0; j < 64; j++) { a[j] = g() * 256; b[j] = g() * 256; }
    const offA = randInt(r, 0, 40); const offB = randInt(r, 0, 40);
    for (let j = 0; j < 48; j++) { a[offA + len + j] = g() * 256; b[offB + len + j] = 255 - a[offA + len + j]; }
    a.set(frame.subarray(0, len), offA); b.set(frame.subarray(0, len), offB);
    let ra: number; let rb: number;
    try {
      ra = dec.decode(a, offA, len, outA);
      rb = dec.decode(b, offB, len, outB);
    } catch (e) {
      fail(`${name} #${i}: exception ${String(e)}`);
      continue;
    }
    reasons[ra]++;
    if (!(ra >= 0 && ra < REASON_COUNT) || ra === Reason.Pending) fail(`${name} #${i}: bad reason ${ra}`);
    if (ra !== rb) { fail(`${name} #${i}: verdict depends on bytes outside the frame (${ra} vs ${rb})`); continue; }
    if (ra === Reason.Ok) {
      const fa = fields(outA, offA); const fb = fields(outB, offB);
      if (fa.join() !== fb.join()) fail(`${name} #${i}: fields depend on bytes outside the frame`);
      const inner = (outA as GeneveResult | VxlanResult).innerOffset; const innerLen = (outA as GeneveResult | VxlanResult).innerLength;
      if (inner < offA || inner + innerLen > offA + len || innerLen < 0) fail(`${name} #${i}: inner frame outside the frame`);
      const c = check?.(a.subarray(offA, offA + len), len, outA);
      if (c) fail(`${name} #${i}: ${c}`);
    }
    // oracles on mutations of valid frames
    if (kind === 0 && ra !== Reason.Ok) fail(`${name} #${i}: an unmutated frame decoded ${ra}`);
    if (kind === 3 && len < orig.length && ra === Reason.Ok) fail(`${name} #${i}: a frame cut to ${len}/${orig.length} decoded Ok`);
    if (kind === 5 && !corpus.csum[k] && ra !== Reason.Ok) fail(`${name} #${i}: changing inner bytes only gave ${ra}`);
    if (kind === 5 && corpus.csum[k] && len > corpus.innerStart[k] && ra === Reason.Ok) {
      // a flipped byte (0xff xor) always changes the sum unless flips cancel; tolerate equal pairs only
      let diff = 0; for (let j = 0; j < len; j++) if (frame[j] !== orig[j]) diff++;
      if (diff % 2 === 1) fail(`${name} #${i}: corrupted payload passed the UDP checksum`);
    }
  }
  return { name, frames: count, reasons: named(reasons), failures, ms: performance.now() - t0 };
}

function named(a: Float64Array): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [n, code] of Object.entries(Reason)) if (a[code]) o[n] = a[code];
  return o;
}

export function fuzzGeneve(count: number, seed = 1): FuzzReport {
  const corpus = geneveCorpus(rng(seed + 100), 200);
  const dec = new GeneveDecoder({ knownCriticalOptions: [{ optionClass: 0x0102, type: 0x80 }] });
  let checked = 0;
  return fuzzDecoder('geneve', count, seed, corpus, dec, () => new GeneveResult(),
    (o, off) => [o.vni, o.innerOffset - off, o.innerLength, o.optionCount, o.ovnIngress, o.ovnEgress, o.srcPort, o.ttl, o.l4Checksum],
    (frame, _len, o) => {
      // every 64th Ok result: the binary-parser twin must agree
      if ((checked++ & 63) !== 0) return undefined;
      const ins = inspectFrame(frame);
      if (!ins.geneve) return 'inspect found no Geneve header in a frame we decoded Ok';
      if (ins.geneve.vni !== o.vni || ins.geneve.options.length !== o.optionCount) return `inspect disagrees: vni ${ins.geneve.vni}/${o.vni} options ${ins.geneve.options.length}/${o.optionCount}`;
      return undefined;
    });
}

export function fuzzVxlan(count: number, seed = 2): FuzzReport {
  const corpus = vxlanCorpus(rng(seed + 100), 200);
  return fuzzDecoder('vxlan', count, seed, corpus, new VxlanDecoder(), () => new VxlanResult(),
    (o, off) => [o.vni, o.innerOffset - off, o.innerLength, o.flags, o.srcPort]);
}

/** Feeds `count` segments (valid, reordered, duplicated, corrupted, cut, random) through two reassemblers. */
export function fuzzStt(count: number, seed = 3): FuzzReport {
  const t0 = performance.now();
  const r = rng(seed);
  const g = rng(seed ^ 0x3c3c3c3c);
  const segs = outers.map((outer) => new SttSegmenter({ outer, mss: 1448, initialPacketId: randInt(r, 0, 1 << 30) }));
  const budget = 512 * 1024;
  // A sums with WebAssembly SIMD (where available), B with the plain-JS copy-and-sum: every verdict must agree
  const raA = new SttReassembler({ memoryBudget: budget, maxEntries: 64, timeoutMs: 50 });
  const raB = new SttReassembler({ memoryBudget: budget, maxEntries: 64, timeoutMs: 50, simdChecksum: false });
  if (raB.simdChecksum) throw new Error('simdChecksum: false was not honoured');
  const arenaBytes = raA.arena.length;
  const outA = new SttResult(); const outB = new SttResult();
  const inner = new Uint8Array(70000);
  const segBuf = new Uint8Array(50 * 1600);
  const a = new Uint8Array(4096); const b = new Uint8Array(4096);
  const reasons = new Float64Array(REASON_COUNT);
  const failures: string[] = [];
  const fail = (msg: string) => { if (failures.length < 20) failures.push(msg); };
  const originals = new Map<number, Uint8Array>();
  const mutated = new Set<number>();
  const pending: Array<{ off: number; len: number; id: number }> = [];
  let pushed = 0;
  let now = 0;
  let delivered = 0;
  while (pushed < count) {
    // a new frame
    const seg = segs[Math.floor(r() * segs.length)];
    const len = r() < 0.3 ? randInt(r, 0, 1400) : randInt(r, 1400, r() < 0.05 ? 65517 : 12000);
    writeInner(inner, 0, len, r);
    seg.setContext(randInt(r, 0, 0xffffffff), randInt(r, 0, 0xffffffff));
    if (seg.segment(inner, 0, len, segBuf, 0, 1600) !== Reason.Ok) { fail('segment failed'); break; }
    const id = seg.packetId;
    originals.set(id, inner.slice(0, len));
    if (originals.size > 5000) originals.delete(originals.keys().next().value as number);
    pending.length = 0;
    for (let i = 0; i < seg.segmentCount; i++) pending.push({ off: i * 1600, len: seg.segmentLengths[i], id });
    // reorder, drop, duplicate
    for (let i = pending.length - 1; i > 0; i--) if (r() < 0.2) { const j = randInt(r, 0, i); const t = pending[i]; pending[i] = pending[j]; pending[j] = t; }
    if (r() < 0.05 && pending.length > 1) pending.splice(randInt(r, 0, pending.length - 1), 1);
    if (r() < 0.05) pending.push(pending[randInt(r, 0, pending.length - 1)]);
    for (const p of pending) {
      if (pushed >= count) break;
      now += r() < 0.01 ? 100 : 0.01;
      const src = segBuf.subarray(p.off, p.off + p.len);
      let len2 = p.len;
      const offA = randInt(r, 0, 40); const offB = randInt(r, 0, 40);
      a.set(src, offA); b.set(src, offB);
      const m = r();
      if (m < 0.03) { const at = randInt(r, 0, len2 - 1); const v = Math.floor(r() * 256); a[offA + at] = v; b[offB + at] = v; mutated.add(p.id); }
      else if (m < 0.04) { len2 = randInt(r, 0, len2); mutated.add(p.id); }
      else if (m < 0.05) { len2 = randInt(r, 0, 300); for (let j = 0; j < len2; j++) { const v = Math.floor(r() * 256); a[offA + j] = v; b[offB + j] = v; } }
      for (let j = 0; j < offA; j++) a[j] = g() * 256;
      for (let j = 0; j < offB; j++) b[j] = g() * 256;
      for (let j = 0; j < 48; j++) { a[offA + len2 + j] = g() * 256; b[offB + len2 + j] = 255 - a[offA + len2 + j]; }
      let ra: number; let rb: number;
      try {
        ra = raA.push(a, offA, len2, now, outA);
        rb = raB.push(b, offB, len2, now, outB);
      } catch (e) {
        fail(`stt #${pushed}: exception ${String(e)}`);
        pushed++;
        continue;
      }
      pushed++;
      reasons[ra]++;
      if (!(ra >= 0 && ra < REASON_COUNT)) fail(`stt #${pushed}: bad reason ${ra}`);
      if (ra !== rb) { fail(`stt #${pushed}: verdict depends on bytes outside the segment, or on the checksum path (${ra} vs ${rb})`); continue; }
      if (ra === Reason.Ok) {
        delivered++;
        const innerA = outA.frameBuffer.subarray(outA.innerOffset, outA.innerOffset + outA.innerLength);
        const innerB = outB.frameBuffer.subarray(outB.innerOffset, outB.innerOffset + outB.innerLength);
        if (Buffer.compare(innerA, innerB) !== 0) fail(`stt #${pushed}: delivered frames differ between placements (and checksum paths)`);
        const orig = originals.get(outA.packetId);
        if (orig && !mutated.has(outA.packetId) && outA.packetId === p.id && Buffer.compare(innerA, orig) !== 0) fail(`stt #${pushed}: delivered frame differs from the original`);
      }
    }
    if (raA.arena.length !== arenaBytes || arenaBytes > budget) fail('arena size changed');
    if (raA.entries > 64 || raA.entries < 0) fail(`entries ${raA.entries}`);
  }
  const c = raA.counters;
  let drops = 0; for (let i = 2; i < c.drops.length; i++) drops += c.drops[i];
  if (drops !== pushed - reasons[Reason.Ok] - reasons[Reason.Pending]) fail(`drop counters ${drops} do not add up`);
  if (delivered === 0) fail('no frame was ever delivered');
  const rep = named(reasons);
  rep.evicted = c.evicted; rep.expired = c.expired;
  return { name: 'stt reassembler', frames: pushed, reasons: rep, failures, ms: performance.now() - t0 };
}
