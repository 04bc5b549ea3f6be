import test from 'ava';
import { isConflict, retryOnConflict } from '../../src/ovsdb/conflict-retry.js';
import { OvsdbConnectionClosedError, operationError } from '../../src/ovsdb/errors.js';

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

test('isConflict: a failed wait, a unique-index clash or a taken uuid; with guards only a failed guard wait', (t) => {
  const failure = (error: string, index: number) => operationError(error, undefined, undefined, index, 'wait', []);
  t.true(isConflict(failure('timed out', 0)));
  t.true(isConflict(failure('constraint violation', 2)));
  t.true(isConflict(failure('duplicate uuid', 1)));
  t.false(isConflict(failure('referential integrity violation', 1)));
  t.false(isConflict(failure('not owner', 0)));
  t.false(isConflict(new OvsdbConnectionClosedError('transact', 'gone')));
  t.false(isConflict(new Error('timed out')));
  const guards = new Set([1, 3]);
  t.true(isConflict(failure('timed out', 3), guards));
  t.false(isConflict(failure('timed out', 2), guards), 'a wait that is not a guard');
  t.false(isConflict(failure('constraint violation', 4), guards), 'a clash the caller did not state as a prerequisite');
});
