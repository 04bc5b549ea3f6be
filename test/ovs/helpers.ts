// Shared by the test/ovs files: the lab with a userspace vswitchd and a client on its Open_vSwitch database, a
// NodeDatabase that records every transaction it forwards, an independent monitor that proves whether the server
// saw a change, and parsing of ovs-vsctl's map output.
import type { TestFn } from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbClient, type MonitorRequests } from '../../src/ovsdb/client.js';
import type { OperationBase, Results } from '../../src/ovsdb/operations.js';
import type { CallOptions } from '../../src/ovsdb/rpc.js';
import type { NodeDatabase } from '../../src/ovs/node-db.js';

const READ_ONLY = new Set(['select', 'comment']);

/**
 * Registers the file's hooks: before its tests a lab with a userspace ovs-vswitchd (dummy datapath, no northd)
 * and an OvsdbClient on its Open_vSwitch database, handed to `use`; after them both closed.
 */
export function vswitchLab(test: TestFn, use: (started: { lab: Lab; client: OvsdbClient }) => void): void {
  let lab: Lab | undefined;
  let client: OvsdbClient | undefined;
  test.before(async () => {
    lab = await startLab({ vswitchd: true, northd: false });
    client = await OvsdbClient.connect(lab.ovs.unix);
    use({ lab, client });
  });
  test.after.always(async () => {
    await client?.close();
    await lab?.stop();
  });
}

/** Wraps a client: `log` gets the op names of every transaction sent; `writes` counts those with a non-read op. */
export function recording(client: OvsdbClient): { db: NodeDatabase; log: string[][]; writes(): number; reset(): void } {
  const log: string[][] = [];
  const db: NodeDatabase = {
    schema: (name) => client.schema(name),
    transact<const Ops extends readonly OperationBase<unknown>[]>(name: string, ops: Ops, options?: CallOptions): Promise<Results<Ops>> {
      log.push(ops.map((o) => o.op));
      return client.transact(name, ops, options);
    },
  };
  return {
    db, log,
    writes: () => log.filter((ops) => ops.some((op) => !READ_ONLY.has(op))).length,
    reset: () => { log.length = 0; },
  };
}

/**
 * A second connection monitoring `requests`; `count()` is the number of update notifications so far.
 * `settle(touch)` makes an unrelated change with `touch` and waits until its update arrived, so every update the
 * server sent before it has arrived too (one connection delivers in order).
 */
export async function watcher(remote: string, requests: MonitorRequests): Promise<{
  count(): number; settle(touch: () => Promise<unknown>): Promise<void>; close(): Promise<void>;
}> {
  const client = await OvsdbClient.connect(remote);
  const monitor = await client.monitorCond('Open_vSwitch', requests);
  let n = 0;
  const waiters: (() => void)[] = [];
  monitor.on('update', () => { n++; for (const w of waiters.splice(0)) w(); });
  return {
    count: () => n,
    async settle(touch) {
      const before = n;
      const arrived = new Promise<void>((resolve) => {
        const check = () => (n > before ? resolve() : waiters.push(check));
        waiters.push(check);
      });
      await touch();
      await arrived;
    },
    close: () => client.close(),
  };
}

/** Parses ovs-vsctl's `{a=b, c="d e"}` map output. */
export function parseVsctlMap(text: string): Map<string, string> {
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const out = new Map<string, string>();
  const re = /\s*("(?:[^"\\]|\\.)*"|[^=,\s]+)=("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  const unquote = (s: string) => (s.startsWith('"') ? JSON.parse(s) as string : s.trim());
  while (body.trim() !== '' && (m = re.exec(body)) !== null) {
    out.set(unquote(m[1]), unquote(m[2]));
    if (re.lastIndex >= body.length) break;
  }
  return out;
}

/** `ovs-vsctl --bare --columns=_uuid list TABLE` as a sorted list. */
export async function uuids(vsctl: (...args: string[]) => Promise<string>, table: string): Promise<string[]> {
  return (await vsctl('--bare', '--columns=_uuid', 'list', table)).split('\n').map((s) => s.trim()).filter((s) => s !== '').sort();
}
