// Writing the k8s.ovn.org/pod-networks annotation back through the real @kubernetes/client-node (CoreV1Api's
// patchNamespacedPod, a JSON merge patch of metadata.annotations) against the local replay server, which accepts
// exactly the recorded PATCH requests: the request is the one the API expects, a pod that is gone (404) is no
// error, and any other refusal is (the queue retries it).
import test from 'ava';
import { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { InformerSource } from '../../src/k8s/informer-source.js';
import { loadExchanges, startReplayServer, type Exchange } from './replay-server.js';

function kubeConfig(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'replay', server, skipTLSVerify: true }],
    users: [{ name: 'agent', token: 'replay-token' }],
    contexts: [{ name: 'replay', cluster: 'replay', user: 'agent' }],
    currentContext: 'replay',
  });
  return config;
}

const pod = (namespace: string, name: string): V1Pod => Object.assign(new V1Pod(), { metadata: { namespace, name } });
const VALUE = '{"default":{"ip_addresses":["10.244.0.3/24"],"mac_address":"0a:58:0a:f4:00:03","gateway_ips":["10.244.0.1"],"ip_address":"10.244.0.3/24","gateway_ip":"10.244.0.1","role":"primary"}}';

test('the informer source\'s writer PATCHes the one annotation as a JSON merge patch', async (t) => {
  const server = await startReplayServer(loadExchanges('agent.exchanges.json'));
  try {
    const writer = new InformerSource(kubeConfig(server.url)).podAnnotationWriter();
    await writer.write(pod('frontend', 'web-7d9f5c-abcde'), VALUE);
    t.deepEqual(server.mismatches, []);
    const [request] = server.requests.filter((r) => r.method === 'PATCH');
    t.is(request.path, '/api/v1/namespaces/frontend/pods/web-7d9f5c-abcde');
    t.is(request.contentType, 'application/merge-patch+json');
    t.deepEqual(JSON.parse(request.body), { metadata: { annotations: { 'k8s.ovn.org/pod-networks': VALUE } } });
  } finally {
    await server.close();
  }
});

test('a pod deleted meanwhile (404) is written: nothing to do; another refusal rejects, to be retried', async (t) => {
  const exchanges: Exchange[] = [
    { method: 'PATCH', path: '/api/v1/namespaces/frontend/pods/web-gone', watch: false, body: 'pod-not-found.json', status: 404 },
    { method: 'PATCH', path: '/api/v1/namespaces/frontend/pods/web-busy', watch: false, body: 'unavailable.json', status: 503 },
  ];
  const server = await startReplayServer(exchanges);
  try {
    const writer = new InformerSource(kubeConfig(server.url)).podAnnotationWriter();
    await t.notThrowsAsync(writer.write(pod('frontend', 'web-gone'), VALUE));
    const err = await t.throwsAsync(writer.write(pod('frontend', 'web-busy'), VALUE));
    t.is((err as { code?: number }).code, 503);
    t.deepEqual(server.mismatches, []);
  } finally {
    await server.close();
  }
});
