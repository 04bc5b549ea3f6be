// A peer that does not read what the client sends (issue 12 item 4). The real ovsdb-server cannot be made to
// keep sending while it reads nothing, so a fake peer of ours does it: one floods 1 MiB echo requests and never
// reads (the client's replies would pile up without end), one keeps the connection alive with small echoes and
// never reads a large transaction. Either way the connection ends with OvsdbPeerNotReadingError, what was queued
// is dropped, and the pending transaction that writes rejects as outcome unknown, naming the cause.
import test from 'ava';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OvsdbClient, OvsdbConnectionClosedError, OvsdbOutcomeUnknownError, OvsdbPeerNotReadingError } from '../../src/ovsdb/index.js';

/** A unix-socket peer that reads nothing (its socket paused) and runs `script` on each connection. */
async function deafPeer(script: (socket: net.Socket) => void): Promise<{ remote: string; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsdb-deaf-'));
  const path = join(dir, 'deaf.sock');
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    script(socket);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    remote: `unix:${path}`,
    close: () => { for (const s of sockets) s.destroy(); server.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

test('a peer that floods echo requests and never reads: dropped at maxWriteBacklogBytes, memory bounded, the write outcome unknown', async (t) => {
  const params = JSON.stringify(['x'.repeat(1 << 20)]);
  let sent = 0;
  const peer = await deafPeer((socket) => {
    const flood = () => {
      while (!socket.destroyed && socket.write(`{"id":"e${sent++}","method":"echo","params":${params}}`)) { /* until its own buffer is full */ }
      if (!socket.destroyed) socket.once('drain', flood);
    };
    flood();
  });
  t.teardown(() => peer.close());
  const limit = 8 * 1024 * 1024;
  const client = await OvsdbClient.connect(peer.remote, { maxWriteBacklogBytes: limit, probeIntervalMs: 0 });
  const write = client.transactRaw('DB', [{ op: 'insert', table: 'T', row: { name: 'x' } }]);
  const closed = await client.session.closed;
  t.true(closed instanceof OvsdbPeerNotReadingError, String(closed));
  const e = closed as OvsdbPeerNotReadingError;
  t.is(e.code, 'OVSDB_PEER_NOT_READING');
  t.is(e.why, 'backlog');
  t.true(e.queuedBytes > limit && e.queuedBytes <= limit + 2 * (1 << 20), `queued ${e.queuedBytes} bytes: at most the limit and one reply`);
  const unknown = await t.throwsAsync(write, { instanceOf: OvsdbOutcomeUnknownError });
  t.true(unknown.message.includes('the peer does not read'), unknown.message);
  t.is(client.state, 'closed');
  t.log(`dropped after ${sent} 1 MiB echo requests, ${e.queuedBytes} bytes queued`);
});

test('a peer that stays alive but never reads a large transaction: the probe drops it as not reading', async (t) => {
  const peer = await deafPeer((socket) => {
    // Small echo requests now and then: the client never sees silence, so only the stalled write gives it away.
    const timer = setInterval(() => socket.write('{"id":"alive","method":"echo","params":[]}'), 50);
    socket.on('close', () => clearInterval(timer));
  });
  t.teardown(() => peer.close());
  const client = await OvsdbClient.connect(peer.remote, { probeIntervalMs: 500 });
  // Larger than what the kernel's socket buffers take, so some of it waits in the client.
  const big = client.transactRaw('DB', [{ op: 'insert', table: 'T', row: { name: 'x'.repeat(16 << 20) } }]);
  const read = client.call('list_dbs', []);
  const closed = await client.session.closed;
  t.true(closed instanceof OvsdbPeerNotReadingError, String(closed));
  t.is((closed as OvsdbPeerNotReadingError).why, 'stalled');
  t.true((closed as OvsdbPeerNotReadingError).queuedBytes > 0);
  await t.throwsAsync(big, { instanceOf: OvsdbOutcomeUnknownError });
  const e = await t.throwsAsync(read, { instanceOf: OvsdbConnectionClosedError });
  t.false(e instanceof OvsdbOutcomeUnknownError, 'a read is not of unknown outcome');
  t.true(e.cause instanceof OvsdbPeerNotReadingError);
});
