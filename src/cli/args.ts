// Command-line parsing for every subcommand: node:util parseArgs, with its errors turned into one-line usage
// errors, and the options all commands share (--help, --debug, TLS files).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './cli-error.js';
import { didYouMean } from './did-you-mean.js';
import type { TlsOptions } from '../ovsdb/remote.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
} as const satisfies OptionSpec;

export const TLS_OPTIONS = {
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'no-check-server-name': { type: 'boolean' },
} as const satisfies OptionSpec;

export interface Parsed<V> {
  values: V;
  positionals: string[];
}

/** Parses `argv` against `options` (+ --help/--debug); unknown options and bad values are usage errors. */
type ParseConfig<O extends OptionSpec> = { args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: boolean; strict: true };

export function parse<const O extends OptionSpec>(command: string, argv: readonly string[], options: O, allowPositionals = false): ReturnType<typeof parseArgs<ParseConfig<O>>> {
  try {
    return parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const hint = unknown === undefined ? '' : didYouMean(unknown, Object.keys({ ...COMMON_OPTIONS, ...options }), (name) => `--${name}`);
    throw usageError(`${command}: ${message.replace(/\. To specify a positional argument.*$/, '')}${hint} (see 'ovn-overlay ${command} --help')`);
  }
}

/**
 * TLS options from --ca/--cert/--key (file paths), or undefined when none is given. `--no-check-server-name`
 * accepts a server certificate that chains to the CA but does not name the host (the chain is still checked).
 */
export function tlsFromArgs(values: { ca?: string; cert?: string; key?: string; 'no-check-server-name'?: boolean }): TlsOptions | undefined {
  const noName = values['no-check-server-name'] === true;
  if (values.ca === undefined && values.cert === undefined && values.key === undefined) {
    if (noName) throw usageError('--no-check-server-name is for ssl: remotes: it needs --ca');
    return undefined;
  }
  if (values.ca === undefined) throw usageError('--cert/--key need --ca (the CA certificate the server must chain to)');
  return { ca: values.ca, cert: values.cert, key: values.key, ...(noName ? { checkServerName: false } : {}) };
}

/** Parses a non-negative integer option (decimal or 0x hex). */
export function integerOption(name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > max) throw usageError(`--${name}: expected an integer in 0..${max}, got "${text}"`);
  return value;
}
