// Label selectors with the API's semantics and syntax rules.
import test from 'ava';
import { formatLabelSelector, labelSelectorMatcher, labelSelectorProblem } from '../../src/k8s/label-selector.js';

test('matchLabels and matchExpressions are ANDed; NotIn and DoesNotExist match a missing label', (t) => {
  const match = labelSelectorMatcher({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['front', 'edge'] },
      { key: 'env', operator: 'NotIn', values: ['prod'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'team', operator: 'Exists' },
    ],
  });
  t.true(match({ app: 'web', tier: 'front', team: 'a' }));
  t.true(match({ app: 'web', tier: 'edge', env: 'dev', team: '' }));
  t.false(match({ app: 'web', tier: 'front', env: 'prod', team: 'a' }));
  t.false(match({ app: 'web', tier: 'back', team: 'a' }));
  t.false(match({ app: 'web', tier: 'front', team: 'a', canary: 'true' }));
  t.false(match({ app: 'web', tier: 'front' }));
  t.false(match({ app: 'db', tier: 'front', team: 'a' }));
  t.false(match(undefined));
});

test('an empty selector matches everything, an absent one nothing (as the API)', (t) => {
  t.true(labelSelectorMatcher({})(undefined));
  t.true(labelSelectorMatcher({ matchLabels: {}, matchExpressions: [] })({ a: 'b' }));
  t.false(labelSelectorMatcher(undefined)({ a: 'b' }));
  t.false(labelSelectorMatcher(null)({}));
});

test('problems: operators, values per operator, key and value syntax, types', (t) => {
  t.is(labelSelectorProblem({ matchLabels: { 'app.kubernetes.io/name': 'web' } }, 's'), undefined);
  t.is(labelSelectorProblem({}, 's'), undefined);
  const cases: Array<[unknown, RegExp]> = [
    [{ matchExpressions: [{ key: 'a', operator: 'Within', values: ['x'] }] }, /operator "Within" is not one of In, NotIn, Exists, DoesNotExist/],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /operator In needs at least one value/],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /operator Exists takes no values/],
    [{ matchExpressions: [{ operator: 'Exists' }] }, /matchExpressions\[0\]\.key is missing/],
    [{ matchLabels: { 'bad key!': 'x' } }, /label key "bad key!" is not a qualified name/],
    [{ matchLabels: { 'Example.com/app': 'x' } }, /prefix that is not a DNS subdomain/],
    [{ matchLabels: { app: '-web' } }, /label value "-web" is not valid/],
    [{ matchLabels: { app: 3 } }, /matchLabels\["app"\] is not a string/],
    [{ matchLabels: [] }, /matchLabels is not a map/],
    ['app=web', /is not an object/],
  ];
  for (const [selector, re] of cases) t.regex(labelSelectorProblem(selector, 'spec.podSelector') ?? '', re, JSON.stringify(selector));
});

test('kubectl-style text for logs', (t) => {
  t.is(formatLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 't', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] }),
    'app=web,t in (a,b),!x');
  t.is(formatLabelSelector({}), '<all>');
  t.is(formatLabelSelector(undefined), '<none>');
});
