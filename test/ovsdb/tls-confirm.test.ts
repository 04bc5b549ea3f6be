// The echo that confirms a TLS session before connect() resolves (issue 12 item 8), on in-memory streams: it
// must hand every other byte to the session that reads next, in order, and fail on a close or a silent peer.
// The real server refusing a certificate is in tls.integration.test.ts.
import test from 'ava';
import type { Duplex } from 'node:stream';
import { confirmSession } from '../../src/ovsdb/tls.js';
import { RpcSession } from '../../src/ovsdb/rpc.js';
import { JsonFramer } from '../../src/ovsdb/framing.js';
import type { Json } from '../../src/ovsdb/json.js';
import { memoryPair } from './memory-pair.js';

/** A peer that answers the confirmation echo with `before` + the reply + `after`, written as one chunk or byte by byte. */
function peer(server: Duplex, before: string, after: string, byteByByte: boolean): Promise<Json[]> {
  const framer = new JsonFramer();
  const seen: Json[] = [];
  return new Promise((resolve) => {
    server.on('data', (chunk: Buffer) => framer.push(chunk, (msg) => {
      seen.push(msg);
      const { id, method } = msg as { id: Json; method: string };
      if (method === 'echo' && id === 'ovn-overlay-tls-confirm') {
        const out = Buffer.from(`${before}{"id":"ovn-overlay-tls-confirm","result":[],"error":null}${after}`);
        if (!byteByByte) server.write(out);
        else for (const b of out) server.write(Uint8Array.of(b));
      }
      if (method === 'list_dbs') { server.write(`{"id":${String(id)},"result":["OVN_Northbound"],"error":null}`); resolve(seen); }
    }));
  });
}

for (const byteByByte of [false, true]) {
  test(`bytes around the confirmation reply reach the session, in order (${byteByByte ? 'byte by byte' : 'one chunk'})`, async (t) => {
    const [client, server] = memoryPair();
    const seen = peer(server, '{"id":"probe","method":"echo","params":["early"]}', '{"id":null,"method":"update2","params":["m",{}]}{"id":', byteByByte);
    await confirmSession(client, 5000);
    // The next reader attaches later, as OvsdbClient.connect does after an await.
    await new Promise((r) => setTimeout(r, 20));
    const session = new RpcSession(client);
    const notifications: string[] = [];
    session.on('notification', (method) => notifications.push(method));
    server.write('null,"method":"locked","params":["l"]}');
    t.deepEqual(await session.call('list_dbs', []), ['OVN_Northbound']);
    t.deepEqual(notifications, ['update2', 'locked'], 'the update after the reply and the one split across it arrived');
    // The server's own echo, sent before our reply, was answered by the session.
    const messages = await seen;
    t.true(messages.some((m) => (m as { id: Json }).id === 'probe'), 'the early echo request was answered');
    session.close();
  });
}

test('a peer that closes after the handshake, or never answers, fails the confirmation', async (t) => {
  const [client, server] = memoryPair();
  server.once('data', () => server.end());
  await t.throwsAsync(confirmSession(client, 5000), { message: /closed the connection right after the TLS handshake/ });
  const [quiet] = memoryPair();
  await t.throwsAsync(confirmSession(quiet, 50), { message: /no answer within 50 ms after the TLS handshake/ });
});
