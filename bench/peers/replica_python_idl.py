#!/usr/bin/python3
"""Peer for bench/replica.ts: Open vSwitch's Python IDL doing what the replica bench measures.

  sync REMOTE                 replicate Logical_Switch_Port; print {"sync_ms", "rss_kib", "rows"}
  updates REMOTE N            replicate, print "ready", then wait until N rows have external_ids:bench=v2;
                              print {"done_at_ms": wall clock ms}
  failover REMOTES SECONDS    leader_only=True; insert a Logical_Switch every ~10 ms for SECONDS;
                              print one line per commit: {"commit_at_ms": wall clock ms}
"""
import json
import resource
import sys
import time

import ovs.db.idl
import ovs.poller

SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema'


def rss_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def make_idl(remote, tables, leader_only=True):
    helper = ovs.db.idl.SchemaHelper(SCHEMA)
    for t in tables:
        helper.register_table(t)
    return ovs.db.idl.Idl(remote, helper, leader_only=leader_only)


def run_until(idl, predicate):
    while True:
        idl.run()
        if predicate():
            return
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.block()


def main():
    mode = sys.argv[1]
    if mode == 'sync':
        base = rss_kib()
        t0 = time.perf_counter()
        idl = make_idl(sys.argv[2], ['Logical_Switch_Port'])
        seq = idl.change_seqno
        run_until(idl, lambda: idl.has_ever_connected() and idl.change_seqno != seq and idl.state == idl.IDL_S_MONITORING)
        ms = (time.perf_counter() - t0) * 1000
        rows = len(idl.tables['Logical_Switch_Port'].rows)
        print(json.dumps({'sync_ms': ms, 'rss_kib': rss_kib() - base, 'rows': rows}), flush=True)
    elif mode == 'updates':
        n = int(sys.argv[3])
        idl = make_idl(sys.argv[2], ['Logical_Switch_Port'])
        seq = idl.change_seqno
        run_until(idl, lambda: idl.has_ever_connected() and idl.change_seqno != seq and idl.state == idl.IDL_S_MONITORING)
        print('ready', flush=True)
        rows = idl.tables['Logical_Switch_Port'].rows

        def done():
            c = 0
            for r in rows.values():
                if r.external_ids.get('bench') == 'v2':
                    c += 1
            return c >= n
        seq2 = [idl.change_seqno]

        def changed_and_done():
            if idl.change_seqno == seq2[0]:
                return False
            seq2[0] = idl.change_seqno
            return done()
        run_until(idl, changed_and_done)
        print(json.dumps({'done_at_ms': time.time() * 1000}), flush=True)
    elif mode == 'failover':
        idl = make_idl(sys.argv[2], ['Logical_Switch'], leader_only=True)
        seconds = float(sys.argv[3])
        run_until(idl, lambda: idl.has_ever_connected())
        end = time.time() + seconds
        i = 0
        while time.time() < end:
            txn = ovs.db.idl.Transaction(idl)
            row = txn.insert(idl.tables['Logical_Switch'])
            row.name = 'py%d' % i
            i += 1
            status = txn.commit_block()
            if status == ovs.db.idl.Transaction.SUCCESS:
                print(json.dumps({'commit_at_ms': time.time() * 1000}), flush=True)
            else:
                idl.run()
            time.sleep(0.01)
    else:
        raise SystemExit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
