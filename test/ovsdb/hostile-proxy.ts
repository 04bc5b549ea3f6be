// A byte-level proxy in front of a real ovsdb-server that can slip hostile messages or bytes into what the
// server sends, between two of its messages: the replica's setup and data stay the real server's, and only the
// faults are ours. It also notes the monitor ids the client asked for, so an injected update can name one.
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonSplitter } from '../../src/ovsdb/framing.js';

export interface HostileProxy {
  /** `unix:` remote of the proxy. */
  readonly remote: string;
  /** Monitor ids the current client sent with monitor/monitor_cond/monitor_cond_since, by database. */
  readonly monitorIds: Map<string, string>;
  /** The last transaction id the server sent in an update3 or a monitor_cond_since reply. */
  readonly lastTxnId: string | undefined;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Sends bytes to the current client between two of the server's messages. */
  inject(bytes: string | Buffer): void;
  /** Holds the server's messages back (queued) until release(): a call sent meanwhile stays pending. */
  hold(): void;
  release(): void;
  close(): void;
}

export async function startHostileProxy(serverSocketPath: string): Promise<HostileProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-proxy-'));
  const path = join(dir, 'proxy.sock');
  const monitorIds = new Map<string, string>();
  let lastTxnId: string | undefined;
  let current: net.Socket | undefined;
  let connections = 0;
  let held: { client: net.Socket; bytes: Buffer }[] | undefined;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    connections++;
    current = client;
    const upstream = net.connect({ path: serverSocketPath });
    sockets.add(client).add(upstream);
    const down = new JsonSplitter({ maxMessageBytes: 1 << 30 });
    const up = new JsonSplitter({ maxMessageBytes: 1 << 30 });
    // Server -> client, one whole message at a time, so an injection never lands inside one.
    upstream.on('data', (chunk: Buffer) => {
      try {
        down.push(chunk, (bytes) => {
          const text = bytes.toString('utf8');
          const txn = /"method":"update3","params":\["[^"]*","([0-9a-f-]{36})"/.exec(text) ?? /"result":\[(?:true|false),"([0-9a-f-]{36})"/.exec(text);
          if (txn) lastTxnId = txn[1];
          if (held) held.push({ client, bytes: Buffer.from(bytes) });
          else client.write(bytes);
        });
      } catch { client.destroy(); }
    });
    client.on('data', (chunk: Buffer) => {
      try {
        up.push(chunk, (bytes) => {
          const msg = JSON.parse(bytes.toString('utf8')) as { method?: string; params?: unknown[] };
          if (msg.method?.startsWith('monitor') && msg.method !== 'monitor_cancel' && msg.method !== 'monitor_cond_change' && Array.isArray(msg.params)) {
            monitorIds.set(String(msg.params[0]), JSON.stringify(msg.params[1]));
          }
        });
      } catch { /* the server will judge it */ }
      upstream.write(chunk);
    });
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(path, resolve));
  return {
    remote: `unix:${path}`,
    monitorIds,
    get lastTxnId() { return lastTxnId; },
    get connections() { return connections; },
    inject(bytes) { current?.write(bytes); },
    hold() { held ??= []; },
    release() {
      const queued = held ?? [];
      held = undefined;
      for (const q of queued) if (!q.client.destroyed) q.client.write(q.bytes);
    },
    close() {
      for (const s of sockets) s.destroy();
      proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
