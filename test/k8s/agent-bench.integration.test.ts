// bench/agent.ts at its --quick size against real ovsdb-servers: the agent converges the density-heavy stream
// (every pod a port, every Service its load balancer: nothing left waiting for a retry), an unchanged restart sends
// no write transaction (by the agent's count, and no transact request in ovsdb-server's jsonrpc log), and the
// Python IDL peer writes exactly the rows the agent wrote. No timing is asserted: the bench reports the times.
import test from 'ava';
import { rm } from 'node:fs/promises';
import { agentBenchSize, runAgentSide, runPythonSide } from '../../bench/agent.js';

test('quick density-heavy: converged, an unchanged restart writes nothing, the peer writes the same rows', async (t) => {
  const size = agentBenchSize('quick');
  const ours = await runAgentSide(size);
  try {
    t.is(ours.problems, 0);
    t.is(ours.retryPending, 0, 'nothing left waiting for a retry when the agent said it converged');
    t.is(ours.perTable.Load_Balancer, size.services, 'a load balancer per Service');
    // Every pod's port; per node its management port, its switch's port to the cluster router and the join
    // switch's port to its gateway router; the join switch's port to the cluster router.
    t.is(ours.perTable.Logical_Switch_Port, size.pods + 3 * size.nodes + 1);
    t.true(ours.convergeWrites > 0);
    t.is(ours.restartWrites, 0, 'an unchanged restart: no write transaction by the agent\'s count');
    t.is(ours.restartLoggedWrites, 0);
    t.true(ours.restartWireRequests > 0, 'the restarted agent\'s requests are in ovsdb-server\'s log');
    t.is(ours.restartWireTransacts, 0, 'no transact request on the wire');
    const python = await runPythonSide(ours.rowsFile);
    t.deepEqual(python.perTable, ours.perTable, 'the peer wrote the same rows');
    t.is(python.transactions, 1 + size.nodes + size.pods + size.services, 'one transaction per object (and the cluster\'s rows)');
  } finally {
    await rm(ours.dir, { recursive: true, force: true });
  }
});
