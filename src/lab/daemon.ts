// One detached OVS/OVN daemon (ovsdb-server, ovs-vswitchd, ovn-controller of a simulated hypervisor;
// ovn-northd, ovn-ic of the central side): started with --detach (into a network namespace, when it has one),
// known by the PID in its pidfile, restartable in place.
import { runCommand, readPidFile, terminate, isProcessAlive } from './process.js';
import type { LabCentralDaemon } from './types.js';

export interface DaemonSpec {
  /** Short role name, used in error messages ("hv2 ovn-controller"). */
  readonly label: string;
  readonly program: string;
  /** Everything after the program name except the options the daemon helper adds itself. */
  readonly args: readonly string[];
  readonly pidFile: string;
  readonly logFile: string;
  /** Its control socket (`--unixctl`), for appctl(). */
  readonly unixctl?: string;
  /** Network namespace to run in (`ip netns exec`), or none. */
  readonly netns?: string;
  readonly env: NodeJS.ProcessEnv;
}

export class LabDaemon implements LabCentralDaemon {
  #pid = 0;
  constructor(readonly spec: DaemonSpec) {}

  get pid(): number { return this.#pid; }
  get logFile(): string { return this.spec.logFile; }
  get running(): boolean { return this.#pid > 0 && isProcessAlive(this.#pid); }

  /** Returns once the daemon has detached: OVS daemons detach only after their sockets are bound. */
  async start(): Promise<void> {
    const { program, args, pidFile, logFile, netns, env, unixctl } = this.spec;
    // --no-chdir: OVS resolves relative paths against its rundir, so every path we pass is absolute anyway,
    // and staying put keeps core files and the like in the lab directory.
    const command = [program, '--detach', '--no-chdir', `--pidfile=${pidFile}`, `--log-file=${logFile}`, ...(unixctl ? [`--unixctl=${unixctl}`] : []), ...args];
    if (netns) await runCommand('ip', ['netns', 'exec', netns, ...command], { env });
    else await runCommand(command[0], command.slice(1), { env });
    this.#pid = await readPidFile(pidFile);
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone (zombies count as gone). */
  async stop(): Promise<void> {
    if (this.#pid > 0) await terminate(this.#pid, 'SIGTERM');
  }

  /** SIGKILL, the way a crash looks to its peers. */
  async kill(): Promise<void> {
    if (this.#pid > 0) await terminate(this.#pid, 'SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Runs `ovs-appctl -t <its control socket> args...` and returns stdout. */
  appctl(...args: string[]): Promise<string> {
    const { unixctl, label, env } = this.spec;
    if (!unixctl) return Promise.reject(new Error(`lab: ${label} has no control socket`));
    return runCommand('ovs-appctl', ['-t', unixctl, ...args], { env });
  }
}
