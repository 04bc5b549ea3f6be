// Helper process for cleanup.test.ts: starts a lab, prints its PIDs, and waits to be signalled.
import { startLab } from '../../src/lab/index.js';

const lab = await startLab();
const pids = [...lab.ovs.servers, ...lab.nb.servers, ...lab.sb.servers].map((s) => s.pid);
console.log(JSON.stringify({ pids, dir: lab.dir }));
setInterval(() => undefined, 1000);
