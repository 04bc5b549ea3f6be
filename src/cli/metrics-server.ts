// `ovn-overlay agent --metrics-address HOST:PORT`: the agent's prom-client registry as Prometheus text on
// GET /metrics (HEAD too), 404 for any other path, 405 for other methods. Port 0 picks a free port (the URL says
// which). Nothing else is served: no index page, no debug handlers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AgentMetrics } from '../k8s/metrics.js';
import { tryParseAddress } from '../ovn/ip.js';
import { CliError, usageError } from './cli-error.js';

export const METRICS_PATH = '/metrics';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `IP:PORT`, `[IPv6]:PORT` or `localhost:PORT` (port 0..65535; 0 picks a free one). */
export function parseListenAddress(text: string): ListenAddress {
  const fail = (why: string): never => { throw usageError(`--metrics-address: ${why}, not "${text}" (e.g. 127.0.0.1:9476)`); };
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:[\]]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  if (!match) return fail('expected HOST:PORT (IPv6 in brackets)');
  const [, hostText, portText] = match;
  const port = Number(portText);
  if (!Number.isSafeInteger(port) || port > 65535) fail(`port ${portText} is out of range`);
  if (hostText === 'localhost') return { host: hostText, port };
  const address = tryParseAddress(hostText);
  if (!address || (address.family === 6) !== (bracketed !== null)) fail(`"${hostText}" is not an ${bracketed ? 'IPv6' : 'IPv4'} address`);
  return { host: address!.text, port };
}

export interface MetricsServer {
  /** `http://HOST:PORT/metrics` with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

async function serve(metrics: AgentMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: the metrics are at ${METRICS_PATH}\n`);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  const text = await metrics.text();
  response.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
  response.end(request.method === 'HEAD' ? undefined : text);
}

/** Listens on `address` and serves the agent's metrics; rejects with a one-line CliError when it cannot bind. */
export async function startMetricsServer(address: ListenAddress, metrics: AgentMetrics): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    serve(metrics, request, response).catch((err: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`collecting the metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  // A scraper keeps its connection open between scrapes: close() must not wait for it.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new CliError(`--metrics-address ${address.host}:${address.port}: cannot listen (${err.code ?? err.message})`));
    });
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address();
  const port = bound !== null && typeof bound === 'object' ? bound.port : address.port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}${METRICS_PATH}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
