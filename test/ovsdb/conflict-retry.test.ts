import test from 'ava';
import { retryOnConflict } from '../../src/ovsdb/conflict-retry.js';

class Conflict extends Error {}

test('retryOnConflict: runs again after a conflict, throws other errors at once and the last conflict when attempts run out', async (t) => {
  const pauses: number[] = [];
  const policy = { attempts: 3, isConflict: (e: unknown) => e instanceof Conflict, beforeRetry: (n: number) => { pauses.push(n); } };
  t.is(await retryOnConflict(async (n) => { if (n < 3) throw new Conflict(`run ${n}`); return n; }, policy), 3);
  t.deepEqual(pauses, [1, 2]);

  let runs = 0;
  await t.throwsAsync(retryOnConflict(async () => { runs++; throw new TypeError('not a conflict'); }, policy), { instanceOf: TypeError });
  t.is(runs, 1);

  runs = 0;
  await t.throwsAsync(retryOnConflict(async (n) => { runs++; throw new Conflict(`run ${n}`); }, policy), { instanceOf: Conflict, message: 'run 3' });
  t.is(runs, 3);
});
