// One OVN "central": the Northbound and Southbound databases (standalone or clustered), the relays in front
// of them, and ovn-northd between them. A lab has one, or one per availability zone.
import { join } from 'node:path';
import { LabDaemon } from './daemon.js';
import { startDatabase, type LabDatabaseImpl, type StartContext } from './databases.js';
import { runCommand } from './process.js';
import { startRelays } from './relay.js';
import type { LabRelayGroupOptions } from './types.js';

export interface CentralOptions {
  readonly clustered: boolean;
  readonly electionTimerMs?: number;
  readonly northd: boolean;
  readonly relays: { readonly nb?: LabRelayGroupOptions; readonly sb?: LabRelayGroupOptions };
}

export interface Central {
  readonly nb: LabDatabaseImpl;
  readonly sb: LabDatabaseImpl;
  readonly northd?: LabDaemon;
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
}

/**
 * Starts NB and SB in parallel, their relays, then ovn-northd; resolves once northd has carried NB into SB.
 * `prefix` names the files ("" or "az2-"); every daemon is pushed onto `daemons` as soon as it runs.
 */
export async function startCentral(
  ctx: StartContext, prefix: string, options: CentralOptions, daemons: LabDaemon[],
): Promise<Central> {
  const [nb, sb] = await Promise.all([
    startDatabase(ctx, 'OVN_Northbound', `${prefix}nb`, options.clustered, options.electionTimerMs),
    startDatabase(ctx, 'OVN_Southbound', `${prefix}sb`, options.clustered, options.electionTimerMs),
  ]);
  await Promise.all([
    options.relays.nb && startRelays(ctx, nb, `${prefix}nb`, options.relays.nb),
    options.relays.sb && startRelays(ctx, sb, `${prefix}sb`, options.relays.sb),
  ]);
  const nbctl = (...args: string[]) => runCommand('ovn-nbctl', [`--db=${nb.unix}`, '--timeout=20', ...args], { env: ctx.env });
  const sbctl = (...args: string[]) => runCommand('ovn-sbctl', [`--db=${sb.unix}`, '--timeout=20', ...args], { env: ctx.env });
  let northd: LabDaemon | undefined;
  if (options.northd) {
    // northd stays on the databases themselves: it writes most of SB and holds SB's lock.
    northd = new LabDaemon({
      label: `${prefix}ovn-northd`, program: 'ovn-northd', env: ctx.env,
      pidFile: join(ctx.dir, `${prefix}northd.pid`), logFile: join(ctx.dir, `${prefix}northd.log`),
      unixctl: join(ctx.dir, `${prefix}northd.ctl`), args: [`--ovnnb-db=${nb.unix}`, `--ovnsb-db=${sb.unix}`],
    });
    daemons.push(northd);
    await northd.start();
    // Readiness without sleeping: returns once northd has carried NB's state into SB.
    await nbctl('--wait=sb', 'sync');
  }
  return { nb, sb, nbctl, sbctl, ...(northd ? { northd } : {}) };
}
