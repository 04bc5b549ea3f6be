// The inactivity probe without servers, on a simulated clock (so a loaded machine cannot stretch its intervals):
// a peer that answers every echo within the millisecond it was sent stays alive for as long as it answers, a
// silent peer is declared dead once, after the interval, and so is one that takes none of what waits to be sent.
// A verdict is confirmed after pending I/O (`defer`): here run at once, or held to let bytes land meanwhile.
import test from 'ava';
import { DEFAULT_PROBE_INTERVAL_MS, defaultProbeIntervalMs, InactivityProbe, type ProbeTarget } from '../../src/ovsdb/probe.js';

/** A peer on a simulated clock whose echo replies arrive at once (same millisecond as the request) or never. */
class Peer implements ProbeTarget {
  clock = 1_000_000;
  lastReceived = this.clock;
  bytesReceived = 0;
  bytesQueued = 0;
  bytesFlushed = 0;
  echoes = 0;
  deaths: number[] = [];
  stalls: number[] = [];
  constructor(private readonly answers: boolean) {}
  sendEcho(): void {
    this.echoes++;
    if (this.answers) this.receive();
  }
  receive(): void {
    this.lastReceived = this.clock;
    this.bytesReceived += 60;
  }
  dead(idleMs: number): void {
    this.deaths.push(idleMs);
  }
  notReading(stalledMs: number): void {
    this.stalls.push(stalledMs);
  }
  /** Runs the probe's checks every `tickMs` for `ms` simulated milliseconds. */
  run(probe: InactivityProbe, ms: number, tickMs = 10): void {
    for (let t = 0; t < ms; t += tickMs) {
      this.clock += tickMs;
      probe.check();
    }
  }
}

/** Runs a verdict's confirmation at once. */
const now = (fn: () => void) => fn();

test('an echo answered in the same millisecond it was sent keeps the peer alive, echo after echo', (t) => {
  const peer = new Peer(true);
  const probe = new InactivityProbe(peer, 400, () => peer.clock, now);
  peer.run(probe, 10_000);
  t.deepEqual(peer.deaths, [], 'never declared dead');
  t.is(peer.echoes, 50, 'an echo every half interval (200 ms) of silence');
  t.is(probe.echoesSent, peer.echoes);
});

test('a silent peer gets one echo and is declared dead once, after the interval', (t) => {
  const peer = new Peer(false);
  const probe = new InactivityProbe(peer, 400, () => peer.clock, now);
  peer.run(probe, 390);
  t.is(peer.echoes, 1, 'one echo outstanding at a time');
  t.deepEqual(peer.deaths, []);
  peer.run(probe, 10);
  t.deepEqual(peer.deaths, [400]);
});

test('any receive clears the outstanding echo, not only its reply: the next silence gets an echo again', (t) => {
  const peer = new Peer(false);
  const probe = new InactivityProbe(peer, 400, () => peer.clock, now);
  peer.run(probe, 300);
  t.is(peer.echoes, 1);
  peer.receive(); // an update, not the echo's reply
  peer.run(probe, 300);
  t.is(peer.echoes, 2, 'a second echo once idle again');
  t.deepEqual(peer.deaths, []);
  peer.run(probe, 200);
  t.is(peer.deaths.length, 1, 'dead once silent for the interval');
});

test('the timer runs the checks, and the verdict comes after pending I/O; interval 0 disables the probe', async (t) => {
  const peer = new Peer(true);
  peer.clock = Date.now();
  peer.lastReceived = peer.clock - 1000;
  // No fixed wait (a loaded machine stretches timers): the verdict is awaited.
  const died = new Promise<void>((resolve) => { peer.dead = (idleMs) => { peer.deaths.push(idleMs); resolve(); }; });
  const probe = new InactivityProbe(peer, 400);
  probe.start();
  const keepAlive = setInterval(() => undefined, 1000); // the probe's own timer is unref'd: it holds no process open
  await died;
  clearInterval(keepAlive);
  probe.stop();
  t.is(peer.deaths.length, 1, 'silent for longer than the interval: dead');
  t.true(peer.deaths[0] >= 1000);
  const off = new InactivityProbe(new Peer(false), 0);
  off.start();
  off.check();
  t.is(off.echoesSent, 0);
});

test('a peer that takes none of the queued bytes for the interval is dropped as not reading, though it keeps sending', (t) => {
  const peer = new Peer(true);
  const probe = new InactivityProbe(peer, 400, () => peer.clock, now);
  peer.bytesQueued = 5000; // a write the peer does not read
  for (let i = 0; i < 39; i++) {
    peer.run(probe, 10);
    peer.receive(); // it sends all the while: never silent
  }
  t.deepEqual(peer.stalls, []);
  peer.run(probe, 10);
  t.deepEqual(peer.stalls, [400]);
  t.deepEqual(peer.deaths, []);
  peer.run(probe, 1000);
  t.is(peer.stalls.length, 1, 'once');
});

test('a peer that reads slowly is not dropped: any byte it takes restarts the count; nothing queued, nothing to take', (t) => {
  const peer = new Peer(true);
  const probe = new InactivityProbe(peer, 400, () => peer.clock, now);
  peer.bytesQueued = 1 << 20;
  for (let i = 0; i < 20; i++) {
    peer.run(probe, 300);
    peer.bytesFlushed += 1; // one byte taken every 300 ms
    peer.receive();
  }
  peer.bytesQueued = 0;
  peer.run(probe, 200);
  peer.receive();
  peer.run(probe, 300);
  t.deepEqual(peer.stalls, []);
  t.deepEqual(peer.deaths, []);
});

test('a verdict is confirmed after pending I/O: bytes that landed meanwhile (a stalled event loop) keep the peer', (t) => {
  const peer = new Peer(false);
  const deferred: (() => void)[] = [];
  const probe = new InactivityProbe(peer, 400, () => peer.clock, (fn) => deferred.push(fn));
  peer.run(probe, 400);
  t.is(deferred.length, 1, 'the verdict waits');
  peer.run(probe, 50);
  t.is(deferred.length, 1, 'one verdict at a time');
  peer.receive(); // the reply was in the socket, read in the poll phase before the confirmation runs
  deferred.shift()!();
  t.deepEqual(peer.deaths, []);
  peer.run(probe, 390);
  t.deepEqual(peer.deaths, []);
  peer.run(probe, 10);
  deferred.shift()!();
  t.deepEqual(peer.deaths, [400], 'silent again for the interval: dead');
});

test('stop() drops a verdict still waiting for its confirmation', (t) => {
  const peer = new Peer(false);
  const deferred: (() => void)[] = [];
  const probe = new InactivityProbe(peer, 400, () => peer.clock, (fn) => deferred.push(fn));
  peer.run(probe, 400);
  probe.stop();
  deferred.shift()!();
  t.deepEqual(peer.deaths, []);
});

test('by default, as Open vSwitch, tcp: and ssl: connections are probed and unix: ones (named pipes on Windows) are not', (t) => {
  t.is(defaultProbeIntervalMs('tcp:127.0.0.1:6641'), DEFAULT_PROBE_INTERVAL_MS);
  t.is(defaultProbeIntervalMs('ssl:[::1]:6641'), DEFAULT_PROBE_INTERVAL_MS);
  t.is(defaultProbeIntervalMs('unix:/run/ovn/ovnnb_db.sock'), 0);
  t.is(defaultProbeIntervalMs('unix:C:/openvswitch/var/run/openvswitch/db.sock'), 0);
});
