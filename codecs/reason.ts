// Reason codes returned by every hot-path function: errors are values, never exceptions.
// `Ok` (0) is success; `Pending` means "accepted, nothing to deliver yet" (STT reassembly).

export const Reason = {
  Ok: 0,
  Pending: 1,
  // input framing
  Truncated: 2,
  NotIp: 3,
  BadIpVersion: 4,
  BadIpHeaderLength: 5,
  BadIpLength: 6,
  BadIpChecksum: 7,
  IpFragment: 8,
  WrongProtocol: 9,
  WrongPort: 10,
  BadUdpLength: 11,
  BadL4Checksum: 12,
  // Geneve
  GeneveBadVersion: 13,
  GeneveOptionLengthMismatch: 14,
  GeneveOptionsTooLong: 15,
  GeneveUnknownCriticalOption: 16,
  GeneveOam: 17,
  BadProtocolType: 18,
  GeneveBadOvnOption: 19,
  // VXLAN
  VxlanBadFlags: 20,
  // STT
  SttBadTcpHeader: 21,
  SttBadVersion: 22,
  SttBadLength: 23,
  SttOverlap: 24,
  SttInconsistent: 25,
  SttTooManySegments: 26,
  // encoders and arguments
  BufferTooSmall: 27,
  FrameTooLarge: 28,
  KeyOutOfRange: 29,
  InvalidArgument: 30,
  // STT, added later (codes are never renumbered)
  /** A new frame's segment, refused: the reassembler is full of frames closer to completion. */
  SttNoRoom: 31,
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];

const names: string[] = [];
for (const [name, code] of Object.entries(Reason)) names[code] = name;

/** The name of a reason code, for logs and tests (not for the hot path). */
export function reasonName(code: number): string {
  return names[code] ?? `Reason(${code})`;
}

/** Number of distinct reason codes (for counter arrays indexed by reason). */
export const REASON_COUNT = names.length;
