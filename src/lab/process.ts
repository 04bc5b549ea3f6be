// Running the real OVS/OVN programs: commands, pidfiles, process state and free ports.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';

export class LabCommandError extends Error {
  constructor(readonly command: string, readonly exitCode: number | null, readonly stderr: string) {
    super(`${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || '(no output)'}`);
    this.name = 'LabCommandError';
  }
}

/** Runs a program to completion and returns its stdout; a non-zero exit rejects with its stderr. */
export function runCommand(
  file: string, args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, {
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 30_000,
      ...(options.signal ? { signal: options.signal } : {}),
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
    }, (error, stdout, stderr) => {
      if (error) {
        const code = typeof error.code === 'number' ? error.code : null;
        reject(new LabCommandError([file, ...args].join(' '), code, stderr || error.message));
      } else {
        resolve(stdout);
      }
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export async function readPidFile(path: string): Promise<number> {
  const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${path}`);
  return pid;
}

/**
 * True when the process exists and is not a zombie. A detached daemon that was killed can linger as a
 * zombie until its parent reaps it, and `kill -0` still succeeds on zombies, so read /proc.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends `signal`, then SIGKILL if the process is still alive after `graceMs`; resolves when it is gone. */
export async function terminate(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
  if (!isProcessAlive(pid)) return;
  try { process.kill(pid, 'SIGCONT'); } catch { /* already gone */ }
  try { process.kill(pid, signal); } catch { return; }
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline && signal !== 'SIGKILL') {
      try { process.kill(pid, 'SIGKILL'); } catch { return; }
      signal = 'SIGKILL';
    }
    await delay(10);
  }
}

/** Kills synchronously, for exit hooks where nothing asynchronous runs any more. */
export function killNow(pid: number): void {
  try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (RAFT needs fixed port numbers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Polls `check` until it returns a value or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`lab: timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    }
    await delay(20);
  }
}

/**
 * Resolves once a unix socket accepts a connection. The socket file exists from bind(), before the server
 * listen()s, so its existence alone races a connect (ECONNREFUSED).
 */
export function waitForUnixListener(path: string, timeoutMs = 15_000): Promise<true> {
  return waitFor(`a listener on ${path}`, () => new Promise<true>((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', reject);
  }), timeoutMs);
}
