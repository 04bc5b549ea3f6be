// EgressFirewall port rules as OVN match text: protocols grouped, a protocol without a port (or port 0) is all of
// it, and what the CRD or OVN cannot express refused naming the field.
import test from 'ava';
import { egressFirewallPortsMatch, OvnInvalidFieldError } from '../../src/index.js';

test('ports grouped per protocol in tcp, udp, sctp order; a port-less entry takes the whole protocol', (t) => {
  t.is(egressFirewallPortsMatch(undefined, 'ef', 'ports'), undefined);
  t.is(egressFirewallPortsMatch([], 'ef', 'ports'), undefined);
  t.is(egressFirewallPortsMatch([{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 80 }], 'ef', 'ports'),
    '((tcp && (tcp.dst == 80 || tcp.dst == 443)) || (udp && (udp.dst == 53)))');
  t.is(egressFirewallPortsMatch([{ protocol: 'SCTP', port: 9 }, { protocol: 'SCTP' }, { protocol: 'UDP', port: 0 }], 'ef', 'ports'), '((udp) || (sctp))');
});

test('refused naming the field: another protocol, a port beyond 65535 or negative', (t) => {
  const icmp = t.throws(() => egressFirewallPortsMatch([{ protocol: 'TCP', port: 1 }, { protocol: 'ICMP' as 'TCP' }], 'egressfirewall ns/default', 'spec.egress[2].ports'), { instanceOf: OvnInvalidFieldError });
  t.is(icmp.field, 'spec.egress[2].ports[1].protocol');
  for (const port of [65536, -1, 1.5]) {
    t.is(t.throws(() => egressFirewallPortsMatch([{ protocol: 'TCP', port }], 'ef', 'ports'), { instanceOf: OvnInvalidFieldError }).field, 'ports[0].port');
  }
});
