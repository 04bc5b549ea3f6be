// The Windows node side, run under node.exe: the node's OVN settings and the pods' Windows plans carried out against
// a real Open_vSwitch database through the named pipe. The OVS steps run over OVSDB (ovsdbExecutor); the HNS and
// Hyper-V steps need PowerShell and HNS, which Wine does not have, so they are recorded, not executed.
import {
  OvsdbClient, configureNode, ovsdbExecutor, runWindowsPlan, windowsBindPlan, windowsUnbindPlan,
  type NodeSettings, type WindowsBindOptions, type WindowsPlanRun, type WindowsPlanStep,
} from '../../../src/index.js';
import { vswitchSkew } from '../../../src/ovs/index.js';
import type { Operation } from './driver.js';

/** A plan run as plain data: each step's kind, typed fields, command and outcome (bindPod's result included). */
function describeRun(run: WindowsPlanRun): unknown[] {
  return run.outcomes.map(({ step, outcome }) => {
    const { command, ...fields } = step as WindowsPlanStep & { binding?: unknown; unbinding?: unknown };
    delete fields.binding;
    delete fields.unbinding;
    const result = outcome.status === 'done' ? outcome.result as Record<string, unknown> | undefined : undefined;
    return {
      ...fields, program: command.program, args: command.args, status: outcome.status,
      ...(outcome.status === 'not-executed' ? { reason: outcome.reason } : {}),
      ...(result ? { result: { created: result.created, removed: result.removed, portName: result.portName,
        externalIds: result.externalIds, dropped: result.dropped, skipped: result.skipped } } : {}),
    };
  });
}

async function withClient<T>(args: Record<string, unknown>, use: (c: OvsdbClient) => Promise<T>): Promise<T> {
  const client = await OvsdbClient.connect(String(args.remote), args.runDir === undefined ? {} : { runDir: String(args.runDir) });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

export const nodeOperations: Record<string, Operation> = {
  /** The schema skew between the models and the server, as the node API sees it. */
  nodeSkew: (args) => withClient(args, async (c) => {
    const { skew } = await vswitchSkew(c);
    return skew;
  }),

  /** configureNode, then each pod's bind plan through ovsdbExecutor (HNS / Hyper-V steps recorded). */
  nodeBind: (args) => withClient(args, async (c) => {
    const configured = await configureNode(c, args.settings as NodeSettings);
    const pods = [];
    for (const pod of args.pods as WindowsBindOptions[]) {
      const plan = windowsBindPlan(pod);
      pods.push({ names: plan.names, steps: describeRun(await runWindowsPlan(plan, ovsdbExecutor(c))) });
    }
    return { configured: { changed: configured.changed, set: configured.set, bridge: configured.bridge, dropped: configured.dropped }, pods };
  }),

  nodeUnbind: (args) => withClient(args, async (c) => {
    const pods = [];
    for (const pod of args.pods as { namespace: string; pod: string }[]) {
      pods.push(describeRun(await runWindowsPlan(windowsUnbindPlan(pod), ovsdbExecutor(c))));
    }
    return pods;
  }),
};
