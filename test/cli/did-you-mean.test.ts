import test from 'ava';
import { closestNames, didYouMean, editDistance } from '../../src/cli/did-you-mean.js';

test('edit distance counts inserts, deletes, replacements and swapped neighbours as one edit each', (t) => {
  t.is(editDistance('list', 'list'), 0);
  t.is(editDistance('lsit', 'list'), 1);
  t.is(editDistance('Logical_Swich', 'Logical_Switch'), 1);
  t.is(editDistance('nbb', 'nb'), 1);
  t.is(editDistance('', 'abc'), 3);
  t.is(editDistance('kitten', 'sitting'), 3);
});

test('closest names: close enough, closest first, case ignored, nothing for an exact name or a far one', (t) => {
  const tables = ['Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'ACL'];
  t.deepEqual(closestNames('logical_switch_prot', tables), ['Logical_Switch_Port']);
  t.deepEqual(closestNames('Logical_Swich', tables), ['Logical_Switch']);
  t.deepEqual(closestNames('Logical_Switch', tables), []);
  t.deepEqual(closestNames('Chassis', tables), []);
  t.deepEqual(closestNames('acl', tables), ['ACL']);
});

test('didYouMean writes one hint, or nothing', (t) => {
  t.is(didYouMean('nmae', ['name', 'ports']), '; did you mean "name"?');
  t.is(didYouMean('ab', ['aa', 'ac', 'xy']), '; did you mean "aa" or "ac"?');
  t.is(didYouMean('dbb', ['db', 'help'], (n) => `--${n}`), '; did you mean --db?');
  t.is(didYouMean('zzzz', ['name']), '');
});
