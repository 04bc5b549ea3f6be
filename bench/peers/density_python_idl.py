#!/usr/bin/python3
"""Peer for bench/scale.ts (density-heavy): Open vSwitch's Python IDL writing the rows the pod API writes for
NODES node topologies, PODS pods and VIPS Service VIPs, one transaction per object as an agent does:

  cluster   ovn_cluster_router, the join switch, the cluster load balancer group
  node      switch <node> (other_config subnet, exclude_ips), rtos-/stor- to the cluster router, management
            port k8s-<node>, GR_<node> (options chassis) with rtoj-/jtor- on the join switch (join address
            from the node id, as ovn-kubernetes derives it), its route to the cluster subnet via the cluster
            router, its SNAT of the node subnet, and the cluster router's src-ip route to it
  pod       Logical_Switch_Port "<ns>_<pod>" with "MAC IP" addresses and port security (lowest free address
            of the node subnet, from the IDL's replica), external_ids, options iface-id-ver/requested-chassis
  service   Load_Balancer with one "VIP:80" -> "<pod ip>:8080" and the load balancer group referring to it

Every row carries the ownership keys the pod API writes (owner controller, owner type, owner name), so both
sides write the same rows, column for column; bench/scale.ts compares the two databases after the runs.

Prints one JSON line: {"total_ms": ..., "nodes_ms": ..., "pods_ms": ..., "vips_ms": ..., "cpu_ms": ...} (cpu_ms: this
process's CPU time over the same span).

usage: density_python_idl.py REMOTE SCHEMA NODES PODS VIPS
"""
import json
import sys
import time

import ovs.db.idl

from idl_session import wait_for, commit


def mac_of(ip):
    return "0a:58:" + ":".join("%02x" % int(b) for b in ip.split("."))


def node_subnet(i):
    # The same layout as bench/scale.ts: 10.128.0.0/9 cut into /24s.
    return "10.%d.%d" % (128 + (i >> 8), i & 255)


def main():
    remote, schema_path, nodes, pods, vips = sys.argv[1:6]
    nodes, pods, vips = int(nodes), int(pods), int(vips)
    helper = ovs.db.idl.SchemaHelper(schema_path)
    for table in ["Logical_Switch", "Logical_Switch_Port", "Logical_Router", "Logical_Router_Port",
                  "Load_Balancer", "Load_Balancer_Group", "Logical_Router_Static_Route", "NAT"]:
        helper.register_table(table)
    idl = ovs.db.idl.Idl(remote, helper)
    seqno = idl.change_seqno
    wait_for(idl, lambda: idl.change_seqno != seqno)
    def owner(kind, name, **extra):
        ids = {"k8s.ovn.org/owner-controller": "ovn-overlay", "k8s.ovn.org/owner-type": kind, "k8s.ovn.org/name": name}
        ids.update(extra)
        return ids

    started = time.perf_counter()
    cpu_started = time.process_time()
    txn = ovs.db.idl.Transaction(idl)
    router = txn.insert(idl.tables["Logical_Router"])
    router.name = "ovn_cluster_router"
    router.external_ids = owner("Cluster", "ovn_cluster_router", **{"k8s-cluster-router": "yes"})
    join = txn.insert(idl.tables["Logical_Switch"])
    join.name = "join"
    join.external_ids = owner("Cluster", "join")
    group = txn.insert(idl.tables["Load_Balancer_Group"])
    group.name = "clusterLBGroup"
    lrp = txn.insert(idl.tables["Logical_Router_Port"])
    lrp.name = "rtoj-ovn_cluster_router"
    lrp.mac = mac_of("100.64.0.1")
    lrp.networks = ["100.64.0.1/16"]
    lrp.external_ids = owner("Cluster", "ovn_cluster_router")
    router.addvalue("ports", lrp.uuid)
    lsp = txn.insert(idl.tables["Logical_Switch_Port"])
    lsp.name = "jtor-ovn_cluster_router"
    lsp.type = "router"
    lsp.addresses = ["router"]
    lsp.options = {"router-port": "rtoj-ovn_cluster_router"}
    lsp.external_ids = owner("Cluster", "ovn_cluster_router")
    join.addvalue("ports", lsp.uuid)
    commit(txn)
    router = next(r for r in idl.tables["Logical_Router"].rows.values() if r.name == "ovn_cluster_router")
    join = next(r for r in idl.tables["Logical_Switch"].rows.values() if r.name == "join")
    group = next(r for r in idl.tables["Load_Balancer_Group"].rows.values() if r.name == "clusterLBGroup")

    switches = []
    for i in range(nodes):
        node = "node-%d" % i
        prefix = node_subnet(i)
        txn = ovs.db.idl.Transaction(idl)
        ls = txn.insert(idl.tables["Logical_Switch"])
        ls.name = node
        ls.other_config = {"subnet": prefix + ".0/24", "exclude_ips": prefix + ".2"}
        ids = owner("Node", node)
        ls.external_ids = ids
        ls.load_balancer_group = [group.uuid]
        rtos = txn.insert(idl.tables["Logical_Router_Port"])
        rtos.name = "rtos-" + node
        rtos.mac = mac_of(prefix + ".1")
        rtos.networks = [prefix + ".1/24"]
        rtos.external_ids = ids
        router.addvalue("ports", rtos.uuid)
        stor = txn.insert(idl.tables["Logical_Switch_Port"])
        stor.name = "stor-" + node
        stor.type = "router"
        stor.addresses = ["router"]
        stor.options = {"router-port": rtos.name}
        stor.external_ids = ids
        mgmt = txn.insert(idl.tables["Logical_Switch_Port"])
        mgmt.name = "k8s-" + node
        mgmt.addresses = ["%s %s.2" % (mac_of(prefix + ".2"), prefix)]
        mgmt.external_ids = ids
        ls.ports = [stor.uuid, mgmt.uuid]
        gr = txn.insert(idl.tables["Logical_Router"])
        gr.name = "GR_" + node
        gr.options = {"chassis": "chassis-%d" % i}
        gr.load_balancer_group = [group.uuid]
        gr.external_ids = ids
        # The node id is i + 2 (1 is the cluster router's join address), as bench/scale.ts gives it.
        join_ip = "100.64.%d.%d" % ((i + 2) >> 8, (i + 2) & 255)
        rtoj = txn.insert(idl.tables["Logical_Router_Port"])
        rtoj.name = "rtoj-GR_" + node
        rtoj.mac = mac_of(join_ip)
        rtoj.networks = [join_ip + "/16"]
        rtoj.external_ids = ids
        gr.ports = [rtoj.uuid]
        to_cluster = txn.insert(idl.tables["Logical_Router_Static_Route"])
        to_cluster.ip_prefix = "10.128.0.0/9"
        to_cluster.nexthop = "100.64.0.1"
        to_cluster.external_ids = ids
        gr.static_routes = [to_cluster.uuid]
        snat = txn.insert(idl.tables["NAT"])
        snat.type = "snat"
        snat.logical_ip = prefix + ".0/24"
        snat.external_ip = "172.16.%d.%d" % (i >> 8, i & 255)
        snat.external_ids = ids
        gr.nat = [snat.uuid]
        from_node = txn.insert(idl.tables["Logical_Router_Static_Route"])
        from_node.ip_prefix = prefix + ".0/24"
        from_node.nexthop = join_ip
        from_node.policy = "src-ip"
        from_node.external_ids = ids
        router.addvalue("static_routes", from_node.uuid)
        jtor = txn.insert(idl.tables["Logical_Switch_Port"])
        jtor.name = "jtor-GR_" + node
        jtor.type = "router"
        jtor.addresses = ["router"]
        jtor.options = {"router-port": rtoj.name}
        jtor.external_ids = ids
        join.addvalue("ports", jtor.uuid)
        commit(txn)
        switches.append((node, prefix))
    nodes_done = time.perf_counter()

    by_name = {r.name: r for r in idl.tables["Logical_Switch"].rows.values()}
    next_offset = {}
    pod_ips = []
    for i in range(pods):
        node, prefix = switches[i % nodes]
        offset = next_offset.get(node, 3)
        next_offset[node] = offset + 1
        ip = "%s.%d" % (prefix, offset)
        address = "%s %s" % (mac_of(ip), ip)
        name = "pod-%d" % i
        txn = ovs.db.idl.Transaction(idl)
        lsp = txn.insert(idl.tables["Logical_Switch_Port"])
        lsp.name = "bench_" + name
        lsp.addresses = [address]
        lsp.port_security = [address]
        lsp.external_ids = owner("Pod", "bench:" + name, namespace="bench", pod="true")
        lsp.options = {"iface-id-ver": name, "requested-chassis": node}
        by_name[node].addvalue("ports", lsp.uuid)
        commit(txn)
        pod_ips.append(ip)
    pods_done = time.perf_counter()

    for i in range(vips):
        txn = ovs.db.idl.Transaction(idl)
        lb = txn.insert(idl.tables["Load_Balancer"])
        lb.name = "Service_bench/svc-%d_TCP_cluster" % i
        lb.protocol = "tcp"
        lb.vips = {"172.30.%d.%d:80" % (i >> 8, i & 255): "%s:8080" % pod_ips[(2 * i) % len(pod_ips)]}
        lb.options = {"event": "false", "hairpin_snat_ip": "169.254.169.5 fd69::5", "neighbor_responder": "none",
                      "reject": "true", "skip_snat": "false"}
        lb.external_ids = owner("Service", "bench:svc-%d" % i, **{"k8s.ovn.org/kind": "Service", "k8s.ovn.org/owner": "bench/svc-%d" % i})
        group.addvalue("load_balancer", lb.uuid)
        commit(txn)
    vips_done = time.perf_counter()
    cpu_ms = (time.process_time() - cpu_started) * 1000
    idl.close()
    print(json.dumps({
        "total_ms": (vips_done - started) * 1000, "nodes_ms": (nodes_done - started) * 1000,
        "pods_ms": (pods_done - nodes_done) * 1000, "vips_ms": (vips_done - pods_done) * 1000, "cpu_ms": cpu_ms,
    }))


main()
