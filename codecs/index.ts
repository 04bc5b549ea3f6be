// ovn-overlay/codecs: allocation-free Geneve, STT and VXLAN codecs for the hot path (see README "Codecs").

export { Reason, reasonName, REASON_COUNT } from './reason.js';
export { sum16, copySum16, fold, add16, finish, ipv4HeaderChecksum } from './checksum.js';
export { flowHash, portFromHash } from './flow-hash.js';
export { parseMac, formatMac, ETH_HEADER_LENGTH, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, ETHERTYPE_TEB } from './ethernet.js';
export { parseIpv4, formatIpv4, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.js';
export { parseIpv6, formatIpv6 } from './ipv6.js';
export { OuterInfo, OuterTemplate, type OuterSpec } from './outer.js';
export {
  GeneveEncoder, GeneveDecoder, GeneveResult, GENEVE_PORT, GENEVE_HEADER_LENGTH, GENEVE_MAX_OPTIONS_LENGTH, GENEVE_CRITICAL,
  type GeneveOption, type GeneveEncoderOptions, type GeneveDecoderOptions,
} from './geneve.js';
export {
  VxlanEncoder, VxlanDecoder, VxlanResult, decodeVxlanHeader, VXLAN_PORT, VXLAN_HEADER_LENGTH,
  type VxlanEncoderOptions, type VxlanDecoderOptions,
} from './vxlan.js';
export {
  SttSegmenter, SttResult, readSttHeader, STT_PORT, STT_HEADER_LENGTH, STT_TCP_HEADER_LENGTH, STT_MAX_FRAME_LENGTH,
  STT_MAX_INNER_LENGTH, STT_FLAG_CSUM_VERIFIED, STT_FLAG_CSUM_PARTIAL, STT_FLAG_IPV4, STT_FLAG_TCP, type SttSegmenterOptions,
} from './stt.js';
export { SttReassembler, SttCounters, type SttReassemblerOptions } from './stt-reassembler.js';
export {
  OVN_GENEVE_CLASS, OVN_GENEVE_TYPE, OVN_MAX_DATAPATH, OVN_MAX_INGRESS_PORT, OVN_MAX_EGRESS_PORT,
  OVN_VXLAN_MAX_DATAPATH, OVN_VXLAN_MAX_EGRESS_PORT, ovnKeysValid, ovnGeneveOptionValue, ovnGeneveIngress, ovnGeneveEgress, ovnSttContextHi,
  ovnSttContextLo, ovnFromSttContext, ovnVxlanVni,
} from './ovn-metadata.js';
export {
  readPcap, PcapStreamReader, PcapWriter, PcapFormatError, LINKTYPE_ETHERNET, PCAP_MAX_RECORD_LENGTH,
  type PcapFile, type PcapHeader, type PcapRecord, type PcapErrorCode, type ReadPcapOptions,
} from './pcap.js';
export { inspectFrame, type InspectedFrame, type InspectOptions } from './inspect.js';
