// Argument checks of the hot path: cheap enough to make on every call, and total (they never throw: a BigInt or an
// object with a valueOf is refused before any arithmetic touches it).

/**
 * A non-negative integer number below 2^32 (an offset, a length, a key): rejects NaN, undefined, fractions,
 * negatives, strings and BigInts. On a small integer it compiles to a tag check and one compare.
 */
export function isIndex(v: number): boolean {
  return typeof v === 'number' && (v >>> 0) === v;
}

/** A caller's flow hash: a 32-bit integer, signed (flowHash's own results) or not (a NIC's RSS hash). */
export function isHash(hash: number): boolean {
  return typeof hash === 'number' && ((hash | 0) === hash || (hash >>> 0) === hash);
}
