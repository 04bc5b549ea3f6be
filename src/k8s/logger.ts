// Leveled logs for the agent (`--log-level error|warn|info|debug`). One line per record: an ISO time, the level,
// the component, the message and logfmt-style fields (key=value, values quoted when they hold spaces or quotes),
// so that a line can be grepped and a field read back by a machine.
import { K8sError } from './errors.js';

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The levels a record can have (silent is only a threshold). */
export type RecordLevel = Exclude<LogLevel, 'silent'>;

export type LogValue = string | number | boolean | bigint | null | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

export interface Logger {
  readonly level: LogLevel;
  /** True when records of `level` are written (skip building costly fields otherwise). */
  enabled(level: RecordLevel): boolean;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger for a part of the agent: its records carry `component` (joined with '/' to the parent's). */
  child(component: string): Logger;
}

export interface LoggerOptions {
  /** Threshold (default info). */
  level?: LogLevel;
  /** Where a finished line goes (default: standard error). */
  write?: (line: string) => void;
  /** Component name of the root logger. */
  component?: string;
  /** Time of a record (default: now). */
  time?: () => Date;
}

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** Parses a `--log-level` value. Throws K8sError K8S_BAD_LOG_LEVEL naming the accepted values. */
export function parseLogLevel(text: string): LogLevel {
  const level = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new K8sError('K8S_BAD_LOG_LEVEL', `unknown log level "${text}" (one of: ${LOG_LEVELS.join(', ')})`);
}

function formatValue(value: LogValue): string {
  const text = value === undefined ? 'undefined' : value === null ? 'null' : String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** Formats one record as the line createLogger writes. */
export function formatLogLine(time: Date, level: RecordLevel, component: string, message: string, fields?: LogFields): string {
  let line = `${time.toISOString()} ${level.padEnd(5)} ${component ? component + ': ' : ''}${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}

class LineLogger implements Logger {
  constructor(readonly level: LogLevel, private readonly component: string, private readonly write: (line: string) => void,
    private readonly time: () => Date) {}

  enabled(level: RecordLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  private log(level: RecordLevel, message: string, fields?: LogFields): void {
    if (RANK[level] > RANK[this.level]) return;
    this.write(formatLogLine(this.time(), level, this.component, message, fields));
  }

  error(message: string, fields?: LogFields): void { this.log('error', message, fields); }
  warn(message: string, fields?: LogFields): void { this.log('warn', message, fields); }
  info(message: string, fields?: LogFields): void { this.log('info', message, fields); }
  debug(message: string, fields?: LogFields): void { this.log('debug', message, fields); }

  child(component: string): Logger {
    return new LineLogger(this.level, this.component ? `${this.component}/${component}` : component, this.write, this.time);
  }
}

/** A logger writing one line per record to `write` (standard error by default). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => { process.stderr.write(line + '\n'); });
  return new LineLogger(options.level ?? 'info', options.component ?? '', write, options.time ?? (() => new Date()));
}

/** A logger that writes nothing (the default where none is given). */
export const silentLogger: Logger = createLogger({ level: 'silent', write: () => {} });
