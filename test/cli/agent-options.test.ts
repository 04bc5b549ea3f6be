// The agent command's command line: what it accepts and the one-line usage errors (exit 2) it gives otherwise.
import test from 'ava';
import { agentCommandOptions } from '../../src/cli/agent-command.js';
import { CliError } from '../../src/cli/cli-error.js';
import { parseListenAddress } from '../../src/cli/metrics-server.js';

const usage = (t: import('ava').ExecutionContext, argv: string[], message: RegExp): void => {
  const error = t.throws(() => agentCommandOptions(argv), { instanceOf: CliError, message });
  t.is(error?.exitCode, 2);
};

test('a full command line', (t) => {
  const options = agentCommandOptions(['--nb', 'tcp:127.0.0.1:6641', '--sb', 'tcp:127.0.0.1:6642', '--watch', 'pods.jsonl', '--watch', '-',
    '--manifests', 'nodes/', '--log-level', 'DEBUG', '--metrics-address', '[::1]:0', '--controller', 'east',
    '--cluster-subnet', '10.244.0.0/16,fd00:10:244::/48', '--join-subnet', '100.65.0.0/16', '--join-subnet-v6', 'fd99::/64', '--resync-interval', '0', '--no-annotations', '--once']);
  t.like(options, {
    nb: 'tcp:127.0.0.1:6641', sb: 'tcp:127.0.0.1:6642', watch: ['pods.jsonl', '-'], manifests: ['nodes/'], logLevel: 'debug',
    metricsAddress: { host: '::1', port: 0 }, controller: 'east', clusterSubnets: ['10.244.0.0/16', 'fd00:10:244::/48'],
    joinSubnet: '100.65.0.0/16', joinSubnetV6: 'fd99::/64', resyncIntervalMs: 0, podAnnotations: false, once: true,
  });
  t.is(agentCommandOptions(['--help']), undefined);
  t.like(agentCommandOptions(['--nb', 'unix:/x', '--kubeconfig', 'k.yaml']), { logLevel: 'info', podAnnotations: true, once: false, watch: [] });
});

test('usage errors name what is wrong', (t) => {
  usage(t, ['--watch', '-'], /^agent: --nb <remote>\[,<remote>\.\.\.\] is required/);
  usage(t, ['--nb', 'unix:/x'], /^agent: where do the objects come from\? --kubeconfig FILE, --watch FILE\|- or --manifests PATH/);
  usage(t, ['--nb', 'unix:/x', '--kubeconfig', 'k', '--watch', '-'], /--kubeconfig and --watch are two sources of the same objects/);
  usage(t, ['--nb', 'unix:/x', '--watch', '-', '--watch', '-'], /--watch - \(standard input\) can be given once/);
  usage(t, ['--nb', 'unix:/x', '--kubeconfig', 'k', '--once'], /--once waits for the inputs to end, and informers \(--kubeconfig\) never end/);
  usage(t, ['--nb', 'unix:/x', '--watch', '-', '--log-level', 'loud'], /--log-level: unknown log level "loud" \(one of: silent, error, warn, info, debug\)/);
  usage(t, ['--nb', 'unix:/x', '--watch', '-', '--resync-interval', '10m'], /--resync-interval: expected whole seconds/);
  usage(t, ['--nb', 'unix:/x', '--watch', '-', '--cluster-subnet', '10.244.0.0/33'], /^agent: --cluster-subnet: /);
  usage(t, ['--nb', 'unix:/x', '--watch', '-', '--controler', 'x'], /Unknown option '--controler'.*did you mean --controller/);
});

test('--metrics-address: HOST:PORT with an IP (IPv6 in brackets) or localhost', (t) => {
  t.deepEqual(parseListenAddress('127.0.0.1:9476'), { host: '127.0.0.1', port: 9476 });
  t.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
  t.deepEqual(parseListenAddress('localhost:80'), { host: 'localhost', port: 80 });
  for (const bad of ['9476', ':9476', '127.0.0.1', '127.0.0.1:65536', '::1:80', '[127.0.0.1]:80', 'example.com:80', '300.1.1.1:80']) {
    t.throws(() => parseListenAddress(bad), { instanceOf: CliError, message: /^--metrics-address: / }, bad);
  }
});
