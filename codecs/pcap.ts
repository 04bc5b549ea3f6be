// Classic libpcap files (not pcapng): read (both byte orders, micro- and nanosecond magic) and write
// (little-endian, microseconds). For fixtures, the CLI and Wireshark users; not on the hot path. Two readers
// share one validation: readPcap over a whole file in memory, and PcapStreamReader over chunks of any size in
// constant memory (one record at most is held), for captures of any length.

export const LINKTYPE_ETHERNET = 1;
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

/**
 * The longest record accepted: libpcap's MAXIMUM_SNAPLEN (262144), beyond which no pcap reader takes a record.
 * A record may be longer than the file's snapshot length below that: Open vSwitch writes snaplen 1518 in its
 * tx_pcap/rxq_pcap files and every frame whole (ovs_pcap_write), so such files are real.
 */
export const PCAP_MAX_RECORD_LENGTH = 262144;

export type PcapErrorCode =
  | 'PCAP_SHORT_HEADER' // fewer than 24 bytes
  | 'PCAP_BAD_MAGIC' // not a classic pcap file (pcapng included)
  | 'PCAP_ZERO_SNAPLEN' // the file header says no byte of a packet is captured
  | 'PCAP_TRUNCATED' // the last record header or data is cut short
  | 'PCAP_ZERO_LENGTH_PACKET' // a record of a packet of 0 bytes
  | 'PCAP_CAPLEN_OVER_ORIGLEN' // more bytes captured than the packet had
  | 'PCAP_RECORD_TOO_LONG'; // a record over PCAP_MAX_RECORD_LENGTH

/** A malformed or impossible pcap file: `code` says what, the message (one line) where. */
export class PcapFormatError extends Error {
  override readonly name = 'PcapFormatError';
  constructor(readonly code: PcapErrorCode, message: string, readonly offset: number) {
    super(`pcap: ${message}`);
  }
}

export interface PcapRecord {
  /** Offset and length of the captured bytes within the buffer they are in (zero copy). */
  offset: number;
  length: number;
  originalLength: number;
  seconds: number;
  /** Microseconds or nanoseconds, per the file's magic. */
  fraction: number;
}

/** What a pcap file's 24-byte header says. */
export interface PcapHeader {
  linkType: number;
  nanoseconds: boolean;
  snapLength: number;
  littleEndian: boolean;
}

export interface PcapFile extends Omit<PcapHeader, 'littleEndian'> {
  bytes: Uint8Array;
  records: PcapRecord[];
}

export interface ReadPcapOptions {
  /**
   * 'error' (default): a file or last record cut short is malformed. 'ignore': it ends the list, for captures
   * that a program (ovs-vswitchd's tx_pcap/rxq_pcap) is still appending to, where a half-written tail is normal.
   */
  truncatedTail?: 'error' | 'ignore';
}

/** The file header at bytes[0, 24) (the caller checked there are 24 bytes). */
function parseFileHeader(dv: DataView): PcapHeader {
  let littleEndian: boolean;
  let nanoseconds: boolean;
  const m = dv.getUint32(0, true);
  if (m === MAGIC_US || m === MAGIC_NS) { littleEndian = true; nanoseconds = m === MAGIC_NS; } else {
    const mb = dv.getUint32(0, false);
    if (mb !== MAGIC_US && mb !== MAGIC_NS) throw new PcapFormatError('PCAP_BAD_MAGIC', `bad magic 0x${m.toString(16)} (pcapng is not supported)`, 0);
    littleEndian = false; nanoseconds = mb === MAGIC_NS;
  }
  const snapLength = dv.getUint32(16, littleEndian);
  if (snapLength === 0) throw new PcapFormatError('PCAP_ZERO_SNAPLEN', 'snapshot length 0 in the file header: no packet byte can be in it', 16);
  return { linkType: dv.getUint32(20, littleEndian) & 0x0fffffff, nanoseconds, snapLength, littleEndian };
}

/**
 * Reads the record header at dv[at, at+16) into `out` (its data offset set to at+16) and refuses an impossible
 * one. `index` is the record's 1-based number and `position` its offset in the file, for the message.
 */
function parseRecordHeader(dv: DataView, at: number, littleEndian: boolean, out: PcapRecord, index: number, position: number): void {
  out.seconds = dv.getUint32(at, littleEndian);
  out.fraction = dv.getUint32(at + 4, littleEndian);
  out.length = dv.getUint32(at + 8, littleEndian);
  out.originalLength = dv.getUint32(at + 12, littleEndian);
  out.offset = at + RECORD_HEADER_LENGTH;
  const where = `record ${index} at byte ${position}`;
  if (out.originalLength === 0) throw new PcapFormatError('PCAP_ZERO_LENGTH_PACKET', `${where}: a packet of 0 bytes`, position);
  if (out.length > out.originalLength) {
    throw new PcapFormatError('PCAP_CAPLEN_OVER_ORIGLEN', `${where}: ${out.length} bytes captured of a ${out.originalLength}-byte packet`, position);
  }
  if (out.length > PCAP_MAX_RECORD_LENGTH) {
    throw new PcapFormatError('PCAP_RECORD_TOO_LONG', `${where}: ${out.length} bytes captured, over the ${PCAP_MAX_RECORD_LENGTH} any pcap reader accepts`, position);
  }
}

const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Parses a classic pcap file held in memory; throws PcapFormatError on a malformed file (not a hot-path function). */
export function readPcap(bytes: Uint8Array, options: ReadPcapOptions = {}): PcapFile {
  const tolerant = options.truncatedTail === 'ignore';
  if (bytes.length < FILE_HEADER_LENGTH) {
    if (tolerant) return { bytes, linkType: LINKTYPE_ETHERNET, nanoseconds: false, snapLength: 0, records: [] };
    throw new PcapFormatError('PCAP_SHORT_HEADER', 'file shorter than its 24-byte header', 0);
  }
  const dv = viewOf(bytes);
  const { littleEndian, ...header } = parseFileHeader(dv);
  const records: PcapRecord[] = [];
  let p = FILE_HEADER_LENGTH;
  while (p < bytes.length) {
    if (p + RECORD_HEADER_LENGTH > bytes.length) {
      if (tolerant) break;
      throw new PcapFormatError('PCAP_TRUNCATED', `truncated record header at ${p}`, p);
    }
    const record: PcapRecord = { offset: 0, length: 0, originalLength: 0, seconds: 0, fraction: 0 };
    parseRecordHeader(dv, p, littleEndian, record, records.length + 1, p);
    if (record.offset + record.length > bytes.length) {
      if (tolerant) break;
      throw new PcapFormatError('PCAP_TRUNCATED', `truncated record at ${p}`, p);
    }
    records.push(record);
    p = record.offset + record.length;
  }
  return { bytes, ...header, records };
}

/**
 * Reads a pcap file pushed in chunks of any size, in constant memory: each record is handed to `onRecord` as it
 * completes, in the chunk itself when it lies within one (zero copy), else in a buffer of this reader (one
 * record long at most, reused). The bytes and the record object are valid only during the call.
 *
 *   const reader = new PcapStreamReader((bytes, record) => decode(bytes, record.offset, record.length));
 *   for await (const chunk of createReadStream(file)) reader.push(chunk);
 *   reader.end();
 */
export class PcapStreamReader {
  /** The file header, once its 24 bytes have arrived. */
  header: PcapHeader | undefined;
  /** Records handed over so far. */
  records = 0;
  /** Bytes taken so far (the file offset of the next unread byte). */
  position = 0;
  private readonly record: PcapRecord = { offset: 0, length: 0, originalLength: 0, seconds: 0, fraction: 0 };
  /** A file header, record header or record split across chunks: `carried` of its `need` bytes are here. */
  private carry = new Uint8Array(2048);
  private carried = 0;
  private need = 0;
  /** Whether the carried record's header was read already (so `need` is the whole record). */
  private recordHeaderRead = false;

  constructor(private readonly onRecord: (bytes: Uint8Array, record: PcapRecord) => void) {}

  /** Takes the next bytes of the file; throws PcapFormatError at the first impossible header. */
  push(chunk: Uint8Array): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.carried > 0) {
        const take = Math.min(this.need - this.carried, chunk.length - p);
        this.carry.set(chunk.subarray(p, p + take), this.carried);
        this.carried += take;
        p += take;
        if (this.carried === this.need) this.carriedComplete();
        continue;
      }
      const available = chunk.length - p;
      if (this.header === undefined) {
        if (available < FILE_HEADER_LENGTH) { p += this.startCarry(chunk, p, FILE_HEADER_LENGTH, false); continue; }
        this.header = parseFileHeader(new DataView(chunk.buffer, chunk.byteOffset + p, FILE_HEADER_LENGTH));
        this.position += FILE_HEADER_LENGTH;
        p += FILE_HEADER_LENGTH;
        continue;
      }
      if (available < RECORD_HEADER_LENGTH) { p += this.startCarry(chunk, p, RECORD_HEADER_LENGTH, false); continue; }
      parseRecordHeader(viewOf(chunk), p, this.header.littleEndian, this.record, this.records + 1, this.position);
      const total = RECORD_HEADER_LENGTH + this.record.length;
      if (available < total) { p += this.startCarry(chunk, p, total, true); continue; }
      this.deliver(chunk, p, total);
      p += total;
    }
  }

  /** The input ended: throws PcapFormatError when it ended inside the file header or a record. */
  end(): void {
    if (this.header === undefined) throw new PcapFormatError('PCAP_SHORT_HEADER', 'file shorter than its 24-byte header', 0);
    if (this.carried > 0) {
      throw new PcapFormatError('PCAP_TRUNCATED', `truncated record ${this.records + 1} at byte ${this.position}`, this.position);
    }
  }

  /** Starts carrying an item of `need` bytes from chunk[p...] (all the chunk has of it); returns the bytes taken. */
  private startCarry(chunk: Uint8Array, p: number, need: number, recordHeaderRead: boolean): number {
    if (this.carry.length < need) this.carry = new Uint8Array(Math.max(need, this.carry.length * 2));
    const take = chunk.length - p;
    this.carry.set(chunk.subarray(p), 0);
    this.carried = take;
    this.need = need;
    this.recordHeaderRead = recordHeaderRead;
    return take;
  }

  /** The carried item is complete: the file header, a record header (then carry on for its data), or a record. */
  private carriedComplete(): void {
    if (this.header === undefined) {
      this.header = parseFileHeader(new DataView(this.carry.buffer, this.carry.byteOffset, FILE_HEADER_LENGTH));
      this.position += FILE_HEADER_LENGTH;
      this.carried = 0;
      return;
    }
    if (!this.recordHeaderRead) {
      parseRecordHeader(viewOf(this.carry), 0, this.header.littleEndian, this.record, this.records + 1, this.position);
      this.recordHeaderRead = true;
      const total = RECORD_HEADER_LENGTH + this.record.length;
      if (total > this.need) {
        if (this.carry.length < total) {
          const larger = new Uint8Array(Math.max(total, this.carry.length * 2));
          larger.set(this.carry.subarray(0, this.carried));
          this.carry = larger;
        }
        this.need = total;
        return;
      }
    }
    this.carried = 0;
    this.deliver(this.carry, 0, this.need);
  }

  /** Hands the whole record at bytes[at, at+total) (header included) to the callback. */
  private deliver(bytes: Uint8Array, at: number, total: number): void {
    this.record.offset = at + RECORD_HEADER_LENGTH;
    this.records++;
    this.position += total;
    this.onRecord(bytes, this.record);
  }
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
