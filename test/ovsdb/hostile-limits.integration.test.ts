// The bounds and number checks against the real ovsdb-server: everything it writes passes at the defaults (its
// deepest nesting, its renderings of 64-bit and extreme real numbers), and values it would answer by dropping
// the connection are refused before they are sent.
import test from 'ava';
import { startLab, type Lab } from '../../src/lab/index.js';
import { OvsdbClient, OvsdbOutcomeUnknownError, OvsdbValidationError, insert, type Json } from '../../src/ovsdb/index.js';

let lab: Lab;
test.before(async () => { lab = await startLab({ northd: false }); });
test.after.always(async () => { await lab?.stop(); });

test('what ovsdb-server writes back passes the default bounds: 1000 levels, 64-bit extremes, its 15-digit reals', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.servers[0].unix);
  t.teardown(() => client.close());
  // The reply is {"id":..,"result":[params]}: 998 levels of params inside it make 1000 in all, ovsdb-server's own bound.
  let deep: Json = [];
  for (let i = 1; i < 998; i++) deep = [deep];
  const echoed = await client.call('echo', [deep]);
  t.is(JSON.stringify(echoed).length, JSON.stringify([deep]).length);
  // 64-bit extremes stay exact; reals come back as ovsdb-server renders them (15 significant digits), the largest
  // double as 1.79769313486232e+308 (just beyond it), read back as that double.
  const numbers = await client.call('echo', [9223372036854775807n, -9223372036854775808n, 1e-307, 0.1, 1e16, Number.MAX_VALUE, -2.5e300]);
  // (1e16 comes back as the integer 10000000000000000, beyond 2^53: a bigint.)
  t.deepEqual(numbers, [9223372036854775807n, -9223372036854775808n, 1e-307, 0.1, 10n ** 16n, Number.MAX_VALUE, -2.5e300]);
});

test('a NUL in a string: refused before sending; sent raw, ovsdb-server drops the whole connection', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.servers[0].unix);
  t.teardown(() => client.close());
  await t.throwsAsync(client.transact('OVN_Northbound', [insert('Logical_Switch', { name: 'a\0b' })]), { instanceOf: OvsdbValidationError, message: /NUL character/ });
  t.deepEqual(await client.echo('still connected'), ['still connected']);
  // Why: the same operation written by hand. The server closes the connection; the transaction's fate is unknown.
  const raw = client.transactRaw('OVN_Northbound', [{ op: 'insert', table: 'Logical_Switch', row: { name: 'a\0b' } }]);
  await t.throwsAsync(raw, { instanceOf: OvsdbOutcomeUnknownError });
  t.is(client.state, 'closed');
});
