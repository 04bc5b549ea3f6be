// Nothing a lab starts may outlive it: live labs are registered here, and exit/signal hooks kill their
// processes synchronously. Labs whose owner died by SIGKILL (no hook ran) are swept at the next start.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive, killNow } from './process.js';

export const LAB_DIR_PREFIX = 'ovnlab-';
export const OWNER_FILE = 'owner.pid';

interface LiveLab {
  dir: string;
  keepDir: boolean;
  pids(): number[];
  /** Every network namespace the lab created (its vswitchd's, each hypervisor's, the hub's). */
  namespaces(): string[];
}

const live = new Set<LiveLab>();
let hooksInstalled = false;

function killLabNow(lab: LiveLab): void {
  for (const pid of lab.pids()) killNow(pid);
  for (const ns of lab.namespaces()) deleteNetnsNow(ns);
  if (!lab.keepDir) rmSync(lab.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
}

function onSignal(signal: NodeJS.Signals): void {
  for (const lab of live) killLabNow(lab);
  live.clear();
  // Let the default action (termination) happen now that the lab is gone, unless someone else handles it.
  if (process.listenerCount(signal) === 1) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of live) killLabNow(lab);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/** Marks `dir` as owned by this process; written whole (rename), so a sweep never reads it half-written. */
export function writeOwnerFile(dir: string): void {
  const partial = join(dir, `${OWNER_FILE}.partial`);
  writeFileSync(partial, `${process.pid}\n`);
  renameSync(partial, join(dir, OWNER_FILE));
}

export function registerLab(lab: LiveLab): () => void {
  installHooks();
  live.add(lab);
  return () => { live.delete(lab); };
}

/**
 * Removes labs in `base` whose owning process is gone: kills their servers by the pidfiles they left and
 * deletes the namespaces named in their `netns` files, in the lab directory and in each sandbox directory
 * (hv1/, hv2/, net/) one level down.
 */
export function sweepOrphanedLabs(base: string): void {
  let entries: string[];
  try { entries = readdirSync(base); } catch { return; }
  for (const name of entries) {
    if (!name.startsWith(LAB_DIR_PREFIX)) continue;
    const dir = join(base, name);
    const ownerFile = join(dir, OWNER_FILE);
    if (!existsSync(ownerFile)) continue;
    const owner = Number.parseInt(safeRead(ownerFile), 10);
    // No pid (yet): a lab being created right now, not an orphan (seen: another lab's start swept one in between).
    if (!Number.isInteger(owner) || owner <= 0 || isProcessAlive(owner)) continue;
    removeLabDirNow(dir);
  }
}

/**
 * Kills every process named by a pidfile in a lab directory (and its sandbox directories one level down),
 * deletes the namespaces named in their `netns` files, and removes the directory. Also the last step of a
 * failed start, which may have daemons running whose PIDs it had not recorded yet.
 */
export function removeLabDirNow(dir: string): void {
  const dirs = [dir, ...safeReaddir(dir).map((f) => join(dir, f)).filter(isDirectory)];
  for (const d of dirs) {
    for (const file of safeReaddir(d)) {
      if (!file.endsWith('.pid') || file === OWNER_FILE) continue;
      const pid = Number.parseInt(safeRead(join(d, file)), 10);
      if (Number.isInteger(pid) && pid > 0) killNow(pid);
    }
  }
  for (const d of dirs) {
    const ns = safeRead(join(d, 'netns')).trim();
    if (ns) deleteNetnsNow(ns);
  }
  // Retries: a daemon killed a moment ago may still be closing a file it was writing in the directory.
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
}

export function deleteNetnsNow(name: string): void {
  spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
}

function safeReaddir(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}

function safeRead(file: string): string {
  try { return readFileSync(file, 'utf8'); } catch { return ''; }
}
