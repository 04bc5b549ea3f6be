#!/usr/bin/python3
"""Peer for bench/agent.ts: Open vSwitch's Python IDL writing the Northbound rows our agent converged to, one
transaction per Kubernetes object, as an agent built on the Python IDL would (ovn-kubernetes writes one object's
rows per transaction too).

ROWS is a JSON file written by bench/agent.ts from the agent's converged Northbound:
  {"groups": [{"owner": "Node node-0", "rows": [{"table": T, "uuid": U, "row": {column: OVSDB JSON value}}]}]}
Groups are committed in order. A reference to a row of the same group is that new row; to a row of an earlier
group, the row the IDL holds; to a row of a later group, it is added to the referring row's set column in that
later group's transaction (a pod's port joins its node's switch when the pod's transaction inserts it).

Prints one JSON line: {"total_ms": ..., "transactions": N, "rows": N}; the time starts once the IDL has synced.

usage: agent_python_idl.py REMOTE SCHEMA ROWS
"""
import json
import sys
import time

import ovs.db.idl

from idl_session import wait_for, commit


def is_ref(atom):
    return isinstance(atom, list) and len(atom) == 2 and atom[0] == "uuid"


def main():
    remote, schema_path, rows_path = sys.argv[1:4]
    with open(rows_path) as f:
        groups = json.load(f)["groups"]
    helper = ovs.db.idl.SchemaHelper(schema_path)
    helper.register_all()
    idl = ovs.db.idl.Idl(remote, helper)
    seqno = idl.change_seqno
    wait_for(idl, lambda: idl.change_seqno != seqno)

    table_of = {}     # dumped uuid -> table
    real = {}         # dumped uuid -> the uuid the server gave the row
    waiting = {}      # dumped uuid of a row not written yet -> [(table, dumped uuid of the referrer, column)]
    for group in groups:
        for r in group["rows"]:
            table_of[r["uuid"]] = r["table"]

    started = time.perf_counter()
    transactions = 0
    written = 0
    for group in groups:
        txn = ovs.db.idl.Transaction(idl)
        new = {}
        for r in group["rows"]:
            new[r["uuid"]] = txn.insert(idl.tables[r["table"]])

        def row_of(dumped):
            if dumped in new:
                return new[dumped]
            return idl.tables[table_of[dumped]].rows[real[dumped]]

        def resolve(atom, referrer, column, in_set):
            if not is_ref(atom):
                return atom
            target = atom[1]
            if target in new or target in real:
                return row_of(target).uuid
            if not in_set:
                raise SystemExit("%s.%s refers to a later row outside a set" % (referrer["table"], column))
            waiting.setdefault(target, []).append((referrer["uuid"], column))
            return None

        for r in group["rows"]:
            row = new[r["uuid"]]
            for column, value in r["row"].items():
                if column.startswith("_"):
                    continue
                if isinstance(value, list) and value[0] == "set":
                    items = [resolve(a, r, column, True) for a in value[1]]
                    items = [a for a in items if a is not None]
                    if items:
                        setattr(row, column, items)
                elif isinstance(value, list) and value[0] == "map":
                    if value[1]:
                        setattr(row, column, {resolve(k, r, column, False): resolve(v, r, column, False) for k, v in value[1]})
                else:
                    item = resolve(value, r, column, True)
                    if item is not None:
                        setattr(row, column, item)
        # Rows written earlier that refer to the rows of this group.
        for dumped in new:
            for referrer, column in waiting.pop(dumped, []):
                row_of(referrer).addvalue(column, new[dumped].uuid)
        commit(txn)
        transactions += 1
        for dumped, row in new.items():
            real[dumped] = txn.get_insert_uuid(row.uuid)
            written += 1
    total_ms = (time.perf_counter() - started) * 1000
    if waiting:
        raise SystemExit("rows referred to but never written: %s" % ", ".join(sorted(waiting)[:5]))
    idl.close()
    print(json.dumps({"total_ms": total_ms, "transactions": transactions, "rows": written}))


main()
