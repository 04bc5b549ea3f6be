// Binding a pod on a Windows node as a typed plan: each step says what it does to which HNS endpoint, Hyper-V
// port or OVS port, with the exact command a Windows host runs for it, and an executor decides how it is carried
// out. The steps are those of windowsBindCommands() / windowsUnbindCommands() (src/ovs/windows.ts), in their order:
//
//   bind    hns-endpoint -> hns-attach -> hyperv-port-name -> ovs-port -> adapter-mtu (when an MTU is given)
//   unbind  ovs-del-port -> hns-endpoint-delete
//
// Executors: ovsdbExecutor() carries out the OVS steps through the OVSDB connection the agent already has
// (bindPod / unbindPod: one transaction each), commandExecutor() runs every step's command (powershell.exe,
// ovs-vsctl.exe) on a Windows host, and a test passes its own to record the HNS / Hyper-V steps it cannot run.
import { OvsError } from './errors.js';
import { bindPod, unbindPod, type PodBinding, type PodBindingSpec, type PodUnbinding } from './pod-binding.js';
import type { NodeDatabase } from './node-db.js';
import {
  windowsBindCommands, windowsPodNames, windowsUnbindCommands,
  type WindowsBindOptions, type WindowsCommand, type WindowsPodNames, type WindowsUnbindOptions,
} from './windows.js';

interface StepBase {
  /** What the step does, for people (the command's own description). */
  readonly what: string;
  /** What a Windows host runs for it. */
  readonly command: WindowsCommand;
}

/** One step of a Windows pod plan. `kind` says what it acts on; the fields are its typed arguments. */
export type WindowsPlanStep =
  | StepBase & { readonly kind: 'hns-endpoint'; readonly endpoint: string; readonly network: string; readonly ip: string;
    readonly prefixLength: number; readonly gateway: string; readonly mac: string }
  | StepBase & { readonly kind: 'hns-attach'; readonly endpoint: string; readonly containerId: string; readonly compartmentId: number;
    readonly adapter: string }
  | StepBase & { readonly kind: 'hyperv-port-name'; readonly mac: string; readonly elementName: string }
  | StepBase & { readonly kind: 'ovs-port'; readonly bridge: string; readonly port: string; readonly interfaceType: 'internal';
    readonly ifaceId: string; readonly binding: PodBindingSpec }
  | StepBase & { readonly kind: 'adapter-mtu'; readonly adapter: string; readonly mtu: number }
  | StepBase & { readonly kind: 'ovs-del-port'; readonly bridge: string; readonly port: string; readonly ifaceId: string;
    readonly unbinding: { namespace: string; pod: string; bridge: string } }
  | StepBase & { readonly kind: 'hns-endpoint-delete'; readonly endpoint: string };

export type WindowsPlanStepKind = WindowsPlanStep['kind'];

/** The steps of one pod, in order, and the names they share. */
export interface WindowsPlan {
  readonly names: WindowsPodNames;
  readonly steps: readonly WindowsPlanStep[];
}

/** What an executor did with a step. */
export type WindowsStepOutcome =
  | { readonly status: 'done'; readonly result?: unknown }
  | { readonly status: 'not-executed'; readonly reason: string };

export type WindowsStepExecutor = (step: WindowsPlanStep) => Promise<WindowsStepOutcome>;

export interface WindowsPlanRun {
  readonly plan: WindowsPlan;
  readonly outcomes: readonly { readonly step: WindowsPlanStep; readonly outcome: WindowsStepOutcome }[];
}

/**
 * A step failed (`OVS_WINDOWS_STEP_FAILED`, `value` the step's kind, `cause` its error); the steps before it had
 * run (`completed`), the ones after it did not.
 */
export class WindowsPlanError extends OvsError {
  constructor(readonly step: WindowsPlanStep, readonly completed: WindowsPlanRun['outcomes'], options: { cause: unknown }) {
    super('OVS_WINDOWS_STEP_FAILED', step.kind,
      `Windows plan step ${step.kind} (${step.what}) failed: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'WindowsPlanError';
  }
}

function expect(command: WindowsCommand | undefined, program: WindowsCommand['program'], kind: string): WindowsCommand {
  if (!command || command.program !== program) throw new Error(`internal: the ${kind} step has no ${program} command`);
  return command;
}

/** The plan that binds a pod (the steps of windowsBindCommands(), typed); `binding` extras go to bindPod. */
export function windowsBindPlan(o: WindowsBindOptions, binding: Pick<PodBindingSpec, 'clearStaleIfaceId' | 'waitForOfportMs'> = {}): WindowsPlan {
  const commands = windowsBindCommands(o); // validates every argument
  const names = windowsPodNames(o.namespace, o.pod);
  const bridge = o.bridge ?? 'br-int';
  const v4 = o.ipAddresses.map((c) => c.split('/')).find(([ip]) => ip.includes('.')) as [string, string];
  const steps: WindowsPlanStep[] = [
    { kind: 'hns-endpoint', what: commands[0].what, command: expect(commands[0], 'powershell.exe', 'hns-endpoint'),
      endpoint: names.endpointName, network: o.hnsNetwork, ip: v4[0], prefixLength: Number(v4[1]), gateway: o.gateway,
      mac: o.mac.toUpperCase().replace(/:/g, '-') },
    { kind: 'hns-attach', what: commands[1].what, command: expect(commands[1], 'powershell.exe', 'hns-attach'),
      endpoint: names.endpointName, containerId: o.containerId, compartmentId: o.compartmentId, adapter: names.hostAdapter },
    { kind: 'hyperv-port-name', what: commands[2].what, command: expect(commands[2], 'powershell.exe', 'hyperv-port-name'),
      mac: o.mac.toUpperCase().replace(/:/g, ''), elementName: names.elementName },
    { kind: 'ovs-port', what: commands[3].what, command: expect(commands[3], 'ovs-vsctl.exe', 'ovs-port'),
      bridge, port: names.interfaceName, interfaceType: 'internal', ifaceId: names.ifaceId,
      binding: {
        namespace: o.namespace, pod: o.pod, sandbox: o.containerId, mac: o.mac, ipAddresses: [...o.ipAddresses], platform: 'windows', bridge,
        ...(o.ifaceIdVer !== undefined ? { ifaceIdVer: o.ifaceIdVer } : {}),
        ...(o.mtu !== undefined ? { mtu: o.mtu } : {}), // mtu_request too, as bindPod() writes it for Windows
        ...binding,
      } },
  ];
  if (o.mtu !== undefined) {
    steps.push({ kind: 'adapter-mtu', what: commands[4].what, command: expect(commands[4], 'powershell.exe', 'adapter-mtu'),
      adapter: names.hostAdapter, mtu: o.mtu });
  }
  return { names, steps };
}

/** The plan that undoes windowsBindPlan() (the steps of windowsUnbindCommands(), typed). */
export function windowsUnbindPlan(o: WindowsUnbindOptions): WindowsPlan {
  const commands = windowsUnbindCommands(o);
  const names = windowsPodNames(o.namespace, o.pod);
  const bridge = o.bridge ?? 'br-int';
  return {
    names,
    steps: [
      { kind: 'ovs-del-port', what: commands[0].what, command: expect(commands[0], 'ovs-vsctl.exe', 'ovs-del-port'),
        bridge, port: names.interfaceName, ifaceId: names.ifaceId, unbinding: { namespace: o.namespace, pod: o.pod, bridge } },
      { kind: 'hns-endpoint-delete', what: commands[1].what, command: expect(commands[1], 'powershell.exe', 'hns-endpoint-delete'),
        endpoint: names.endpointName },
    ],
  };
}

/** Runs the steps in order through `executor`; the first that throws stops the plan (WindowsPlanError). */
export async function runWindowsPlan(plan: WindowsPlan, executor: WindowsStepExecutor): Promise<WindowsPlanRun> {
  const outcomes: { step: WindowsPlanStep; outcome: WindowsStepOutcome }[] = [];
  for (const step of plan.steps) {
    try {
      outcomes.push({ step, outcome: await executor(step) });
    } catch (cause) {
      throw new WindowsPlanError(step, outcomes, { cause });
    }
  }
  return { plan, outcomes };
}

/** The steps that act on the OVS database: an agent carries them out over OVSDB, not with ovs-vsctl.exe. */
export const OVSDB_STEP_KINDS: readonly WindowsPlanStepKind[] = ['ovs-port', 'ovs-del-port'];

/**
 * Carries out the OVS steps over `db` (`ovs-port`: bindPod, one transaction; `ovs-del-port`: unbindPod) and hands
 * every other step to `others` (default: not executed, with the reason).
 */
export function ovsdbExecutor(db: NodeDatabase, others?: WindowsStepExecutor): WindowsStepExecutor {
  return async (step) => {
    if (step.kind === 'ovs-port') return { status: 'done', result: await bindPod(db, step.binding) satisfies PodBinding };
    if (step.kind === 'ovs-del-port') {
      return { status: 'done', result: await unbindPod(db, { ...step.unbinding, platform: 'windows' }) satisfies PodUnbinding };
    }
    if (others) return others(step);
    return { status: 'not-executed', reason: `${step.command.program} runs on the Windows host (commandExecutor)` };
  };
}

/** Runs each step's command with `run(program, args)` (no shell), as on a Windows host with HNS and OVS. */
export function commandExecutor(run: (program: WindowsCommand['program'], args: readonly string[]) => Promise<unknown>): WindowsStepExecutor {
  return async (step) => ({ status: 'done', result: await run(step.command.program, step.command.args) });
}
