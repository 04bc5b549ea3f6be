// An agent as its own process, for the tests that kill it: the Agent of ovn-overlay/k8s reading a kubectl watch-event
// stream on standard input and writing the Northbound given as its first argument, as controller `agent-child`.
// Standard output gets one JSON line per news: {"event":"converged","writes":N,"transactions":M} each time it has
// converged after its stream said the initial state was complete (an initial-events-end BOOKMARK), and
// {"event":"exit"} when standard input ends. Logs go to standard error.
//
//   node --import tsx test/k8s/agent-child.ts tcp:127.0.0.1:6641 < events.jsonl
import { Agent } from '../../src/k8s/agent.js';
import { createLogger } from '../../src/k8s/logger.js';
import { WatchStreamSource } from '../../src/k8s/watch-stream-source.js';

const nb = process.argv[2];
if (!nb) {
  process.stderr.write('usage: agent-child.ts <nb remote>\n');
  process.exit(2);
}
const logger = createLogger({ level: (process.env.AGENT_LOG_LEVEL as 'info' | undefined) ?? 'warn', component: `agent ${process.pid}` });
const say = (news: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(news) + '\n'); };
const source = WatchStreamSource.fromPaths(['-'], { logger, quietMs: 60_000 });
const agent = new Agent({ nb, sources: [source], controller: 'agent-child', logger, clusterSubnets: ['10.244.0.0/16'] });
await agent.start();
say({ event: 'started', pid: process.pid });
await agent.converged();
const stats = agent.stats();
say({ event: 'converged', writes: stats.nb.writeTransactions, transactions: stats.nb.transactions, problems: stats.problems });
await source.done;
await agent.converged();
say({ event: 'exit', writes: agent.stats().nb.writeTransactions });
await agent.stop();
