#!/usr/bin/env node
// One-time set-up run before `npm test` and `npm run lab`: npm dependencies and the Debian packages whose
// real programs the tests and the lab start. Plain JavaScript because it runs before `npm ci` has
// installed the TypeScript loader.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Each Debian package with a file whose presence proves it is installed. */
const debianPackages = [
  ['openvswitch-common', '/usr/bin/ovsdb-tool'],
  ['openvswitch-switch', '/usr/sbin/ovsdb-server'],
  ['openvswitch-switch', '/usr/sbin/ovs-vswitchd'],
  ['ovn-central', '/usr/bin/ovn-northd'],
  ['ovn-host', '/usr/bin/ovn-controller'],
  ['ovn-common', '/usr/bin/ovn-nbctl'],
  ['ovn-common', '/usr/bin/ovn-trace'],
  ['ovn-ic', '/usr/bin/ovn-ic'], // interconnect: one ovn-ic per zone in startLab({ zones })
  ['ovn-ic-db', '/usr/share/ovn/ovn-ic-nb.ovsschema'], // the OVN_IC_Northbound / OVN_IC_Southbound schemas
  ['tshark', '/usr/bin/tshark'],
  ['python3-openvswitch', '/usr/lib/python3/dist-packages/ovs/db/idl.py'],
  ['protobuf-compiler', '/usr/bin/protoc'],
  ['openssl', '/usr/bin/openssl'], // the TLS lab makes its certificates with it
  ['iproute2', '/usr/sbin/ip'], // the lab's network namespaces
  ['kubernetes-client', '/usr/bin/kubectl'], // the agent's watch-stream tests run the real kubectl against a replay
];

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`setup: '${cmd} ${args.join(' ')}' failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.ovn-overlay-lock-hash');
  const want = createHash('sha256').update(readFileSync(lock)).digest('hex');
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (have === want) return;
  console.error('setup: installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
  writeFileSync(stamp, want + '\n');
}

function ensureDebianPackages() {
  const missing = [...new Set(debianPackages.filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg))];
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    console.error(`setup: these Debian packages are missing and cannot be installed here (${isRoot ? 'no apt-get' : 'not root'}):\n` +
      `  ${missing.join(' ')}\n` +
      `Install them, e.g.: sudo apt-get install --no-install-recommends ${missing.join(' ')}`);
    process.exit(1);
  }
  console.error(`setup: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('sh', ['-c', 'echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections'], { env });
  run('apt-get', ['update', '-qq'], { env });
  // policy-rc.d answers 101 so that no package starts its service during the install.
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  if (!hadPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  } finally {
    if (!hadPolicy) spawnSync('rm', ['-f', policy]);
  }
}

ensureNodeModules();
ensureDebianPackages();
