// The Windows leg's Linux side: the Windows runtime with the test's driver built in, a control channel to the
// driver (one node.exe process), and ovsdb-servers on Open_vSwitch databases made from a given schema.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OvsdbServerProcess } from '../../src/lab/database-server.js';
import { runCommand } from '../../src/lab/process.js';
import { WindowsRuntime, type WindowsProcess } from '../../src/lab/windows.js';
import { encodeControl, readLines, type ControlError, type ControlMessage } from './win/control.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const INSTALLED_VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
export const OVS_30_VSWITCH_SCHEMA = join(repoRoot, 'fixtures', 'schemas', 'vswitch-3.0.ovsschema');

/** An error the driver reported, rebuilt on this side with its name, code and message. */
export class DriverError extends Error {
  readonly code: string | undefined;
  constructor(readonly op: string, e: ControlError) {
    super(`${op}: ${e.name}: ${e.message}`);
    this.name = e.name;
    this.code = e.code;
  }
}

/** The driver (test/windows/win/driver.ts) under node.exe, and the calls and events between it and the test. */
export class WindowsDriver extends EventEmitter<{ event: [name: string, data: unknown] }> {
  private nextId = 1;
  private readonly pending = new Map<number, { op: string; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly seen: { name: string; data: unknown }[] = [];

  private constructor(private readonly socket: net.Socket, readonly process: WindowsProcess, readonly hello: { platform: string; version: string }) {
    super();
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`driver connection closed during ${p.op}: ${process.output().trim()}`));
      this.pending.clear();
    });
  }

  static async start(runtime: WindowsRuntime): Promise<WindowsDriver> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const proc = runtime.runNode(runtime.built('test/windows/win/driver.ts'), [String(port)], { name: 'driver' });
    try {
      return await new Promise<WindowsDriver>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the driver did not connect: ${proc.output().trim()}`)), 30_000);
        void proc.exited.then(({ code }) => reject(new Error(`the driver exited ${code}: ${proc.output().trim()}`)));
        server.once('connection', (socket) => {
          let driver: WindowsDriver | undefined;
          readLines(socket, (m) => {
            const message = m as ControlMessage;
            if ('hello' in message) {
              clearTimeout(timer);
              driver = new WindowsDriver(socket, proc, message.hello);
              resolve(driver);
            } else {
              driver?.receive(message);
            }
          });
        });
      });
    } finally {
      server.close();
    }
  }

  private receive(message: ControlMessage): void {
    if ('event' in message) {
      this.seen.push({ name: message.event, data: message.data });
      this.emit('event', message.event, message.data);
      return;
    }
    if (!('id' in message)) return;
    const p = this.pending.get(message.id);
    if (!p) return;
    this.pending.delete(message.id);
    if ('error' in message) p.reject(new DriverError(p.op, message.error));
    else p.resolve(message.ok);
  }

  /** Runs `op` in node.exe and returns its result (bigint and Map intact). */
  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(encodeControl({ id, op, args }) + '\n');
    });
  }

  /** Resolves with the first event `name` (already seen or still to come) whose data passes `match`. */
  waitForEvent<T>(name: string, match: (data: T) => boolean, timeoutMs = 20_000, since = 0): Promise<T> {
    const old = this.seen.slice(since).find((e) => e.name === name && match(e.data as T));
    if (old) return Promise.resolve(old.data as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', on);
        reject(new Error(`no ${name} event as expected within ${timeoutMs} ms; seen: ${JSON.stringify(this.seen.filter((e) => e.name === name).slice(-5), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`));
      }, timeoutMs);
      const on = (n: string, data: unknown) => {
        if (n === name && match(data as T)) {
          clearTimeout(timer);
          this.off('event', on);
          resolve(data as T);
        }
      };
      this.on('event', on);
    });
  }

  async stop(): Promise<void> {
    this.socket.end();
    await this.process.stop();
  }
}

/** A standalone ovsdb-server on an Open_vSwitch database created from `schema`, initialised like `ovs-vsctl init`. */
export interface VswitchServer {
  readonly server: OvsdbServerProcess;
  readonly port: number;
  readonly unix: string;
  readonly dir: string;
  vsctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startVswitchServer(schema: string, stem = 'conf'): Promise<VswitchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ovn-windb-'));
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
  const dbFile = join(dir, `${stem}.db`);
  try {
    await runCommand('ovsdb-tool', ['create', dbFile, schema], { env });
    const server = await OvsdbServerProcess.start({ database: 'Open_vSwitch', model: 'standalone', member: 1, dir, stem, dbFile, env });
    const vsctl = (...args: string[]) => runCommand('ovs-vsctl', [`--db=${server.unix}`, '--no-wait', '--timeout=10', ...args], { env });
    await vsctl('init');
    return {
      server, dir, unix: server.unix, port: Number(server.tcp.split(':').pop()), vsctl,
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The Windows runtime with the driver built in, and the driver started. */
export async function startWindowsLeg(): Promise<{ runtime: WindowsRuntime; driver: WindowsDriver }> {
  const runtime = await WindowsRuntime.start({ extraSources: [join(repoRoot, 'test', 'windows', 'win', '*.ts')] });
  try {
    const driver = await WindowsDriver.start(runtime);
    return { runtime, driver };
  } catch (err) {
    await runtime.stop();
    throw err;
  }
}
