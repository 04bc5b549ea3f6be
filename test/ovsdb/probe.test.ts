// The inactivity probe without servers: a peer that answers every echo at once (within the same millisecond)
// stays alive for as long as it answers, and a silent peer is declared dead once, after the interval.
import test from 'ava';
import { InactivityProbe, type ProbeTarget } from '../../src/ovsdb/probe.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A peer whose echo replies arrive synchronously (same millisecond as the request) or never. */
class Peer implements ProbeTarget {
  lastReceived = Date.now();
  bytesReceived = 0;
  echoes = 0;
  deaths: number[] = [];
  constructor(private readonly answers: boolean) {}
  sendEcho(): void {
    this.echoes++;
    if (!this.answers) return;
    this.lastReceived = Date.now();
    this.bytesReceived += 60;
  }
  dead(idleMs: number): void {
    this.deaths.push(idleMs);
  }
}

test('an echo answered in the same millisecond it was sent keeps the peer alive, echo after echo', async (t) => {
  const peer = new Peer(true);
  const probe = new InactivityProbe(peer, 40);
  probe.start();
  await sleep(600);
  probe.stop();
  t.deepEqual(peer.deaths, [], 'never declared dead');
  t.true(peer.echoes >= 600 / 40, `an echo every half interval or so (${peer.echoes})`);
  t.is(probe.echoesSent, peer.echoes);
});

test('a silent peer gets one echo and is declared dead once, after the interval', async (t) => {
  const peer = new Peer(false);
  const probe = new InactivityProbe(peer, 40);
  probe.start();
  await sleep(300);
  probe.stop();
  t.is(peer.echoes, 1, 'one echo outstanding at a time');
  t.is(peer.deaths.length, 1);
  t.true(peer.deaths[0] >= 40, `idle ${peer.deaths[0]} ms`);
});

test('any receive clears the outstanding echo, not only its reply: the next silence gets an echo again', async (t) => {
  const peer = new Peer(false);
  const probe = new InactivityProbe(peer, 200);
  probe.start();
  // The peer never answers echoes; 150 ms in (after the first echo went out at ~100 ms) it sends an update.
  await sleep(150);
  t.is(peer.echoes, 1);
  peer.lastReceived = Date.now();
  peer.bytesReceived += 10;
  await sleep(500);
  probe.stop();
  t.is(peer.echoes, 2, 'a second echo after the update, once idle again');
  t.is(peer.deaths.length, 1, 'and dead once silent for the interval');
});

test('interval 0 disables the probe', async (t) => {
  const peer = new Peer(false);
  const probe = new InactivityProbe(peer, 0);
  probe.start();
  await sleep(50);
  t.is(peer.echoes, 0);
  t.deepEqual(peer.deaths, []);
});
