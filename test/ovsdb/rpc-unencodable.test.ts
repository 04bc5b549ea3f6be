// A request whose params cannot be written as JSON is refused with a typed error and leaves nothing pending.
import test from 'ava';
import { RpcSession } from '../../src/ovsdb/rpc.js';
import { OvsdbUnencodableRequestError } from '../../src/ovsdb/errors.js';
import type { Json } from '../../src/ovsdb/json.js';
import { memoryPair } from './memory-pair.js';

test('a request with a cyclic param rejects with OvsdbUnencodableRequestError; nothing is sent or left pending', async (t) => {
  const [client, server] = memoryPair();
  const received: Buffer[] = [];
  server.on('data', (chunk: Buffer) => received.push(chunk));
  const session = new RpcSession(client, { defaultTimeoutMs: 5000 });
  t.teardown(() => { client.destroy(); });
  const cyclic: Json[] = [];
  cyclic.push(cyclic);
  const call = session.request('transact', ['Open_vSwitch', cyclic]);
  const error = await t.throwsAsync(call.result, { instanceOf: OvsdbUnencodableRequestError });
  t.is(error.code, 'OVSDB_UNENCODABLE_REQUEST');
  t.is(error.method, 'transact');
  t.is(session.pendingCount, 0, 'no pending entry (and no timer) is left behind');
  // The session goes on: the next request is written and answered.
  server.on('data', (chunk: Buffer) => {
    const { id } = JSON.parse(String(chunk)) as { id: number };
    server.write(JSON.stringify({ id, result: ['ok'], error: null }));
  });
  t.deepEqual(await session.request('echo', ['ok']).result, ['ok']);
  t.is(received.map(String).join('').includes('transact'), false, 'the unencodable request was not sent');
});
