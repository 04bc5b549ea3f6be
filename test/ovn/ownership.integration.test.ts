// Ownership in external_ids, against a real ovsdb-server, read back with ovn-nbctl: every row the library writes
// carries ovn-kubernetes' owner keys; list/get/sync of every kind see only this controller's rows; rows made by
// ovn-nbctl or by another controller are never changed or deleted (ensure/delete refuse them with
// OvnNotOwnedError, sync leaves them), and garbage collection removes exactly what is gone.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { openNorthbound, type Northbound } from '../../src/ovn/northbound.js';
import { ClusterNetwork } from '../../src/ovn/cluster-network.js';
import { OvnNotOwnedError } from '../../src/ovn/errors.js';
import { NORTHBOUND_TABLES } from '../../src/ovn/northbound.js';

let lab: Lab;
let db: Northbound;
let a: ClusterNetwork;
let b: ClusterNetwork;

test.before(async () => {
  lab = await startLab({ northd: false });
  db = await openNorthbound(lab.nb.unix);
  a = new ClusterNetwork(db, { controller: 'agent-a' });
  b = new ClusterNetwork(db, { controller: 'agent-b' });
});

test.after.always(async () => {
  await db?.close();
  await lab?.stop();
});

const nbctlIds = async (table: string, name: string): Promise<Record<string, string>> => {
  const out = JSON.parse(await lab.nbctl('--format=json', '--columns=external_ids', 'find', table, `name="${name}"`)) as { data: [['map', [string, string][]]][] };
  return Object.fromEntries(out.data[0][0][1]);
};

test.serial('every row written carries the owner keys; pods, services and policies as ovn-kubernetes marks them', async (t) => {
  await a.nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24'], chassis: 'ch1', nodeIp: '172.18.0.2' });
  await a.pods.ensure({ namespace: 'ns', name: 'web', node: 'node1' });
  await a.services.ensure({ namespace: 'ns', name: 'web', vips: [{ ip: '10.96.0.10', port: 80, endpoints: [{ ip: '10.244.1.3', port: 80 }] }, { ip: '10.96.0.10', port: 53, protocol: 'udp', endpoints: [] }] });
  await a.networkPolicies.ensure({ namespace: 'ns', name: 'allow', pods: [{ namespace: 'ns', name: 'web' }], ingress: [{ peerAddresses: ['10.244.1.9'], ports: [{ protocol: 'tcp', port: 80 }] }] });
  for (const table of NORTHBOUND_TABLES) {
    if (table === 'Load_Balancer_Group') continue; // no external_ids column
    for (const row of db.table(table)) {
      const ids = (row as { external_ids: ReadonlyMap<string, string> }).external_ids;
      t.is(ids.get('k8s.ovn.org/owner-controller'), 'agent-a', `${table} ${(row as { name?: string }).name ?? row._uuid} has no owner`);
      t.truthy(ids.get('k8s.ovn.org/owner-type'));
      t.truthy(ids.get('k8s.ovn.org/name'));
    }
  }
  t.deepEqual(await nbctlIds('Logical_Switch_Port', 'ns_web'), {
    namespace: 'ns', pod: 'true', 'k8s.ovn.org/owner-controller': 'agent-a', 'k8s.ovn.org/owner-type': 'Pod', 'k8s.ovn.org/name': 'ns:web',
  });
  t.deepEqual(await nbctlIds('Load_Balancer', 'Service_ns/web_UDP_cluster'), {
    'k8s.ovn.org/kind': 'Service', 'k8s.ovn.org/owner': 'ns/web', 'k8s.ovn.org/owner-controller': 'agent-a', 'k8s.ovn.org/owner-type': 'Service', 'k8s.ovn.org/name': 'ns:web',
  });
  const pg = a.networkPolicies.get({ namespace: 'ns', name: 'allow' });
  t.like(await nbctlIds('Port_Group', pg?.portGroup ?? ''), {
    'k8s.ovn.org/owner-controller': 'agent-a', 'k8s.ovn.org/owner-type': 'NetworkPolicy', 'k8s.ovn.org/name': 'ns:allow', 'k8s.ovn.org/id': 'agent-a:NetworkPolicy:ns:allow',
  });
  const acls = JSON.parse(await lab.nbctl('--format=json', '--columns=external_ids', 'list', 'ACL')) as { data: [['map', [string, string][]]][] };
  const ids = acls.data.map((r) => Object.fromEntries(r[0][1])).map((m) => m['k8s.ovn.org/id']).sort();
  t.deepEqual(ids, [
    'agent-a:NetpolNamespace:ns:Ingress:arpAllow', 'agent-a:NetpolNamespace:ns:Ingress:defaultDeny', 'agent-a:NetworkPolicy:ns:allow:Ingress:0:tcp:-1',
  ]);
  t.like(await nbctlIds('Address_Set', pg?.addressSets[0] ?? ''), { 'k8s.ovn.org/id': 'agent-a:NetworkPolicy:ns:allow:Ingress:0:ipv4', 'ip-family': 'ipv4', direction: 'Ingress', 'gress-index': '0' });
});

test.serial('get and list per kind: what this controller owns, as stored', (t) => {
  t.like(a.nodes.get({ name: 'node1' }), { name: 'node1', subnets: ['10.244.1.0/24'], gatewayRouter: 'GR_node1', chassis: 'ch1', managementPort: 'k8s-node1' });
  t.deepEqual(a.nodes.list().map((n) => n.name), ['node1']);
  t.like(a.pods.get({ namespace: 'ns', name: 'web' }), { node: 'node1', ipAddresses: ['10.244.1.3/24'], mac: '0a:58:0a:f4:01:03', gateways: ['10.244.1.1'] });
  t.deepEqual(a.pods.list({ node: 'node1' }).map((p) => p.name), ['web']);
  t.deepEqual(a.pods.list({ namespace: 'other' }), []);
  const svc = a.services.get({ namespace: 'ns', name: 'web' });
  t.deepEqual(svc?.loadBalancers, ['Service_ns/web_TCP_cluster', 'Service_ns/web_UDP_cluster']);
  t.deepEqual(svc?.vips, [
    { ip: '10.96.0.10', port: 80, protocol: 'tcp', endpoints: [{ ip: '10.244.1.3', port: 80 }] },
    { ip: '10.96.0.10', port: 53, protocol: 'udp', endpoints: [] },
  ]);
  t.like(a.networkPolicies.list({ namespace: 'ns' })[0], { name: 'allow', policyTypes: ['ingress'], pods: [{ namespace: 'ns', name: 'web' }] });
  // Another controller owns none of it.
  t.deepEqual([b.nodes.list(), b.pods.list(), b.services.list(), b.networkPolicies.list()], [[], [], [], []]);
  t.is(b.pods.get({ namespace: 'ns', name: 'web' }), undefined);
});

test.serial('rows made by ovn-nbctl or another controller are never changed or deleted', async (t) => {
  await lab.nbctl('lsp-add', 'node1', 'ns_manual', '--', 'lsp-set-addresses', 'ns_manual', '0a:58:0a:f4:01:63 10.244.1.99');
  await lab.nbctl('lb-add', 'Service_ns/manual_TCP_cluster', '10.96.0.99:80', '10.244.1.99:80');
  await db.transact([]); // a round trip: the replica has both rows
  const notOwned = await t.throwsAsync(a.pods.delete({ namespace: 'ns', name: 'manual' }), { instanceOf: OvnNotOwnedError });
  t.is(notOwned?.code, 'OVN_NOT_OWNED');
  t.regex(notOwned?.message ?? '', /Logical_Switch_Port ns_manual is not owned by any controller \(written by another tool, e\.g\. ovn-nbctl\), not by agent-a: left untouched/);
  await t.throwsAsync(a.pods.ensure({ namespace: 'ns', name: 'manual', node: 'node1' }), { instanceOf: OvnNotOwnedError });
  await t.throwsAsync(a.services.ensure({ namespace: 'ns', name: 'manual', vips: [{ ip: '10.96.0.99', port: 80, endpoints: [] }] }), { instanceOf: OvnNotOwnedError });
  await t.throwsAsync(a.services.delete({ namespace: 'ns', name: 'manual' }), { instanceOf: OvnNotOwnedError });
  const other = await t.throwsAsync(b.pods.delete({ namespace: 'ns', name: 'web' }), { instanceOf: OvnNotOwnedError });
  t.regex(other?.message ?? '', /owned by controller agent-a, not by agent-b/);
  await t.throwsAsync(b.nodes.ensure({ name: 'node1', subnets: ['10.244.1.0/24'] }), { instanceOf: OvnNotOwnedError });
  // Garbage collection with nothing left: only agent-a's rows go.
  t.deepEqual(await b.pods.sync([]), []);
  t.deepEqual(await a.pods.sync([]), [{ namespace: 'ns', name: 'web' }]);
  t.deepEqual(await a.services.sync([]), [{ namespace: 'ns', name: 'web' }]);
  t.deepEqual(await a.networkPolicies.sync([]), [{ namespace: 'ns', name: 'allow' }]);
  t.regex(await lab.nbctl('lsp-list', 'node1'), /ns_manual/);
  t.is((await lab.nbctl('--bare', '--columns=name', 'list', 'Load_Balancer')).trim(), 'Service_ns/manual_TCP_cluster');
  t.is((await lab.nbctl('--bare', '--columns=name', 'list', 'Port_Group')).trim(), '');
  t.is((await lab.nbctl('--bare', '--columns=name', 'list', 'Address_Set')).trim(), '');
  t.is((await lab.nbctl('--bare', '--columns=_uuid', 'list', 'ACL')).trim(), '');
  // A second sync finds nothing.
  t.deepEqual(await a.services.sync([]), []);
});

test.serial('nodes.sync removes the nodes that are gone with every row they owned', async (t) => {
  await a.nodes.ensure({ name: 'node2', subnets: ['10.244.2.0/24'], chassis: 'ch2' });
  await a.pods.ensure({ namespace: 'ns', name: 'db', node: 'node2' });
  t.deepEqual(await a.nodes.sync([{ name: 'node1' }]), [{ name: 'node2' }]);
  const show = await lab.nbctl('show');
  for (const gone of ['(node2)', 'GR_node2', 'rtos-node2', 'ns_db']) t.false(show.includes(gone), `${gone} left behind`);
  t.true(show.includes('(node1)'));
  t.deepEqual(await a.nodes.sync([{ name: 'node1' }]), []);
});
