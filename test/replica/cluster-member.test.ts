// Choosing a cluster member from `_Server` rows, without servers: the chooser skips members that are not
// connected, have an empty schema, are not the leader or are relays (when leader-only), or are behind the highest
// RAFT index seen; and the member watch finds the new leader from a `_Server` notification (no polling), never
// waits on a member that refuses or hangs, and keeps watching the others.
import test from 'ava';
import { ClusterMemberChooser, type ServerDatabaseRow } from '../../src/ovsdb/cluster-member.js';
import { MemberWatch, WATCH_MONITOR_ID } from '../../src/ovsdb/member-watch.js';
import { OvsdbConnectError, OvsdbConnectionClosedError, OvsdbRpcError } from '../../src/ovsdb/errors.js';
import type { Json } from '../../src/ovsdb/json.js';
import type { RpcChannel } from '../../src/ovsdb/rpc-channel.js';
import type { PendingCall } from '../../src/ovsdb/rpc.js';

const row = (extra: Partial<ServerDatabaseRow> = {}): ServerDatabaseRow => ({
  _uuid: '6f5c9f2e-1b4c-4a63-9a07-3f1f5b1e9a01', name: 'OVN_Northbound', model: 'clustered', connected: true,
  leader: true, schema: '{"name":"OVN_Northbound"}', index: 10n, ...extra,
});

test('usable: the connected, joined leader; a standalone server as it is', (t) => {
  const c = new ClusterMemberChooser(true);
  t.deepEqual(c.judge(row()), { usable: true });
  t.is(c.highestIndex, 10n, 'the index of a usable member is recorded');
  t.deepEqual(c.judge(row({ model: 'standalone', leader: true, connected: true, index: undefined, schema: '{}' })), { usable: true });
  t.like(c.judge(undefined), { usable: false, reason: 'the server does not serve this database' });
});

test('skipped: not connected to its cluster', (t) => {
  const v = new ClusterMemberChooser(true).judge(row({ connected: false }));
  t.like(v, { usable: false, follower: false });
  if (!v.usable) t.regex(v.reason, /disconnected from its cluster/);
});

test('skipped: empty schema (not yet joined), even for a leader and without leader-only', (t) => {
  for (const leaderOnly of [true, false]) {
    const v = new ClusterMemberChooser(leaderOnly).judge(row({ schema: '' }));
    t.like(v, { usable: false, follower: false });
    if (!v.usable) t.regex(v.reason, /not yet joined \(empty schema\)/);
    t.like(new ClusterMemberChooser(leaderOnly).judge(row({ schema: undefined })), { usable: false });
  }
});

test('skipped when leader-only: a follower (marked as such: an election may be under way); usable otherwise', (t) => {
  t.like(new ClusterMemberChooser(true).judge(row({ leader: false })), { usable: false, reason: 'not the cluster leader', follower: true });
  t.deepEqual(new ClusterMemberChooser(false).judge(row({ leader: false })), { usable: true });
});

test('skipped when leader-only: a relay; usable without leader-only', (t) => {
  const relay = row({ model: 'relay', leader: false, index: undefined });
  t.like(new ClusterMemberChooser(true).judge(relay), { usable: false, reason: 'a relay cannot be the leader', follower: false });
  t.like(new ClusterMemberChooser(true).judge({ ...relay, leader: true }), { usable: false, reason: 'a relay cannot be the leader' });
  t.deepEqual(new ClusterMemberChooser(false).judge(relay), { usable: true });
  t.like(new ClusterMemberChooser(false).judge({ ...relay, connected: false }), { usable: false }, 'a relay cut off from its source is skipped too');
});

test('skipped: a RAFT index below the highest seen (a member behind, or a restored stale copy)', (t) => {
  const c = new ClusterMemberChooser(false);
  t.true(c.judge(row({ index: 100n })).usable);
  const v = c.judge(row({ index: 99n, leader: false }));
  t.like(v, { usable: false, follower: true });
  if (!v.usable) t.regex(v.reason, /stale data \(index 99 < 100 already seen\)/);
  t.is(c.highestIndex, 100n, 'a rejected member does not lower the mark');
  t.true(c.judge(row({ index: 100n })).usable, 'equal is not behind');
  t.true(c.judge(row({ index: 2n ** 62n })).usable, 'a 64-bit index');
  t.is(c.highestIndex, 2n ** 62n);
  t.true(c.judge(row({ index: undefined })).usable, 'no index: nothing to compare');
});

test('prejudge looks at the role columns only and records nothing', (t) => {
  const c = new ClusterMemberChooser(true);
  t.deepEqual(c.prejudge({ model: 'clustered', connected: true, leader: true }), { usable: true });
  t.like(c.prejudge({ model: 'clustered', connected: true, leader: false }), { usable: false, follower: true });
  t.like(c.prejudge({ model: 'relay', connected: true, leader: false }), { usable: false, reason: 'a relay cannot be the leader' });
  t.like(c.prejudge({ model: 'clustered', connected: false, leader: true }), { usable: false });
  t.is(c.highestIndex, 0n);
});

// --- The member watch over fake channels ------------------------------------------------------------------

class FakeChannel implements RpcChannel {
  onNotification: ((method: string, params: Json[]) => void) | undefined;
  readonly closed: Promise<Error>;
  isClosed = false;
  lastReceived = Date.now();
  bytesReceived = 0;
  calls: string[] = [];
  private endWith!: (e: Error) => void;
  private readonly hang = new Set<(e: Error) => void>();

  constructor(readonly remote: string, private readonly answer: (method: string, params: Json[]) => Json | 'hang' | Error) {
    this.closed = new Promise((r) => { this.endWith = r; });
  }

  private nextId = 1;

  request(method: string, params: Json[]): PendingCall {
    return { id: this.nextId++, method, result: this.call(method, params), cancel: () => undefined };
  }

  private call(method: string, params: Json[]): Promise<Json> {
    this.calls.push(method);
    if (this.isClosed) return Promise.reject(new OvsdbConnectionClosedError(method, 'closed'));
    const a = this.answer(method, params);
    if (a === 'hang') return new Promise((_, reject) => this.hang.add(reject));
    if (a instanceof Error) return Promise.reject(a);
    return Promise.resolve(a);
  }

  notify(): void {}

  /** The server sends an update2 of the watch. */
  push(update: Json): void {
    this.lastReceived = Date.now();
    this.bytesReceived += 100;
    this.onNotification?.('update2', [WATCH_MONITOR_ID, update]);
  }

  close(reason: Error = new OvsdbConnectionClosedError(undefined, 'closed')): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const r of this.hang) r(reason);
    this.endWith(reason);
  }
}

const UUID = '11111111-2222-4333-8444-555555555555';
const watchReply = (leader: boolean, model = 'clustered'): Json => ({ Database: { [UUID]: { initial: { name: 'OVN_Northbound', model, connected: true, ...(leader ? { leader: true } : {}) } } } });

interface Cluster {
  watch: MemberWatch;
  opens: string[];
  channels: Map<string, FakeChannel>;
  skips: string[];
}

type MemberKind = 'refuse' | 'hang' | 'leader' | 'follower' | 'relay' | 'no-server-db' | 'elected-with-the-reply';

function cluster(members: Record<string, MemberKind>, keepWatching = true, leaderOnly = true): Cluster {
  const opens: string[] = [];
  const channels = new Map<string, FakeChannel>();
  const skips: string[] = [];
  const watch = new MemberWatch({
    remotes: Object.keys(members), database: 'OVN_Northbound', chooser: new ClusterMemberChooser(leaderOnly),
    callTimeoutMs: 60_000, probeIntervalMs: 0, keepWatching,
    onSkip: (remote, reason) => skips.push(`${remote}: ${reason}`),
    open: async (remote) => {
      opens.push(remote);
      const kind = members[remote];
      if (kind === 'refuse') throw new OvsdbConnectError(remote, 'connect ECONNREFUSED');
      const ch = new FakeChannel(remote, (method) => {
        if (method !== 'monitor_cond') return null;
        if (kind === 'hang') return 'hang';
        if (kind === 'no-server-db') return new OvsdbRpcError(method, { error: 'unknown database', details: '_Server' });
        // The member wins an election as the watch starts: its update comes in the same read as the reply.
        if (kind === 'elected-with-the-reply') queueMicrotask(() => ch.push({ Database: { [UUID]: { modify: { leader: true } } } }));
        return watchReply(kind === 'leader', kind === 'relay' ? 'relay' : 'clustered');
      });
      channels.set(remote, ch);
      return ch;
    },
  });
  return { watch, opens, channels, skips };
}

test('member watch: the leader among a refusing and a hanging member is found at once', async (t) => {
  const c = cluster({ 'tcp:dead:1': 'refuse', 'tcp:stopped:2': 'hang', 'tcp:leader:3': 'leader' });
  t.teardown(() => c.watch.close());
  const started = Date.now();
  const conn = await c.watch.find();
  t.is(conn?.remote, 'tcp:leader:3');
  t.true(Date.now() - started < 500, 'no wait on the hanging member');
  // (The refusing member may have been opened again by then on a loaded machine: its re-open delay is 50-100 ms.)
  t.deepEqual([...new Set(c.opens)].sort(), ['tcp:dead:1', 'tcp:leader:3', 'tcp:stopped:2'], 'all opened at once');
  t.is(conn!.listenerCount('update'), 0, 'handed over without the watch handler');
  t.true((conn!.channel as FakeChannel).calls.includes('monitor_cancel'), 'the watch monitor is cancelled on the chosen member');
});

test('member watch: during an election it waits for the _Server update instead of polling', async (t) => {
  const c = cluster({ 'tcp:a:1': 'follower', 'tcp:b:2': 'follower', 'tcp:old:3': 'refuse' });
  t.teardown(() => c.watch.close());
  const found = c.watch.find('tcp:old:3');
  await new Promise((r) => setTimeout(r, 300));
  t.is(c.opens.filter((r) => r === 'tcp:a:1').length, 1, 'a live follower is opened once, never polled');
  t.true(c.skips.some((s) => s === 'tcp:a:1: not the cluster leader'));
  const before = Date.now();
  c.channels.get('tcp:b:2')!.push({ Database: { [UUID]: { modify: { leader: true } } } });
  const ch = await found;
  t.is(ch?.remote, 'tcp:b:2');
  t.true(Date.now() - before < 50, 'found as soon as the update arrived');
  t.deepEqual(c.watch.watching, ['tcp:a:1'], 'the other follower stays watched');
  t.false(c.channels.get('tcp:a:1')!.isClosed);
});

test('member watch: without keepWatching the others are closed once one is chosen', async (t) => {
  const c = cluster({ 'tcp:a:1': 'follower', 'tcp:b:2': 'leader' }, false);
  t.teardown(() => c.watch.close());
  t.is((await c.watch.find())?.remote, 'tcp:b:2');
  t.deepEqual(c.watch.watching, []);
  t.true(c.channels.get('tcp:a:1')!.isClosed);
});

test('member watch: no member reachable resolves undefined (the caller backs off); a held-off member is not chosen', async (t) => {
  const c = cluster({ 'tcp:a:1': 'refuse', 'tcp:b:2': 'refuse' });
  t.teardown(() => c.watch.close());
  t.is(await c.watch.find(), undefined);
  t.true(c.skips.every((s) => /ECONNREFUSED/.test(s)));
  const d = cluster({ 'tcp:a:1': 'leader' });
  t.teardown(() => d.watch.close());
  d.watch.holdOff('tcp:a:1', 150);
  const started = Date.now();
  t.is((await d.watch.find())?.remote, 'tcp:a:1');
  t.true(Date.now() - started >= 140, 'chosen only after the hold-off');
});

test('member watch: a relay is skipped when leader-only and taken otherwise; a server without _Server is taken as it is', async (t) => {
  const c = cluster({ 'tcp:relay:1': 'relay', 'tcp:leader:2': 'leader' });
  t.teardown(() => c.watch.close());
  t.is((await c.watch.find())?.remote, 'tcp:leader:2');
  const r = cluster({ 'tcp:relay:1': 'relay' }, true, false);
  t.teardown(() => r.watch.close());
  t.is((await r.watch.find())?.remote, 'tcp:relay:1');
  const old = cluster({ 'tcp:old:1': 'no-server-db' });
  t.teardown(() => old.watch.close());
  t.is((await old.watch.find())?.remote, 'tcp:old:1');
});

test('member watch: the member that just dropped is taken only when nothing else can turn up; a watched member that dies is noticed', async (t) => {
  const c = cluster({ 'tcp:a:1': 'leader', 'tcp:b:2': 'hang' }, true, false);
  t.teardown(() => c.watch.close());
  const found = c.watch.find('tcp:a:1');
  await new Promise((r) => setTimeout(r, 50));
  c.channels.get('tcp:b:2')!.close(new OvsdbConnectionClosedError(undefined, 'inactivity probe'));
  t.is((await found)?.remote, 'tcp:a:1', 'the avoided member once the other is gone');
  t.true(c.skips.some((s) => s.startsWith('tcp:b:2: ')));
});

test('member watch: a refusing member is opened again (paced) while the others wait, and found once it is back as leader', async (t) => {
  const members: Record<string, 'refuse' | 'follower' | 'leader'> = { 'tcp:a:1': 'follower', 'tcp:b:2': 'refuse', 'tcp:c:3': 'refuse' };
  const c = cluster(members);
  t.teardown(() => c.watch.close());
  const found = c.watch.find();
  await new Promise((r) => setTimeout(r, 400));
  const attempts = c.opens.filter((r) => r === 'tcp:b:2').length;
  t.true(attempts >= 2 && attempts <= 5, `${attempts} attempts in 400 ms: retried, but paced (100 ms doubling, jittered)`);
  members['tcp:b:2'] = 'leader';
  const ch = await found;
  t.is(ch?.remote, 'tcp:b:2');
});

test('member watch: an update that arrives with the monitor reply (before the watch has its rows) is not lost', async (t) => {
  const c = cluster({ 'tcp:a:1': 'follower', 'tcp:b:2': 'elected-with-the-reply' });
  t.teardown(() => c.watch.close());
  const found = c.watch.find();
  const timeout = new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 1500));
  const ch = await Promise.race([found, timeout]);
  t.not(ch, 'stuck', 'the new leader was found');
  t.is((ch as { remote: string } | undefined)?.remote, 'tcp:b:2');
});

test('member watch: close() ends a pending find', async (t) => {
  const c = cluster({ 'tcp:a:1': 'follower' });
  const found = c.watch.find();
  await new Promise((r) => setTimeout(r, 20));
  c.watch.close();
  t.is(await found, undefined);
  t.true(c.channels.get('tcp:a:1')!.isClosed);
});
