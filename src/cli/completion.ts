// Tab completion from the schemas of the connected databases, layered over the REPL's own JavaScript
// completion (which already completes `nb.` to the DbHandle methods and globals):
//   .dump Log<Tab>                     table names (of every database; `.dump sb Port_<Tab>` of one)
//   .show <Tab>                        nb sb ovs
//   nb.select('Logical_S<Tab>          tables of that database (any method of a handle, any operation builder)
//   insert('Logical_Switch', { na<Tab> columns of the table named earlier on the line
//   select('ACL', [['pri<Tab>          columns, inside a string too
import type { DbHandle } from './db-handle.js';

export type CompleterResult = [string[], string];

const BUILDERS = ['insert', 'select', 'update', 'mutate', 'del', 'wait', 'ops\\.\\w+'];

function matching(candidates: Iterable<string>, partial: string): CompleterResult {
  const unique = [...new Set(candidates)].filter((c) => c.startsWith(partial)).sort();
  return [unique, partial];
}

/** The quote that opens the string the cursor is in, or undefined outside strings. */
function openQuote(line: string): { quote: string; at: number } | undefined {
  let quote: string | undefined;
  let at = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '\'' || c === '`') {
      quote = c;
      at = i;
    }
  }
  return quote === undefined ? undefined : { quote, at };
}

export class SchemaCompleter {
  constructor(private readonly handles: ReadonlyMap<string, DbHandle>) {}

  private allTables(): string[] {
    return [...this.handles.values()].flatMap((h) => h.tables);
  }

  /** The handle a table belongs to: `alias` if given, else the first database that has it. */
  private tableOwner(table: string, alias?: string): DbHandle | undefined {
    if (alias !== undefined) {
      const h = this.handles.get(alias);
      return h?.schema.tables.has(table) ? h : undefined;
    }
    return [...this.handles.values()].find((h) => h.schema.tables.has(table));
  }

  /** Completions for `line`, or undefined to let the JavaScript completer answer. */
  complete(line: string): CompleterResult | undefined {
    const aliases = [...this.handles.keys()];
    const command = /^\s*\.(dump|show|tables)\s+(.*)$/.exec(line);
    if (command) {
      const [, name, rest] = command;
      if (name === 'show') return matching(aliases, rest.trim());
      if (name === 'dump') {
        const words = rest.split(/\s+/);
        if (words.length === 1) return matching([...aliases, ...this.allTables()], words[0]);
        const h = this.handles.get(words[0]);
        if (words.length === 2 && h) return matching(h.tables, words[1]);
        return [[], rest];
      }
      return [[], rest];
    }

    const quoted = openQuote(line);
    if (quoted !== undefined) {
      const partial = line.slice(quoted.at + 1);
      if (!/^\w*$/.test(partial)) return undefined;
      const before = line.slice(0, quoted.at);
      const aliasCall = new RegExp(`\\b(${aliases.join('|') || '$^'})\\.\\w+\\(\\s*$`).exec(before);
      if (aliasCall) return matching(this.handles.get(aliasCall[1])!.tables, partial);
      if (new RegExp(`(?:^|[^.\\w])(?:${BUILDERS.join('|')})\\(\\s*$`).test(before)) return matching(this.allTables(), partial);
      const columns = this.columnsInScope(before);
      return columns ? matching(columns, partial) : undefined;
    }

    const key = /[{,[]\s*(\w*)$/.exec(line);
    if (key) {
      const before = line.slice(0, key.index + 1);
      const depth = (before.match(/{/g) ?? []).length - (before.match(/}/g) ?? []).length;
      if (depth > 0 && before.lastIndexOf('{') >= before.lastIndexOf('[')) {
        const columns = this.columnsInScope(before);
        if (columns) return matching(columns, key[1]);
      }
    }
    return undefined;
  }

  /** Columns of the last table named in a string literal earlier on the line (with `_uuid`). */
  private columnsInScope(before: string): string[] | undefined {
    const alias = new RegExp(`\\b(${[...this.handles.keys()].join('|') || '$^'})\\.\\w+\\(`).exec(before)?.[1];
    const names = [...before.matchAll(/['"`](\w+)['"`]/g)].map((m) => m[1]).reverse();
    for (const name of names) {
      const owner = this.tableOwner(name, alias);
      if (owner) return ['_uuid', ...owner.columns(name)];
    }
    return undefined;
  }
}
