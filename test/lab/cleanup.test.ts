import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLab } from '../../src/lab/index.js';
import { delay, isProcessAlive } from '../../src/lab/process.js';

const child = fileURLToPath(new URL('./lab-child.ts', import.meta.url));

/** Starts a lab in a child process and returns once it printed the lab's PIDs and directory. */
function startChildLab(): Promise<{ pid: number; pids: number[]; dir: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        const info = JSON.parse(line) as { pids: number[]; dir: string };
        resolve({ pid: proc.pid!, ...info });
      }
    });
    proc.once('exit', (code) => reject(new Error(`child exited ${code} before starting its lab`)));
  });
}

async function gone(pids: number[]): Promise<boolean> {
  for (let i = 0; i < 300 && pids.some(isProcessAlive); i++) await delay(10);
  return !pids.some(isProcessAlive);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} to the owning process ends every lab process and removes the directory`, async (t) => {
    const { pid, pids, dir } = await startChildLab();
    t.true(pids.every(isProcessAlive));
    process.kill(pid, signal);
    t.true(await gone(pids));
    for (let i = 0; i < 100 && existsSync(dir); i++) await delay(10);
    t.false(existsSync(dir));
  });
}

test('a lab whose owner was SIGKILLed is swept by the next startLab', async (t) => {
  const { pid, pids, dir } = await startChildLab();
  process.kill(pid, 'SIGKILL');
  await delay(100);
  t.true(pids.every(isProcessAlive), 'no hook can run on SIGKILL');
  const lab = await startLab({ northd: false });
  t.teardown(() => lab.stop());
  t.true(await gone(pids));
  t.false(existsSync(dir));
});
