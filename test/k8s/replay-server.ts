// A local HTTP server that only replays recorded kube-apiserver responses (fixtures/k8s/apiserver): for each path
// and method (GET; PATCH for the writes of an agent, whose bodies are recorded), the recorded exchanges in order. A request is answered by the next exchange of its path if its `watch` and
// `resourceVersion` parameters are the recorded ones; anything else is answered 500 and noted in `mismatches`, so a
// test can assert that the client asked exactly what a real client at that point must ask (for instance: watch
// again from the bookmark's resourceVersion, list again after 410). Watch bodies are written one event per chunk,
// then the response ends ("close": the API server ended the watch) or stays open ("hold") until close().
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APISERVER_FIXTURES = fileURLToPath(new URL('../../fixtures/k8s/apiserver/', import.meta.url));

export interface Exchange {
  /** GET (default) or the method of a write (PATCH). */
  readonly method?: string;
  readonly path: string;
  readonly watch: boolean;
  readonly resourceVersion?: string;
  readonly body: string;
  readonly then?: 'close' | 'hold';
  readonly repeat?: boolean;
  readonly status?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  /** The request body (writes). */
  readonly body: string;
  readonly query: Record<string, string>;
  readonly accept: string | undefined;
  /** Index of the exchange that answered it, -1 for a mismatch. */
  readonly exchange: number;
}

export interface ReplayServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly mismatches: string[];
  /** Exchanges not served yet (repeatable ones excepted). */
  pending(): Exchange[];
  /** Resolves once `count` requests to `path` (any query) have been answered or held. */
  waitForRequests(path: string, count: number): Promise<void>;
  close(): Promise<void>;
}

export function loadExchanges(name: string): Exchange[] {
  return (JSON.parse(readFileSync(join(APISERVER_FIXTURES, name), 'utf8')) as { exchanges: Exchange[] }).exchanges;
}

export async function startReplayServer(exchanges: readonly Exchange[]): Promise<ReplayServer> {
  const served = new Set<number>();
  const requests: RecordedRequest[] = [];
  const mismatches: string[] = [];
  const held = new Set<ServerResponse>();
  const waiters: Array<{ path: string; count: number; resolve: () => void }> = [];

  const notify = () => {
    for (const w of [...waiters]) {
      if (requests.filter((r) => r.path === w.path).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, requestBody: string) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const query = Object.fromEntries(url.searchParams);
    const watch = query.watch === 'true' || query.watch === '1';
    const resourceVersion = query.resourceVersion ?? '';
    const method = req.method ?? 'GET';
    const index = exchanges.findIndex((e, i) => e.path === url.pathname && (e.method ?? 'GET') === method && (e.repeat || !served.has(i)));
    const exchange = exchanges[index];
    const matches = exchange !== undefined && exchange.watch === watch && (exchange.resourceVersion ?? '') === resourceVersion;
    requests.push({ method, path: url.pathname, query, accept: req.headers.accept, contentType: req.headers['content-type'], body: requestBody, exchange: matches ? index : -1 });
    if (!matches) {
      const expected = exchange ? `${exchange.watch ? 'watch' : 'list'} resourceVersion=${exchange.resourceVersion ?? ''}` : 'nothing more';
      mismatches.push(`${method} ${req.url}: expected ${expected}`);
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not in the recording', reason: 'InternalError', code: 500 }) + '\n');
      notify();
      return;
    }
    if (!exchange.repeat) served.add(index);
    const bytes = readFileSync(join(APISERVER_FIXTURES, exchange.body));
    res.writeHead(exchange.status ?? 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    if (!exchange.watch) {
      res.end(bytes);
    } else {
      for (const line of bytes.toString('utf8').split('\n')) if (line) res.write(line + '\n');
      if (exchange.then === 'hold') {
        held.add(res);
        res.on('close', () => held.delete(res));
      } else {
        res.end();
      }
    }
    notify();
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mismatches,
    pending: () => exchanges.filter((e, i) => !e.repeat && !served.has(i)),
    waitForRequests: (path, count) => new Promise((resolve) => { waiters.push({ path, count, resolve }); notify(); }),
    close: async () => {
      for (const res of held) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
