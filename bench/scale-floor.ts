// The server's floor for the density bench: the very transactions our pod API sent, recorded on the wire, sent
// again raw (no replica, no row building, the wire text ready before the clock starts) to a fresh database in
// the same windows. What is left is ovsdb-server's own time for those commits: the shortest time to commit any
// client of that transaction shape can reach on this machine.
//
// Rows the server created get new UUIDs on the replay; references to them in later phases are rewritten from
// the UUIDs the original replies gave to the ones the replay's replies give (a phase refers only to rows of
// earlier phases, or to its own rows by named-uuid or by the UUID it chose itself).
import { OvsdbClient } from '../src/ovsdb/client.js';
import type { Json, JsonObject } from '../src/ovsdb/json.js';
import { openRpcChannel, type RpcChannel } from '../src/ovsdb/rpc-channel.js';
import { timedInFlight } from './statistics.js';

interface Recorded { readonly params: Json[]; reply: Json | undefined }

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The `transact` requests of a replica, by phase, with their replies. */
export class TransactionLog {
  readonly phases = new Map<string, Recorded[]>();
  private phase = 'setup';

  /** Requests from now on belong to `phase`. */
  startPhase(phase: string): void {
    this.phase = phase;
  }

  /** `openChannel` for OvsdbDatabase options: channels whose `transact` requests are recorded. */
  readonly openChannel = async (remote: string): Promise<RpcChannel> => {
    const channel = await openRpcChannel(remote);
    const request = channel.request.bind(channel);
    channel.request = (method, params, options) => {
      const call = request(method, params, options);
      if (method === 'transact') {
        const entry: Recorded = { params, reply: undefined };
        let list = this.phases.get(this.phase);
        if (!list) this.phases.set(this.phase, list = []);
        list.push(entry);
        call.result.then((reply) => { entry.reply = reply; }, () => undefined);
      }
      return call;
    };
    return channel;
  };

  get transactions(): number {
    let n = 0;
    for (const list of this.phases.values()) n += list.length;
    return n;
  }
}

/** UUIDs of the rows the transaction's inserts created (null for an insert that did not run). */
function insertedUuids(params: readonly Json[], reply: Json | undefined): (string | null)[] {
  const results = Array.isArray(reply) ? reply : [];
  const out: (string | null)[] = [];
  params.slice(1).forEach((op, i) => {
    if ((op as JsonObject).op !== 'insert') return;
    const uuid = (results[i] as JsonObject | null)?.uuid;
    out.push(Array.isArray(uuid) ? uuid[1] as string : null);
  });
  return out;
}

const failed = (reply: Json | undefined): boolean => !Array.isArray(reply) || reply.some((r) => r !== null && typeof r === 'object' && 'error' in r);

/**
 * Sends the log's transactions raw to `remote`, phase after phase (`windows`: how many in flight per phase, as
 * the original run), and resolves with each phase's time. Throws when a transaction that committed originally
 * fails on the replay: the floor would not be of the same work.
 */
export async function replayRaw(remote: string, log: TransactionLog, windows: Readonly<Record<string, number>>): Promise<Map<string, number>> {
  const client = await OvsdbClient.connect(remote);
  const times = new Map<string, number>();
  const renamed = new Map<string, string>();
  try {
    for (const [phase, recorded] of log.phases) {
      const prepared = recorded.map((r) => {
        const text = JSON.stringify(r.params);
        return JSON.parse(renamed.size === 0 ? text : text.replace(UUID, (u) => renamed.get(u) ?? u)) as Json[];
      });
      const started = performance.now();
      await timedInFlight(phase, prepared.length, windows[phase] ?? 1, async (i) => {
        const params = prepared[i];
        const reply = await client.transactRaw(params[0] as string, params.slice(1));
        const original = recorded[i];
        if (failed(reply) && !failed(original.reply)) {
          throw new Error(`scale floor: ${phase} transaction ${i} failed on the replay: ${JSON.stringify(reply).slice(0, 300)}`);
        }
        const before = insertedUuids(original.params, original.reply);
        const after = insertedUuids(params, reply);
        before.forEach((u, k) => { if (u && after[k] && u !== after[k]) renamed.set(u, after[k]!); });
      });
      times.set(phase, performance.now() - started);
    }
  } finally {
    await client.close();
  }
  return times;
}
