// The work queue with a hand-driven clock and a reconcile the test finishes by hand: deduplication, never the
// same key twice at once, the worker bound, ovn-kubernetes' retry schedule (15 attempts, 1 s doubling to 60 s,
// up to 500 ms jitter), the sweep, retryNow, a graceful stop, and the figures.
import test from 'ava';
import { ManualClock } from '../../src/k8s/clock.js';
import { AgentMetrics } from '../../src/k8s/metrics.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, WorkQueue, type WorkQueueOptions } from '../../src/k8s/work-queue.js';
import { K8sError } from '../../src/k8s/errors.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A reconcile that records its calls and finishes each when the test says so. */
class Reconciler {
  readonly calls: string[] = [];
  readonly running = new Map<string, Array<{ resolve: () => void; reject: (err: Error) => void }>>();
  maxInFlight = 0;
  maxSameKey = 0;
  private inFlight = 0;
  /** Finish calls by themselves: undefined = wait for finish(), 'ok' or an error to throw. */
  auto: 'ok' | Error | undefined;

  readonly reconcile = (key: string): Promise<void> => {
    this.calls.push(key);
    if (this.auto === 'ok') return Promise.resolve();
    if (this.auto) return Promise.reject(this.auto);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const list = this.running.get(key) ?? [];
    this.running.set(key, list);
    return new Promise<void>((resolve, reject) => {
      list.push({ resolve, reject });
      this.maxSameKey = Math.max(this.maxSameKey, list.length);
    }).finally(() => { this.inFlight--; });
  };

  async finish(key: string, error?: Error): Promise<void> {
    const list = this.running.get(key);
    const call = list?.shift();
    if (!call) throw new Error(`${key} is not running`);
    if (list!.length === 0) this.running.delete(key);
    if (error) call.reject(error); else call.resolve();
    await flush();
  }
}

function makeQueue(options: Partial<WorkQueueOptions> = {}) {
  const clock = new ManualClock();
  const reconciler = new Reconciler();
  const metrics = new AgentMetrics();
  const queue = new WorkQueue({ name: 'pods', reconcile: reconciler.reconcile, clock, metrics, random: () => 0, ...options });
  return { clock, reconciler, metrics, queue };
}

test('the retry delay: 1 s doubling to 60 s, plus up to 500 ms of jitter', (t) => {
  const delays = Array.from({ length: 14 }, (_, i) => retryDelayMs(DEFAULT_RETRY_POLICY, i + 1, () => 0));
  t.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000, 60000, 60000, 60000, 60000]);
  t.is(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0.999), 1499);
  t.is(DEFAULT_RETRY_POLICY.maxAttempts, 15);
});

test('a key queued twice is reconciled once; keys go in the order they came', async (t) => {
  const { reconciler, queue } = makeQueue();
  reconciler.auto = 'ok';
  queue.add('a'); queue.add('b'); queue.add('a');
  t.is(queue.stats().depth, 2);
  queue.start();
  await queue.idle();
  t.deepEqual(reconciler.calls, ['a', 'b']);
  t.is(queue.stats().adds, 3);
});

test('a key added while it is reconciled is reconciled again afterwards, never at the same time', async (t) => {
  const { reconciler, queue } = makeQueue();
  queue.start();
  queue.add('a');
  await flush();
  t.deepEqual(reconciler.calls, ['a']);
  queue.add('a'); queue.add('a');
  await flush();
  t.deepEqual(reconciler.calls, ['a'], 'not started again while in flight');
  await reconciler.finish('a');
  t.deepEqual(reconciler.calls, ['a', 'a'], 'once more for both adds');
  await reconciler.finish('a');
  await queue.idle();
  t.is(reconciler.maxSameKey, 1);
  t.is(queue.stats().reconciles, 2);
});

test('no more reconciles in flight than workers', async (t) => {
  const { reconciler, queue } = makeQueue({ workers: 2 });
  queue.start();
  for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
  await flush();
  t.deepEqual(reconciler.calls, ['a', 'b']);
  t.is(queue.stats().inFlight, 2);
  t.is(queue.stats().depth, 3);
  for (const key of ['a', 'b', 'c', 'd', 'e']) await reconciler.finish(key);
  await queue.idle();
  t.deepEqual(reconciler.calls, ['a', 'b', 'c', 'd', 'e']);
  t.is(reconciler.maxInFlight, 2);
  t.throws(() => new WorkQueue({ name: 'x', reconcile: async () => {}, workers: 0 }), { instanceOf: K8sError });
});

test('a failing key is retried on the ovn-kubernetes schedule, 15 attempts in all, then dropped', async (t) => {
  const { clock, reconciler, queue, metrics } = makeQueue({ random: () => 0.5 });
  reconciler.auto = new Error('transaction failed: constraint violation');
  queue.start();
  queue.add('ns/pod');
  await flush();
  const waits: number[] = [];
  for (let attempt = 1; attempt < 15; attempt++) {
    t.is(reconciler.calls.length, attempt);
    const state = queue.retryState('ns/pod')!;
    t.is(state.failures, attempt);
    t.is(state.lastError, 'transaction failed: constraint violation');
    waits.push(state.dueAt - clock.now());
    clock.advance(state.dueAt - clock.now() - 1);
    await flush();
    t.is(reconciler.calls.length, attempt, 'not before its time');
    clock.advance(1);
    await flush();
  }
  t.deepEqual(waits, [1250, 2250, 4250, 8250, 16250, 32250, 60250, 60250, 60250, 60250, 60250, 60250, 60250, 60250]);
  t.is(reconciler.calls.length, 15);
  t.is(queue.retryState('ns/pod'), undefined);
  t.deepEqual([...queue.dropped()], [['ns/pod', 'transaction failed: constraint violation']]);
  clock.advance(10 * 60_000);
  await flush();
  t.is(reconciler.calls.length, 15, 'a dropped key is not retried');
  t.like(queue.stats(), { errors: 15, retries: 14, dropped: 1, droppedKeys: 1, retryPending: 0 });
  const text = await metrics.text();
  t.regex(text, /ovn_overlay_workqueue_retries_total\{name="pods"\} 14/);
  t.regex(text, /ovn_overlay_workqueue_errors_total\{name="pods"\} 15/);
  t.regex(text, /ovn_overlay_workqueue_dropped_total\{name="pods"\} 1/);
  // A new event for the key starts it over.
  reconciler.auto = 'ok';
  queue.add('ns/pod');
  await queue.idle();
  t.is(reconciler.calls.length, 16);
  t.is(queue.dropped().size, 0);
});

test('a new add() of a failing key reconciles it now and starts its count over', async (t) => {
  const { clock, reconciler, queue } = makeQueue();
  reconciler.auto = new Error('boom');
  queue.start();
  queue.add('k');
  await flush();
  clock.advance(1000);
  await flush();
  t.is(queue.retryState('k')?.failures, 2);
  queue.add('k');
  await flush();
  t.is(reconciler.calls.length, 3, 'reconciled at once, not after the 2 s backoff');
  t.is(queue.retryState('k')?.failures, 1, 'the count started over');
  t.is(clock.pending().filter((due) => due === clock.now() + 2000).length, 0, 'the old retry timer is gone');
});

test('without retry timers, retries wait for the 30 s sweep (ovn-kubernetes); retryNow() ignores the backoff', async (t) => {
  const { clock, reconciler, queue } = makeQueue({ retryTimers: false });
  reconciler.auto = new Error('boom');
  queue.start();
  queue.add('a');
  await flush();
  clock.advance(29_999);
  await flush();
  t.is(reconciler.calls.length, 1, 'due after 1 s, but only the sweep retries');
  clock.advance(1);
  await flush();
  t.is(reconciler.calls.length, 2, 'the sweep at 30 s');
  t.is(queue.retryState('a')?.failures, 2);
  queue.retryNow();
  await flush();
  t.is(reconciler.calls.length, 3, 'retryNow does not wait for the 2 s backoff');
  t.is(queue.sweep(), 0, 'nothing due');
});

test('stop() lets the reconcile in flight finish, starts nothing new, and returns what was left', async (t) => {
  const { clock, reconciler, queue } = makeQueue({ workers: 1 });
  queue.start();
  queue.add('a'); queue.add('b');
  await flush();
  let stopped = false;
  const stopping = queue.stop().then((left) => { stopped = true; return left; });
  await flush();
  t.false(stopped, 'waits for the reconcile in flight');
  queue.add('c');
  await reconciler.finish('a');
  const left = await stopping;
  t.deepEqual(left, { queued: ['b'], retrying: [] });
  t.deepEqual(reconciler.calls, ['a']);
  t.deepEqual(clock.pending(), [], 'no timer left behind (sweep, retries)');
});

test('durations and depth are readable from the API and as Prometheus text', async (t) => {
  const { clock, reconciler, queue, metrics } = makeQueue();
  queue.add('a'); queue.add('b');
  t.regex(await metrics.text(), /ovn_overlay_workqueue_depth\{name="pods"\} 2/);
  queue.start();
  await flush();
  clock.advance(250);
  await reconciler.finish('a');
  clock.advance(1750);
  await reconciler.finish('b', new Error('x'));
  t.like(queue.stats(), { depth: 0, inFlight: 0, reconciles: 2, errors: 1, retryPending: 1 });
  t.deepEqual(queue.stats().reconcileSeconds, { count: 2, sum: 2.25, max: 2 });
  const text = await metrics.text();
  t.regex(text, /ovn_overlay_workqueue_work_duration_seconds_bucket\{le="0\.25",name="pods",result="success"\} 1/);
  t.regex(text, /ovn_overlay_workqueue_work_duration_seconds_bucket\{le="1",name="pods",result="error"\} 0/);
  t.regex(text, /ovn_overlay_workqueue_work_duration_seconds_bucket\{le="2\.5",name="pods",result="error"\} 1/);
  t.regex(text, /ovn_overlay_workqueue_retry_pending\{name="pods"\} 1/);
  t.regex(text, /# TYPE ovn_overlay_workqueue_work_duration_seconds histogram/);
  await queue.stop();
});
