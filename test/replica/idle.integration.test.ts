// Idle replicas stay connected: over unix, tcp and ssl, on a standalone server and on a 3-member cluster, a
// replica with nothing to do is held for many probe intervals (a short interval, so the test takes seconds) and
// must neither reconnect nor resync, while its probe keeps sending echoes (so the probe was really at work).
// Before the probe kept an explicit "echo outstanding" state, an echo answered within the millisecond it was sent
// stopped all further echoes and the peer was declared dead one interval later.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbDatabase } from '../../src/ovsdb/database.js';
import { openRpcChannel, type RpcChannel, type RpcChannelOptions } from '../../src/ovsdb/rpc-channel.js';
import type { NorthboundTables } from '../../src/models/ovn-northbound.js';
import { sleep } from './helpers.js';

const PROBE_MS = 800; // the echo reply has half of it: on a loaded machine 200 ms was once too little for ssl
const HOLD_MS = 10 * PROBE_MS;

let standalone: Lab;
let cluster: Lab;
test.before(async () => {
  [standalone, cluster] = await Promise.all([
    startLab({ northd: false, tls: true }),
    startLab({ northd: false, tls: true, clustered: true }),
  ]);
});
test.after.always(async () => { await Promise.all([standalone?.stop(), cluster?.stop()]); });

/** Opens channels like the default, counting every open and every echo the client sends. */
function counting(options: RpcChannelOptions) {
  const counts = { opens: 0, echoes: 0 };
  const openChannel = async (remote: string): Promise<RpcChannel> => {
    counts.opens++;
    const inner = await openRpcChannel(remote, options);
    return {
      get remote() { return inner.remote; },
      get lastReceived() { return inner.lastReceived; },
      get bytesReceived() { return inner.bytesReceived; },
      get closed() { return inner.closed; },
      get isClosed() { return inner.isClosed; },
      get onNotification() { return inner.onNotification; },
      set onNotification(f) { inner.onNotification = f; },
      request(method, params, options) {
        if (method === 'echo') counts.echoes++;
        return inner.request(method, params, options);
      },
      notify: (method, params) => inner.notify(method, params),
      close: (reason) => inner.close(reason),
    };
  };
  return { counts, openChannel };
}

test('idle replicas (unix, tcp, ssl; standalone and clustered) hold their connection for 10 probe intervals: 0 reconnects, 0 resyncs', async (t) => {
  const cases = [standalone, cluster].flatMap((lab) => {
    const tls = lab.tls!;
    const tlsOptions = { tls: { ca: tls.caCert, cert: tls.clientCert, key: tls.clientKey } };
    const kind = lab === cluster ? 'cluster' : 'standalone';
    return [
      { name: `${kind} unix`, remotes: lab.nb.unix, options: {} },
      { name: `${kind} tcp`, remotes: lab.nb.tcp, options: {} },
      { name: `${kind} ssl`, remotes: lab.nb.ssl!, options: tlsOptions },
    ];
  });
  const replicas = cases.map((c) => {
    const { counts, openChannel } = counting(c.options);
    const db = OvsdbDatabase.connect<NorthboundTables>({
      remotes: c.remotes, database: 'OVN_Northbound', probeIntervalMs: PROBE_MS, openChannel,
      tables: { Logical_Switch: { columns: ['name'] } },
    });
    const dropped: string[] = [];
    db.on('disconnected', ({ reason }) => dropped.push(reason.message));
    return { ...c, db, counts, dropped };
  });
  t.teardown(() => Promise.all(replicas.map((r) => r.db.close())));
  await Promise.all(replicas.map((r) => r.db.synced));
  const opensAtStart = replicas.map((r) => r.counts.opens);
  const echoesAtStart = replicas.map((r) => r.counts.echoes);
  await sleep(HOLD_MS);
  replicas.forEach((r, i) => {
    const echoes = r.counts.echoes - echoesAtStart[i];
    t.log(`${r.name}: ${echoes} echoes in ${HOLD_MS} ms, stats ${JSON.stringify(r.db.stats)}`);
    t.deepEqual(r.dropped, [], `${r.name}: no disconnect`);
    t.is(r.db.stats.reconnects, 0, `${r.name}: no reconnect`);
    t.is(r.db.stats.resyncs, 0, `${r.name}: no resync`);
    t.is(r.db.stats.disconnects, 0, `${r.name}: no disconnect`);
    t.is(r.db.state, 'connected');
    // Member-watch channels (cluster) are probed too: none of them was opened again.
    t.is(r.counts.opens, opensAtStart[i], `${r.name}: no channel was opened again`);
    // Idle for half an interval at a time: an echo at least every interval (allowing a loaded machine slack).
    t.true(echoes >= HOLD_MS / PROBE_MS / 2, `${r.name}: the probe kept sending echoes (${echoes})`);
  });
});
