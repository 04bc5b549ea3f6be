// Helpers of the src/k8s tests: a logger that keeps its lines, and waiting for the cache to reach a state.
import { createLogger, type Logger } from '../../src/k8s/logger.js';
import type { ObjectCache } from '../../src/k8s/cache.js';

export function capturingLogger(level: 'error' | 'warn' | 'info' | 'debug' = 'debug'): { logger: Logger; lines: string[]; waitForLine(re: RegExp): Promise<string> } {
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  const logger = createLogger({
    level,
    time: () => new Date(0),
    write: (line) => {
      lines.push(line);
      for (const w of [...waiters]) if (w.re.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    },
  });
  const waitForLine = (re: RegExp) => {
    const found = lines.find((l) => re.test(l));
    return found !== undefined ? Promise.resolve(found) : new Promise<string>((resolve) => waiters.push({ re, resolve }));
  };
  return { logger, lines, waitForLine };
}

/** Resolves once `predicate` holds, checked now and after every change of the cache. */
export function cacheReaches(cache: ObjectCache, predicate: () => boolean): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = cache.subscribe(() => {
      if (predicate()) { stop(); resolve(); }
    });
  });
}

/** What the cache holds after kubectl's list and first watch of the replay, per kind: key -> resourceVersion. */
export const AFTER_FIRST_WATCH = {
  Namespace: { backend: '501', default: '10', frontend: '500', 'kube-system': '11', monitoring: '1101' },
  Node: { 'node-a': '600', 'node-b': '1102' },
  Pod: { 'backend/db-0': '702', 'frontend/web-7d9f5c-abcde': '700', 'frontend/web-7d9f5c-fghij': '701', 'frontend/web-7d9f5c-klmno': '1104' },
  Service: { 'default/kubernetes': '12', 'frontend/web': '1105' },
  EndpointSlice: { 'default/kubernetes': '13', 'frontend/web-x7k2p': '1106' },
  NetworkPolicy: { 'backend/allow-frontend': '900', 'frontend/default-deny': '1107' },
};

export function versions(cache: ObjectCache): Record<string, Record<string, string | undefined>> {
  const out: Record<string, Record<string, string | undefined>> = {};
  for (const kind of ['Namespace', 'Node', 'Pod', 'Service', 'EndpointSlice', 'NetworkPolicy'] as const) {
    out[kind] = Object.fromEntries(cache.store(kind).list().map((o) => [
      o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata?.name, o.metadata?.resourceVersion,
    ]));
  }
  return out;
}
