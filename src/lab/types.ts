// The public shape of a running lab: what a test or a user gets back from startLab().

export interface LabOptions {
  /** NB and SB as 3-member RAFT clusters on 127.0.0.1 instead of standalone servers. */
  clustered?: boolean;
  /** Also serve every database on pssl: with certificates made for this lab (client certificates required). */
  tls?: boolean;
  /** A userspace ovs-vswitchd (dummy datapath) on the Open_vSwitch database, in a network namespace of its own. */
  vswitchd?: boolean;
  /** ovn-northd between NB and SB (default true). */
  northd?: boolean;
  /** RAFT election timer in ms for clustered labs (default 1000 = ovsdb-server's default). */
  electionTimerMs?: number;
  /** Keep the directory after stop() (for debugging). */
  keepDir?: boolean;
}

export type LabDatabaseName = 'Open_vSwitch' | 'OVN_Northbound' | 'OVN_Southbound';

/** One ovsdb-server process serving one database (a standalone server or one RAFT member). */
export interface LabServer {
  readonly database: LabDatabaseName;
  /** 1-based member number for clustered databases, 1 for standalone. */
  readonly member: number;
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
  /** Starts the server again on the same database file and the same ports. */
  restart(): Promise<void>;
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
  /** The command lines a user can paste to reach this lab. */
  readonly hints: readonly string[];
  /** Runs ovn-nbctl / ovn-sbctl / ovs-vsctl / ovsdb-client against this lab and returns stdout. */
  nbctl(...args: string[]): Promise<string>;
  sbctl(...args: string[]): Promise<string>;
  vsctl(...args: string[]): Promise<string>;
  /** Ends every process of the lab by PID and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}
