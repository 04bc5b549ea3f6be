// Compile-time checks of the generated row types (tsc runs over test/ in `npm test`), plus a runtime smoke test.
import test from 'ava';
import type { Interface, OpenVSwitch, VSwitchTables, VSwitchTableName, BridgeFailMode } from '../../src/models/open-vswitch.js';
import type { LogicalSwitchPort, ACL, ACLAction, NorthboundTables } from '../../src/models/ovn-northbound.js';
import type { PortBinding, Encap } from '../../src/models/ovn-southbound.js';
import type { Database } from '../../src/ovsdb/server-db.js';
import type { northbound } from '../../src/models/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(_ok: T): void {}

test('generated row types follow the value mapping', (t) => {
  assertType<Equal<Interface['statistics'], Map<string, bigint>>>(true);
  assertType<Equal<Interface['ofport'], bigint | undefined>>(true);
  assertType<Equal<Interface['name'], string>>(true);
  assertType<Equal<OpenVSwitch['bridges'], string[]>>(true);
  assertType<Equal<BridgeFailMode, 'standalone' | 'secure'>>(true);
  assertType<Equal<ACLAction, 'allow' | 'allow-related' | 'allow-stateless' | 'drop' | 'reject'>>(true);
  assertType<Equal<ACL['priority'], bigint>>(true);
  assertType<Equal<LogicalSwitchPort['addresses'], string[]>>(true);
  assertType<Equal<NorthboundTables['Logical_Switch_Port'], LogicalSwitchPort>>(true);
  assertType<Equal<northbound.NorthboundTables, NorthboundTables>>(true);
  assertType<Equal<VSwitchTables['Interface'], Interface>>(true);
  assertType<Equal<PortBinding['tunnel_key'], bigint>>(true);
  assertType<Equal<Encap['type'], 'geneve' | 'stt' | 'vxlan'>>(true);
  assertType<Equal<Database['model'], 'clustered' | 'relay' | 'standalone'>>(true);
  const name: VSwitchTableName = 'Interface';
  // @ts-expect-error not a table of Open_vSwitch
  const bad: VSwitchTableName = 'Logical_Switch';
  const row: Interface = {
    _uuid: '5d2c4b0e-0000-4000-8000-000000000001',
    admin_state: 'up', bfd: new Map(), bfd_status: new Map(), cfm_fault_status: [], cfm_remote_mpids: [],
    external_ids: new Map([['iface-id', 'default_web-0']]), ingress_policing_burst: 0n, ingress_policing_kpkts_burst: 0n,
    ingress_policing_kpkts_rate: 0n, ingress_policing_rate: 0n, lacp_current: undefined, lldp: new Map(),
    mac_in_use: undefined, name: 'web-0', options: new Map(), other_config: new Map(), status: new Map(),
    statistics: new Map([['rx_bytes', 2n ** 60n]]), type: 'internal',
  };
  t.is(name, 'Interface');
  t.is(bad as string, 'Logical_Switch');
  t.is(row.statistics.get('rx_bytes'), 1152921504606846976n);
});
