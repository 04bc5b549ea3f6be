// Reconnect pacing without servers: the backoff grows exponentially with jitter, stays within its bounds and
// never throws whatever its random source or options; the rotation shuffles the remote list, covers every
// remote on every pass and puts the one that just failed last.
import test from 'ava';
import { Backoff, RemoteRotation, shuffled } from '../../src/ovsdb/reconnect.js';

/** A deterministic random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('Backoff grows exponentially up to its cap: with the highest jitter each wait is the ceiling', (t) => {
  const b = new Backoff({ initialMs: 50, maxMs: 4000, multiplier: 2 }, () => 1);
  const waits = Array.from({ length: 10 }, () => b.next());
  t.deepEqual(waits, [50, 100, 200, 400, 800, 1600, 3200, 4000, 4000, 4000]);
  t.is(b.failures, 10);
});

test('Backoff jitter: each wait lies between half the ceiling and the ceiling, and varies', (t) => {
  const low = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
  t.deepEqual([low.next(), low.next(), low.next(), low.next(), low.next()], [50, 100, 200, 400, 500], 'never collapses to zero');
  const random = seeded(7);
  const b = new Backoff({ initialMs: 100, maxMs: 1000 }, random);
  const seen = new Set<number>();
  for (let run = 0; run < 50; run++) {
    b.reset();
    for (let i = 0; i < 6; i++) {
      const ceiling = Math.min(1000, 100 * 2 ** i);
      const w = b.next();
      t.true(w >= ceiling / 2 && w <= ceiling, `attempt ${i}: ${w} within [${ceiling / 2}, ${ceiling}]`);
      if (i === 3) seen.add(w);
    }
  }
  t.true(seen.size > 10, `jittered: ${seen.size} distinct waits at the same attempt`);
});

test('Backoff.reset starts over; the election poll is the poll interval +-25 %', (t) => {
  const b = new Backoff({ initialMs: 10, electionPollMs: 80 }, seeded(3));
  for (let i = 0; i < 20; i++) b.next();
  b.reset();
  t.is(b.failures, 0);
  t.true(b.next() <= 10);
  for (let i = 0; i < 200; i++) {
    const w = b.nextElectionPoll();
    t.true(w >= 60 && w <= 100, `${w}`);
  }
});

test('Backoff is bounded and never throws: thousands of failures, odd random sources and options', (t) => {
  const sources: (() => number)[] = [Math.random, () => 0, () => 0.999999, seeded(11)];
  for (const random of sources) {
    const b = new Backoff({ initialMs: 1, maxMs: 30_000, multiplier: 3 }, random);
    for (let i = 0; i < 5000; i++) {
      const w = b.next();
      t.true(Number.isFinite(w) && w >= 0 && w <= 30_000);
    }
    t.is(b.failures, 5000, 'counts without overflowing the wait');
  }
  t.notThrows(() => {
    const b = new Backoff({ initialMs: 0, maxMs: 0, multiplier: 1 });
    for (let i = 0; i < 100; i++) if (b.next() !== 0) throw new Error('expected 0');
  });
  const defaults = new Backoff();
  for (let i = 0; i < 100; i++) t.true(defaults.next() <= 4000);
});

test('RemoteRotation covers every remote exactly once per pass, shuffled', (t) => {
  const remotes = ['tcp:a:1', 'tcp:b:2', 'tcp:c:3', 'tcp:d:4'];
  const rotation = new RemoteRotation(remotes, true, seeded(5));
  const orders = new Set<string>();
  const firsts = new Map<string, number>();
  for (let pass = 0; pass < 400; pass++) {
    rotation.startPass();
    const seen: string[] = [];
    for (let r = rotation.next(); r !== undefined; r = rotation.next()) seen.push(r);
    t.deepEqual([...seen].sort(), [...remotes].sort(), 'every remote once');
    orders.add(seen.join(','));
    firsts.set(seen[0], (firsts.get(seen[0]) ?? 0) + 1);
  }
  t.true(orders.size > 12, `${orders.size} different orders over 400 passes`);
  for (const r of remotes) t.true((firsts.get(r) ?? 0) > 50, `${r} first ${firsts.get(r) ?? 0} times of 400`);
});

test('RemoteRotation: the remote that just failed goes last; unshuffled keeps the given order', (t) => {
  const remotes = ['x', 'y', 'z'];
  const rotation = new RemoteRotation(remotes, true, seeded(9));
  for (let pass = 0; pass < 50; pass++) {
    rotation.startPass('y');
    const seen = [rotation.next(), rotation.next(), rotation.next(), rotation.next()];
    t.is(seen[2], 'y');
    t.is(seen[3], undefined, 'the pass ends');
  }
  const fixed = new RemoteRotation(remotes, false);
  fixed.startPass('x');
  t.deepEqual([fixed.next(), fixed.next(), fixed.next()], ['y', 'z', 'x']);
  const single = new RemoteRotation(['only'], true);
  single.startPass('only');
  t.is(single.next(), 'only', 'a single remote is still tried');
});

test('shuffled returns a permutation and leaves its input alone', (t) => {
  const input = [1, 2, 3, 4, 5, 6];
  const out = shuffled(input, seeded(1));
  t.deepEqual(input, [1, 2, 3, 4, 5, 6]);
  t.deepEqual([...out].sort(), input);
});
