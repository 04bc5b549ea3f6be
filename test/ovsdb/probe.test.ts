// The inactivity probe without servers, on a simulated clock (so a loaded machine cannot stretch its intervals):
// a peer that answers every echo within the millisecond it was sent stays alive for as long as it answers, and a
// silent peer is declared dead once, after the interval.
import test from 'ava';
import { InactivityProbe, type ProbeTarget } from '../../src/ovsdb/probe.js';

/** A peer on a simulated clock whose echo replies arrive at once (same millisecond as the request) or never. */
class Peer implements ProbeTarget {
  clock = 1_000_000;
  lastReceived = this.clock;
  bytesReceived = 0;
  echoes = 0;
  deaths: number[] = [];
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
  /** Runs the probe's checks every `tickMs` for `ms` simulated milliseconds. */
  run(probe: InactivityProbe, ms: number, tickMs = 10): void {
    for (let t = 0; t < ms; t += tickMs) {
      this.clock += tickMs;
      probe.check();
    }
  }
}

test('an echo answered in the same millisecond it was sent keeps the peer alive, echo after echo', (t) => {
  const peer = new Peer(true);
  const probe = new InactivityProbe(peer, 400, () => peer.clock);
  peer.run(probe, 10_000);
  t.deepEqual(peer.deaths, [], 'never declared dead');
  t.is(peer.echoes, 50, 'an echo every half interval (200 ms) of silence');
  t.is(probe.echoesSent, peer.echoes);
});

test('a silent peer gets one echo and is declared dead once, after the interval', (t) => {
  const peer = new Peer(false);
  const probe = new InactivityProbe(peer, 400, () => peer.clock);
  peer.run(probe, 390);
  t.is(peer.echoes, 1, 'one echo outstanding at a time');
  t.deepEqual(peer.deaths, []);
  peer.run(probe, 10);
  t.deepEqual(peer.deaths, [400]);
});

test('any receive clears the outstanding echo, not only its reply: the next silence gets an echo again', (t) => {
  const peer = new Peer(false);
  const probe = new InactivityProbe(peer, 400, () => peer.clock);
  peer.run(probe, 300);
  t.is(peer.echoes, 1);
  peer.receive(); // an update, not the echo's reply
  peer.run(probe, 300);
  t.is(peer.echoes, 2, 'a second echo once idle again');
  t.deepEqual(peer.deaths, []);
  peer.run(probe, 200);
  t.is(peer.deaths.length, 1, 'dead once silent for the interval');
});

test('the timer runs the checks; stop() ends them; interval 0 disables the probe', async (t) => {
  const peer = new Peer(true);
  peer.clock = Date.now();
  peer.lastReceived = peer.clock - 1000;
  const probe = new InactivityProbe(peer, 400);
  probe.start();
  await new Promise((r) => setTimeout(r, 150));
  probe.stop();
  t.is(peer.deaths.length, 1, 'silent for longer than the interval: dead at the first check');
  const off = new InactivityProbe(new Peer(false), 0);
  off.start();
  off.check();
  t.is(off.echoesSent, 0);
});
