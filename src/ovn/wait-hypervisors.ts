// What `ovn-nbctl --wait=hv sync` does, through the Northbound replica: bump NB_Global.nb_cfg, then wait until
// ovn-northd reports in NB_Global.hv_cfg (the lowest nb_cfg every chassis' ovn-controller has acknowledged) that
// every hypervisor has caught up with it, i.e. has the flows for every change made before the bump.
import { mutate, select } from '../ovsdb/operations.js';
import { waitForReplica, type ReplicaWaitOptions } from '../ovsdb/replica-wait.js';
import type { NBGlobal, NorthboundTables } from '../models/ovn-northbound.js';
import { openReplica, type ReplicaSpec } from './connect.js';
import type { Northbound } from './northbound.js';
import { OvnNotFoundError } from './errors.js';

/** Timeout and abort signal of waitForHypervisors. */
export type HypervisorSyncOptions = ReplicaWaitOptions;

/** NB_Global is not among the tables openNorthbound monitors: added (one monitor) the first time it is needed. */
const NB_CFG: ReplicaSpec<NorthboundTables> = { database: 'OVN_Northbound', tables: { NB_Global: { columns: ['nb_cfg', 'hv_cfg'] } } };
const monitored = new WeakMap<Northbound, Promise<unknown>>();

function monitorNbCfg(nb: Northbound): Promise<unknown> {
  let p = monitored.get(nb);
  if (!p) {
    p = openReplica(nb, NB_CFG);
    monitored.set(nb, p);
    p.catch(() => monitored.delete(nb));
  }
  return p;
}

/**
 * Increments NB_Global.nb_cfg and resolves with the new value once NB_Global.hv_cfg has reached it (every chassis
 * is up to date with the Northbound contents at the time of the call). Concurrent calls are fine: each waits for
 * its own increment.
 * @throws ReplicaWaitTimeoutError at `timeoutMs` (default 30 s), e.g. when a chassis' ovn-controller is down.
 */
export async function waitForHypervisors(nb: Northbound, options: HypervisorSyncOptions = {}): Promise<bigint> {
  await monitorNbCfg(nb);
  const [, sel] = await nb.transact([
    mutate<NBGlobal>('NB_Global', [], [['nb_cfg', '+=', 1]]),
    select<NBGlobal, 'nb_cfg'>('NB_Global', [], ['nb_cfg']),
  ]);
  const target = sel.rows[0]?.nb_cfg;
  if (target === undefined) throw new OvnNotFoundError('NB_Global', 'row', 'ovn-northd creates it');
  await waitForReplica(nb, `NB_Global.hv_cfg >= ${target}`, () => {
    for (const g of nb.table('NB_Global')) if (g.hv_cfg >= target) return true;
    return undefined;
  }, options);
  return target;
}
