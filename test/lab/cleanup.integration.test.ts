import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLab, type LabOptions } from '../../src/lab/index.js';
import { sweepOrphanedLabs } from '../../src/lab/cleanup.js';
import { delay, isProcessAlive, runCommand } from '../../src/lab/process.js';

const child = fileURLToPath(new URL('./lab-child.ts', import.meta.url));

interface ChildLab { pid: number; pids: number[]; namespaces: string[]; dir: string }

/** Starts a lab in a child process and returns once it printed the lab's PIDs, namespaces and directory. */
function startChildLab(options: LabOptions = {}): Promise<ChildLab> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(options)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        const info = JSON.parse(line) as Omit<ChildLab, 'pid'>;
        resolve({ pid: proc.pid!, ...info });
      }
    });
    proc.once('exit', (code) => reject(new Error(`child exited ${code} before starting its lab`)));
  });
}

/** Whether the processes are gone within 10 s (a full run at load average ~39 needed more than 3). */
async function gone(pids: number[]): Promise<boolean> {
  for (let i = 0; i < 1000 && pids.some(isProcessAlive); i++) await delay(10);
  return !pids.some(isProcessAlive);
}

/** Whether the lab directory is gone within a second (the owner removes it after ending the processes). */
async function dirRemoved(dir: string): Promise<boolean> {
  for (let i = 0; i < 100 && existsSync(dir); i++) await delay(10);
  return !existsSync(dir);
}

/**
 * A base directory of the test's own for the SIGKILL cases: every startLab sweeps orphaned labs in its base, so in
 * the shared temp dir another test file's lab start (they run in parallel) could sweep the orphan first.
 */
function privateBase(t: ExecutionContext): string {
  const base = mkdtempSync('/tmp/sweep-');
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

/**
 * SIGKILLs the child that owns `lab` (no hook of its can run, so its processes live on), then starts a lab here
 * in the same base directory: startLab's sweep must end the orphan's processes and remove its directory.
 */
async function killOwnerAndSweep(t: ExecutionContext, lab: ChildLab, baseDir: string): Promise<void> {
  process.kill(lab.pid, 'SIGKILL');
  await delay(100);
  t.true(lab.pids.every(isProcessAlive), 'no hook can run on SIGKILL');
  const next = await startLab({ northd: false, baseDir });
  t.teardown(() => next.stop());
  t.true(await gone(lab.pids));
  t.false(existsSync(lab.dir));
}

async function namespacesLeft(namespaces: string[]): Promise<string[]> {
  const listed = (await runCommand('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0]);
  return namespaces.filter((ns) => listed.includes(ns));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} to the owning process ends every lab process and removes the directory`, async (t) => {
    const { pid, pids, dir } = await startChildLab();
    t.true(pids.every(isProcessAlive));
    process.kill(pid, signal);
    t.true(await gone(pids));
    t.true(await dirRemoved(dir));
  });
}

test('a lab whose owner was SIGKILLed is swept by the next startLab', async (t) => {
  const baseDir = privateBase(t);
  await killOwnerAndSweep(t, await startChildLab({ baseDir }), baseDir);
});

test('SIGTERM to the owner of a lab with hypervisors ends their processes and deletes their namespaces', async (t) => {
  const { pid, pids, namespaces, dir } = await startChildLab({ hypervisors: 3 });
  t.is(namespaces.length, 4, 'three hypervisors and the hub');
  t.deepEqual(await namespacesLeft(namespaces), namespaces);
  process.kill(pid, 'SIGTERM');
  t.true(await gone(pids));
  t.true(await dirRemoved(dir));
  t.deepEqual(await namespacesLeft(namespaces), []);
});

test('hypervisors of a lab whose owner was SIGKILLed are swept by the next startLab', async (t) => {
  const baseDir = privateBase(t);
  const owner = await startChildLab({ hypervisors: 2, baseDir });
  await killOwnerAndSweep(t, owner, baseDir);
  t.deepEqual(await namespacesLeft(owner.namespaces), []);
});

test('a lab still being created (owner file empty or not yet there) is never swept', (t) => {
  const baseDir = privateBase(t);
  const creating = mkdtempSync(`${baseDir}/ovnlab-`);
  writeFileSync(`${creating}/owner.pid`, ''); // created, pid not written yet: what a sweep raced with in a full run
  const fresh = mkdtempSync(`${baseDir}/ovnlab-`);
  const orphan = mkdtempSync(`${baseDir}/ovnlab-`);
  writeFileSync(`${orphan}/owner.pid`, '2147483646\n'); // no such process
  sweepOrphanedLabs(baseDir);
  t.true(existsSync(creating));
  t.true(existsSync(fresh));
  t.false(existsSync(orphan), 'a dead owner\'s lab is still swept');
});
