// The public shape of a running lab: what a test or a user gets back from startLab().

export interface LabTlsOptions {
  /** subjectAltName entries of the servers' certificate (default `IP:127.0.0.1`, `DNS:localhost`); a test can
   * leave out the address it connects to, to exercise the client's server name check. */
  serverAltNames?: readonly string[];
}

export interface LabOptions {
  /** NB and SB as 3-member RAFT clusters on 127.0.0.1 instead of standalone servers. */
  clustered?: boolean;
  /** Also serve every database on pssl: with certificates made for this lab (client certificates required). */
  tls?: boolean | LabTlsOptions;
  /** A userspace ovs-vswitchd (dummy datapath) on the Open_vSwitch database, in a network namespace of its own. */
  vswitchd?: boolean;
  /** ovn-northd between NB and SB (default true). */
  northd?: boolean;
  /** RAFT election timer in ms for clustered labs (default 1000 = ovsdb-server's default). */
  electionTimerMs?: number;
  /** Keep the directory after stop() (for debugging). */
  keepDir?: boolean;
  /** Where the lab's directory is made (and orphaned labs are swept); default the system temp dir, or /tmp when
   * that path is too long for unix sockets. At most 50 characters. */
  baseDir?: string;
  /**
   * Simulated OVN hypervisors (at least 2), the way OVN's testsuite runs them: each its own ovsdb-server,
   * userspace ovs-vswitchd and ovn-controller in a network namespace of its own, bound to this lab's SB,
   * their br-phys bridges joined by a unix-socket wire. A number is `{ count }`.
   */
  hypervisors?: number | LabHypervisorOptions;
  /**
   * ovsdb-server relays (`relay:<db>:<remotes>`, OVS >= 2.16) in front of NB and/or SB (of every zone). The
   * simulated hypervisors' ovn-controllers connect through the SB relays; ovn-northd and ovn-ic stay on the
   * databases themselves. A number is `{ count }`.
   */
  relays?: LabRelayOptions;
  /**
   * OVN interconnect: N availability zones (`az1`, `az2`, ...), each with its own NB, SB and ovn-northd, the
   * global OVN_IC_Northbound / OVN_IC_Southbound databases, and one ovn-ic per zone. Hypervisors are given to
   * the zones in order, as evenly as possible (2 zones, 4 hypervisors: hv1 hv2 in az1, hv3 hv4 in az2) and are
   * interconnect gateways (`ovn-is-interconn=true`). `lab.nb`, `lab.sb` and their ctl helpers are az1's.
   * A number is `{ count }`.
   */
  zones?: number | LabZoneOptions;
  /**
   * A host outside the cluster on the hypervisors' underlay (outside.ts): its own sandbox on the hub with a real
   * Linux stack behind it and a capture of its wire, for north-south traffic. Needs `hypervisors`, which are then
   * joined through the hub (a direct wire is refused). `true` takes the defaults.
   */
  outside?: boolean | LabOutsideOptions;
}

export interface LabOutsideOptions {
  /** The host's IPv4 address with its network's prefix length (default `172.18.0.1/16`, kind's docker network). */
  ipv4?: string;
  /** The host's IPv6 address with its network's prefix length (default `fc00:f853:ccd:e793::1/64`). */
  ipv6?: string;
  /** Addresses beyond the gateway, held on the host's loopback (default `198.51.100.1`, `2001:db8:100::1`). */
  remote?: string[];
}

/** A node's uplink to the outside network: the dummy port to put in its external bridge (br-ex) and its addresses. */
export interface LabUplink {
  /** Port (and Interface) name, default `eth1`. */
  readonly name: string;
  readonly type: 'dummy';
  /** Interface options: the stream to the hub, and tx/rx captures in the hypervisor's directory. */
  readonly options: Readonly<Record<string, string>>;
  /** A fixed MAC for the node on that network (02:00 + its IPv4 address), for br-ex and the gateway router port. */
  readonly mac: string;
  /** The node's addresses on the outside network, IPv4 then IPv6, with prefix length (hv1: 172.18.0.11/16). */
  readonly addresses: readonly string[];
  /** The next hops of its default routes (the outside host), IPv4 then IPv6. */
  readonly gateways: readonly string[];
}

/** The outside host (`startLab({ outside: true })`). */
export interface LabOutsideHost {
  readonly name: 'outside';
  readonly dir: string;
  readonly netns: string;
  readonly env: NodeJS.ProcessEnv;
  /** `unix:` remote of its Open_vSwitch database. */
  readonly ovsdb: string;
  readonly pids: readonly number[];
  /** eth0's MAC (02:00 + its IPv4 address). */
  readonly mac: string;
  /** eth0's addresses without and with prefix length. */
  readonly ipv4: string;
  readonly ipv6: string;
  readonly addresses: readonly string[];
  /** Addresses on its loopback, reached through it as the gateway. */
  readonly remote: readonly string[];
  /** The kernel interface holding the addresses (`eth0`). */
  readonly interfaceName: string;
  /** The port whose captures are the host's: `tx` what it sent, `rx` what reached it. */
  readonly wirePort: string;
  /** Node `index`'s address on the outside network (network + 10 + index), with prefix length. */
  nodeAddress(index: number, family?: 4 | 6): string;
  /** A hub port for `hv`'s uplink, and the interface that connects to it (for the node's br-ex). */
  uplink(hv: LabHypervisor, port?: string): Promise<LabUplink>;
  /** Runs a program in the host's network namespace (`ip neigh`, a UDP client...); resolves with its stdout. */
  exec(program: string, args?: readonly string[], options?: { input?: string }): Promise<string>;
  /** A kernel route on the host (`ip route replace prefix via via`), e.g. to pod subnets through a node. */
  addRoute(prefix: string, via: string): Promise<void>;
  /** Sends a raw frame out of the host's wire, as if the host had sent it. */
  inject(frame: string | Uint8Array): Promise<void>;
  /** Frames that reached the host so far (its wire's rx capture), broadcasts and floods included. */
  received(): Promise<Uint8Array[]>;
  /** Frames the host sent so far (its kernel's replies and injected frames). */
  sent(): Promise<Uint8Array[]>;
  pcapPath(direction: 'tx' | 'rx'): string;
  waitReceived(match: (frame: Uint8Array) => boolean, timeoutMs?: number): Promise<Uint8Array>;
  waitSent(match: (frame: Uint8Array) => boolean, timeoutMs?: number): Promise<Uint8Array>;
}

export interface LabRelayOptions {
  nb?: number | LabRelayGroupOptions;
  sb?: number | LabRelayGroupOptions;
}

export interface LabRelayGroupOptions {
  count: number;
  /**
   * What the relays replicate from: default every server of the database (all members when clustered). Another
   * remote (another lab's database, a relay to chain) can be given; one the relays cannot use makes startLab
   * fail with a LabRelayError.
   */
  source?: string;
}

export interface LabZoneOptions {
  count: number;
  /**
   * Run OVN's ovn-ic in every zone (default true). Leave it out when something else builds the interconnect
   * the way ovn-kubernetes does (transit switch, remote ports and remote chassis written into each zone
   * directly): ovn-ic deletes transit switches and remote chassis it does not know from the IC databases.
   */
  ovnIc?: boolean;
}

/** Tunnel encapsulations the userspace (dummy) datapath can push and pop; STT exists only in the kernel module. */
export type LabEncapType = 'geneve' | 'vxlan';

export interface LabHypervisorOptions {
  count: number;
  /** ovn-encap-type of every hypervisor (default geneve). */
  encapType?: LabEncapType;
  /**
   * How the br-phys bridges are joined: `direct` (two hypervisors only: one end listens, the other connects)
   * or `hub` (a bridge in a separate "net" vswitchd with one listening port per hypervisor, like the
   * testsuite's net_add/net_attach). Default: direct for 2, hub for more.
   */
  wire?: 'direct' | 'hub';
  /**
   * Writes the OVN settings into a hypervisor's Open_vSwitch database (`external_ids` of its one
   * Open_vSwitch row). Default: ovs-vsctl. The library's node API replaces it once it exists.
   */
  configureNode?: ConfigureNode;
}

/** What a hypervisor's Open_vSwitch row must say for ovn-controller to join the lab. */
export interface NodeSettings {
  /** external_ids:system-id, also the Chassis name in SB ("hv1"). */
  readonly systemId: string;
  readonly hostname: string;
  /** external_ids:ovn-remote: the SB unix remote(s); the hypervisor's netns has no usable loopback. */
  readonly ovnRemote: string;
  readonly encapType: LabEncapType;
  readonly encapIp: string;
  /** external_ids:ovn-bridge-datapath-type, so bridges ovn-controller creates are userspace too. */
  readonly bridgeDatapathType: 'dummy';
}

/** The node being configured: its database remote and a ready ovs-vsctl, whichever the hook prefers. */
export interface NodeHandle {
  readonly name: string;
  /** `unix:/abs/path/db.sock` of this hypervisor's Open_vSwitch database. */
  readonly ovsdb: string;
  vsctl(...args: string[]): Promise<string>;
}

export type ConfigureNode = (node: NodeHandle, settings: NodeSettings) => Promise<void>;

export type LabDaemonName = 'ovsdb-server' | 'ovs-vswitchd' | 'ovn-controller';

/** A port on br-int standing for a pod's (or VM's) interface. */
export interface LabVif {
  readonly name: string;
  readonly ifaceId: string;
  readonly mac: string;
}

export interface LabHypervisor {
  /** "hv1", "hv2", ... (also the system-id and Chassis name). */
  readonly name: string;
  readonly index: number;
  /** The availability zone ("az1") whose SB this hypervisor's ovn-controller joins, in a lab with zones. */
  readonly zone?: string;
  readonly dir: string;
  readonly netns: string;
  /** OVS_RUNDIR, OVN_RUNDIR etc. pointing at this hypervisor's directory, for running OVS tools by hand. */
  readonly env: NodeJS.ProcessEnv;
  /** `unix:` remote of this hypervisor's Open_vSwitch database. */
  readonly ovsdb: string;
  readonly encapType: LabEncapType;
  /** Underlay address of br-phys (ovn-encap-ip), 192.168.0.<index>. */
  readonly encapIp: string;
  /** MAC of br-phys (fixed, so static neighbours survive restarts). */
  readonly underlayMac: string;
  /** The br-phys port that leads to the wire: its tx pcap is what this hypervisor put on the wire. */
  readonly wirePort: string;
  readonly pids: Readonly<Record<LabDaemonName, number>>;
  /** Absolute unixctl socket paths (ovs-appctl -t needs absolute paths). */
  readonly vswitchdSocket: string;
  /** ovn-controller 23.03 has no --unixctl: this is `ovn-controller.<pid>.ctl` in its rundir. */
  readonly controllerSocket: string;
  readonly running: boolean;
  vsctl(...args: string[]): Promise<string>;
  /** ovs-appctl to this hypervisor's ovs-vswitchd. */
  appctl(...args: string[]): Promise<string>;
  /** ovn-appctl to this hypervisor's ovn-controller. */
  controllerAppctl(...args: string[]): Promise<string>;
  ofctl(...args: string[]): Promise<string>;
  /** Adds a dummy port on br-int with external_ids:iface-id (OVN binds it) and tx/rxq pcaps. */
  addVif(name: string, options: { ifaceId: string; mac: string }): Promise<LabVif>;
  /** The frame arrives as if the VIF (or any dummy port) had sent it: `netdev-dummy/receive`. */
  inject(port: string | LabVif, frame: string | Uint8Array): Promise<void>;
  /** Frames OVS sent out of the port so far (its tx pcap), e.g. what a VIF received or what went on the wire. */
  transmitted(port: string | LabVif): Promise<Uint8Array[]>;
  /** Frames OVS took in from the port so far (its rxq pcap). */
  received(port: string | LabVif): Promise<Uint8Array[]>;
  /** The capture file of a port: `tx` is what OVS sent out of it, `rx` what it took in. */
  pcapPath(port: string | LabVif, direction: 'tx' | 'rx'): string;
  /** Waits until the port has transmitted a frame that matches, and returns it. */
  waitTransmitted(port: string | LabVif, match: (frame: Uint8Array) => boolean, timeoutMs?: number): Promise<Uint8Array>;
  /** SIGKILL one daemon, or all of this hypervisor's. */
  kill(daemon?: LabDaemonName): Promise<void>;
  /** Starts one daemon (or every stopped one) again on the same database and configuration. */
  restart(daemon?: LabDaemonName): Promise<void>;
}

/** The hub the hypervisors' br-phys bridges plug into (`wire: 'hub'`): a bridge in a vswitchd of its own. */
export interface LabHub {
  readonly dir: string;
  readonly netns: string;
  readonly bridge: string;
  readonly pids: readonly number[];
  /** Frames the hub sent towards a hypervisor, by hypervisor name ("hv2"). */
  transmitted(hypervisor: string): Promise<Uint8Array[]>;
  vsctl(...args: string[]): Promise<string>;
}

export type LabDatabaseName = 'Open_vSwitch' | 'OVN_Northbound' | 'OVN_Southbound' | 'OVN_IC_Northbound' | 'OVN_IC_Southbound';

/** One ovsdb-server process serving one database (a standalone server, one RAFT member or one relay). */
export interface LabServer {
  readonly database: LabDatabaseName;
  /** As the server's `_Server` database says it. */
  readonly model: 'standalone' | 'clustered' | 'relay';
  /** 1-based member number for clustered databases (relay number for relays), 1 for standalone. */
  readonly member: number;
  /** Relays only: the remote(s) the relay replicates from. */
  readonly source?: string;
  /** `unix:/abs/path.sock` */
  readonly unix: string;
  /** `tcp:127.0.0.1:PORT` */
  readonly tcp: string;
  /** `ssl:127.0.0.1:PORT` when the lab has tls */
  readonly ssl?: string;
  /** RAFT port for clustered members. */
  readonly raftPort?: number;
  readonly pid: number;
  /** The server's unixctl socket (for ovs-appctl -t). */
  readonly controlSocket: string;
  readonly logFile: string;
  readonly running: boolean;
  /** SIGKILL, waits until the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT (a hung server). */
  pause(): void;
  resume(): void;
  /** Starts the server again on the same database file (relays: the same source) and the same ports; resolves
   * once a member has rejoined its cluster, or a relay is connected to its source again. */
  restart(): Promise<void>;
  /**
   * Clustered members, after `cluster/leave`: a fresh copy of the database joins the cluster again at the same
   * address (`ovsdb-tool join-cluster`) and the server starts on it; resolves once it is a member again.
   */
  rejoin(): Promise<void>;
  /** `ovs-appctl -t <control socket> ...` */
  appctl(...args: string[]): Promise<string>;
}

export interface LabDatabase {
  readonly name: LabDatabaseName;
  readonly servers: readonly LabServer[];
  /** Comma-separated tcp remotes of every member (one for standalone), as OVS writes remote lists. */
  readonly tcp: string;
  /** Comma-separated unix remotes of every member. */
  readonly unix: string;
  /** Comma-separated ssl remotes of every member when the lab has tls. */
  readonly ssl?: string;
  /** Clustered only: the current leader, from `cluster/status`. */
  leader(): Promise<LabServer>;
  /** The relays in front of this database, when the lab has them. */
  readonly relays?: LabRelays;
}

export interface LabRelays {
  readonly servers: readonly LabServer[];
  /** Comma-separated tcp remotes of every relay. */
  readonly tcp: string;
  /** Comma-separated unix remotes of every relay (what the hypervisors' ovn-remote says). */
  readonly unix: string;
}

/** A daemon of the lab's central side (ovn-northd, ovn-ic), known by its pidfile. */
export interface LabCentralDaemon {
  readonly pid: number;
  readonly running: boolean;
  readonly logFile: string;
  /** SIGKILL, the way a crash looks to its peers. */
  kill(): Promise<void>;
  /** Starts it again (stopping it first if it runs) on the same databases. */
  restart(): Promise<void>;
  /** `ovs-appctl -t <its control socket> args...` (e.g. `inc-engine/show-stats`): its stdout. */
  appctl(...args: string[]): Promise<string>;
}

/** One OVN availability zone of a lab with zones: its own NB, SB and ovn-northd, and its ovn-ic. */
export interface LabZone {
  /** "az1", "az2", ...: NB_Global.name, as ovn-ic registers it in OVN_IC_Southbound's Availability_Zone. */
  readonly name: string;
  readonly index: number;
  readonly nb: LabDatabase;
  readonly sb: LabDatabase;
  readonly northd: LabCentralDaemon;
  /** Absent with `ovnIc: false`. */
  readonly ic?: LabCentralDaemon;
  /** The hypervisors whose ovn-controller joins this zone's SB. */
  readonly hypervisors: readonly LabHypervisor[];
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
}

/** The global interconnect databases of a lab with zones. */
export interface LabInterconnect {
  readonly nb: LabDatabase;
  readonly sb: LabDatabase;
  /** ovn-ic-nbctl / ovn-ic-sbctl against them. */
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
}

export interface LabTls {
  /** PEM file paths. */
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA and client pair the servers do NOT trust, for refusal tests. */
  readonly otherCaCert: string;
  readonly otherClientCert: string;
  readonly otherClientKey: string;
}

export interface Lab {
  readonly dir: string;
  readonly ovs: LabDatabase;
  readonly nb: LabDatabase;
  readonly sb: LabDatabase;
  readonly tls?: LabTls;
  /** Network namespace of the vswitchd, when started. */
  readonly netns?: string;
  readonly vswitchdPid?: number;
  /** The simulated hypervisors, when started (hv1 is [0]). */
  readonly hypervisors: readonly LabHypervisor[];
  /** The hub of the underlay wire, when the hypervisors are joined through one. */
  readonly hub?: LabHub;
  /** The host outside the cluster, in a lab started with `outside`. */
  readonly outside?: LabOutsideHost;
  /** ovn-northd between `nb` and `sb` (absent with `northd: false`). */
  readonly northd?: LabCentralDaemon;
  /** The availability zones, in a lab started with `zones` (empty otherwise). */
  readonly zones: readonly LabZone[];
  /** The OVN_IC_Northbound / OVN_IC_Southbound databases, in a lab started with `zones`. */
  readonly interconnect?: LabInterconnect;
  /** The command lines a user can paste to reach this lab. */
  readonly hints: readonly string[];
  /** Runs ovn-nbctl / ovn-sbctl / ovs-vsctl / ovsdb-client against this lab and returns stdout. */
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
  vsctl(...args: string[]): Promise<string>;
  /** Ends every process of the lab by PID and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}
