// The small pure parts of multicast: the namespace annotation, and the IPv6 link-local address the querier speaks
// from (ovn-kubernetes' HWAddrToIPv6LLA, modified EUI-64).
import test from 'ava';
import { multicastEnabled, MULTICAST_ENABLED_ANNOTATION } from '../../src/index.js';
import { linkLocalFromMac } from '../../src/ovn/mac.js';

test('multicastEnabled: only the annotation "true"', (t) => {
  t.true(multicastEnabled({ metadata: { annotations: { [MULTICAST_ENABLED_ANNOTATION]: 'true' } } }));
  for (const value of ['false', 'True', '']) t.false(multicastEnabled({ metadata: { annotations: { [MULTICAST_ENABLED_ANNOTATION]: value } } }));
  t.false(multicastEnabled({}));
});

test('linkLocalFromMac: the universal/local bit flipped, ff:fe in the middle', (t) => {
  t.is(linkLocalFromMac('0a:58:0a:f4:01:01'), 'fe80::858:aff:fef4:101');
  t.is(linkLocalFromMac('00:00:00:00:00:00'), 'fe80::200:ff:fe00:0');
});
