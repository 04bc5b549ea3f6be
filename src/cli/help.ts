// Usage text of `ovn-overlay` and each of its commands.

export const MAIN_USAGE = `usage: ovn-overlay <command> [options]

commands:
  lab      start the embedded OVS/OVN lab and open the REPL connected to it
  repl     a REPL against any OVS/OVN databases (--db <remote>[,<remote>...])
  decode   decode Geneve/STT/VXLAN frames of a pcap file, naming OVN datapaths and ports with --sb
  encap    build Geneve/STT/VXLAN frames from the command line into a pcap file
  stats    per-pod network statistics from OVS Interface counters (text, json or CRI protobuf)
  agent    the Kubernetes agent: objects from informers, kubectl watch streams or manifests, OVN converged

'ovn-overlay <command> --help' describes a command. --debug prints stack traces of errors.
`;

export const LAB_USAGE = `usage: ovn-overlay lab [--clustered] [--hypervisors N] [--relays N | nb=N,sb=M] [--zones N] [--debug]

Starts the embedded lab (ovsdb-servers for Open_vSwitch, OVN_Northbound and OVN_Southbound with TLS, ovn-northd,
a userspace ovs-vswitchd with br-int, and simulated OVN hypervisors joined by a wire), prints its remotes, and
opens the REPL connected to it (nb, sb, ovs, lab, hv1, hv2, k8s).

  --clustered      NB and SB as 3-member RAFT clusters
  --hypervisors N  simulated hypervisors (ovsdb-server + ovs-vswitchd + ovn-controller each), configured through
                   the node API: 2 by default, 0 for none, up to 16 (more than 2 are joined through a hub)
  --relays N       ovsdb-server relays (relay:<db>:<every server>) in front of NB and SB, N each (nb=N,sb=M to
                   choose; up to 16): the hypervisors' ovn-controllers connect through the SB relays
  --zones N        N OVN interconnect availability zones (2..64: az1, az2, ...), each its own NB, SB, ovn-northd
                   and ovn-ic, with the OVN_IC_Northbound/Southbound databases; the hypervisors are spread over
                   the zones in order; nb, sb and k8s in the REPL are az1's, az2... are the zones

In the REPL, with the hypervisors:
  await k8s.addNode('hv1', '10.244.1.0/24')       a node named after a hypervisor: its switch, chassis, node IP
  await k8s.addPod('default', 'web', 'hv1')
  await k8s.bindPod('default', 'web', hv1)        its interface on hv1's br-int (node API bindPod, with pcaps)
  await k8s.waitUp('default', 'web')              until ovn-controller reports it up (through the replica)
  await k8s.send('default', 'web', 'db')          a frame from web to db; the wire capture to decode
  await k8s.apply('deploy.yaml')                  Kubernetes objects (a manifest file or text, objects) through
  await k8s.delete('pod', 'default/web')          the agent's controllers; resolves once OVN is converged

On a terminal: .exit, Ctrl-D or Ctrl-C twice stops the lab. With stdin not a terminal (a pipe, /dev/null), the
lines read are run in the REPL, and at the end of input the lab stays up until SIGINT (Ctrl-C) or SIGTERM;
.exit stops it at once.
`;

export const REPL_USAGE = `usage: ovn-overlay repl --db <remote>[,<remote>...] [--ca FILE --cert FILE --key FILE] [--debug]

Connects to every database the remotes serve (tcp:IP:PORT, ssl:IP:PORT, unix:PATH; list_dbs on each) and
opens a REPL with them as nb (OVN_Northbound), sb (OVN_Southbound) and ovs (Open_vSwitch). Each is a replica
that reconnects on its own (a one-line notice says so); the remotes of one clustered database are its members,
and only the leader is used. Reads come from the replica, writes resolve once the replica has them.

  --db      comma-separated remotes (also $OVN_OVERLAY_DB)
  --ca      CA certificate for ssl: remotes; --cert/--key the client certificate and key
  --no-check-server-name   accept a server certificate that chains to the CA but does not name the host

In the REPL (top-level await works):
  .tables  .show [nb|sb|ovs]  .dump [nb|sb|ovs] <table>  .help  .exit
  await nb.list('Logical_Switch')                      rows, printed as a table
  await nb.select('Logical_Switch_Port', { name: 'p1' })
  await nb.insert('Logical_Switch', { name: 'sw1' })
  await nb.transact(insert('Logical_Switch', { name: 'sw2' }), comment('hello'))
Tab completes tables and columns from the schema, and the methods of nb/sb/ovs.
History: $OVN_OVERLAY_HISTORY or ~/.ovn-overlay_history.
`;

export const DECODE_USAGE = `usage: ovn-overlay decode <file.pcap> [--sb <remote>] [--json] [--ca FILE --cert FILE --key FILE]

Decodes every Geneve, VXLAN and STT frame of a classic pcap file (STT segments are reassembled) and prints the
outer addresses, the VNI / OVN metadata (datapath, ingress and egress port keys) and the inner frame.

  --sb      an OVN_Southbound remote: name the logical datapath (Datapath_Binding external_ids:name) and the
            ingress/egress ports (Port_Binding logical_port, Multicast_Group name) from their tunnel keys, and
            the pods the inner frame goes between from its MACs and IPs (Port_Binding mac)
  --json    one JSON object per frame instead of text
  --ca, --cert, --key, --no-check-server-name   for an ssl: remote
Geneve frames with a critical option OVN does not know are shown and flagged (a receiver would drop them).
  --geneve-port, --vxlan-port, --stt-port   non-standard destination ports
`;

export const ENCAP_USAGE = `usage: ovn-overlay encap --type geneve|vxlan|stt --src IP --dst IP -o out.pcap [options]

Builds tunnel frames and writes them to a pcap file.

  --type        geneve (default), vxlan or stt
  --src, --dst  outer IPv4 or IPv6 addresses (default 192.168.0.1 -> 192.168.0.2)
  --src-mac, --dst-mac   outer MACs (default 02:00:00:00:00:01 -> 02:00:00:00:00:02)
  --vni N       the VNI (Geneve, VXLAN); STT: --context N (64-bit)
  --datapath D --ingress I --egress E
                OVN metadata: Geneve VNI = D and OVN option (ingress, egress); VXLAN VNI = E << 12 | D;
                STT context. Numbers, or names resolved with --sb: the datapath's name and logical_port names
  --sb REMOTE   OVN_Southbound remote for names (with --ca/--cert/--key for ssl:)
  --inner HEX   the inner Ethernet frame; default a generated UDP/IPv4 frame:
  --inner-src-mac, --inner-dst-mac, --inner-src-ip, --inner-dst-ip, --payload TEXT
  --udp-checksum   compute the outer UDP checksum (default: off for IPv4, on for IPv6)
  --count N     frames to write (default 1)
  -o FILE       the pcap to write (required)

Reading the file back with tshark or Wireshark: Geneve (UDP 6081) and VXLAN (UDP 4789) are found by port.
STT looks like TCP to port 7471 without a connection, and tshark sees it only when its heuristic dissectors
run first:
  tshark -r out.pcap -o ip.try_heuristic_first:TRUE      (and -o ipv6.try_heuristic_first:TRUE over IPv6)
\`ovn-overlay decode out.pcap\` reads all three.
`;

export const STATS_USAGE = `usage: ovn-overlay stats --db <remote> [--format text|json|cri] [-o FILE] [--platform linux|windows]

Per-pod network statistics from the OVS Interface rows whose external_ids carry iface-id=<namespace>_<pod>
(the statistics column ovs-vswitchd refreshes every 5 s).

  --format text   a table (default); json: one object per pod with counters as strings (64-bit exact);
           cri    CRI runtime.v1 ListPodSandboxStatsResponse (repeated PodSandboxStats = 1) protobuf bytes:
                  written to -o FILE, or as base64 on one line to stdout
  --platform      linux (default) or windows: which CRI network usage message to fill
  --perspective   pod (default: rx is what the pod received) or switch (counters as OVS reports them)
`;

export const AGENT_USAGE = `usage: ovn-overlay agent --nb <remote>[,<remote>...] (--kubeconfig FILE | --watch FILE|- ...) [options]

Runs the agent of ovn-overlay/k8s: Kubernetes Nodes, Namespaces, Pods (and the other kinds as their controllers
land) in, the OVN Northbound converged out, level-driven: a restart with nothing changed writes nothing, and the
rows of this controller whose objects are gone are deleted (never rows of other controllers or of ovn-nbctl).

Where the objects come from (one of --kubeconfig and --watch; --manifests alone or before either):
  --kubeconfig FILE    informers of @kubernetes/client-node (list + watch); pods get their
                       k8s.ovn.org/pod-networks annotation PATCHed (--no-annotations: only logged)
  --watch FILE|-       what 'kubectl get <kind> -A --watch --output-watch-events -o json' prints, from a file, a
                       FIFO or standard input; once per input (one per kind, or kubectl outputs merged by line)
  --manifests PATH     JSON/YAML files or directories (kind: List too): a starting state, read first

Where OVN is:
  --nb REMOTES         OVN_Northbound (tcp:IP:PORT, ssl:IP:PORT, unix:PATH; a cluster's members comma-separated)
  --sb REMOTES         OVN_Southbound (optional): warns about nodes whose node-chassis-id names no Chassis
  --ca, --cert, --key, --no-check-server-name   for ssl: remotes

Options:
  --controller NAME    the k8s.ovn.org/owner-controller of the rows it writes, and the only rows it changes
                       (default ovn-overlay)
  --cluster-subnet CIDR  the cluster's pod network(s), routed by each gateway router (repeat or comma-separate)
  --join-subnet CIDR   the join switch's subnet (default 100.64.0.0/16)
  --join-subnet-v6 CIDR  its IPv6 subnet, used once a node or the cluster has IPv6 (default fd98::/64)
  --resync-interval S  seconds between full resyncs with garbage collection (default 600; 0: only at start)
  --log-level L        silent, error, warn, info (default) or debug; one line per record on stderr
  --metrics-address HOST:PORT   Prometheus text at http://HOST:PORT/metrics (port 0: any free port, logged)
  --once               exit once every input has ended and OVN is converged (files, scripts)

SIGTERM or SIGINT stops it gracefully: the reconciles in flight finish (a transaction sent is answered), then it
exits 0; a second signal ends it at once (exit 1).

  mkfifo /tmp/pods; kubectl get pods -A --watch --output-watch-events -o json > /tmp/pods &
  ovn-overlay agent --nb unix:/run/ovn/ovnnb_db.sock --manifests nodes.yaml --watch /tmp/pods \\
      --metrics-address 127.0.0.1:9476
`;
