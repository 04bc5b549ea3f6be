// `ovn-overlay decode <file.pcap> [--sb <remote>]`: every tunnel frame of a capture, with OVN's keys named
// from the Southbound database when a remote is given (like ovn-detrace names datapaths and ports). The
// capture is streamed (constant memory) and the output paced by its reader.
import { open, type FileHandle } from 'node:fs/promises';
import { LINKTYPE_ETHERNET, PcapFormatError, PcapStreamReader } from '../../codecs/index.js';
import { TLS_OPTIONS, integerOption, parse, tlsFromArgs } from './args.js';
import { CliError, usageError } from './cli-error.js';
import { connectDatabases, requireDatabase } from './connect.js';
import { DECODE_USAGE } from './help.js';
import { BufferedOutput } from './output.js';
import { NAMES_ONLY, SouthboundNames, type AddressOwner } from './sb-names.js';
import { TunnelFrameDecoder, type DecodedFrame } from './tunnel-frames.js';

export interface NamedKeys {
  datapath?: { key: number; name: string; kind: string };
  ingress?: { key: number; name: string; type: string };
  egress?: { key: number; name: string; type: string };
  /** The ports owning the inner frame's source and destination addresses (the pods, for pod traffic). */
  source?: AddressOwner;
  destination?: AddressOwner;
}

/** Names for a frame's OVN keys and inner addresses (those SB knows). */
export function nameKeys(frame: DecodedFrame, names: SouthboundNames): NamedKeys {
  const a = frame.innerAddresses;
  const source = a ? names.addressOwner(a.srcMac, a.srcIp) : undefined;
  const destination = a ? names.addressOwner(a.dstMac, a.dstIp) : undefined;
  const pods: NamedKeys = { ...(source ? { source } : {}), ...(destination ? { destination } : {}) };
  if (!frame.ovn) return pods;
  const dp = names.datapath(frame.ovn.datapath);
  if (!dp) return pods;
  const out: NamedKeys = { datapath: { key: dp.key, name: dp.name, kind: dp.kind }, ...pods };
  if (frame.ovn.ingress !== undefined) {
    const p = names.port(dp.key, frame.ovn.ingress);
    if (p) out.ingress = { key: p.key, name: p.name, type: p.type };
  }
  const e = names.port(dp.key, frame.ovn.egress);
  if (e) out.egress = { key: e.key, name: e.name, type: e.type };
  return out;
}

function portText(key: number | undefined, named: { name: string; type: string } | undefined, sb: boolean): string {
  if (key === undefined) return '';
  if (named) return `${key} "${named.name}"${named.type !== '' ? ` (${named.type})` : ''}`;
  return sb ? `${key} (unknown)` : String(key);
}

function ownerText(owner: AddressOwner | undefined): string {
  if (!owner) return '(unknown)';
  return `${owner.type === '' ? 'pod' : `port`} "${owner.name}"${owner.type !== '' ? ` (${owner.type})` : ''} by ${owner.by} ${owner.address}`;
}

/** The text form of one frame (several lines: outer, OVN keys with names, inner, the pods it goes between). */
export function formatFrame(frame: DecodedFrame, named: NamedKeys | undefined): string {
  if (frame.error) return `frame ${frame.index}: ${frame.tunnel ? `${frame.tunnel}: ` : ''}${frame.error}`;
  const o = frame.outer!;
  const lines = [`frame ${frame.index}: ${frame.tunnel} ${o.src}:${o.srcPort} > ${o.dst}:${o.dstPort}`
    + `${o.vlan !== undefined ? ` vlan ${o.vlan}` : ''}`
    + `${frame.vni !== undefined ? ` vni ${frame.vni}` : ''}`
    + `${frame.sttContext !== undefined ? ` context 0x${frame.sttContext.toString(16)} (${frame.sttSegments} segment${frame.sttSegments === 1 ? '' : 's'})` : ''}`
    + `${frame.unknownCritical ? ' [unknown critical option: a receiver drops this frame]' : ''}`];
  for (const opt of frame.geneveOptions ?? []) {
    lines.push(`  option class 0x${opt.optionClass.toString(16).padStart(4, '0')} type 0x${opt.type.toString(16).padStart(2, '0')} data ${opt.data || '(none)'}`
      + `${opt.unknownCritical ? ' (critical, unknown)' : ''}`);
  }
  if (frame.ovn) {
    const sb = named !== undefined;
    const dp = named?.datapath;
    lines.push(`  datapath ${frame.ovn.datapath}${dp ? ` "${dp.name}"${dp.kind ? ` (logical ${dp.kind})` : ''}` : sb ? ' (unknown)' : ''}`);
    if (frame.ovn.ingress !== undefined) lines.push(`  ingress port ${portText(frame.ovn.ingress, named?.ingress, sb)}`);
    lines.push(`  egress port ${portText(frame.ovn.egress, named?.egress, sb)}`);
  }
  lines.push(`  inner ${frame.innerLength} bytes: ${frame.inner}`);
  if (named && frame.innerAddresses && (named.source || named.destination)) {
    lines.push(`  from ${ownerText(named.source)} to ${ownerText(named.destination)}`);
  }
  return lines.join('\n');
}

function jsonFrame(frame: DecodedFrame, named: NamedKeys | undefined): string {
  return JSON.stringify({ ...frame, ...(named ? { names: named } : {}) }, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
}

/** The pcap errors that mean the file is no capture at all (as opposed to one with a bad record). */
const NOT_A_CAPTURE: ReadonlySet<string> = new Set(['PCAP_SHORT_HEADER', 'PCAP_BAD_MAGIC', 'PCAP_ZERO_SNAPLEN']);

/** One line for a pcap error: `x is not a pcap file: bad magic ...` or `x: record 7 at byte 1234: ...`. */
function pcapError(file: string, error: unknown): Error {
  if (!(error instanceof PcapFormatError)) return error as Error;
  const message = error.message.replace(/^pcap: /, '');
  return new CliError(NOT_A_CAPTURE.has(error.code) ? `${file} is not a pcap file: ${message}` : `${file}: ${message}`, 1, { cause: error });
}

function readError(file: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  return new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`);
}

/** Bytes read from the capture at a time (one buffer, reused). */
const READ_LENGTH = 1 << 16;

export async function runDecodeCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse('decode', argv, {
    sb: { type: 'string' }, json: { type: 'boolean' },
    'geneve-port': { type: 'string' }, 'vxlan-port': { type: 'string' }, 'stt-port': { type: 'string' },
    ...TLS_OPTIONS,
  }, true);
  if (values.help) { process.stdout.write(DECODE_USAGE); return 0; }
  if (positionals.length !== 1) throw usageError("decode: expected one pcap file (see 'ovn-overlay decode --help')");
  const file = positionals[0];
  const ports = {
    genevePort: integerOption('geneve-port', values['geneve-port'], 65535),
    vxlanPort: integerOption('vxlan-port', values['vxlan-port'], 65535),
    sttPort: integerOption('stt-port', values['stt-port'], 65535),
  };
  const out = new BufferedOutput(process.stdout);
  let decoder: TunnelFrameDecoder | undefined;
  let names: SouthboundNames | undefined;
  let decoded = 0;
  // The capture is read a piece at a time and each record decoded as it completes: constant memory, whatever
  // the capture's length (or a device that never ends).
  const reader = new PcapStreamReader((bytes, record) => {
    const frame = decoder!.decode(bytes, record.offset, record.length, reader.records);
    if (!frame) return;
    if (!frame.error) decoded++;
    const named = names ? nameKeys(frame, names) : undefined;
    out.write(`${values.json ? jsonFrame(frame, named) : formatFrame(frame, named)}\n`);
  });
  const chunk = new Uint8Array(READ_LENGTH);
  let handle: FileHandle | undefined;
  try {
    try {
      handle = await open(file, 'r');
      // The file header first: a file that is no capture is refused before any server is asked for names.
      const { bytesRead } = await handle.read(chunk, 0, 24, null);
      reader.push(chunk.subarray(0, bytesRead));
      if (bytesRead < 24) reader.end();
    } catch (error) {
      throw error instanceof PcapFormatError ? pcapError(file, error) : readError(file, error);
    }
    const linkType = reader.header!.linkType;
    if (linkType !== LINKTYPE_ETHERNET) throw new CliError(`${file}: link type ${linkType} is not Ethernet`);
    if (values.sb !== undefined) {
      const dbs = await connectDatabases(values.sb, { tls: tlsFromArgs(values), ...NAMES_ONLY });
      try {
        names = await SouthboundNames.read(requireDatabase(dbs, 'OVN_Southbound', values.sb));
      } finally {
        await dbs.close();
      }
    }
    decoder = new TunnelFrameDecoder({ ...ports, vxlanAsOvn: names !== undefined });
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, chunk.length, null));
      } catch (error) {
        throw readError(file, error);
      }
      if (bytesRead === 0) break;
      try {
        reader.push(chunk.subarray(0, bytesRead));
      } catch (error) {
        throw pcapError(file, error);
      }
      await out.drain(); // the reader of our output sets the pace
    }
    try {
      reader.end();
    } catch (error) {
      throw pcapError(file, error);
    }
  } finally {
    out.flush(); // what was decoded before an error is shown before it
    await handle?.close();
  }
  if (!values.json) out.write(`${reader.records} record${reader.records === 1 ? '' : 's'}, ${decoded} tunnel frame(s) decoded\n`);
  await out.drain();
  return 0;
}
