// ovsdb-server relays (`relay:<db>:<remotes>`, OVS >= 2.16) in front of a lab database: each replicates the
// database from its source and forwards transactions to it. A relay whose source is wrong never says so to its
// clients (it just stays "not connected"), so the lab watches each relay's log and fails with one clear error.
import { OvsdbServerProcess } from './database-server.js';
import { remoteList, type LabDatabaseImpl, type StartContext } from './databases.js';
import { delay, LabCommandError, runCommand } from './process.js';
import type { LabRelayGroupOptions, LabRelays } from './types.js';

export class LabRelayError extends Error {
  readonly code = 'LAB_RELAY_SOURCE';
  constructor(
    /** The relay's file stem, e.g. `sb-relay1`. */
    readonly relay: string,
    /** The `relay:<db>:<remotes>` target it was started with. */
    readonly target: string,
    /** What the relay reported (from its log), or why it did not start. */
    readonly reason: string,
  ) {
    super(`lab: relay ${relay} (${target}) cannot replicate from its source: ${reason}`);
    this.name = 'LabRelayError';
  }
}

/** How long a relay may take to connect to a source that works; a machine under load needs seconds. */
const RELAY_CONNECT_TIMEOUT_MS = 20_000;

/** Log lines with which a relay says its source is unusable; neither happens with a source that works. */
const SOURCE_FAILURES = [
  /\|ovsdb_cs\|\w+\|(.*server does not have .*)$/m,
  /\|reconnect\|\w+\|(.*connection attempt failed .*)$/m,
];
/** The relay's latest word about its source, quoted when it is not connected in time. */
const SOURCE_NEWS = /\|(?:reconnect|ovsdb_cs|stream\w*|jsonrpc)\|\w+\|(.*)$/gm;

export const MAX_RELAYS = 16;

export function normalizeRelayGroup(what: string, options: number | LabRelayGroupOptions | undefined): LabRelayGroupOptions | undefined {
  if (options === undefined) return undefined;
  const o = typeof options === 'number' ? { count: options } : options;
  if (!Number.isInteger(o.count) || o.count < 0 || o.count > MAX_RELAYS) {
    throw new RangeError(`lab: relays.${what} must be an integer from 0 to ${MAX_RELAYS}, got ${o.count}`);
  }
  if (o.source !== undefined && !/^(tcp|ssl|unix):/.test(o.source)) {
    throw new RangeError(`lab: relays.${what}.source must be tcp:, ssl: or unix: remote(s), got ${JSON.stringify(o.source)}`);
  }
  return o.count === 0 ? undefined : o;
}

/** Starts the relays in parallel and resolves once every one is connected to its source. */
export async function startRelays(
  ctx: StartContext, db: LabDatabaseImpl, stem: string, options: LabRelayGroupOptions,
): Promise<LabRelays> {
  const source = options.source ?? db.unix;
  const target = `relay:${db.name}:${source}`;
  // allSettled: a failed relay must not leave a sibling still starting when the lab cleans up.
  const outcomes = await Promise.allSettled(Array.from({ length: options.count }, async (_, i) => {
    const relayStem = `${stem}-relay${i + 1}`;
    let server: OvsdbServerProcess;
    try {
      server = await OvsdbServerProcess.start({
        database: db.name, model: 'relay', member: i + 1, dir: ctx.dir, stem: relayStem, dbFile: target, env: ctx.env,
        source, ready: (started) => waitRelayConnected(started, relayStem, target, ctx.env),
      });
    } catch (error) {
      if (error instanceof LabCommandError) throw new LabRelayError(relayStem, target, error.stderr.trim() || error.message);
      throw error;
    }
    ctx.servers.push(server);
    return server;
  }));
  const failure = outcomes.find((o) => o.status === 'rejected');
  if (failure) throw failure.reason;
  const relays = outcomes.map((o) => (o as PromiseFulfilledResult<OvsdbServerProcess>).value);
  const group: LabRelays = {
    servers: relays,
    get tcp() { return remoteList(relays, 'tcp'); },
    get unix() { return remoteList(relays, 'unix'); },
  };
  db.relays = group;
  return group;
}

/**
 * Resolves when the relay's `_Server` row says it is connected to its source (`ovsdb-client wait ... connected`);
 * rejects with a LabRelayError as soon as its log says the source refused it or lacks the database, or when it
 * is still not connected after the timeout.
 */
async function waitRelayConnected(relay: OvsdbServerProcess, stem: string, target: string, env: NodeJS.ProcessEnv): Promise<void> {
  const abort = new AbortController();
  const seconds = Math.ceil(RELAY_CONNECT_TIMEOUT_MS / 1000);
  const connected = runCommand('ovsdb-client', ['--timeout', String(seconds), 'wait', relay.unix, relay.database, 'connected'],
    { env, signal: abort.signal, timeoutMs: RELAY_CONNECT_TIMEOUT_MS + 2000 })
    .then(() => undefined, async () => {
      const news = [...(await relay.logSinceStart()).matchAll(SOURCE_NEWS)].map((m) => m[1]);
      return `not connected after ${seconds} s${news.length > 0 ? `; last logged: ${news[news.length - 1]}` : ''}`;
    });
  let watching = true;
  const failed = (async () => {
    while (watching) {
      const log = await relay.logSinceStart();
      for (const pattern of SOURCE_FAILURES) {
        const match = pattern.exec(log);
        if (match) return match[1];
      }
      await delay(20);
    }
    return undefined;
  })();
  const reason = await Promise.race([connected, failed.then((r) => r ?? connected)]);
  watching = false;
  abort.abort();
  if (reason !== undefined) throw new LabRelayError(stem, target, reason);
}
