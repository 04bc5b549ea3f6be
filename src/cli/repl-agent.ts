// `k8s.apply(...)` and `k8s.delete(...)` in the REPL: Kubernetes objects written into an in-process source
// (ApplySource) that feeds an Agent on the REPL's own Northbound replica, so they go through the same cache,
// validation and controllers as `ovn-overlay agent`. The agent starts at the first apply and writes its rows as
// controller `ovn-overlay-repl` (REPL_CONTROLLER), apart from the rows k8s.addNode/addPod write as `ovn-overlay`:
// its full resync deletes only rows of its own controller whose objects it was not given (rows an earlier session
// applied, unless applied again). Each call resolves once the agent has converged, with what it did.
//
//   await k8s.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'hv1' }, spec: { podCIDR: '10.244.1.0/24' } })
//   await k8s.apply(`apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {nodeName: hv1, containers: []}`)
//   await k8s.apply('deploy/')                      // files or directories of manifests
//   await k8s.delete('pod', 'default/web')          // or the object(s), or a manifest
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Agent } from '../k8s/agent.js';
import { ApplySource, DEFAULT_NAMESPACE } from '../k8s/apply-source.js';
import type { InputProblem, ObjectEvent } from '../k8s/events.js';
import { describeObject, KIND_INFO, KINDS, type KindName } from '../k8s/kinds.js';
import { manifestFiles, MANIFEST_EXTENSIONS } from '../k8s/manifest-source.js';
import { podWantsPort } from '../k8s/controllers/pod-controller.js';
import type { Northbound } from '../ovn/northbound.js';

/** The owner controller of the rows k8s.apply's agent writes. */
export const REPL_CONTROLLER = 'ovn-overlay-repl';

/** How long a call waits for the agent to converge before it answers anyway. */
const CONVERGE_WAIT_MS = 30_000;

/** What one k8s.apply or k8s.delete did. Fields with nothing to say are left out. */
export interface ApplyResult {
  /** The objects the cache took ("Pod default/web"). */
  applied?: string[];
  deleted?: string[];
  /** Applied pods: their addresses and port, or why they have none yet. */
  pods?: Record<string, string>;
  /** Objects skipped, each with the reason (as `ovn-overlay agent` logs them). */
  problems?: string[];
  /** Set when the agent had not converged within 30 s (a retry pending, a slow server). */
  note?: string;
}

/** `pod`, `Pods`, `endpointslices`... -> the kind. */
export function kindNamed(text: string): KindName {
  const lower = text.toLowerCase();
  const kind = KINDS.find((k) => k.toLowerCase() === lower || KIND_INFO[k].resource === lower);
  if (!kind) throw new Error(`unknown kind "${text}" (the agent reads ${KINDS.join(', ')})`);
  return kind;
}

/** A string argument: a path to manifests (one line naming an existing file or directory), or manifest text. */
async function manifestPaths(text: string): Promise<string[] | undefined> {
  if (text.includes('\n') || /^\s*[{[]/.test(text)) return undefined;
  try {
    await stat(text);
  } catch {
    if ((MANIFEST_EXTENSIONS as readonly string[]).includes(extname(text).toLowerCase())) throw new Error(`no manifest file ${text}`);
    return undefined;
  }
  return manifestFiles([text]);
}

export class ReplAgent {
  private readonly source = new ApplySource('repl');
  private running: Promise<Agent> | undefined;
  private calls = 0;

  constructor(private readonly northbound: () => Promise<Northbound>) {}

  /** The agent (started by the first apply), for inspection: stats(), metrics.text(), cache. */
  get agent(): Agent | undefined {
    return this.current;
  }

  private current: Agent | undefined;

  private start(): Promise<Agent> {
    if (!this.running) {
      const starting = (async () => {
        const agent = new Agent({ nb: await this.northbound(), sources: [this.source], controller: REPL_CONTROLLER, podAnnotations: false });
        await agent.start();
        this.current = agent;
        return agent;
      })();
      this.running = starting;
      starting.catch(() => { if (this.running === starting) this.running = undefined; });
    }
    return this.running;
  }

  /** Applies objects, an array or list of them, manifest text (YAML/JSON), or manifest files and directories. */
  async apply(value: unknown): Promise<ApplyResult> {
    const agent = await this.start();
    return this.call(agent, 'apply', async (origin) => {
      if (typeof value !== 'string') { this.source.apply(value, origin); return; }
      const paths = await manifestPaths(value);
      if (!paths) { this.source.applyManifest(value, /^\s*[{[]/.test(value) ? `${origin}.json` : `${origin}.yaml`); return; }
      for (const path of paths) this.source.applyManifest(await readFile(path, 'utf8'), `${origin} ${path}`);
    });
  }

  /** Deletes by kind and `namespace/name` (or `name`: default namespace), or the objects/manifests given. */
  async delete(what: unknown, name?: string): Promise<ApplyResult> {
    const agent = await this.start();
    return this.call(agent, 'delete', async (origin) => {
      if (typeof what === 'string' && name !== undefined) {
        const kind = kindNamed(what);
        const [namespace, objectName] = name.includes('/') ? name.split('/', 2) : [DEFAULT_NAMESPACE, name];
        const metadata = KIND_INFO[kind].namespaced ? { name: objectName, namespace } : { name };
        this.source.delete({ kind, apiVersion: KIND_INFO[kind].apiVersion, metadata }, origin);
        return;
      }
      // Manifests say what to delete, as with kubectl delete -f: read them through an ApplySource of their own.
      const objects: unknown[] = [];
      const reader = new ApplySource('read');
      await reader.start({ upsert: (item) => objects.push(item.kind ? { kind: item.kind, ...(item.object as object) } : item.object), delete: () => undefined, report: () => undefined });
      if (typeof what === 'string') {
        const paths = await manifestPaths(what);
        if (!paths) reader.applyManifest(what, /^\s*[{[]/.test(what) ? 'delete.json' : 'delete.yaml');
        else for (const path of paths) reader.applyManifest(await readFile(path, 'utf8'), path);
      } else {
        reader.apply(what);
      }
      this.source.delete(objects, origin);
    });
  }

  /** Runs one apply/delete and gathers what it changed, what was skipped and the applied pods' networks. */
  private async call(agent: Agent, verb: 'apply' | 'delete', write: (origin: string) => Promise<void>): Promise<ApplyResult> {
    const origin = `repl ${verb} #${++this.calls}`;
    const events: ObjectEvent[] = [];
    const problems: InputProblem[] = [];
    // Origins as the sources write them: "repl apply #3", "repl apply #3 item 0", "manifest repl apply #3.yaml#1:1".
    const ours = (o: string): boolean => {
      const rest = o.startsWith('manifest ') ? o.slice('manifest '.length) : o;
      return rest.startsWith(origin) && !/^\d/.test(rest.slice(origin.length));
    };
    const unsubscribe = agent.cache.subscribe((event) => { if (ours(event.origin)) events.push(event); });
    const onProblem = (problem: InputProblem): void => {
      // Problems of the input itself, and what the controllers found with the objects of this call.
      if (ours(problem.origin) || events.some((e) => e.kind === problem.kind && e.key === problem.key)) problems.push(problem);
    };
    agent.on('problem', onProblem);
    let note: string | undefined;
    try {
      await write(origin);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), CONVERGE_WAIT_MS); });
      if ((await Promise.race([agent.converged(), late])) === 'late') note = `not converged within ${CONVERGE_WAIT_MS / 1000} s: see k8s.agent.stats()`;
      clearTimeout(timer);
    } finally {
      unsubscribe();
      agent.off('problem', onProblem);
    }
    const result: ApplyResult = {};
    const changed = [...new Set(events.filter((e) => e.type !== 'deleted').map((e) => describeObject(e.kind, e.key)))];
    const deleted = [...new Set(events.filter((e) => e.type === 'deleted').map((e) => describeObject(e.kind, e.key)))];
    if (changed.length > 0) result.applied = changed;
    if (deleted.length > 0) result.deleted = deleted;
    const pods = events.filter((e) => e.kind === 'Pod' && e.type !== 'deleted');
    if (pods.length > 0) {
      result.pods = Object.fromEntries(pods.map((e) => {
        const network = agent.podNetwork(e.key)?.network;
        const pod = agent.cache.get('Pod', e.key);
        return [e.key, network ? `${network.ipAddresses.join(', ')} (port ${network.portName} on ${network.node})`
          : problems.some((p) => p.kind === 'Pod' && p.key === e.key) ? 'no port (see problems)'
            : pod && podWantsPort(pod) ? `no port (node ${pod.spec?.nodeName} has no switch yet)`
              : 'no port (not scheduled, host network or finished)'];
      }));
    }
    if (problems.length > 0) result.problems = problems.map((p) => `${p.key !== undefined ? describeObject(p.kind, p.key) : p.kind || 'input'}: ${p.message} (${p.reason})`);
    if (verb === 'delete' && deleted.length === 0 && problems.length === 0) note ??= 'nothing deleted: no such object in the agent\'s cache';
    if (note !== undefined) result.note = note;
    return result;
  }

  /** Stops the agent (its reconciles in flight finish); the REPL's replica stays open. */
  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    this.current = undefined;
    const agent = await running?.catch(() => undefined);
    await agent?.stop();
  }
}
