// The underlay between simulated hypervisors: dummy ports joined over unix sockets, one end listening
// (options:pstream=punix:...) and the other connecting (options:stream=unix:...), as the OVN testsuite's
// net_add/net_attach do. Two hypervisors can be joined back to back; more need a hub bridge, which lives in
// a vswitchd of its own (the testsuite's "main" sandbox), so no hypervisor's restart takes the wire down.
import { join } from 'node:path';
import { WIRE_PORT, type LabHypervisorImpl } from './hypervisor.js';
import { OvsSandbox } from './sandbox.js';
import type { LabHub } from './types.js';

/** hv1 listens on a socket in its own directory, hv2 connects to it. */
export async function joinDirect(listener: LabHypervisorImpl, connector: LabHypervisorImpl): Promise<void> {
  const socket = join(listener.dir, `${WIRE_PORT}.sock`);
  await listener.vsctl('--', 'add-port', 'br-phys', WIRE_PORT,
    '--', 'set', 'Interface', WIRE_PORT, 'type=dummy', `options:pstream="punix:${socket}"`,
    ...listener.sandbox.pcapOptions(WIRE_PORT));
  await connector.vsctl('--', 'add-port', 'br-phys', WIRE_PORT,
    '--', 'set', 'Interface', WIRE_PORT, 'type=dummy', `options:stream="unix:${socket}"`,
    ...connector.sandbox.pcapOptions(WIRE_PORT));
}

export const HUB_BRIDGE = 'n1';

export class LabHubImpl implements LabHub {
  readonly bridge = HUB_BRIDGE;
  readonly sandbox: OvsSandbox;

  constructor(labDir: string, netnsPrefix: string, baseEnv: NodeJS.ProcessEnv) {
    this.sandbox = new OvsSandbox({ name: 'net', dir: join(labDir, 'net'), netns: `${netnsPrefix}-net`, baseEnv });
  }

  get dir(): string { return this.sandbox.dir; }
  get netns(): string { return this.sandbox.netns; }
  get pids(): number[] { return this.sandbox.daemons.map((d) => d.pid); }

  /** The hub is an ordinary standalone bridge: with no controller it forwards with NORMAL (MAC learning). */
  async start(): Promise<void> {
    await this.sandbox.start();
    await this.vsctl('--', 'add-br', HUB_BRIDGE, '--', 'set', 'Bridge', HUB_BRIDGE, 'datapath_type=dummy');
  }

  /**
   * A listening port on the hub named `port` (with tx/rx captures); resolves with the `unix:` stream a dummy port
   * elsewhere connects to it with (`options:stream`).
   */
  async listen(port: string): Promise<string> {
    const socket = join(this.dir, `${port}.sock`);
    await this.vsctl('--', 'add-port', HUB_BRIDGE, port,
      '--', 'set', 'Interface', port, 'type=dummy', `options:pstream="punix:${socket}"`,
      ...this.sandbox.pcapOptions(port));
    return `unix:${socket}`;
  }

  /** One listening port on the hub per hypervisor, named after it; the hypervisor's br-phys connects to it. */
  async attach(hv: LabHypervisorImpl): Promise<void> {
    const stream = await this.listen(hv.name);
    await hv.vsctl('--', 'add-port', 'br-phys', WIRE_PORT,
      '--', 'set', 'Interface', WIRE_PORT, 'type=dummy', `options:stream="${stream}"`,
      ...hv.sandbox.pcapOptions(WIRE_PORT));
  }

  transmitted(hypervisor: string): Promise<Uint8Array[]> {
    return this.sandbox.transmitted(hypervisor);
  }

  vsctl(...args: string[]): Promise<string> {
    return this.sandbox.vsctl(...args);
  }

  async stop(): Promise<void> {
    await Promise.all(this.sandbox.daemons.map((d) => d.stop()));
  }
}
