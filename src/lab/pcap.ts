// A minimal reader for the classic pcap files that OVS's dummy netdevs write (options:tx_pcap/rxq_pcap).
// Not codecs/pcap.ts on purpose: that one rightly rejects a truncated file, while the lab reads captures
// OVS is still appending to, where a half-written last record is normal and must simply wait for next time.
import { readFile } from 'node:fs/promises';

export interface PcapRecord {
  /** Capture time in nanoseconds since the epoch. */
  readonly timeNs: bigint;
  /** Length of the frame on the wire (the record may hold fewer bytes when the capture was truncated). */
  readonly originalLength: number;
  readonly data: Uint8Array;
}

export interface PcapFile {
  readonly linkType: number;
  readonly records: readonly PcapRecord[];
}

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

/**
 * Parses a classic pcap (microsecond or nanosecond, either byte order). A record cut short at the end is
 * ignored rather than an error: OVS appends while we read, so the last record may be half written.
 */
export function parsePcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < GLOBAL_HEADER) return { linkType: 1, records: [] };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = view.getUint32(0, false);
  let little: boolean;
  let nanos: boolean;
  if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) {
    little = false;
    nanos = magicBE === 0xa1b23c4d;
  } else {
    const magicLE = view.getUint32(0, true);
    if (magicLE !== 0xa1b2c3d4 && magicLE !== 0xa1b23c4d) {
      throw new Error(`not a classic pcap file (magic 0x${magicBE.toString(16)})`);
    }
    little = true;
    nanos = magicLE === 0xa1b23c4d;
  }
  const linkType = view.getUint32(20, little);
  const records: PcapRecord[] = [];
  let offset = GLOBAL_HEADER;
  while (offset + RECORD_HEADER <= bytes.length) {
    const seconds = view.getUint32(offset, little);
    const fraction = view.getUint32(offset + 4, little);
    const captured = view.getUint32(offset + 8, little);
    const originalLength = view.getUint32(offset + 12, little);
    const start = offset + RECORD_HEADER;
    if (start + captured > bytes.length) break;
    records.push({
      timeNs: BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * (nanos ? 1n : 1000n),
      originalLength,
      data: bytes.subarray(start, start + captured),
    });
    offset = start + captured;
  }
  return { linkType, records };
}

/** The frames in a pcap file; a file that does not exist yet holds none. */
export async function readPcapFrames(path: string): Promise<Uint8Array[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return parsePcap(bytes).records.map((r) => r.data);
}

/** Writes records as a classic little-endian microsecond pcap, the format OVS itself writes. */
export function formatPcap(records: readonly Pick<PcapRecord, 'timeNs' | 'data'>[], linkType = 1): Uint8Array {
  const size = GLOBAL_HEADER + records.reduce((n, r) => n + RECORD_HEADER + r.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, linkType, true);
  let offset = GLOBAL_HEADER;
  for (const r of records) {
    view.setUint32(offset, Number(r.timeNs / 1_000_000_000n), true);
    view.setUint32(offset + 4, Number((r.timeNs % 1_000_000_000n) / 1000n), true);
    view.setUint32(offset + 8, r.data.length, true);
    view.setUint32(offset + 12, r.data.length, true);
    out.set(r.data, offset + RECORD_HEADER);
    offset += RECORD_HEADER + r.data.length;
  }
  return out;
}
