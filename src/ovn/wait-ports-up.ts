// Waiting until ovn-controller reports pods' ports up: `Logical_Switch_Port.up` becomes true once the chassis the
// port is bound to has claimed it and installed its flows (what `ovn-nbctl wait-until Logical_Switch_Port <p>
// up=true` waits for), read from the Northbound replica's change events, not by polling.
import { waitForReplica, type ReplicaWaitOptions } from '../ovsdb/replica-wait.js';
import type { Northbound } from './northbound.js';

/** Timeout and abort signal of waitForPortsUp. */
export type PortsUpOptions = ReplicaWaitOptions;

/**
 * Resolves once every named logical switch port exists and has `up=true` in the replica (openNorthbound's, or
 * any OvsdbDatabase of OVN_Northbound that monitors Logical_Switch_Port's `name` and `up`). Ports that do not
 * exist yet are waited for too, so a caller may start waiting before it creates them.
 * @throws ReplicaWaitTimeoutError naming the ports still down at `timeoutMs` (default 30 s).
 */
export async function waitForPortsUp(nb: Northbound, portNames: Iterable<string>, options: PortsUpOptions = {}): Promise<void> {
  const pending = new Set(portNames);
  if (pending.size === 0) return;
  await waitForReplica(nb, () => `up=true on ${[...pending].join(', ')}`, () => {
    const lsp = nb.table('Logical_Switch_Port');
    for (const name of pending) if (lsp.findOne('name', name)?.up === true) pending.delete(name);
    return pending.size === 0 ? true : undefined;
  }, options);
}
