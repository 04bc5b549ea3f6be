// Runs the real kubectl against a replay server (for the watch-stream integration test and the capture script):
// its own empty kubeconfig and discovery cache in a temporary directory, so nothing of the machine's is used.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WATCHED_RESOURCES = ['namespaces', 'nodes', 'pods', 'services', 'endpointslices', 'networkpolicies'] as const;

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

export function runKubectl(server: string, args: readonly string[]): Promise<KubectlResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ovn-overlay-kubectl-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig };
  return new Promise((resolve) => {
    execFile('kubectl', ['--server', server, '--cache-dir', join(dir, 'cache'), ...args], { env, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : err ? null : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

/** `kubectl get <resource> -A --watch [--output-watch-events] -o json` against the replay at `server`. */
export function kubectlWatch(server: string, resource: string, events = true): Promise<KubectlResult> {
  return runKubectl(server, ['get', resource, '-A', '--watch', ...(events ? ['--output-watch-events'] : []), '-o', 'json']);
}
