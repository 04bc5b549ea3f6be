// `ovn-overlay agent`: the Agent of ovn-overlay/k8s as a process. Kubernetes objects come from informers
// (--kubeconfig), kubectl watch-event streams (--watch FILE|-) and manifests (--manifests, a starting state); the
// controllers write the Northbound. Leveled logs go to stderr, Prometheus text to --metrics-address, and SIGTERM or
// SIGINT stops it gracefully: the sources stop, the reconciles in flight finish (a transaction sent is answered
// before the process ends), the replica closes, exit 0. A second signal while stopping ends the process at once
// (exit 1). `--once` exits 0 once every input has ended and OVN is converged (a one-shot apply of files).
import { access, constants } from 'node:fs/promises';
import { Agent } from '../k8s/agent.js';
import { InformerSource } from '../k8s/informer-source.js';
import { createLogger, parseLogLevel, type Logger } from '../k8s/logger.js';
import { ManifestSource } from '../k8s/manifest-source.js';
import { AgentMetrics } from '../k8s/metrics.js';
import type { ObjectSource } from '../k8s/source.js';
import { WatchStreamSource } from '../k8s/watch-stream-source.js';
import { parsePrefix } from '../ovn/ip.js';
import { openSouthbound, type Southbound } from '../ovn/southbound.js';
import type { TlsOptions } from '../ovsdb/remote.js';
import { ChassisCheck } from './agent-chassis.js';
import { TLS_OPTIONS, parse, tlsFromArgs } from './args.js';
import { CliError, usageError } from './cli-error.js';
import { AGENT_USAGE } from './help.js';
import { parseListenAddress, startMetricsServer, type ListenAddress, type MetricsServer } from './metrics-server.js';
import { exitWhenFlushed } from './output.js';

/** What the command line asks for, checked. */
export interface AgentCommandOptions {
  readonly nb: string;
  readonly sb?: string;
  readonly tls?: TlsOptions;
  readonly kubeconfig?: string;
  readonly watch: readonly string[];
  readonly manifests: readonly string[];
  readonly logLevel: ReturnType<typeof parseLogLevel>;
  readonly metricsAddress?: ListenAddress;
  readonly controller?: string;
  readonly clusterSubnets?: readonly string[];
  readonly joinSubnet?: string;
  readonly joinSubnetV6?: string;
  readonly resyncIntervalMs?: number;
  readonly podAnnotations: boolean;
  readonly once: boolean;
}

const AGENT_OPTIONS = {
  nb: { type: 'string' },
  sb: { type: 'string' },
  kubeconfig: { type: 'string' },
  watch: { type: 'string', multiple: true },
  manifests: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  'metrics-address': { type: 'string' },
  controller: { type: 'string' },
  'cluster-subnet': { type: 'string', multiple: true },
  'join-subnet': { type: 'string' },
  'join-subnet-v6': { type: 'string' },
  'resync-interval': { type: 'string' },
  'no-annotations': { type: 'boolean' },
  once: { type: 'boolean' },
  ...TLS_OPTIONS,
} as const;

function prefixOption(name: string, text: string): string {
  try {
    return parsePrefix(text).text;
  } catch (err) {
    throw usageError(`agent: --${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Checks the command line (usage errors exit 2); undefined for --help. */
export function agentCommandOptions(argv: readonly string[]): AgentCommandOptions | undefined {
  const { values } = parse('agent', argv, AGENT_OPTIONS);
  if (values.help) return undefined;
  const see = "(see 'ovn-overlay agent --help')";
  if (values.nb === undefined || values.nb === '') throw usageError(`agent: --nb <remote>[,<remote>...] is required ${see}`);
  const watch = values.watch ?? [];
  const manifests = values.manifests ?? [];
  if (values.kubeconfig !== undefined && watch.length > 0) {
    throw usageError('agent: --kubeconfig and --watch are two sources of the same objects: give one');
  }
  if (values.kubeconfig === undefined && watch.length === 0 && manifests.length === 0) {
    throw usageError(`agent: where do the objects come from? --kubeconfig FILE, --watch FILE|- or --manifests PATH ${see}`);
  }
  if (watch.filter((w) => w === '-').length > 1) throw usageError('agent: --watch - (standard input) can be given once');
  if (values.once === true && values.kubeconfig !== undefined) {
    throw usageError('agent: --once waits for the inputs to end, and informers (--kubeconfig) never end');
  }
  let logLevel: AgentCommandOptions['logLevel'];
  try {
    logLevel = parseLogLevel(values['log-level'] ?? 'info');
  } catch (err) {
    throw usageError(`agent: --log-level: ${(err as Error).message}`);
  }
  let resyncIntervalMs: number | undefined;
  const resync = values['resync-interval'];
  if (resync !== undefined) {
    if (!/^\d+$/.test(resync) || Number(resync) > 86_400 * 365) {
      throw usageError(`agent: --resync-interval: expected whole seconds (0: only at start), not "${resync}"`);
    }
    resyncIntervalMs = Number(resync) * 1000;
  }
  if (values.controller === '') throw usageError('agent: --controller: the name is empty');
  const clusterSubnets = values['cluster-subnet']?.flatMap((list) => list.split(',')).map((s) => prefixOption('cluster-subnet', s.trim()));
  return {
    nb: values.nb, sb: values.sb, tls: tlsFromArgs(values), kubeconfig: values.kubeconfig, watch, manifests, logLevel,
    metricsAddress: values['metrics-address'] === undefined ? undefined : parseListenAddress(values['metrics-address']),
    controller: values.controller, clusterSubnets,
    joinSubnet: values['join-subnet'] === undefined ? undefined : prefixOption('join-subnet', values['join-subnet']),
    joinSubnetV6: values['join-subnet-v6'] === undefined ? undefined : prefixOption('join-subnet-v6', values['join-subnet-v6']),
    resyncIntervalMs, podAnnotations: values['no-annotations'] !== true, once: values.once === true,
  };
}

/** Refuses a --watch or --manifests path that cannot be read, before connecting anywhere. */
async function checkReadable(paths: readonly string[], option: string): Promise<void> {
  for (const path of paths) {
    if (path === '-') continue;
    try {
      await access(path, constants.R_OK);
    } catch (err) {
      throw new CliError(`agent: --${option} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

function sourcesOf(options: AgentCommandOptions, logger: Logger, metrics: AgentMetrics): ObjectSource[] {
  const sources: ObjectSource[] = [];
  // Manifests first: the starting state the other sources change.
  if (options.manifests.length > 0) sources.push(new ManifestSource(options.manifests, { logger }));
  if (options.watch.length > 0) sources.push(WatchStreamSource.fromPaths(options.watch, { logger }));
  if (options.kubeconfig !== undefined) {
    try {
      sources.push(InformerSource.fromKubeconfigFile(options.kubeconfig, { logger, metrics }));
    } catch (err) {
      throw new CliError(`agent: ${(err as Error).message}`, 1, { cause: err });
    }
  }
  return sources;
}

/** Resolves with the first SIGTERM/SIGINT; a second one ends the process at once. */
function stopSignal(logger: Logger): { readonly received: Promise<NodeJS.Signals>; dispose(): void } {
  let first: NodeJS.Signals | undefined;
  let resolve!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((r) => { resolve = r; });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first === undefined) {
      first = signal;
      logger.info(`${signal}: stopping (the reconciles in flight finish; ${signal} again to end at once)`);
      resolve(signal);
      return;
    }
    logger.warn(`${signal} while stopping: ending now, transactions in flight may or may not have committed`);
    void exitWhenFlushed(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    received,
    dispose() { process.off('SIGTERM', onSignal); process.off('SIGINT', onSignal); },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runAgentCommand(argv: readonly string[]): Promise<number> {
  const options = agentCommandOptions(argv);
  if (!options) { process.stdout.write(AGENT_USAGE); return 0; }
  await checkReadable(options.watch, 'watch');
  await checkReadable(options.manifests, 'manifests');
  if (options.kubeconfig !== undefined) await checkReadable([options.kubeconfig], 'kubeconfig');
  const logger = createLogger({ level: options.logLevel });
  const metrics = new AgentMetrics();
  const sources = sourcesOf(options, logger, metrics);
  const signal = stopSignal(logger);
  let metricsServer: MetricsServer | undefined;
  let sb: Southbound | undefined;
  let chassis: ChassisCheck | undefined;
  const agent = new Agent({
    nb: { remotes: options.nb, ...(options.tls ? { tls: options.tls } : {}) },
    sources, logger, metrics,
    ...(options.controller !== undefined ? { controller: options.controller } : {}),
    ...(options.clusterSubnets !== undefined ? { clusterSubnets: options.clusterSubnets } : {}),
    ...(options.joinSubnet !== undefined ? { joinSubnet: options.joinSubnet } : {}),
    ...(options.joinSubnetV6 !== undefined ? { joinSubnetV6: options.joinSubnetV6 } : {}),
    ...(options.resyncIntervalMs !== undefined ? { resyncIntervalMs: options.resyncIntervalMs } : {}),
    ...(options.podAnnotations ? {} : { podAnnotations: false as const }),
  });
  try {
    if (options.metricsAddress) {
      metricsServer = await startMetricsServer(options.metricsAddress, metrics);
      logger.info('metrics served', { url: metricsServer.url });
    }
    const started = performance.now();
    const starting = agent.start();
    starting.catch(() => undefined);
    const first = await Promise.race([starting.then(() => undefined), signal.received]);
    if (first !== undefined) {
      // Stopped before the Northbound was open: let the start settle, then stop what it started.
      await starting.catch(() => undefined);
    } else {
      const nb = agent.nb;
      nb.on('disconnected', ({ remote, reason }) => logger.warn('Northbound connection lost; reconnecting', { remote, reason: reason.message }));
      nb.on('connected', ({ remote }) => logger.info('Northbound connected', { remote }));
      if (options.sb !== undefined) {
        sb = await openSouthbound({ remotes: options.sb, ...(options.tls ? { tls: options.tls } : {}) });
        chassis = new ChassisCheck(agent, sb, logger.child('chassis'));
      }
      const converged = agent.converged().then(() => {
        const stats = agent.stats();
        logger.info('converged', {
          ms: Math.round(performance.now() - started),
          objects: Object.entries(stats.objects).filter(([, n]) => n > 0).map(([kind, n]) => `${kind}:${n}`).join(','),
          problems: stats.problems, transactions: stats.nb.transactions, writes: stats.nb.writeTransactions,
        });
      });
      const oneShotDone = options.once
        ? Promise.all(sources.map((s) => s.done)).then(async () => { await converged; await agent.converged(); })
        : new Promise<never>(() => undefined);
      // A source that failed to start (a kubeconfig whose server refuses, a manifest that vanished) ends the command.
      const sourceFailed = agent.synced.then(() => new Promise<never>(() => undefined));
      await Promise.race([signal.received, oneShotDone, sourceFailed]);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`agent: ${describe(err)}`, 1, { cause: err });
  } finally {
    chassis?.stop();
    const left = await agent.stop();
    const queued = Object.values(left).reduce((n, l) => n + l.queued.length + l.retrying.length, 0);
    const stats = agent.stats();
    logger.info('stopped', { transactions: stats.nb.transactions, writes: stats.nb.writeTransactions, unreconciled: queued });
    await sb?.close();
    await metricsServer?.close();
    signal.dispose();
  }
  return 0;
}
