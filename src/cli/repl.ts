// The REPL: node:repl with the connected databases in context (nb, sb, ovs), the operation builders, top-level
// await, completion from the schemas, `.tables`, `.show`, `.dump`, rows printed as tables, a history file,
// and errors printed as one line (with a "did you mean" for a typo) without ending the session. A promise typed
// without `await` is awaited all the same, so its result prints and a piped script's last line finishes before
// the REPL closes.
import { create as createDomain } from 'node:domain';
import repl, { type REPLServer } from 'node:repl';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as codecs from '../../codecs/index.js';
import { NamedUuid } from '../ovsdb/datum.js';
import { comment, commit, del, insert, mutate, ops, select, update, wait } from '../ovsdb/operations.js';
import { describeError, isErrorLike } from './cli-error.js';
import { didYouMean } from './did-you-mean.js';
import { ClusterApi } from './cluster-api.js';
import { SchemaCompleter, type CompleterResult } from './completion.js';
import { DATABASE_ALIASES, type DbHandle } from './db-handle.js';
import { LineFeeder } from './line-feeder.js';
import { showDatabase } from './show.js';
import { formatRecord, formatTable, isRowArray, isRowLike } from './table-format.js';

export interface ReplOptions {
  /** The connected databases by name (OVN_Northbound, ...). */
  databases: ReadonlyMap<string, DbHandle>;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Default: whether input and output are TTYs. */
  terminal?: boolean;
  /** History file; default $OVN_OVERLAY_HISTORY or ~/.ovn-overlay_history; false for none. Terminal only. */
  historyFile?: string | false;
  /** Print stack traces of errors. */
  debug?: boolean;
  /** More names in the REPL's context (e.g. `lab`, `hv1`). */
  context?: Readonly<Record<string, unknown>>;
  /** The `k8s` object (default: a ClusterApi on the Northbound database, when connected to one). */
  k8s?: ClusterApi;
  prompt?: string;
}

export interface ReplSession {
  readonly server: REPLServer;
  /** The REPL's tab completion (schema-aware first, then JavaScript), for tests and embedders. */
  complete(line: string): Promise<CompleterResult>;
  /** Resolves when the REPL ends: `.exit`, Ctrl-D, or the end of piped input (`endOfInput` true). */
  readonly closed: Promise<{ endOfInput: boolean }>;
  /** Stops the connection notices (before closing the databases or stopping their servers on purpose). */
  stopNotices(): void;
  /** Commands that failed so far (an error printed as `Uncaught ...`, or a dot-command's `Error: ...`). */
  readonly failures: number;
  /** Whether the REPL reads a script (input not a terminal) rather than a person typing. */
  readonly script: boolean;
}

/** The history file the REPL uses: $OVN_OVERLAY_HISTORY, else ~/.ovn-overlay_history. */
export function defaultHistoryFile(): string {
  return process.env.OVN_OVERLAY_HISTORY ?? join(homedir(), '.ovn-overlay_history');
}

/** Handles by their REPL alias (nb, sb, ovs; other databases by name). */
export function aliasHandles(databases: ReadonlyMap<string, DbHandle>): Map<string, DbHandle> {
  return new Map([...databases].map(([name, h]) => [DATABASE_ALIASES[name] ?? name, h]));
}

function packNames(entries: readonly string[], width = 100): string[] {
  const lines: string[] = [];
  let current = ' ';
  for (const e of entries) {
    if (current.length + 2 + e.length > width && current.trim() !== '') { lines.push(current); current = ' '; }
    current += ` ${e}`;
  }
  if (current.trim() !== '') lines.push(current);
  return lines;
}

/**
 * One line per connection change of each database after the REPL started (from the replicas' `state` events):
 * `nb: connection to unix:... lost (reason); reconnecting` and `nb: reconnected to unix:...`. Returns the
 * function that stops listening.
 */
export function connectionNotices(handles: ReadonlyMap<string, DbHandle>, say: (line: string) => void): () => void {
  const stops: (() => void)[] = [];
  for (const [alias, h] of handles) {
    let lost = false;
    let lastRemote = h.db.remote;
    const onState = (state: string, detail: { remote?: string; reason?: Error }): void => {
      if (state === 'connected') {
        lastRemote = detail.remote ?? h.db.remote;
        if (lost) say(`(${alias}: reconnected to ${lastRemote})`);
        lost = false;
      } else if ((state === 'connecting' || state === 'backoff') && !lost) {
        lost = true;
        const reason = detail.reason ? ` (${describeError(detail.reason, false, false)})` : '';
        say(`(${alias}: connection to ${lastRemote ?? h.remotes} lost${reason}; reconnecting)`);
      }
    };
    const onDown = (info: { remote: string; reason: Error }): void => {
      if (lost) return;
      lost = true;
      say(`(${alias}: connection to ${info.remote} lost (${describeError(info.reason, false, false)}); reconnecting)`);
    };
    h.db.on('disconnected', onDown);
    h.db.on('state', onState);
    stops.push(() => { h.db.off('disconnected', onDown); h.db.off('state', onState); });
  }
  return () => { for (const stop of stops) stop(); };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof (value as { then?: unknown }).then === 'function';
}

/** Where a property of `target` is defined: the object of its prototype chain that owns it. */
function definer(target: object, name: string): object | undefined {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.prototype.hasOwnProperty.call(o, name)) return o;
  }
  return undefined;
}

/** Every property name reachable on `target`, except those only Object.prototype has. */
function memberNames(target: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) names.add(name);
  }
  return [...names];
}

/** The value of a dotted name (`nb`, `nb.db`) in `context`, or undefined. */
function lookup(context: object, path: string): unknown {
  let value: unknown = context;
  for (const part of path.split('.')) {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * A "did you mean" for the errors a typo causes: a member that is not a function (`nb.lsit(...)`), a name that
 * is not defined (`nbb`), a column a table does not have (from the schemas). '' when nothing is close.
 */
function typoHint(error: Error, context: object, handles: ReadonlyMap<string, DbHandle>): string {
  const member = /^([\w$.]+)\.([\w$]+) is not a function$/.exec(error.message);
  if (member) {
    const target = lookup(context, member[1]);
    return (typeof target === 'object' || typeof target === 'function') && target !== null
      ? didYouMean(member[2], memberNames(target), (name) => `${member[1]}.${name}`) : '';
  }
  const undefinedName = /^([\w$]+) is not defined$/.exec(error.message);
  if (undefinedName) return didYouMean(undefinedName[1], Object.getOwnPropertyNames(context), (name) => name);
  const column = /table (\w+) has no column "(\w+)"/.exec(error.message);
  if (column && !/did you mean/.test(error.message)) {
    const owner = [...handles.values()].find((h) => h.schema.tables.has(column[1]));
    return owner ? didYouMean(column[2], owner.columns(column[1])) : '';
  }
  return '';
}

export function startRepl(options: ReplOptions): ReplSession {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const terminal = options.terminal ?? Boolean((input as { isTTY?: boolean }).isTTY && (output as { isTTY?: boolean }).isTTY);
  const debug = options.debug ?? false;
  const handles = aliasHandles(options.databases);
  const completer = new SchemaCompleter(handles);
  const feeder = terminal ? undefined : new LineFeeder(input as NodeJS.ReadableStream & import('node:stream').Readable);
  const colors = terminal && Boolean((output as { isTTY?: boolean }).isTTY);

  // The REPL's errors go through this domain: each one printed is a failed command.
  let failures = 0;
  const domain = createDomain();
  domain.on('error', () => { failures++; });
  let replContext: object = {};

  const writer = (value: unknown): string => {
    if (isErrorLike(value)) return describeError(value, debug) + (debug ? '' : typoHint(value, replContext, handles));
    if (isRowArray(value)) return formatTable(value);
    if (isRowLike(value) && '_uuid' in value) return formatRecord(value);
    return inspect(value, { colors, depth: 4 });
  };

  // Node prints "Uncaught:" on a line of its own when an error line is longer than the default writer's
  // breakLength; errors are one line here, whatever their length.
  repl.writer.options.breakLength = Infinity;
  const server = repl.start({
    prompt: options.prompt ?? 'ovn> ',
    input: feeder ? feeder.output : input,
    output,
    terminal,
    useGlobal: true, // rows built at the prompt (Maps, Sets) must be instances of this realm's classes
    ignoreUndefined: true,
    preview: false,
    writer,
    domain,
  } as repl.ReplOptions);
  replContext = server.context;

  if (feeder) {
    const display = server.displayPrompt.bind(server);
    server.displayPrompt = (preserveCursor?: boolean) => { display(preserveCursor); feeder.ready(); };
  }

  const context: Record<string, unknown> = {
    ...Object.fromEntries(handles),
    dbs: handles,
    insert, select, update, mutate, del, wait, commit, comment, ops,
    NamedUuid, named: (name: string) => new NamedUuid(name),
    codecs,
    ...(options.k8s ? { k8s: options.k8s } : options.databases.has('OVN_Northbound') ? { k8s: new ClusterApi(options.databases.get('OVN_Northbound')!) } : {}),
    ...options.context,
  };
  for (const [name, value] of Object.entries(context)) {
    Object.defineProperty(server.context, name, { value, configurable: true, writable: true, enumerable: true });
  }

  const jsCompleter = server.completer.bind(server);
  // `nb.<Tab>` lists what a handle offers, not Object.prototype's __proto__, hasOwnProperty and friends.
  const withoutObjectMembers = (line: string, [names, partial]: CompleterResult): CompleterResult => {
    const path = /([\w$]+(?:\.[\w$]+)*)\.[\w$]*$/.exec(line)?.[1];
    const target = path === undefined ? undefined : lookup(server.context, path);
    if ((typeof target !== 'object' && typeof target !== 'function') || target === null) return [names, partial];
    const kept = names.filter((name) => {
      const member = name.slice(name.lastIndexOf('.') + 1);
      return member === '' || (member !== 'constructor' && definer(target, member) !== Object.prototype);
    });
    return [kept.filter((name, i) => name !== '' || (i > 0 && kept[i - 1] !== '' && i < kept.length - 1)), partial];
  };
  const complete = (line: string, callback: (err: Error | null, result: CompleterResult) => void): void => {
    let ours: CompleterResult | undefined;
    try { ours = completer.complete(line); } catch { ours = undefined; }
    if (ours) callback(null, ours);
    else jsCompleter(line, (err, result) => callback(err ?? null, withoutObjectMembers(line, result ?? [[], line])));
  };
  (server as unknown as { completer: typeof complete }).completer = complete;

  const say = (text: string) => { if (text !== '') output.write(`${text}\n`); };
  const run = (action: () => Promise<void>) => {
    server.clearBufferedCommand();
    action().catch((error: unknown) => { failures++; say(`Error: ${describeError(error, debug)}`); }).finally(() => server.displayPrompt());
  };

  server.defineCommand('tables', {
    help: 'List the tables of each connected database with their row counts',
    action() {
      run(async () => {
        for (const [alias, h] of handles) {
          const counts = await h.counts();
          say(`${h.name} (${alias}) at ${h.remote}:`);
          say(packNames([...counts].map(([t, n]) => `${t}(${n})`)).join('\n'));
        }
      });
    },
  });

  server.defineCommand('show', {
    help: 'Overview like ovn-nbctl/ovn-sbctl/ovs-vsctl show: `.show` (every database) or `.show nb|sb|ovs`',
    action(arg: string) {
      run(async () => {
        const wanted = arg.trim();
        const list = wanted === '' ? [...handles] : [[wanted, handles.get(wanted)] as const];
        for (const [alias, h] of list) {
          if (!h) throw new Error(`no database "${alias}" (connected: ${[...handles.keys()].join(', ')})${didYouMean(alias, handles.keys())}`);
          const text = showDatabase(h);
          if (!text) continue;
          if (list.length > 1) say(`== ${h.name} (${alias}) ==`);
          say(await text);
        }
      });
    },
  });

  server.defineCommand('dump', {
    help: 'Print every row of a table: `.dump <table>` or `.dump nb|sb|ovs <table>`',
    action(arg: string) {
      run(async () => {
        const words = arg.trim().split(/\s+/).filter((w) => w !== '');
        let candidates: DbHandle[];
        let table: string;
        if (words.length === 2) {
          const h = handles.get(words[0]);
          if (!h) throw new Error(`no database "${words[0]}" (connected: ${[...handles.keys()].join(', ')})`);
          candidates = [h];
          table = words[1];
        } else if (words.length === 1) {
          table = words[0];
          candidates = [...handles.values()];
        } else {
          throw new Error('usage: .dump <table> or .dump nb|sb|ovs <table>');
        }
        const owners = candidates.filter((h) => h.schema.tables.has(table));
        if (owners.length === 0) {
          throw new Error(`no table "${table}" in ${candidates.map((h) => h.name).join(', ')}${didYouMean(table, candidates.flatMap((h) => h.tables))}`);
        }
        if (owners.length > 1) {
          throw new Error(`"${table}" is in ${owners.map((h) => h.name).join(' and ')}: say which, e.g. .dump ${[...handles].find(([, h]) => h === owners[0])![0]} ${table}`);
        }
        const rows = await owners[0].list(table);
        say(rows.length === 0 ? `${table}: no rows` : formatTable(rows));
      });
    },
  });

  const stopNotices = connectionNotices(handles, (line) => {
    // One line, on a line of its own; the prompt (if it was showing) is drawn again after it on a terminal.
    output.write(terminal ? `\r\x1b[K${line}\n` : `${line}\n`);
    if (terminal && !busy) server.displayPrompt(true);
  });
  let busy = false;
  // Ctrl-C while a promise typed without `await` is pending stops waiting for it (the REPL prints its prompt
  // again); whatever it resolves to later is not printed.
  let abandonWait: (() => void) | undefined;
  server.prependListener('SIGINT', () => abandonWait?.());
  const evaluate = server.eval.bind(server);
  (server as unknown as { eval: typeof server.eval }).eval = (code, ctx, file, cb) => {
    busy = true;
    evaluate(code, ctx, file, (err, result) => {
      if (err || !isThenable(result)) { busy = false; cb(err, result); return; }
      // A promise typed without `await`: wait for it as `await` would, and print what it resolves to (or its
      // error, one line); the next piped line goes in only after that.
      let waiting = true;
      const settle = (error: Error | null, value?: unknown): void => {
        if (!waiting) return;
        waiting = false;
        abandonWait = undefined;
        busy = false;
        cb(error, value);
      };
      abandonWait = () => { waiting = false; abandonWait = undefined; busy = false; };
      result.then((value) => settle(null, value), (error: unknown) => {
        settle(isErrorLike(error) ? error : new Error(`promise rejected with ${inspect(error)}`));
      });
    });
  };
  server.once('exit', stopNotices);

  if (terminal && options.historyFile !== false) {
    const file = options.historyFile ?? defaultHistoryFile();
    server.setupHistory(file, (error) => { if (error) say(`(history disabled: ${error.message})`); });
  }

  const closed = new Promise<{ endOfInput: boolean }>((resolve) => {
    server.once('exit', () => resolve({ endOfInput: feeder?.ended ?? false }));
  });

  return {
    server,
    complete: (line) => new Promise((resolve, reject) => {
      complete(line, (err, result) => (err ? reject(err) : resolve(result)));
    }),
    closed,
    stopNotices,
    get failures() { return failures; },
    script: !terminal,
  };
}
