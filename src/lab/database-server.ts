// One real ovsdb-server process of the lab: a standalone database, one RAFT member, or one relay.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, readPidFile, terminate, waitFor, isProcessAlive } from './process.js';
import type { LabDatabaseName, LabServer } from './types.js';

export interface ServerTlsFiles {
  privateKey: string;
  certificate: string;
  caCert: string;
}

export interface ServerSpec {
  database: LabDatabaseName;
  model: LabServer['model'];
  member: number;
  dir: string;
  /** File stem for this server's socket, pidfile, log and control socket, e.g. "nb2". */
  stem: string;
  /** What the server serves: its database file, or `relay:<db>:<remotes>` for a relay. */
  dbFile: string;
  /** Relays: the remote(s) in `dbFile`'s relay target. */
  source?: string;
  env: NodeJS.ProcessEnv;
  tls?: ServerTlsFiles;
  sslPort?: number;
  raftPort?: number;
  /** Clustered members: the RAFT address of every member (this one included), for rejoin(). */
  raftAddresses?: readonly string[];
  /** Resolves once the server is usable beyond its listeners (a relay: connected to its source); awaited after
   * every start and restart. */
  ready?: (server: OvsdbServerProcess) => Promise<void>;
}

export class OvsdbServerProcess implements LabServer {
  readonly database: LabDatabaseName;
  readonly model: LabServer['model'];
  readonly member: number;
  readonly unix: string;
  readonly controlSocket: string;
  readonly logFile: string;
  readonly raftPort?: number;
  readonly ssl?: string;
  readonly source?: string;
  #pid = 0;
  #tcpPort = 0;
  #logStart = 0;
  readonly #spec: ServerSpec;
  readonly #pidFile: string;

  private constructor(spec: ServerSpec) {
    this.#spec = spec;
    this.database = spec.database;
    this.model = spec.model;
    this.member = spec.member;
    this.unix = `unix:${join(spec.dir, `${spec.stem}.sock`)}`;
    this.controlSocket = join(spec.dir, `${spec.stem}.ctl`);
    this.logFile = join(spec.dir, `${spec.stem}.log`);
    this.#pidFile = join(spec.dir, `${spec.stem}.pid`);
    if (spec.raftPort !== undefined) this.raftPort = spec.raftPort;
    if (spec.source !== undefined) this.source = spec.source;
    if (spec.sslPort !== undefined) this.ssl = `ssl:127.0.0.1:${spec.sslPort}`;
  }

  static async start(spec: ServerSpec): Promise<OvsdbServerProcess> {
    const server = new OvsdbServerProcess(spec);
    await server.#launch();
    // A server that never becomes usable is ended here: the caller never gets to record it.
    await spec.ready?.(server).catch(async (error: unknown) => {
      await server.stop();
      throw error;
    });
    return server;
  }

  get pid(): number { return this.#pid; }
  get tcp(): string { return `tcp:127.0.0.1:${this.#tcpPort}`; }
  get running(): boolean { return this.#pid > 0 && isProcessAlive(this.#pid); }

  async #launch(): Promise<void> {
    const spec = this.#spec;
    const logBefore = await readFile(this.logFile, 'utf8').catch(() => '');
    this.#logStart = logBefore.length;
    const args = [
      '--detach', '--no-chdir',
      `--pidfile=${this.#pidFile}`, `--log-file=${this.logFile}`, `--unixctl=${this.controlSocket}`,
      `--remote=punix:${this.unix.slice('unix:'.length)}`,
      // The first start binds port 0 and reads the port from the log; a restart reuses that port.
      `--remote=ptcp:${this.#tcpPort}:127.0.0.1`,
    ];
    if (spec.tls && spec.sslPort !== undefined) {
      args.push(`--remote=pssl:${spec.sslPort}:127.0.0.1`, `--private-key=${spec.tls.privateKey}`,
        `--certificate=${spec.tls.certificate}`, `--ca-cert=${spec.tls.caCert}`);
    }
    args.push(spec.dbFile);
    await runCommand('ovsdb-server', args, { env: spec.env });
    this.#pid = await readPidFile(this.#pidFile);
    if (this.#tcpPort === 0) {
      // --detach returns after the listeners are bound, so the log already names the port.
      const log = (await readFile(this.logFile, 'utf8')).slice(logBefore.length);
      const ports = [...log.matchAll(/listening on port (\d+)/g)].map((m) => Number(m[1]))
        .filter((port) => port !== spec.sslPort);
      if (ports.length === 0) throw new Error(`lab: ${spec.stem}: no "listening on port" line in ${this.logFile}`);
      this.#tcpPort = ports[0];
    }
  }

  /** For clustered members: resolves when the member has joined the cluster and knows its leader. */
  async waitConnected(timeoutMs = 20_000): Promise<void> {
    await runCommand('ovsdb-client', ['--timeout', String(Math.ceil(timeoutMs / 1000)), 'wait', this.unix,
      this.database, 'connected'], { env: this.#spec.env, timeoutMs: timeoutMs + 1000 });
  }

  async clusterStatus(): Promise<string> {
    return this.appctl('cluster/status', this.database);
  }

  async isLeader(): Promise<boolean> {
    if (!this.running) return false;
    try {
      return /^Role: leader$/m.test(await this.clusterStatus());
    } catch {
      return false;
    }
  }

  async kill(): Promise<void> {
    await terminate(this.#pid, 'SIGKILL');
  }

  /** Stops the server cleanly (SIGTERM, then SIGKILL after a grace period). */
  async stop(): Promise<void> {
    await terminate(this.#pid, 'SIGTERM');
  }

  pause(): void {
    process.kill(this.#pid, 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.#pid, 'SIGCONT');
  }

  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.#launch();
    if (this.raftPort !== undefined) await this.waitConnected();
    await this.#spec.ready?.(this);
  }

  /**
   * After `cluster/leave` (the member hands its leadership over, leaves, and drops the database): a fresh copy of
   * the database joins the cluster again at the same address (`ovsdb-tool join-cluster`, as an operator does),
   * and the server is started on it. Resolves once the member is part of the cluster again.
   */
  async rejoin(): Promise<void> {
    const spec = this.#spec;
    if (this.raftPort === undefined || spec.raftAddresses === undefined) throw new Error(`lab: ${spec.stem} is not a cluster member`);
    if (this.running) await this.stop();
    const local = `tcp:127.0.0.1:${this.raftPort}`;
    await rm(spec.dbFile, { force: true });
    await runCommand('ovsdb-tool', ['join-cluster', spec.dbFile, spec.database, local, ...spec.raftAddresses.filter((a) => a !== local)], { env: spec.env });
    await this.#launch();
    await this.waitConnected();
  }

  /** What the server logged since its latest start. */
  async logSinceStart(): Promise<string> {
    return (await readFile(this.logFile, 'utf8').catch(() => '')).slice(this.#logStart);
  }

  appctl(...args: string[]): Promise<string> {
    return runCommand('ovs-appctl', ['-t', this.controlSocket, ...args], { env: this.#spec.env });
  }
}

export async function waitForLeader(servers: readonly OvsdbServerProcess[], timeoutMs = 20_000): Promise<OvsdbServerProcess> {
  return waitFor('a RAFT leader', async () => {
    for (const server of servers) if (await server.isLeader()) return server;
    return undefined;
  }, timeoutMs);
}
