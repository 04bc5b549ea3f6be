#!/usr/bin/python3
"""Peer for bench/pods.ts: Open vSwitch's Python IDL adding pods the way src/ovn does, one transaction each.

Each pod: the lowest free address of the node subnet (from the IDL's replica), a Logical_Switch_Port
"<namespace>_<pod>" with addresses / port_security "MAC IP" (MAC 0a:58 + IPv4 bytes), external_ids namespace/pod,
options iface-id-ver / requested-chassis, added to the node switch's ports. Prints one JSON line:
{"latencies_ms": [...], "total_ms": ...}.

usage: pods_python_idl.py REMOTE SCHEMA NODE SUBNET_CIDR COUNT NAMESPACE
"""
import ipaddress
import json
import sys
import time

import ovs.db.idl

from idl_session import wait_for


def main():
    remote, schema_path, node, cidr, count, namespace = sys.argv[1:7]
    count = int(count)
    helper = ovs.db.idl.SchemaHelper(schema_path)
    helper.register_columns("Logical_Switch", ["name", "ports"])
    helper.register_columns("Logical_Switch_Port", ["name", "addresses", "port_security", "external_ids", "options"])
    idl = ovs.db.idl.Idl(remote, helper)
    seqno = idl.change_seqno
    wait_for(idl, lambda: idl.change_seqno != seqno)

    subnet = ipaddress.ip_network(cidr)
    base = int(subnet.network_address)
    used = set()
    ls = next(r for r in idl.tables["Logical_Switch"].rows.values() if r.name == node)
    for port in ls.ports:
        for entry in port.addresses:
            for word in entry.split(" ")[1:]:
                try:
                    ip = ipaddress.ip_address(word)
                except ValueError:
                    continue
                if ip in subnet:
                    used.add(int(ip) - base)

    latencies = []
    started = time.perf_counter()
    offset = 3
    for i in range(count):
        t0 = time.perf_counter()
        while offset in used:
            offset += 1
        used.add(offset)
        ip = ipaddress.ip_address(base + offset)
        mac = "0a:58:" + ":".join("%02x" % b for b in ip.packed)
        address = "%s %s" % (mac, ip)
        name = "pod-%d" % i
        txn = ovs.db.idl.Transaction(idl)
        lsp = txn.insert(idl.tables["Logical_Switch_Port"])
        lsp.name = "%s_%s" % (namespace, name)
        lsp.addresses = [address]
        lsp.port_security = [address]
        lsp.external_ids = {"namespace": namespace, "pod": "true"}
        lsp.options = {"iface-id-ver": name, "requested-chassis": node}
        ls.addvalue("ports", lsp.uuid)
        status = txn.commit_block()
        if status != ovs.db.idl.Transaction.SUCCESS:
            raise SystemExit("transaction failed: %s %s" % (status, txn.get_error()))
        latencies.append((time.perf_counter() - t0) * 1000)
    total = (time.perf_counter() - started) * 1000
    idl.close()
    print(json.dumps({"latencies_ms": latencies, "total_ms": total}))


if __name__ == "__main__":
    main()
