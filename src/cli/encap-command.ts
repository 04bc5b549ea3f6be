// `ovn-overlay encap ... -o out.pcap`: builds Geneve/VXLAN/STT frames with the codecs' encoders (headroom in
// front of the inner frame, headers written in place) and writes them to a pcap file.
import { writeFile } from 'node:fs/promises';
import {
  GeneveEncoder, PcapWriter, Reason, SttSegmenter, VxlanEncoder, ovnKeysValid,
  reasonName, type OuterSpec,
} from '../../codecs/index.js';
import { TLS_OPTIONS, integerOption, parse, tlsFromArgs } from './args.js';
import { CliError, usageError } from './cli-error.js';
import { connectDatabases, requireDatabase } from './connect.js';
import { ENCAP_USAGE } from './help.js';
import { DEFAULT_INNER, buildInnerFrame, parseHex } from './inner-frame.js';
import { NAMES_ONLY, SouthboundNames } from './sb-names.js';

interface OvnKeys { datapath: number; ingress: number; egress: number }

function need(reason: Reason, what: string): void {
  if (reason !== Reason.Ok) throw new CliError(`${what}: ${reasonName(reason)}`);
}

async function resolveKeys(values: { datapath?: string; ingress?: string; egress?: string; sb?: string; ca?: string; cert?: string; key?: string }): Promise<OvnKeys | undefined> {
  if (values.datapath === undefined && values.ingress === undefined && values.egress === undefined) return undefined;
  if (values.datapath === undefined) throw usageError('encap: --ingress/--egress need --datapath');
  const numeric = [values.datapath, values.ingress ?? '0', values.egress ?? '0'].every((v) => /^(\d+|0x[0-9a-f]+)$/i.test(v));
  if (numeric) {
    return {
      datapath: integerOption('datapath', values.datapath, 0xffffff)!,
      ingress: integerOption('ingress', values.ingress ?? '0', 0x7fff)!,
      egress: integerOption('egress', values.egress ?? '0', 0xffff)!,
    };
  }
  if (values.sb === undefined) throw usageError('encap: names for --datapath/--ingress/--egress need --sb <remote> to look up their tunnel keys');
  const dbs = await connectDatabases(values.sb, { tls: tlsFromArgs(values), ...NAMES_ONLY });
  try {
    const names = await SouthboundNames.read(requireDatabase(dbs, 'OVN_Southbound', values.sb));
    const datapath = names.datapathKey(values.datapath);
    if (datapath === undefined) throw new CliError(`no logical datapath named "${values.datapath}" in ${values.sb}`);
    const port = (text: string | undefined, what: string) => {
      if (text === undefined) return 0;
      const key = names.portKey(datapath, text);
      if (key === undefined) throw new CliError(`no port "${text}" (${what}) in datapath "${values.datapath}"`);
      return key;
    };
    return { datapath, ingress: port(values.ingress, 'ingress'), egress: port(values.egress, 'egress') };
  } finally {
    await dbs.close();
  }
}

export async function runEncapCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse('encap', argv, {
    type: { type: 'string', default: 'geneve' },
    src: { type: 'string', default: '192.168.0.1' }, dst: { type: 'string', default: '192.168.0.2' },
    'src-mac': { type: 'string', default: '02:00:00:00:00:01' }, 'dst-mac': { type: 'string', default: '02:00:00:00:00:02' },
    vni: { type: 'string' }, context: { type: 'string' },
    datapath: { type: 'string' }, ingress: { type: 'string' }, egress: { type: 'string' }, sb: { type: 'string' },
    inner: { type: 'string' },
    'inner-src-mac': { type: 'string' }, 'inner-dst-mac': { type: 'string' },
    'inner-src-ip': { type: 'string' }, 'inner-dst-ip': { type: 'string' }, payload: { type: 'string' },
    'udp-checksum': { type: 'boolean' }, count: { type: 'string', default: '1' },
    output: { type: 'string', short: 'o' },
    ...TLS_OPTIONS,
  });
  if (values.help) { process.stdout.write(ENCAP_USAGE); return 0; }
  if (values.output === undefined) throw usageError("encap: -o <out.pcap> is required (see 'ovn-overlay encap --help')");
  const type = values.type;
  if (type !== 'geneve' && type !== 'vxlan' && type !== 'stt') throw usageError(`encap: --type must be geneve, vxlan or stt, not "${type}"`);
  const count = integerOption('count', values.count, 100_000)!;

  let inner: Uint8Array;
  try {
    inner = values.inner !== undefined ? parseHex(values.inner) : buildInnerFrame({
      ...DEFAULT_INNER,
      srcMac: values['inner-src-mac'] ?? DEFAULT_INNER.srcMac, dstMac: values['inner-dst-mac'] ?? DEFAULT_INNER.dstMac,
      srcIp: values['inner-src-ip'] ?? DEFAULT_INNER.srcIp, dstIp: values['inner-dst-ip'] ?? DEFAULT_INNER.dstIp,
      payload: values.payload ?? DEFAULT_INNER.payload,
    });
  } catch (error) {
    throw usageError(`encap: bad inner frame: ${(error as Error).message}`);
  }
  if (inner.length < 14) throw usageError('encap: the inner frame must hold at least an Ethernet header (14 bytes)');

  const keys = await resolveKeys(values);
  if (keys && !ovnKeysValid(keys.datapath, keys.ingress, keys.egress)) throw usageError('encap: OVN keys out of range');
  const outer: OuterSpec = { src: values.src, dst: values.dst, srcMac: values['src-mac'], dstMac: values['dst-mac'] };
  if (values['udp-checksum']) outer.udpChecksum = true;
  const vni = integerOption('vni', values.vni, 0xffffff);

  const writer = new PcapWriter();
  try {
    if (type === 'stt') {
      const seg = new SttSegmenter({ outer });
      if (keys) need(seg.setOvn(keys.datapath, keys.ingress, keys.egress), 'OVN keys');
      else if (values.context !== undefined) {
        const ctx = BigInt(values.context);
        if (ctx < 0n || ctx >= 1n << 64n) throw usageError('encap: --context must fit 64 bits');
        seg.setContext(Number(ctx >> 32n), Number(ctx & 0xffffffffn));
      }
      const stride = seg.headerLength + seg.mss;
      const dst = new Uint8Array(seg.bytesNeeded(inner.length, stride));
      for (let n = 0; n < count; n++) {
        need(seg.segment(inner, 0, inner.length, dst, 0, stride), 'STT segmentation');
        for (let i = 0; i < seg.segmentCount; i++) writer.add(dst, i * stride, seg.segmentLengths[i]);
      }
    } else {
      const enc = type === 'geneve'
        ? new GeneveEncoder({ outer, vni: vni ?? 0, ovn: keys !== undefined })
        : new VxlanEncoder({ outer, vni: vni ?? 0 });
      const buf = new Uint8Array(enc.headerLength + inner.length);
      buf.set(inner, enc.headerLength);
      for (let n = 0; n < count; n++) {
        if (enc instanceof GeneveEncoder) {
          need(keys ? enc.encapOvn(buf, enc.headerLength, inner.length, keys.datapath, keys.ingress, keys.egress) : enc.encap(buf, enc.headerLength, inner.length), 'Geneve');
        } else {
          need(keys ? enc.encapOvn(buf, enc.headerLength, inner.length, keys.datapath, keys.egress) : enc.encap(buf, enc.headerLength, inner.length), 'VXLAN');
        }
        writer.add(buf);
      }
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw usageError(`encap: ${(error as Error).message}`);
  }
  try {
    await writeFile(values.output, writer.toBytes());
  } catch (error) {
    throw new CliError(`cannot write ${values.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const what = keys ? `datapath ${keys.datapath} ingress ${keys.ingress} egress ${keys.egress}` : `vni ${vni ?? 0}`;
  process.stdout.write(`wrote ${writer.count} ${type} frame${writer.count === 1 ? '' : 's'} (${what}) to ${values.output}\n`);
  return 0;
}
