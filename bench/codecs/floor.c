/*
 * The C reference of the codecs bench: the same header work as ours and the JavaScript floors (bench/codecs/floor.ts)
 * on the same bytes, compiled at bench time (gcc -O2, the optimisation level Debian builds Open vSwitch with).
 * The bench writes the input to a file and runs
 *
 *   floor <case> <iterations> <input file> [case arguments]
 *
 * which prints one line: "<ns per operation> <result>", the time from CLOCK_PROCESS_CPUTIME_ID over the timed
 * iterations (after a warm-up of a tenth as many), and the result of the last operation as text the bench compares
 * with ours before it reports the figure. A compiler barrier in every iteration keeps gcc from hoisting work out of
 * the loop (the inputs do not change from one iteration to the next, as in the JavaScript loops).
 *
 * Cases:
 *   geneve-decap <checks>          input: one frame. checks: 1 = IPv4 header checksum, 2 = UDP checksum (when set)
 *   vxlan-decap <checks>           input: one frame
 *   geneve-encap <header length>   input: template then inner frame; ingress varies per iteration as in the JS loop
 *   vxlan-encap <header length>    input: template then inner frame; egress varies per iteration
 *   stt-segment <mss> <stride>     input: template (54 bytes) then the inner frame
 *   stt-reassemble <checks>        input: u32 frame count, u32 segments per frame, u32 segment lengths, the segments
 *                                  (each frame's segments at a stride of 1536 bytes); checks: 1 = IPv4 header
 *                                  checksum, 2 = TCP checksums
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BARRIER(p) __asm__ volatile("" : : "r"(p) : "memory")

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline uint32_t rd16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return __builtin_bswap32(v); }
static inline void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v) { v = __builtin_bswap32(v); memcpy(p, &v, 4); }

/* One's-complement sum of big-endian 16-bit words in [p, p+n), added to `sum`; not folded (n < 2^16 * 4). */
static inline uint64_t sum_words(const uint8_t *p, size_t n, uint64_t sum) {
  uint64_t le = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) { uint32_t w; memcpy(&w, p + i, 4); le += w; }
  /* the loop summed little-endian words: fold, then swap back to big-endian */
  while (le >> 16) le = (le & 0xffff) + (le >> 16);
  sum += ((le & 0xff) << 8) | (le >> 8);
  if (i + 2 <= n) { sum += rd16(p + i); i += 2; }
  if (i < n) sum += (uint32_t)p[i] << 8;
  return sum;
}

static inline uint32_t fold(uint64_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint32_t)s;
}

/* Copies n bytes and returns their big-endian one's-complement sum, unfolded. */
static inline uint64_t copy_sum(uint8_t *dst, const uint8_t *src, size_t n) {
  memcpy(dst, src, n);
  return sum_words(dst, n, 0);
}

struct decoded {
  int32_t vlan_tci, ip_version, ip_offset, ttl, tos, ip_id;
  uint32_t src4, dst4;
  int32_t src_off, dst_off, flow_label, l4_offset, l4_end, src_port, dst_port, l4_checksum;
  uint32_t vni;
  int32_t oam, critical, protocol_type, options_offset, options_length, option_count, option_offsets[63];
  int32_t ovn, ovn_ingress, ovn_egress, flags, ovn_datapath, inner_offset, inner_length;
};

/* Ethernet (+ VLAN), IPv4 and UDP as decodeOuter; 0 or a reason code. */
static inline int decode_outer(const uint8_t *b, size_t buflen, size_t off, size_t len, struct decoded *o, unsigned port, int checks) {
  if (off + len > buflen) return 30;
  size_t end = off + len;
  if (len < 14) return 2;
  size_t p = off + 14;
  uint32_t type = rd16(b + off + 12);
  o->vlan_tci = -1;
  if (type == 0x8100 || type == 0x88a8) {
    if (p + 4 > end) return 2;
    o->vlan_tci = (int32_t)rd16(b + p); type = rd16(b + p + 2); p += 4;
    if (type == 0x8100) { if (p + 4 > end) return 2; type = rd16(b + p + 2); p += 4; }
  }
  o->ip_offset = (int32_t)p;
  if (type != 0x0800) return 3;
  if (p + 20 > end) return 2;
  const uint8_t *ip = b + p;
  if (ip[0] >> 4 != 4) return 4;
  size_t hl = (size_t)(ip[0] & 15) << 2;
  if (hl < 20) return 5;
  if (p + hl > end) return 2;
  size_t total = rd16(ip + 2);
  if (total < hl) return 6;
  if (p + total > end) return 2;
  if (checks & 1) {
    if (fold(sum_words(ip, hl, 0)) != 0xffff) return 7;
  }
  if (rd16(ip + 6) & 0x3fff) return 8;
  o->ip_version = 4; o->tos = ip[1]; o->ip_id = (int32_t)rd16(ip + 4); o->ttl = ip[8];
  o->src4 = rd32(ip + 12); o->dst4 = rd32(ip + 16); o->src_off = (int32_t)p + 12; o->dst_off = (int32_t)p + 16; o->flow_label = 0;
  size_t u = p + hl, l4_end = p + total;
  o->l4_offset = (int32_t)u; o->l4_end = (int32_t)l4_end;
  if (ip[9] != 17) return 9;
  if (u + 8 > l4_end) return 2;
  unsigned dst_port = rd16(b + u + 2), udp_len = rd16(b + u + 4), csum = rd16(b + u + 6);
  o->src_port = (int32_t)rd16(b + u); o->dst_port = (int32_t)dst_port; o->l4_checksum = (int32_t)csum;
  if (dst_port != port) return 10;
  if (udp_len < 8 || u + udp_len > l4_end) return 11;
  o->l4_end = (int32_t)(u + udp_len);
  if (csum != 0 && (checks & 2)) {
    uint64_t s = 17 + udp_len + rd16(ip + 12) + rd16(ip + 14) + rd16(ip + 16) + rd16(ip + 18);
    if (fold(sum_words(b + u, udp_len, s)) != 0xffff) return 12;
  }
  return 0;
}

static int geneve_decap(const uint8_t *b, size_t buflen, size_t off, size_t len, struct decoded *o, int checks) {
  int r = decode_outer(b, buflen, off, len, o, 6081, checks);
  if (r) return r;
  size_t g = (size_t)o->l4_offset + 8, end = (size_t)o->l4_end;
  o->option_count = 0; o->ovn = 0;
  if (g + 8 > end) return 2;
  if (b[g] >> 6) return 13;
  size_t opt_len = (size_t)(b[g] & 0x3f) << 2;
  int oam = (b[g + 1] & 0x80) != 0;
  unsigned pt = rd16(b + g + 2);
  o->oam = oam; o->critical = (b[g + 1] & 0x40) != 0; o->protocol_type = (int32_t)pt;
  o->vni = rd32(b + g + 4) >> 8;
  size_t opt_start = g + 8, opt_end = opt_start + opt_len;
  if (opt_end > end) return 2;
  o->options_offset = (int32_t)opt_start; o->options_length = (int32_t)opt_len;
  o->inner_offset = (int32_t)opt_end; o->inner_length = (int32_t)(end - opt_end);
  int unknown = 0, n = 0;
  for (size_t q = opt_start; q < opt_end;) {
    if (q + 4 > opt_end) return 14;
    uint32_t h = rd32(b + q);
    size_t olen = 4 + ((size_t)(h & 0x1f) << 2);
    if (q + olen > opt_end) return 14;
    uint32_t key = h >> 8;
    o->option_offsets[n++] = (int32_t)q;
    if (key == 0x010280) {
      if (olen != 8) return 19;
      uint32_t v = rd32(b + q + 4);
      o->ovn = 1; o->ovn_ingress = (int32_t)((v >> 16) & 0x7fff); o->ovn_egress = (int32_t)(v & 0xffff);
    } else if (key & 0x80) {
      unknown = 1;
    }
    q += olen;
  }
  o->option_count = n;
  if (unknown) return 16;
  if (oam) return 17;
  if (pt != 0x6558) return 18;
  return 0;
}

static int vxlan_decap(const uint8_t *b, size_t buflen, size_t off, size_t len, struct decoded *o, int checks) {
  int r = decode_outer(b, buflen, off, len, o, 4789, checks);
  if (r) return r;
  size_t x = (size_t)o->l4_offset + 8, end = (size_t)o->l4_end;
  if (x + 8 > end) return 2;
  uint32_t vni = rd32(b + x + 4) >> 8;
  o->flags = b[x]; o->vni = vni; o->ovn_datapath = (int32_t)(vni & 0xfff); o->ovn_egress = (int32_t)(vni >> 12);
  o->inner_offset = (int32_t)x + 8; o->inner_length = (int32_t)(end - x - 8);
  if (!(b[x] & 0x08)) return 20;
  return 0;
}

/* codecs/flow-hash.ts's hash, the same value (seed 0). */
static uint32_t flow_hash(const uint8_t *b, size_t off, size_t len) {
  size_t end = off + len;
  uint32_t h;
  if (len < 14) {
    h = (uint32_t)len;
    for (size_t i = off; i < end; i++) h = (h ^ b[i]) * 0x01000193u;
  } else {
    size_t p = off + 14;
    uint32_t type = rd16(b + off + 12);
    while ((type == 0x8100 || type == 0x88a8) && p + 4 <= end) { type = rd16(b + p + 2); p += 4; }
    if (type == 0x0800 && p + 20 <= end) {
      size_t ihl = (size_t)(b[p] & 15) << 2;
      uint32_t proto = b[p + 9];
      h = rd32(b + p + 12);
      h = ((h ^ (h >> 16)) * 0x85ebca6bu) ^ rd32(b + p + 16);
      h = ((h ^ (h >> 13)) * 0xc2b2ae35u) ^ proto;
      size_t l4 = p + ihl;
      if ((rd16(b + p + 6) & 0x3fff) == 0 && ihl >= 20 && (proto == 6 || proto == 17 || proto == 132) && l4 + 4 <= end)
        h = ((h ^ (h >> 16)) * 0x9e3779b1u) ^ rd32(b + l4);
    } else if (type == 0x86dd && p + 40 <= end) {
      h = 6;
      for (size_t i = p + 8; i < p + 40; i += 4) h = ((h ^ rd32(b + i)) * 0x9e3779b1u) ^ (h >> 15);
      uint32_t nh = b[p + 6];
      h ^= nh;
      if ((nh == 6 || nh == 17 || nh == 132) && p + 44 <= end) h = (h ^ rd32(b + p + 40)) * 0x85ebca6bu;
    } else {
      h = 2;
      h = (h ^ rd32(b + off)) * 0x9e3779b1u;
      h = (h ^ rd32(b + off + 4)) * 0x85ebca6bu;
      h = ((h ^ rd32(b + off + 8)) * 0xc2b2ae35u) ^ type;
    }
  }
  h ^= h >> 16; h *= 0x7feb352du; h ^= h >> 15; h *= 0x846ca68bu; h ^= h >> 16;
  return h;
}

struct template {
  uint8_t bytes[256];
  size_t header_length;
  uint32_t ip_const_sum, pseudo_sum;
  unsigned port_min, port_span;
};

/* What OuterTemplate's constructor computes (once per flow): the constant sums. */
static void template_init(struct template *t, const uint8_t *bytes, size_t header_length) {
  memcpy(t->bytes, bytes, header_length);
  t->header_length = header_length;
  t->ip_const_sum = fold(sum_words(bytes + 14, 20, 0));
  t->pseudo_sum = fold(sum_words(bytes + 26, 8, bytes[23]));
  t->port_min = 32768; t->port_span = 61000 - 32768 + 1;
}

static inline void emit_outer(uint8_t *b, size_t start, const struct template *t, size_t payload, uint32_t hash) {
  memcpy(b + start, t->bytes, t->header_length);
  uint8_t *ip = b + start + 14;
  size_t l4_len = t->header_length - 34 + payload;
  uint32_t total = (uint32_t)l4_len + 20;
  wr16(ip + 2, total);
  wr16(ip + 10, ~fold(t->ip_const_sum + total) & 0xffff);
  wr16(ip + 20, t->port_min + (uint32_t)(((uint64_t)hash * t->port_span) >> 32));
  if (ip[9] == 17) wr16(ip + 24, (uint32_t)l4_len);
}

static int geneve_encap(uint8_t *b, size_t buflen, size_t inner, size_t inner_len, const struct template *t, uint32_t dp, uint32_t ingress, uint32_t egress) {
  if (ingress > 0x7fff || egress > 0xffff || dp > 0xffffff) return 29;
  if (inner < t->header_length || inner + inner_len > buflen) return 27;
  if (t->header_length - 14 + inner_len > 65535) return 28;
  size_t start = inner - t->header_length;
  emit_outer(b, start, t, inner_len, flow_hash(b, inner, inner_len));
  wr32(b + start + 46, dp << 8);
  wr32(b + start + 54, (ingress << 16) | egress);
  return 0;
}

static int vxlan_encap(uint8_t *b, size_t buflen, size_t inner, size_t inner_len, const struct template *t, uint32_t dp, uint32_t egress) {
  if (dp > 0xfff || egress > 0xfff) return 29;
  if (inner < t->header_length || inner + inner_len > buflen) return 27;
  if (t->header_length - 14 + inner_len > 65535) return 28;
  size_t start = inner - t->header_length;
  emit_outer(b, start, t, inner_len, flow_hash(b, inner, inner_len));
  wr32(b + start + 46, ((egress << 12) | dp) << 8);
  return 0;
}

/* STT segmentation as SttSegmenter.segment: every segment's headers, its slice of the frame, its TCP checksum. */
struct stt {
  struct template t;
  size_t mss, stride;
  uint32_t packet_id, tcp_const_sum;
  uint8_t header[18];
  int segment_count;
  int32_t lengths[64];
};

static int stt_segment(struct stt *s, const uint8_t *src, size_t inner_len, uint8_t *dst, size_t dst_len) {
  size_t f = inner_len + 18, mss = s->mss, hl = s->t.header_length;
  if (f > 65535) return 28;
  size_t n = (f + mss - 1) / mss;
  if ((n - 1) * s->stride + hl + (f - (n - 1) * mss) > dst_len) return 27;
  uint32_t hash = flow_hash(src, 0, inner_len);
  uint32_t id = ++s->packet_id;
  uint32_t ack_sum = (id >> 16) + (id & 0xffff);
  for (size_t i = 0; i < n; i++) {
    size_t start = i * s->stride, frame_off = i * mss;
    size_t payload = i == n - 1 ? f - frame_off : mss;
    emit_outer(dst, start, &s->t, payload, hash);
    uint8_t *tcp = dst + start + 34;
    wr16(tcp + 4, (uint32_t)f); wr16(tcp + 6, (uint32_t)frame_off); wr32(tcp + 8, id);
    uint8_t *p = dst + start + hl;
    uint64_t data;
    if (i == 0) {
      memcpy(p, s->header, 18);
      data = sum_words(p, 18, 0) + copy_sum(p + 18, src, payload - 18);
    } else {
      data = copy_sum(p, src + frame_off - 18, payload);
    }
    uint64_t sum = s->t.pseudo_sum + 20 + payload + s->tcp_const_sum + rd16(tcp) + f + frame_off + ack_sum + data;
    wr16(tcp + 16, ~fold(sum) & 0xffff);
    s->lengths[i] = (int32_t)(hl + payload);
  }
  s->segment_count = (int)n;
  return 0;
}

/* STT reassembly as SttReassembler.push for in-order segments: outer checks, TCP checksum, range bookkeeping, copy
 * into the frame's arena slot, delivery when every byte has arrived. One table entry per frame in flight. */
struct entry { uint32_t src, dst, id; size_t frame_len, received, base; int live; size_t range_start, range_end; };
struct reassembler { struct entry e[64]; uint8_t *arena; size_t arena_head; int checks; };

static int stt_push(struct reassembler *ra, const uint8_t *b, size_t buflen, size_t off, size_t len, struct decoded *o,
                    size_t *frame_offset, size_t *frame_length) {
  if (off + len > buflen) return 30;
  size_t end = off + len;
  if (len < 14) return 2;
  size_t p = off + 14;
  if (rd16(b + off + 12) != 0x0800) return 3;
  if (p + 20 > end) return 2;
  const uint8_t *ip = b + p;
  if (ip[0] >> 4 != 4) return 4;
  size_t hl = (size_t)(ip[0] & 15) << 2;
  if (hl < 20) return 5;
  if (p + hl > end) return 2;
  size_t total = rd16(ip + 2);
  if (total < hl) return 6;
  if (p + total > end) return 2;
  if ((ra->checks & 1) && fold(sum_words(ip, hl, 0)) != 0xffff) return 7;
  if (rd16(ip + 6) & 0x3fff) return 8;
  if (ip[9] != 6) return 9;
  size_t tcp = p + hl, l4_end = p + total;
  if (tcp + 20 > l4_end) return 2;
  o->src_port = (int32_t)rd16(b + tcp); o->dst_port = (int32_t)rd16(b + tcp + 2);
  if (o->dst_port != 7471) return 10;
  if (b[tcp + 12] >> 4 != 5) return 21;
  size_t f = rd16(b + tcp + 4), so = rd16(b + tcp + 6);
  uint32_t id = rd32(b + tcp + 8);
  size_t data = tcp + 20, plen = l4_end - data;
  if (f < 18 || plen == 0 || so + plen > f) return 23;
  uint32_t src = rd32(ip + 12), dst = rd32(ip + 16);
  uint32_t slot = (id ^ src ^ dst) & 63;
  struct entry *e = &ra->e[slot];
  if (!e->live || e->id != id || e->src != src || e->dst != dst) {
    if (ra->arena_head + f + 3 > (4u << 20)) ra->arena_head = 0;
    e->live = 1; e->id = id; e->src = src; e->dst = dst; e->frame_len = f; e->received = 0;
    e->base = ra->arena_head; ra->arena_head += f + 3; e->range_start = e->range_end = 0;
  } else if (e->frame_len != f) {
    e->live = 0;
    return 25;
  }
  if (e->received && so < e->range_end && e->range_start < so + plen) { e->live = 0; return 24; }
  uint64_t sum = copy_sum(ra->arena + e->base + so, b + data, plen);
  if (ra->checks & 2) {
    uint64_t s = sum + 6 + (l4_end - tcp) + rd16(ip + 12) + rd16(ip + 14) + rd16(ip + 16) + rd16(ip + 18);
    if (fold(sum_words(b + tcp, 20, s)) != 0xffff) return 12;
  }
  if (!e->received) { e->range_start = so; e->range_end = so + plen; }
  else if (e->range_end == so) e->range_end = so + plen;
  else if (e->range_start == so + plen) e->range_start = so;
  e->received += plen;
  if (e->received < f) return 1;
  e->live = 0;
  /* the STT header of the complete frame, as readSttHeader */
  const uint8_t *h = ra->arena + e->base;
  if (h[0] != 0) return 22;
  uint32_t hi = rd32(h + 8), lo = rd32(h + 12);
  o->flags = h[1]; o->ovn = (hi >> 23) == 0;
  o->ovn_ingress = (int32_t)((hi >> 8) & 0x7fff); o->ovn_egress = (int32_t)(((hi & 0xff) << 8) | (lo >> 24)); o->ovn_datapath = (int32_t)(lo & 0xffffff);
  o->inner_offset = (int32_t)e->base + 18; o->inner_length = (int32_t)f - 18;
  *frame_offset = e->base; *frame_length = f;
  return 0;
}

/* The packet id (TCP ACK) of the IPv4 STT segment at b, with its checksum updated (RFC 1624), as the bench's
 * setPacketId: every frame pushed gets an id of its own. */
static inline void set_packet_id(uint8_t *b, uint32_t id) {
  uint8_t *tcp = b + 34;
  uint32_t sum = ~rd16(tcp + 16) & 0xffff;
  uint32_t old_hi = rd16(tcp + 8), old_lo = rd16(tcp + 10);
  sum += (~old_hi & 0xffff) + (id >> 16) + (~old_lo & 0xffff) + (id & 0xffff);
  wr32(tcp + 8, id);
  wr16(tcp + 16, ~fold(sum) & 0xffff);
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) { perror(path); exit(2); }
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  uint8_t *buf = calloc((size_t)n + 4096, 1);
  if (fread(buf, 1, (size_t)n, fp) != (size_t)n) { perror(path); exit(2); }
  fclose(fp);
  *len = (size_t)n;
  return buf;
}

static void print_decoded(double ns, int r, const struct decoded *o) {
  printf("%.4f %d %u %d %d %d %d %d %d %d\n", ns, r, o->vni, o->ovn_ingress, o->ovn_egress, o->inner_offset, o->inner_length,
         o->src_port, o->l4_end, o->option_count);
}

static void print_hex(double ns, int r, const uint8_t *p, size_t n) {
  printf("%.4f %d ", ns, r);
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: floor <case> <iterations> <input> [args]\n"); return 2; }
  const char *name = argv[1];
  long iterations = atol(argv[2]);
  size_t len;
  uint8_t *in = read_file(argv[3], &len);
  long warm = iterations / 10 + 1;
  double t0 = 0, t1 = 0;
  int r = 0;
  if (!strcmp(name, "geneve-decap") || !strcmp(name, "vxlan-decap")) {
    int checks = atoi(argv[4]);
    int geneve = name[0] == 'g';
    static struct decoded o;
    for (int pass = 0; pass < 2; pass++) {
      long n = pass ? iterations : warm;
      if (pass) t0 = cpu_seconds();
      for (long i = 0; i < n; i++) {
        BARRIER(in);
        r = geneve ? geneve_decap(in, len, 0, len, &o, checks) : vxlan_decap(in, len, 0, len, &o, checks);
        BARRIER(&o);
      }
    }
    t1 = cpu_seconds();
    print_decoded((t1 - t0) * 1e9 / (double)iterations, r, &o);
  } else if (!strcmp(name, "geneve-encap") || !strcmp(name, "vxlan-encap")) {
    size_t hl = (size_t)atol(argv[4]);
    int geneve = name[0] == 'g';
    static struct template t;
    template_init(&t, in, hl);
    size_t inner_len = len - hl;
    /* the frame: the template's headroom then the inner frame, as the JS buffer */
    uint8_t *buf = in;
    uint32_t last = 0;
    for (int pass = 0; pass < 2; pass++) {
      long n = pass ? iterations : warm;
      if (pass) t0 = cpu_seconds();
      for (long i = 0; i < n; i++) {
        BARRIER(buf);
        last = (uint32_t)i;
        r = geneve ? geneve_encap(buf, len, hl, inner_len, &t, 5, last & 0x7fff, 7) : vxlan_encap(buf, len, hl, inner_len, &t, 5, last & 0xfff);
      }
    }
    t1 = cpu_seconds();
    print_hex((t1 - t0) * 1e9 / (double)iterations, r, buf, hl);
  } else if (!strcmp(name, "stt-segment")) {
    static struct stt s;
    s.mss = (size_t)atol(argv[4]);
    s.stride = (size_t)atol(argv[5]);
    template_init(&s.t, in, 54);
    s.tcp_const_sum = fold(sum_words(in + 34, 20, 0));
    s.packet_id = 1;
    /* OVN keys 5, 6, 7 in the context, as the bench's segmenter */
    uint32_t hi = (6u << 8) | (7u >> 8), lo = ((7u & 0xff) << 24) | 5u;
    memset(s.header, 0, 18);
    wr32(s.header + 8, hi); wr32(s.header + 12, lo);
    const uint8_t *src = in + 54;
    size_t inner_len = len - 54;
    size_t n_max = (inner_len + 18 + s.mss - 1) / s.mss;
    size_t dst_len = n_max * s.stride;
    uint8_t *dst = aligned_alloc(64, (dst_len + 63) & ~(size_t)63);
    for (int pass = 0; pass < 2; pass++) {
      long n = pass ? iterations : warm;
      if (pass) t0 = cpu_seconds();
      for (long i = 0; i < n; i++) {
        BARRIER(dst);
        r = stt_segment(&s, src, inner_len, dst, dst_len);
      }
    }
    t1 = cpu_seconds();
    /* the result: the first and last segment's headers (the packet ids differ from the JS run's: not compared) */
    printf("%.4f %d %d ", (t1 - t0) * 1e9 / (double)iterations, r, s.segment_count);
    for (size_t i = 0; i < 54 + 18; i++) printf("%02x", dst[i]);
    printf("\n");
  } else if (!strcmp(name, "stt-reassemble")) {
    static struct reassembler ra;
    ra.checks = atoi(argv[4]);
    ra.arena = aligned_alloc(64, 4u << 20);
    uint32_t frames, per;
    memcpy(&frames, in, 4); memcpy(&per, in + 4, 4);
    const uint32_t *lens = (const uint32_t *)(in + 8);
    uint8_t *segs = in + 8 + 4 * (size_t)frames * per;
    uint32_t next_id = 1u << 22;
    size_t frame_bytes = (size_t)per * 1536;
    static struct decoded o;
    size_t fo = 0, fl = 0;
    long delivered = 0;
    for (int pass = 0; pass < 2; pass++) {
      long n = pass ? iterations : warm;
      if (pass) { t0 = cpu_seconds(); delivered = 0; }
      for (long i = 0; i < n; i++) {
        uint32_t f = (uint32_t)i & (frames - 1);
        uint32_t id = ++next_id;
        for (uint32_t k = 0; k < per; k++) {
          set_packet_id(segs + f * frame_bytes + k * 1536, id);
          BARRIER(segs);
          int x = stt_push(&ra, segs, (size_t)frames * frame_bytes, f * frame_bytes + k * 1536, lens[f * per + k], &o, &fo, &fl);
          if (x == 0) delivered++;
          else if (x != 1) r = x;
        }
      }
    }
    t1 = cpu_seconds();
    printf("%.4f %d %ld %zu %d %d %d\n", (t1 - t0) * 1e9 / (double)iterations, r, delivered, fl, o.ovn_datapath, o.ovn_ingress, o.ovn_egress);
  } else {
    fprintf(stderr, "unknown case %s\n", name);
    return 2;
  }
  return 0;
}
