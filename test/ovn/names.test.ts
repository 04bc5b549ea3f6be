// The external_ids keys and Kubernetes annotation keys live in src/ovn/names.ts alone: no other source file spells
// one as a string literal (they import the constant), so a key can be found, documented and changed in one place.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as names from '../../src/ovn/names.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

// Keys distinctive enough to be recognised in any file. Plain words that double as keys elsewhere in other
// senses ('name', 'namespace', 'pod', 'type', 'direction', 'hostname', 'sandbox') are checked in src/ovn and
// src/ovs files only, as `external_ids` map entries and lookups.
const keys = Object.entries(names)
  .filter(([k, v]) => (k.endsWith('_KEY') || k === 'POD_NETWORKS_ANNOTATION') && typeof v === 'string')
  .map(([, v]) => v as string);
const distinctive = keys.filter((k) => /[-_./]/.test(k));
const plain = keys.filter((k) => !/[-_./]/.test(k));

test('names.ts has the keys: ovn-kubernetes ownership, Service load balancer, pod port and OVS keys', (t) => {
  for (const k of ['k8s.ovn.org/owner-controller', 'k8s.ovn.org/owner-type', 'k8s.ovn.org/name', 'k8s.ovn.org/id', 'k8s.ovn.org/kind', 'k8s.ovn.org/owner',
    'namespace', 'pod', 'iface-id', 'iface-id-ver', 'attached_mac', 'ip_addresses', 'sandbox', 'system-id', 'ovn-remote', 'ovn-encap-type', 'ovn-encap-ip']) {
    t.true(keys.includes(k), `names.ts lacks ${k}`);
  }
});

test('no source file but names.ts spells an external_ids key as a string literal', (t) => {
  const offenders: string[] = [];
  // src/ovsdb is below src/ovn (it may not import names.ts) and knows no OVN key; codecs import nothing.
  for (const file of sources(join(root, 'src')).filter((f) => !relative(root, f).startsWith(join('src', 'ovsdb')))) {
    if (file.endsWith(join('ovn', 'names.ts'))) continue;
    const rel = relative(root, file);
    // Code only: comments may name a key in prose (`external_ids:iface-id`).
    const text = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');
    for (const k of distinctive) {
      for (const q of ["'", '"']) if (text.includes(`${q}${k}${q}`)) offenders.push(`${rel}: ${q}${k}${q}`);
    }
    if (/^src[\\/](ovn|ovs)[\\/]/.test(rel)) {
      for (const k of plain) {
        const used = new RegExp(`(external_ids|ids)\\.get\\('${k}'\\)|new Map\\(\\[\\['${k}', `);
        if (used.test(text)) offenders.push(`${rel}: '${k}' as an external_ids key`);
      }
    }
  }
  t.deepEqual(offenders, []);
});
