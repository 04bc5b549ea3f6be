// OVN interconnect in the lab: the global OVN_IC_Northbound / OVN_IC_Southbound databases, and N availability
// zones, each an OVN central of its own (NB, SB, ovn-northd) registered under its name (NB_Global.name) by its
// own ovn-ic, as OVN's interconnection tutorial sets them up.
import { join } from 'node:path';
import { startCentral, type Central, type CentralOptions } from './central.js';
import { LabDaemon } from './daemon.js';
import { startDatabase, type LabDatabaseImpl, type StartContext } from './databases.js';
import { runCommand } from './process.js';
import type { LabHypervisor, LabInterconnect, LabZone, LabZoneOptions } from './types.js';

/** Each zone is two database servers, ovn-northd and ovn-ic: a bound well above any lab this machine can run. */
export const MAX_ZONES = 64;

export function normalizeZoneOptions(options: number | LabZoneOptions): Required<LabZoneOptions> {
  const o = typeof options === 'number' ? { count: options } : options;
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_ZONES) {
    throw new RangeError(`lab: zones must be an integer from 1 to ${MAX_ZONES}, got ${o.count}`);
  }
  return { count: o.count, ovnIc: o.ovnIc ?? true };
}

export function zoneName(index: number): string {
  return `az${index}`;
}

/** Hypervisors go to the zones in order, as evenly as possible: hypervisor `index` (1-based) of `count`. */
export function zoneIndexOf(index: number, count: number, zones: number): number {
  return Math.floor(((index - 1) * zones) / count) + 1;
}

export class LabZoneImpl implements LabZone {
  readonly hypervisors: LabHypervisor[] = [];
  constructor(
    readonly name: string, readonly index: number, readonly central: Central & { northd: LabDaemon },
    readonly ic: LabDaemon | undefined,
  ) {}
  get nb(): LabDatabaseImpl { return this.central.nb; }
  get sb(): LabDatabaseImpl { return this.central.sb; }
  get northd(): LabDaemon { return this.central.northd; }
  nbctl(...args: string[]): Promise<string> { return this.central.nbctl(...args); }
  sbctl(...args: string[]): Promise<string> { return this.central.sbctl(...args); }
}

export interface StartedZones {
  readonly interconnect: LabInterconnect;
  readonly zones: LabZoneImpl[];
}

/**
 * Starts the IC databases, then every zone in parallel; resolves once each zone's ovn-ic has registered it in
 * OVN_IC_Southbound. Daemons are pushed onto `daemons` as soon as they run.
 */
export async function startZones(
  ctx: StartContext, options: Required<LabZoneOptions>, central: CentralOptions & { northd: true }, daemons: LabDaemon[],
): Promise<StartedZones> {
  const [icNb, icSb] = await Promise.all([
    startDatabase(ctx, 'OVN_IC_Northbound', 'ic-nb', central.clustered, central.electionTimerMs),
    startDatabase(ctx, 'OVN_IC_Southbound', 'ic-sb', central.clustered, central.electionTimerMs),
  ]);
  const interconnect: LabInterconnect = {
    nb: icNb, sb: icSb,
    nbctl: (...args) => runCommand('ovn-ic-nbctl', [`--db=${icNb.unix}`, '--timeout=20', ...args], { env: ctx.env }),
    sbctl: (...args) => runCommand('ovn-ic-sbctl', [`--db=${icSb.unix}`, '--timeout=20', ...args], { env: ctx.env }),
  };
  const zones = await Promise.all(Array.from({ length: options.count }, async (_, i) => {
    const name = zoneName(i + 1);
    const prefix = `${name}-`;
    const zoneCentral = await startCentral(ctx, prefix, central, daemons) as Central & { northd: LabDaemon };
    // ovn-ic registers the zone under NB_Global.name and does nothing until it is set.
    await zoneCentral.nbctl('set', 'NB_Global', '.', `name=${name}`);
    let ic: LabDaemon | undefined;
    if (options.ovnIc) {
      // Like northd, ovn-ic writes the zone's own NB and SB and the global databases directly, never a relay.
      ic = new LabDaemon({
        label: `${prefix}ovn-ic`, program: 'ovn-ic', env: ctx.env,
        pidFile: join(ctx.dir, `${prefix}ic.pid`), logFile: join(ctx.dir, `${prefix}ic.log`),
        unixctl: join(ctx.dir, `${prefix}ic.ctl`), args: [`--ovnnb-db=${zoneCentral.nb.unix}`,
          `--ovnsb-db=${zoneCentral.sb.unix}`, `--ic-nb-db=${icNb.unix}`, `--ic-sb-db=${icSb.unix}`],
      });
      daemons.push(ic);
      await ic.start();
      await interconnect.sbctl('wait-until', 'Availability_Zone', name);
    }
    return new LabZoneImpl(name, i + 1, zoneCentral, ic);
  }));
  return { interconnect, zones };
}
