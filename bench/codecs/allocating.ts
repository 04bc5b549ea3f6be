// The peers: what a straightforward implementation looks like — new Buffers for every header of every
// packet, Buffer.concat to join them, checksums by a plain loop. Same wire format as ours.

function csum(buf: Buffer, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export interface AllocatingTunnel {
  srcMac: Buffer; dstMac: Buffer; src: Buffer; dst: Buffer;
}

function ipv4Header(t: AllocatingTunnel, proto: number, payloadLength: number): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + payloadLength, 2);
  ip.writeUInt16BE(0x4000, 6);
  ip[8] = 64; ip[9] = proto;
  t.src.copy(ip, 12); t.dst.copy(ip, 16);
  ip.writeUInt16BE(~csum(ip) & 0xffff, 10);
  return ip;
}

function ethHeader(t: AllocatingTunnel): Buffer {
  const eth = Buffer.alloc(14);
  t.dstMac.copy(eth, 0); t.srcMac.copy(eth, 6);
  eth.writeUInt16BE(0x0800, 12);
  return eth;
}

function srcPortOf(inner: Buffer): number {
  let h = 0;
  for (let i = 26; i < 38 && i < inner.length; i++) h = (Math.imul(h, 31) + inner[i]) | 0;
  return 32768 + ((h >>> 0) % 28233);
}

/** Geneve with OVN's option, one fresh Buffer per header, concatenated. */
export function allocatingGeneveEncap(t: AllocatingTunnel, inner: Buffer, datapath: number, ingress: number, egress: number): Buffer {
  const gnv = Buffer.alloc(16);
  gnv[0] = 2; gnv[1] = 0x40; gnv.writeUInt16BE(0x6558, 2);
  gnv.writeUIntBE(datapath, 4, 3);
  gnv.writeUInt16BE(0x0102, 8); gnv[10] = 0x80; gnv[11] = 1;
  gnv.writeUInt16BE(ingress, 12); gnv.writeUInt16BE(egress, 14);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPortOf(inner), 0); udp.writeUInt16BE(6081, 2); udp.writeUInt16BE(8 + 16 + inner.length, 4);
  const ip = ipv4Header(t, 17, 8 + 16 + inner.length);
  return Buffer.concat([ethHeader(t), ip, udp, gnv, inner]);
}

export function allocatingVxlanEncap(t: AllocatingTunnel, inner: Buffer, vni: number): Buffer {
  const vx = Buffer.alloc(8);
  vx[0] = 0x08; vx.writeUIntBE(vni, 4, 3);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPortOf(inner), 0); udp.writeUInt16BE(4789, 2); udp.writeUInt16BE(16 + inner.length, 4);
  return Buffer.concat([ethHeader(t), ipv4Header(t, 17, 16 + inner.length), udp, vx, inner]);
}

/** STT segmentation the plain way: per segment, new headers, a concatenated copy, a byte-loop checksum. */
export function allocatingSttSegment(t: AllocatingTunnel, inner: Buffer, mss: number, packetId: number, ctxHi: number, ctxLo: number): Buffer[] {
  const stt = Buffer.alloc(18);
  stt.writeUInt32BE(ctxHi, 8); stt.writeUInt32BE(ctxLo, 12);
  const frame = Buffer.concat([stt, inner]);
  const f = frame.length;
  const out: Buffer[] = [];
  const pseudoBase = csum(Buffer.concat([t.src, t.dst]), 6);
  for (let o = 0; o < f; o += mss) {
    const chunk = frame.subarray(o, Math.min(f, o + mss));
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(srcPortOf(inner), 0); tcp.writeUInt16BE(7471, 2);
    tcp.writeUInt16BE(f, 4); tcp.writeUInt16BE(o, 6); tcp.writeUInt32BE(packetId, 8);
    tcp[12] = 0x50; tcp[13] = 0x18; tcp.writeUInt16BE(0xffff, 14);
    const seg = Buffer.concat([tcp, chunk]);
    seg.writeUInt16BE(~csum(seg, pseudoBase + seg.length) & 0xffff, 16);
    out.push(Buffer.concat([ethHeader(t), ipv4Header(t, 6, seg.length), seg]));
  }
  return out;
}
