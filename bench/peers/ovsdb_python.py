#!/usr/bin/python3
# Peer for bench/ovsdb.ts: the same work done by Open vSwitch's Python IDL (python3-openvswitch, /usr/bin/python3).
#   ovsdb_python.py <unix-remote> <nb-schema-path> <echo-count> <transact-count> <bulk-rows> <bulk-runs>
# Prints one JSON object: echo round trips (us, via ovs.jsonrpc), one-row transact latency (ms, IDL commit_block)
# and the wall time of one transaction inserting <bulk-rows> Logical_Switch rows (ms, IDL), one per run.
import json
import sys
import time

import ovs.db.idl
import ovs.jsonrpc
import ovs.poller
import ovs.stream

remote, schema_path = sys.argv[1], sys.argv[2]
echo_n, txn_n, bulk_rows, bulk_runs = (int(x) for x in sys.argv[3:7])


def echo_round_trips():
    err, stream = ovs.stream.Stream.open_block(ovs.stream.Stream.open(remote))
    if err:
        raise SystemExit('cannot connect: %s' % err)
    rpc = ovs.jsonrpc.Connection(stream)
    times = []
    for i in range(echo_n):
        t0 = time.perf_counter()
        err, reply = rpc.transact_block(ovs.jsonrpc.Message.create_request('echo', ['x']))
        times.append((time.perf_counter() - t0) * 1e6)
        if err or reply.result != ['x']:
            raise SystemExit('echo failed')
    rpc.close()
    return times


helper = ovs.db.idl.SchemaHelper(location=schema_path)
helper.register_columns('Logical_Switch', ['name', 'external_ids'])
idl = ovs.db.idl.Idl(remote, helper)


def run_until(cond):
    while not cond():
        idl.run()
        if cond():
            break
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.block()


seqno = idl.change_seqno
run_until(lambda: idl.change_seqno != seqno)


def commit(fill):
    txn = ovs.db.idl.Transaction(idl)
    fill(txn)
    status = txn.commit_block()
    if status not in (ovs.db.idl.Transaction.SUCCESS, ovs.db.idl.Transaction.UNCHANGED):
        raise SystemExit('commit failed: %s %s' % (status, txn.get_error()))


def clear(txn):
    for row in list(idl.tables['Logical_Switch'].rows.values()):
        row.delete()


def insert_rows(prefix, n):
    def fill(txn):
        for i in range(n):
            row = txn.insert(idl.tables['Logical_Switch'])
            row.name = '%s-%d' % (prefix, i)
            row.external_ids = {'owner': 'bench', 'index': str(i)}
    return fill


commit(clear)
txn_times = []
for i in range(txn_n):
    t0 = time.perf_counter()
    commit(insert_rows('py-one-%d' % i, 1))
    txn_times.append((time.perf_counter() - t0) * 1e3)
commit(clear)

bulk_times = []
for r in range(bulk_runs):
    t0 = time.perf_counter()
    commit(insert_rows('py-bulk-%d' % r, bulk_rows))
    bulk_times.append((time.perf_counter() - t0) * 1e3)
    commit(clear)

idl.close()
print(json.dumps({'echo_us': echo_round_trips(), 'transact_ms': txn_times, 'bulk_ms': bulk_times}))
