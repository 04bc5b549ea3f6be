// Relabelling STT segments with another packet id, so that a few segmented frames stand for many distinct ones.
// The reassembler remembers the frames it delivered (to recognise their late duplicates), so a loop that pushed the
// same 8 frames again and again would measure duplicate detection, not reassembly; and 10,000 flows need not be
// 10,000 frames in memory.

/**
 * Rewrites the packet id (the TCP ACK field) of the untagged IPv4 STT segment at buf[start] and updates its TCP
 * checksum incrementally (RFC 1624, eqn. 3): a handful of operations, the same for every subject of a case.
 */
export function setPacketId(buf: Uint8Array, start: number, id: number): void {
  const tcp = start + 34;
  let sum = (~((buf[tcp + 16] << 8) | buf[tcp + 17])) & 0xffff;
  for (let w = 0; w < 2; w++) {
    const at = tcp + 8 + 2 * w;
    const old = (buf[at] << 8) | buf[at + 1];
    const now = w === 0 ? id >>> 16 : id & 0xffff;
    sum += (~old & 0xffff) + now;
    buf[at] = now >>> 8; buf[at + 1] = now & 0xff;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  buf[tcp + 16] = c >>> 8; buf[tcp + 17] = c & 0xff;
}
