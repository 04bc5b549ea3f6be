// Label selectors (metav1.LabelSelector) with the semantics of the Kubernetes API: matchLabels and
// matchExpressions (In, NotIn, Exists, DoesNotExist) are ANDed; an empty selector matches everything; an absent
// (null) selector matches nothing (apimachinery's LabelSelectorAsSelector). Syntax rules are the API's own
// (validation.IsQualifiedName for keys, IsValidLabelValue for values), so that what the apiserver would refuse is
// refused here too.
import type { V1LabelSelector } from '@kubernetes/client-node';
import { isRecord } from './json-record.js';

export type Labels = Readonly<Record<string, string>> | undefined;
export type LabelMatcher = (labels: Labels) => boolean;

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** Why `key` is not a label key ("prefix/name" or "name"), or undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return `label key "${key}" has a prefix that is not a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `label key "${key}" is not a qualified name (alphanumerics, '-', '_', '.', at most 63, alphanumeric at both ends)`;
  }
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one (the empty value is one). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) return `label value "${value}" is not valid (alphanumerics, '-', '_', '.', at most 63, alphanumeric at both ends)`;
  return undefined;
}

/**
 * Why `value` (at `path`) is not a valid label selector, or undefined when it is one. Checks types, operators,
 * the values each operator needs, and key/value syntax.
 */
export function labelSelectorProblem(value: unknown, path: string): string | undefined {
  if (!isRecord(value)) return `${path} is not an object`;
  const { matchLabels, matchExpressions } = value;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isRecord(matchLabels)) return `${path}.matchLabels is not a map`;
    for (const [key, v] of Object.entries(matchLabels)) {
      if (typeof v !== 'string') return `${path}.matchLabels["${key}"] is not a string`;
      const problem = labelKeyProblem(key) ?? labelValueProblem(v);
      if (problem) return `${path}.matchLabels: ${problem}`;
    }
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) return `${path}.matchExpressions is not a list`;
    for (const [i, requirement] of matchExpressions.entries()) {
      const at = `${path}.matchExpressions[${i}]`;
      if (!isRecord(requirement)) return `${at} is not an object`;
      const { key, operator, values } = requirement;
      if (typeof key !== 'string') return `${at}.key is missing`;
      const keyProblem = labelKeyProblem(key);
      if (keyProblem) return `${at}: ${keyProblem}`;
      if (typeof operator !== 'string' || !(SELECTOR_OPERATORS as readonly string[]).includes(operator)) {
        return `${at}.operator ${JSON.stringify(operator)} is not one of ${SELECTOR_OPERATORS.join(', ')}`;
      }
      if (values !== undefined && values !== null && (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))) {
        return `${at}.values is not a list of strings`;
      }
      const list = (values ?? []) as string[];
      if ((operator === 'In' || operator === 'NotIn') && list.length === 0) return `${at}: operator ${operator} needs at least one value`;
      if ((operator === 'Exists' || operator === 'DoesNotExist') && list.length > 0) return `${at}: operator ${operator} takes no values`;
      for (const v of list) {
        const problem = labelValueProblem(v);
        if (problem) return `${at}.values: ${problem}`;
      }
    }
  }
  return undefined;
}

const matchNothing: LabelMatcher = () => false;
const matchEverything: LabelMatcher = () => true;

/**
 * A predicate over an object's labels for a selector that passed labelSelectorProblem. `undefined`/`null` (no
 * selector) matches nothing; `{}` matches everything.
 */
export function labelSelectorMatcher(selector: V1LabelSelector | null | undefined): LabelMatcher {
  if (selector === undefined || selector === null) return matchNothing;
  const tests: LabelMatcher[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    tests.push((labels) => labels?.[key] === value);
  }
  for (const { key, operator, values } of selector.matchExpressions ?? []) {
    const set = new Set(values ?? []);
    const has = (labels: Labels) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
    switch (operator) {
      case 'In': tests.push((labels) => has(labels) && set.has(labels![key])); break;
      case 'NotIn': tests.push((labels) => !has(labels) || !set.has(labels![key])); break;
      case 'Exists': tests.push(has); break;
      case 'DoesNotExist': tests.push((labels) => !has(labels)); break;
      default: return matchNothing; // an operator the API does not have selects nothing (validation refuses it first)
    }
  }
  if (tests.length === 0) return matchEverything;
  return (labels) => tests.every((test) => test(labels));
}

/** A selector in kubectl's text form ("app=web,tier in (a,b),!legacy"), for logs. */
export function formatLabelSelector(selector: V1LabelSelector | null | undefined): string {
  if (selector === undefined || selector === null) return '<none>';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const { key, operator, values } of selector.matchExpressions ?? []) {
    if (operator === 'In') parts.push(`${key} in (${(values ?? []).join(',')})`);
    else if (operator === 'NotIn') parts.push(`${key} notin (${(values ?? []).join(',')})`);
    else if (operator === 'Exists') parts.push(key);
    else parts.push(`!${key}`);
  }
  return parts.length === 0 ? '<all>' : parts.join(',');
}
