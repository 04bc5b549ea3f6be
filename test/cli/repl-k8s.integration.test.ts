// k8s.apply / k8s.delete in the lab REPL: Kubernetes objects (a manifest's YAML, plain objects) through the agent's
// cache and controllers on the REPL's replica; the pods they make are bound on the lab's hypervisors and a frame
// goes from one to the other; a bad object is reported and skipped; a delete removes the port.
import test from 'ava';
import { runCommand } from '../../src/lab/process.js';
import { CliProcess } from './helpers.js';

test('apply nodes and pods from YAML, bind them, a frame crosses; a bad pod is skipped; delete removes the port', async (t) => {
  const p = new CliProcess(['lab']);
  await p.waitFor(/Press Ctrl-C/, 60_000);
  const nbUnix = /OVN_Northbound:\n\s+unix: (\S+)/.exec(p.output)![1];
  await p.waitFor(/ovn> /);
  const nbctl = (...args: string[]) => runCommand('ovn-nbctl', [`--db=unix:${nbUnix.replace(/^unix:/, '')}`, ...args]);

  const nodes = ['hv1', 'hv2'].map((hv, i) => `apiVersion: v1\\nkind: Node\\nmetadata: {name: ${hv}}\\nspec: {podCIDR: 10.244.${i + 1}.0/24}`).join('\\n---\\n');
  t.regex(await p.type(`await k8s.apply(\`${nodes}\`)`), /applied: \[ 'Node hv1', 'Node hv2' \]/);
  const applied = await p.type(`await k8s.apply([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'hv1', containers: [] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db' }, spec: { nodeName: 'hv2', containers: [] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { nodeName: 'hv2' } }])`.replace(/\n\s*/g, ' '));
  t.regex(applied, /'default\/web': '10\.244\.1\.\d+\/24 \(port default_web on hv1\)'/);
  t.regex(applied, /'default\/db': '10\.244\.2\.\d+\/24 \(port default_db on hv2\)'/);
  t.regex(applied, /Pod default\/Bad_Name: metadata\.name "Bad_Name" is not a dns-1123-subdomain name .*\(invalid-name\)/);
  t.regex(await nbctl('--bare', '--columns=external_ids', 'find', 'Logical_Switch_Port', 'name=default_web'), /k8s\.ovn\.org\/owner-controller=ovn-overlay-repl/);

  t.regex(await p.type(`(await k8s.bindPod('default', 'web', hv1)).hypervisor`), /'hv1'/);
  t.regex(await p.type(`(await k8s.bindPod('default', 'db', hv2)).hypervisor`), /'hv2'/);
  t.regex(await p.type(`await k8s.waitUp('default', 'web')`), /'default\/web is up'/);
  t.regex(await p.type(`await k8s.waitUp('default', 'db')`), /'default\/db is up'/);
  t.regex(await p.type(`await k8s.send('default', 'web', 'db')`), /delivered: true/);

  t.regex(await p.type(`await k8s.delete('pod', 'default/db')`), /deleted: \[ 'Pod default\/db' \]/);
  t.notRegex(await nbctl('lsp-list', 'hv2'), /default_db/);
  t.regex(await p.type(`await k8s.delete('pods', 'nope')`), /note: "nothing deleted: no such object in the agent's cache"/);
  t.regex(await p.type('k8s.agent.stats().objects'), /Node: 2,\s+Pod: 1,/);
  p.write('.exit\n');
  t.is(await p.exited, 0, p.output);
});
