// Bounds on the work one incoming OVSDB message may cost. Bytes alone do not bound memory or CPU: 64 MB of
// `{},` parse into 21 million objects (2.1 GB), and a long run of digits becomes a bigint in quadratic time.
// The splitter (framing.ts) checks every bound while the message streams in, so a message over one is refused
// before the rest of it is buffered or parsed. docs/ovsdb.md explains each default.

export interface MessageLimits {
  /**
   * Bytes of one message. Default 256 MiB: five times the initial monitor reply of a 100,000-port Northbound
   * database (51 MB), and half of what V8 can hold as one string (a message is decoded as one).
   */
  maxMessageBytes?: number;
  /** Nesting of arrays and objects. Default 1000, the most ovsdb-server itself parses (OVSDB data needs 9). */
  maxDepth?: number;
  /**
   * JSON values in one message, counted as every `[`, `{` and `,` outside strings (at least half of the values).
   * Default 16 Mi: eight times the 2.1 million of a 100,000-port Northbound monitor reply (25 bytes a value), so
   * real data meets maxMessageBytes first. Parsed, a value costs 40-100 bytes whatever its shape: this bounds
   * what a message of tiny values (`{},{},...`) can cost, which bytes alone did not (64 MB of `{},` took 2.1 GB).
   */
  maxValues?: number;
  /**
   * Characters of one number. Default 32: ovsdb-server writes 64-bit integers (at most 20 characters) and reals
   * with 15 significant digits (at most 22).
   */
  maxNumberLength?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 1000;
export const DEFAULT_MAX_VALUES = 16 * 1024 * 1024;
export const DEFAULT_MAX_NUMBER_LENGTH = 32;

export const DEFAULT_MESSAGE_LIMITS: Readonly<Required<MessageLimits>> = Object.freeze({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxValues: DEFAULT_MAX_VALUES,
  maxNumberLength: DEFAULT_MAX_NUMBER_LENGTH,
});

/** The limits with defaults filled in; throws RangeError for a bound that is not a positive integer. */
export function resolveMessageLimits(options: MessageLimits = {}): Required<MessageLimits> {
  const out = { ...DEFAULT_MESSAGE_LIMITS };
  for (const key of Object.keys(out) as (keyof MessageLimits)[]) {
    const v = options[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${key} must be a positive integer, got ${String(v)}`);
    out[key] = v;
  }
  return out;
}
