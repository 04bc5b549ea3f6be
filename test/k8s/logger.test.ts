// Leveled log lines: threshold, components, fields, and --log-level parsing.
import test from 'ava';
import { createLogger, formatLogLine, parseLogLevel } from '../../src/k8s/logger.js';
import { K8sError } from '../../src/k8s/errors.js';

test('records under the threshold are not written; fields are key=value, quoted when needed', (t) => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', write: (l) => lines.push(l), time: () => new Date(Date.UTC(2026, 11, 3, 7, 0, 0)) });
  logger.debug('hidden');
  logger.info('listed', { kind: 'Pod', count: 3, skip: undefined });
  logger.child('queue pods').warn('reconcile failed', { key: 'ns/a', error: 'no "leader" now' });
  logger.child('a').child('b').error('x');
  t.deepEqual(lines, [
    '2026-12-03T07:00:00.000Z info  listed kind=Pod count=3',
    '2026-12-03T07:00:00.000Z warn  queue pods: reconcile failed key=ns/a error="no \\"leader\\" now"',
    '2026-12-03T07:00:00.000Z error a/b: x',
  ]);
  t.true(logger.enabled('info'));
  t.false(logger.enabled('debug'));
  t.is(formatLogLine(new Date(0), 'debug', '', 'm', { empty: '' }), '1970-01-01T00:00:00.000Z debug m empty=""');
});

test('--log-level values', (t) => {
  t.is(parseLogLevel('DEBUG'), 'debug');
  t.is(parseLogLevel(' warn '), 'warn');
  t.is(parseLogLevel('silent'), 'silent');
  const err = t.throws(() => parseLogLevel('verbose'), { instanceOf: K8sError });
  t.is(err?.code, 'K8S_BAD_LOG_LEVEL');
  t.regex(err?.message ?? '', /one of: silent, error, warn, info, debug/);
  const lines: string[] = [];
  const silent = createLogger({ level: 'silent', write: (l) => lines.push(l) });
  silent.error('nothing');
  t.deepEqual(lines, []);
});
