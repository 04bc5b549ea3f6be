// Classic libpcap files (not pcapng): read (both byte orders, micro- and nanosecond magic) and write
// (little-endian, microseconds). For fixtures, the CLI and Wireshark users; not on the hot path.

export const LINKTYPE_ETHERNET = 1;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

export interface PcapRecord {
  /** Offset and length of the captured bytes within the file buffer (zero copy). */
  offset: number;
  length: number;
  originalLength: number;
  seconds: number;
  /** Microseconds or nanoseconds, per the file's magic. */
  fraction: number;
}

export interface PcapFile {
  bytes: Uint8Array;
  linkType: number;
  nanoseconds: boolean;
  snapLength: number;
  records: PcapRecord[];
}

export interface ReadPcapOptions {
  /**
   * 'error' (default): a file or last record cut short is malformed. 'ignore': it ends the list, for captures
   * that a program (ovs-vswitchd's tx_pcap/rxq_pcap) is still appending to, where a half-written tail is normal.
   */
  truncatedTail?: 'error' | 'ignore';
}

/** Parses a classic pcap file; throws on a malformed file (not a hot-path function). */
export function readPcap(bytes: Uint8Array, options: ReadPcapOptions = {}): PcapFile {
  const tolerant = options.truncatedTail === 'ignore';
  if (bytes.length < 24) {
    if (tolerant) return { bytes, linkType: LINKTYPE_ETHERNET, nanoseconds: false, snapLength: 0, records: [] };
    throw new Error('pcap: file shorter than its 24-byte header');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  let nanoseconds: boolean;
  const m = dv.getUint32(0, true);
  if (m === MAGIC_US || m === MAGIC_NS) { le = true; nanoseconds = m === MAGIC_NS; } else {
    const mb = dv.getUint32(0, false);
    if (mb !== MAGIC_US && mb !== MAGIC_NS) throw new Error(`pcap: bad magic 0x${m.toString(16)} (pcapng is not supported)`);
    le = false; nanoseconds = mb === MAGIC_NS;
  }
  const snapLength = dv.getUint32(16, le);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let p = 24;
  while (p < bytes.length) {
    if (p + 16 > bytes.length) {
      if (tolerant) break;
      throw new Error(`pcap: truncated record header at ${p}`);
    }
    const seconds = dv.getUint32(p, le);
    const fraction = dv.getUint32(p + 4, le);
    const length = dv.getUint32(p + 8, le);
    const originalLength = dv.getUint32(p + 12, le);
    if (p + 16 + length > bytes.length) {
      if (tolerant) break;
      throw new Error(`pcap: truncated record at ${p}`);
    }
    records.push({ offset: p + 16, length, originalLength, seconds, fraction });
    p += 16 + length;
  }
  return { bytes, linkType, nanoseconds, snapLength, records };
}

/** Accumulates frames and produces a little-endian, microsecond pcap file. */
export class PcapWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private size = 24;
  count = 0;

  constructor(linkType = LINKTYPE_ETHERNET, snapLength = 262144, initialCapacity = 1 << 16) {
    this.buf = new Uint8Array(Math.max(64, initialCapacity));
    this.dv = new DataView(this.buf.buffer);
    this.dv.setUint32(0, MAGIC_US, true);
    this.dv.setUint16(4, 2, true);
    this.dv.setUint16(6, 4, true);
    this.dv.setUint32(16, snapLength, true);
    this.dv.setUint32(20, linkType, true);
  }

  private reserve(n: number): void {
    if (this.size + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.size + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.size));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }

  /** Appends buf[off, off+len) with a timestamp in microseconds since the epoch (default: frame index). */
  add(frame: Uint8Array, off = 0, len = frame.length - off, timestampUs = this.count): void {
    this.reserve(16 + len);
    const p = this.size;
    this.dv.setUint32(p, Math.floor(timestampUs / 1e6), true);
    this.dv.setUint32(p + 4, timestampUs % 1e6, true);
    this.dv.setUint32(p + 8, len, true);
    this.dv.setUint32(p + 12, len, true);
    this.buf.set(frame.subarray(off, off + len), p + 16);
    this.size += 16 + len;
    this.count++;
  }

  /** The file so far (a copy). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.size);
  }
}
