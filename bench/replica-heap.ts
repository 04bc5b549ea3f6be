// Heap a fresh Northbound replica holds per row, for the benches that report it (scale's density, agent).
import { NORTHBOUND_TABLES, openNorthbound } from '../src/ovn/northbound.js';
import { collectGarbage } from './collect-garbage.js';

/**
 * Opens a replica of the NB at `remote`, between forced GCs, and returns the heap it added per row. Call it only
 * after a bench's last timed run of this process: a forced GC ages the process's compiled code, and a timed run
 * after it pays for compiling again (about twice the CPU in the density runs).
 */
export async function replicaHeapPerRow(remote: string): Promise<number> {
  const gc = collectGarbage();
  gc(); gc();
  const before = process.memoryUsage().heapUsed;
  const replica = await openNorthbound(remote);
  gc(); gc();
  const bytes = process.memoryUsage().heapUsed - before;
  let rows = 0;
  for (const table of NORTHBOUND_TABLES) rows += replica.table(table).size;
  await replica.close();
  return bytes / rows;
}
