// Drives the `ovn-overlay` command as a user would: run it and read its output, or type into its REPL.
import test from 'ava';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const NODE_ARGS = ['--import', 'tsx', MAIN];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ovn-overlay <args>` to completion. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`ovn-overlay ${args.join(' ')} timed out:\n${stdout}\n${stderr}`)); }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(options.input ?? '');
  });
}

/** A running `ovn-overlay` process whose stdout is collected and whose stdin can be typed into. */
/** Every process a test started and has not seen exit: a failed assertion must not leave one running, or the
 * test worker (whose event loop the child's pipes keep alive) never exits and the whole run hangs. */
const running = new Set<ChildProcessWithoutNullStreams>();
test.after.always(() => {
  for (const child of running) child.kill('SIGKILL');
});

export class CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  readonly exited: Promise<number | null>;
  private mark = 0;

  constructor(args: readonly string[], options: { command?: string; commandArgs?: readonly string[]; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(options.command ?? process.execPath, options.commandArgs ? [...options.commandArgs] : [...NODE_ARGS, ...args], {
      env: { ...process.env, ...options.env },
    });
    this.child.stdout.on('data', (c: Buffer) => { this.output += c.toString(); });
    this.child.stderr.on('data', (c: Buffer) => { this.output += c.toString(); });
    running.add(this.child);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => { running.delete(this.child); resolve(code); }));
  }

  /** Waits until the output after the last mark matches; returns the match. Fails if the process exits first. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.output.slice(this.mark));
      if (m) { this.mark += m.index + m[0].length; return m; }
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`exited (${this.child.exitCode ?? this.child.signalCode}) before ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Types a line and returns the output up to the next prompt. */
  async type(line: string, prompt = /ovn> /): Promise<string> {
    const start = this.output.length;
    this.mark = start;
    this.child.stdin.write(`${line}\n`);
    const m = await this.waitFor(prompt);
    return this.output.slice(start, this.mark - m[0].length);
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }
}
