// An agent on the informer source: client-node's informers list and watch the local replay of a kube-apiserver,
// the controllers write a real OVN_Northbound, and every pod that got a port has its k8s.ovn.org/pod-networks
// annotation PATCHed back through client-node's CoreV1Api (the replay accepts exactly the recorded PATCHes).
import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { startLab } from '../../src/lab/index.js';
import { Agent } from '../../src/k8s/agent.js';
import { InformerSource } from '../../src/k8s/informer-source.js';
import { loadExchanges, startReplayServer } from './replay-server.js';

test('informers in, ports out, annotations PATCHed back with the addresses OVN holds', async (t) => {
  const lab = await startLab({ northd: false });
  const server = await startReplayServer(loadExchanges('agent.exchanges.json'));
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'replay', server: server.url, skipTLSVerify: true }], users: [{ name: 'agent', token: 'replay-token' }],
    contexts: [{ name: 'replay', cluster: 'replay', user: 'agent' }], currentContext: 'replay',
  });
  const agent = new Agent({ nb: lab.nb.unix, sources: [new InformerSource(config, { watchTimeoutSeconds: 300 })] });
  try {
    await agent.start();
    const pods = ['backend/db-0', 'frontend/web-7d9f5c-abcde', 'frontend/web-7d9f5c-fghij', 'frontend/web-7d9f5c-klmno'];
    // The third Deployment pod comes with the first watch, maybe after the initial sync.
    for (;;) {
      await agent.converged();
      if (server.requests.filter((r) => r.method === 'PATCH').length >= pods.length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.deepEqual(server.mismatches, []);
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    t.deepEqual(patches.map((r) => r.path).sort(), pods.map((k) => `/api/v1/namespaces/${k.split('/')[0]}/pods/${k.split('/')[1]}`).sort(), 'one PATCH per pod');
    for (const key of pods) {
      const [namespace, name] = key.split('/') as [string, string];
      const request = patches.find((r) => r.path.endsWith(`/${namespace}/pods/${name}`))!;
      t.is(request.contentType, 'application/merge-patch+json');
      const value = (JSON.parse(request.body) as { metadata: { annotations: Record<string, string> } }).metadata.annotations['k8s.ovn.org/pod-networks'] ?? '';
      t.is(agent.podNetwork(key)?.annotation, value, `${key}: the value the agent reported`);
      const lsp = (await lab.nbctl('get', 'Logical_Switch_Port', `${namespace}_${name}`, 'addresses')).trim();
      const network = (JSON.parse(value) as { default: { mac_address: string; ip_addresses: string[] } }).default;
      t.is(lsp, `["${network.mac_address} ${network.ip_addresses[0].split('/')[0]}"]`, `${key}: the annotation is the port's addresses`);
    }
    // node-a has 10.244.0.0/24 (spec.podCIDR), node-b 10.244.1.0/24.
    t.regex(agent.podNetwork('frontend/web-7d9f5c-abcde')?.annotation ?? '', /10\.244\.0\.\d+\/24/);
    t.regex(agent.podNetwork('backend/db-0')?.annotation ?? '', /10\.244\.1\.\d+\/24/);
  } finally {
    await agent.stop();
    await server.close();
    await lab.stop();
  }
});
