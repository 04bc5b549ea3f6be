// `ovn-overlay agent --sb`: the agent binds each node's gateway router GR_<node> to the chassis its
// `k8s.ovn.org/node-chassis-id` annotation names, whether or not that chassis has registered. With the
// Southbound at hand the command says which nodes name a chassis the Southbound does not have (a typo, or
// ovn-controller not running there yet): one warning line when a node starts missing its chassis, one info line
// when the chassis appears, and the `ovn_overlay_nodes_without_chassis` gauge.
import { Gauge } from 'prom-client';
import type { Agent } from '../k8s/agent.js';
import type { Logger } from '../k8s/logger.js';
import { NODE_CHASSIS_ID_ANNOTATION } from '../ovn/names.js';
import type { Southbound } from '../ovn/southbound.js';

export class ChassisCheck {
  /** Nodes whose chassis the Southbound lacks, with that chassis name. */
  private readonly missing = new Map<string, string>();
  private readonly gauge: Gauge;
  private scheduled = false;
  private readonly unsubscribe: () => void;
  private readonly onChange = (): void => { this.schedule(); };

  constructor(private readonly agent: Agent, private readonly sb: Southbound, private readonly logger: Logger) {
    this.gauge = new Gauge({
      name: 'ovn_overlay_nodes_without_chassis', help: 'Nodes whose k8s.ovn.org/node-chassis-id names no Chassis of the Southbound.',
      registers: [agent.metrics.registry],
    });
    this.unsubscribe = agent.cache.subscribeKind('Node', this.onChange);
    sb.on('change', this.onChange);
    this.schedule();
  }

  /** Nodes (by name) whose chassis is not in the Southbound, with the chassis they name. */
  nodesWithoutChassis(): ReadonlyMap<string, string> {
    return this.missing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Many node events or SB updates in a row are checked once.
    setImmediate(() => { this.scheduled = false; this.check(); });
  }

  private check(): void {
    const chassis = this.sb.table('Chassis');
    const now = new Map<string, string>();
    for (const node of this.agent.cache.store('Node').list()) {
      const name = node.metadata?.name;
      const wanted = node.metadata?.annotations?.[NODE_CHASSIS_ID_ANNOTATION];
      if (name === undefined || wanted === undefined || chassis.findOne('name', wanted)) continue;
      now.set(name, wanted);
      if (this.missing.get(name) !== wanted) {
        this.logger.warn('node names a chassis the Southbound does not have (its gateway router waits for it)', { node: name, chassis: wanted });
      }
    }
    for (const [name, wanted] of this.missing) {
      if (!now.has(name) && this.agent.cache.get('Node', name)) this.logger.info('node chassis registered', { node: name, chassis: wanted });
    }
    this.missing.clear();
    for (const [name, wanted] of now) this.missing.set(name, wanted);
    this.gauge.set(now.size);
  }

  stop(): void {
    this.unsubscribe();
    this.sb.off('change', this.onChange);
  }
}
