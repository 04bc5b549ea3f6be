// The Windows side of the Windows leg: run by node.exe under Wine, it imports the built package (dist/src, dist/codecs
// of the leg's build) and performs what the test asks over the control channel (control.ts). Everything an
// operation does (connecting through the named pipe, OVSDB calls, replica, node set-up, codecs) runs here, in the
// Windows runtime; the test on Linux only asks and checks.
//
//   node.exe driver.js <control port>
import net from 'node:net';
import { OvsdbClient, OvsdbDatabase, select, update, type DatabaseStats, type Row } from '../../../src/index.js';
import { windowsPipeName } from '../../../src/ovsdb/index.js';
import { runCodecCheck, runSttCheck } from './codec-check.js';
import { encodeControl, errorOf, readLines, type ControlRequest } from './control.js';
import { nodeOperations } from './node-side.js';

const port = Number(process.argv[2]);
const control = net.connect({ host: '127.0.0.1', port });
const send = (message: unknown) => control.write(encodeControl(message) + '\n');
const emit = (event: string, data: unknown) => send({ event, data });

const clients = new Map<number, OvsdbClient>();
const replicas = new Map<number, OvsdbDatabase<Record<string, Row>>>();
let nextHandle = 1;

function client(args: Record<string, unknown>): OvsdbClient {
  const c = clients.get(Number(args.handle));
  if (!c) throw new Error(`no client ${String(args.handle)}`);
  return c;
}

function replica(args: Record<string, unknown>): OvsdbDatabase<Record<string, Row>> {
  const r = replicas.get(Number(args.handle));
  if (!r) throw new Error(`no replica ${String(args.handle)}`);
  return r;
}

const bridgeNames = (rows: Iterable<Row>) => [...rows].map((r) => String(r.name)).sort();

export type Operation = (args: Record<string, unknown>) => unknown;

const operations: Record<string, Operation> = {
  /** windowsPipeName() for each case, or the error it throws; `env` is set in this process meanwhile. */
  pipeNames(args) {
    const env = (args.env ?? {}) as Record<string, string>;
    const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, env);
    try {
      return (args.cases as { path: string; runDir?: string }[]).map((c) => {
        try {
          return { name: windowsPipeName(c.path, c.runDir) };
        } catch (err) {
          return { error: errorOf(err) };
        }
      });
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  },

  async connect(args) {
    const c = await OvsdbClient.connect(String(args.remote), args.runDir === undefined ? {} : { runDir: String(args.runDir) });
    const handle = nextHandle++;
    clients.set(handle, c);
    return handle;
  },

  /** Connects and returns the error (the test expects one). */
  async connectError(args) {
    try {
      const c = await OvsdbClient.connect(String(args.remote), args.runDir === undefined ? {} : { runDir: String(args.runDir) });
      await c.close();
    } catch (err) {
      return { ...errorOf(err), remote: (err as { remote?: unknown }).remote };
    }
    throw new Error(`connected to ${String(args.remote)}`);
  },

  listDbs: (args) => client(args).listDbs(),

  async close(args) {
    await client(args).close();
    clients.delete(Number(args.handle));
  },

  /** Writes 64-bit values: Open_vSwitch.next_cfg and cur_cfg (integers without a range: the whole int64). */
  async writeCfg(args) {
    const [r] = await client(args).transact('Open_vSwitch', [
      update('Open_vSwitch', [], { next_cfg: args.nextCfg as bigint, cur_cfg: args.curCfg as bigint }),
    ]);
    return r.count;
  },

  async readCfg(args) {
    const [r] = await client(args).transact('Open_vSwitch', [select('Open_vSwitch', [], ['next_cfg', 'cur_cfg'])]);
    return r.rows[0];
  },

  /** monitor_cond on Bridge names: returns the initial names; every update is sent as a `bridges` event. */
  async monitorBridges(args) {
    const handle = Number(args.handle);
    const monitor = await client(args).monitorCond('Open_vSwitch', { Bridge: { columns: ['name'] } });
    const names = new Map<string, string>();
    for (const [uuid, u] of monitor.initial.get('Bridge') ?? []) if (u.type === 'initial') names.set(uuid, String(u.row.name));
    monitor.on('update', (updates) => {
      for (const [uuid, u] of updates.get('Bridge') ?? []) {
        if (u.type === 'insert') names.set(uuid, String(u.row.name));
        else if (u.type === 'delete') names.delete(uuid);
        else if (u.type === 'modify' && u.diff.name !== undefined) names.set(uuid, String(u.diff.name));
      }
      emit('bridges', { handle, names: [...names.values()].sort() });
    });
    return [...names.values()].sort();
  },

  /** An OvsdbDatabase replica of Bridge names; its state changes and row changes are sent as events. */
  replicaOpen(args) {
    const handle = nextHandle++;
    const db = OvsdbDatabase.connect<Record<string, Row>>({
      remotes: String(args.remote), database: 'Open_vSwitch', tables: { Bridge: { columns: ['name'] } },
      probeIntervalMs: Number(args.probeIntervalMs ?? 5000), backoff: { initialMs: 50, maxMs: 500 },
      ...(args.runDir === undefined ? {} : { runDir: String(args.runDir) }),
    });
    replicas.set(handle, db);
    db.on('state', (state, detail) => emit('replica-state', { handle, state, reason: detail.reason?.message }));
    db.on('disconnected', ({ reason }) => emit('replica-disconnected', { handle, reason: errorOf(reason) }));
    db.on('change', () => emit('replica-bridges', { handle, names: bridgeNames(db.table('Bridge')) }));
    return handle;
  },

  async replicaSynced(args) {
    const db = replica(args);
    await db.synced;
    return bridgeNames(db.table('Bridge'));
  },

  replicaStatus(args) {
    const db = replica(args);
    const stats: DatabaseStats = db.stats;
    return { state: db.state, stats, names: bridgeNames(db.table('Bridge')) };
  },

  async replicaClose(args) {
    await replica(args).close();
    replicas.delete(Number(args.handle));
  },

  codecs: (args) => ({ ovs: runCodecCheck(String(args.fixtures)), stt: runSttCheck() }),

  ...nodeOperations,
};

readLines(control, (message) => {
  const { id, op, args } = message as ControlRequest;
  void (async () => {
    try {
      const fn = operations[op];
      if (!fn) throw new Error(`unknown operation ${op}`);
      send({ id, ok: (await fn(args)) ?? null });
    } catch (err) {
      send({ id, error: errorOf(err) });
    }
  })();
});
control.on('connect', () => send({ hello: { platform: process.platform, version: process.version, arch: process.arch } }));
control.on('close', () => process.exit(0));
control.on('error', () => process.exit(1));
