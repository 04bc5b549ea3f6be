// Frame storage for the STT reassembler: one Uint8Array allocated up front and handed out in blocks that can be
// freed in any order (a buddy allocator), so the reassembler can keep the frames closest to completion and drop
// others, which a ring (allocation in arrival order, freed oldest first) cannot.
//
// Layout: `slots` slots of 64 KiB + 8 bytes. Within a slot, blocks are 1 KiB << order (order 0..6); a block of order
// 6 is the whole slot, and only it owns the slot's 8 extra bytes. A frame of f bytes starting d bytes into its block
// (0..7: the reassembler starts it where its copy is congruent with the source mod 8, so copySum16 moves 8 bytes per
// store) takes the smallest block of at least f + d bytes; the largest frame (65,535 bytes) fits an order-6 block
// with its 8 extra bytes.
// Bookkeeping: free lists per order, doubly linked through typed arrays indexed by 1 KiB unit. No allocation after
// construction; allocate and free are O(orders).

export const ARENA_SLOT_BYTES = 65536 + 8;
const UNIT_SHIFT = 10;
const UNITS_PER_SLOT = 64;
export const ARENA_MAX_ORDER = 6;

export class FrameArena {
  declare readonly bytes: Uint8Array;
  declare readonly slots: number;
  /** Free block starts, per order: list heads, and links by unit. */
  private declare readonly head: Int32Array;
  private declare readonly next: Int32Array;
  private declare readonly prev: Int32Array;
  /** The order of the free block starting at each unit, or -1. */
  private declare readonly freeOrder: Int8Array;
  /** Bytes in blocks handed out. */
  used = 0;

  /** `memory`, when given, makes the storage of `slots(budget)` slots (e.g. a WebAssembly memory's bytes). */
  constructor(budget: number, memory?: (size: number) => Uint8Array) {
    const slots = Math.floor(budget / ARENA_SLOT_BYTES);
    if (!Number.isInteger(budget) || slots < 1) throw new RangeError(`memoryBudget must be at least ${ARENA_SLOT_BYTES} bytes (one 64 KiB frame)`);
    this.slots = slots;
    this.bytes = memory === undefined ? new Uint8Array(slots * ARENA_SLOT_BYTES) : memory(slots * ARENA_SLOT_BYTES);
    const units = slots * UNITS_PER_SLOT;
    this.head = new Int32Array(ARENA_MAX_ORDER + 1).fill(-1);
    this.next = new Int32Array(units).fill(-1);
    this.prev = new Int32Array(units).fill(-1);
    this.freeOrder = new Int8Array(units).fill(-1);
    for (let s = slots - 1; s >= 0; s--) this.push(s * UNITS_PER_SLOT, ARENA_MAX_ORDER);
  }

  /** The order of the smallest block holding `need` bytes (up to 65,544: order 6 with the slot's extra bytes). */
  orderFor(need: number): number {
    let order = 0;
    while (order < ARENA_MAX_ORDER && (1 << (UNIT_SHIFT + order)) < need) order++;
    return order;
  }

  /** The byte offset in `bytes` of the block starting at `unit`. */
  offsetOf(unit: number): number {
    return (unit >>> 6) * ARENA_SLOT_BYTES + ((unit & (UNITS_PER_SLOT - 1)) << UNIT_SHIFT);
  }

  /** A block of `order` (its first unit), or -1 when no free block is that large. */
  allocate(order: number): number {
    let k = order;
    while (k <= ARENA_MAX_ORDER && this.head[k] < 0) k++;
    if (k > ARENA_MAX_ORDER) return -1;
    const unit = this.head[k];
    this.unlink(unit, k);
    // split down to the order asked for, freeing the upper halves
    while (k > order) {
      k--;
      this.push(unit + (1 << k), k);
    }
    this.used += 1 << (UNIT_SHIFT + order);
    return unit;
  }

  /** Frees the block of `order` starting at `unit`, merging it with its free buddies. */
  free(unit: number, order: number): void {
    this.used -= 1 << (UNIT_SHIFT + order);
    let u = unit;
    let k = order;
    while (k < ARENA_MAX_ORDER) {
      const buddy = u ^ (1 << k);
      if (this.freeOrder[buddy] !== k) break;
      this.unlink(buddy, k);
      u = Math.min(u, buddy);
      k++;
    }
    this.push(u, k);
  }

  private push(unit: number, order: number): void {
    const h = this.head[order];
    this.next[unit] = h;
    this.prev[unit] = -1;
    if (h >= 0) this.prev[h] = unit;
    this.head[order] = unit;
    this.freeOrder[unit] = order;
  }

  private unlink(unit: number, order: number): void {
    const n = this.next[unit];
    const p = this.prev[unit];
    if (p >= 0) this.next[p] = n; else this.head[order] = n;
    if (n >= 0) this.prev[n] = p;
    this.freeOrder[unit] = -1;
  }
}
