// The frames OVS's dummy netdevs wrote (options:tx_pcap/rxq_pcap), read with the codecs' pcap reader in its
// tolerant mode: OVS appends while we read, so a half-written last record simply waits for the next read.
import { readFile } from 'node:fs/promises';
import { readPcap } from '../../codecs/pcap.js';

/** The frames in a pcap file; a file that does not exist yet holds none. */
export async function readPcapFrames(path: string): Promise<Uint8Array[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const file = readPcap(bytes, { truncatedTail: 'ignore' });
  return file.records.map((r) => file.bytes.subarray(r.offset, r.offset + r.length));
}
