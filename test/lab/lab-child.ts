// Helper process for cleanup.integration.test.ts: starts a lab (options as JSON in argv[2]), prints its PIDs, network
// namespaces and directory, and waits to be signalled.
import { startLab, type LabOptions } from '../../src/lab/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as LabOptions;
const lab = await startLab(options);
const pids = [...lab.ovs.servers, ...lab.nb.servers, ...lab.sb.servers].map((s) => s.pid);
for (const hv of lab.hypervisors) pids.push(...Object.values(hv.pids));
if (lab.hub) pids.push(...lab.hub.pids);
const namespaces = [...lab.hypervisors.map((hv) => hv.netns), ...(lab.hub ? [lab.hub.netns] : [])];
console.log(JSON.stringify({ pids, namespaces, dir: lab.dir }));
setInterval(() => undefined, 1000);
