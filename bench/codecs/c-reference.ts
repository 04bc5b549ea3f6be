// The C reference (bench/codecs/floor.c): compiled at bench time into a temporary directory when a C compiler is
// there, run once per interleaved round. Absent compiler: the bench reports no "x C" figures and says why.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'floor.c');
/** Debian builds Open vSwitch with -O2 for generic x86-64: the same here (no -march=native). */
export const C_FLAGS = ['-O2'];

export interface CReference {
  /** `cc --version`'s first line and the flags, for the notes. */
  readonly compiler: string;
  /** Writes an input file for a case; returns its path. */
  input(name: string, bytes: Uint8Array): string;
  /** Runs `iterations` of a case: the CPU-time ns per operation and the last operation's result text. */
  run(caseName: string, iterations: number, input: string, args: readonly (string | number)[]): { nsPerOp: number; result: string };
  close(): void;
}

/** Compiles floor.c with the first compiler found (cc, gcc, clang); a reason string when there is none or it fails. */
export function compileCReference(): CReference | string {
  const compiler = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (compiler === undefined) return 'no C compiler (cc, gcc or clang) on this machine: C reference skipped';
  const dir = mkdtempSync(join(tmpdir(), 'codecs-c-'));
  const binary = join(dir, 'floor');
  try {
    execFileSync(compiler, [...C_FLAGS, '-o', binary, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return `the C reference did not compile with ${compiler} (${String((error as { stderr?: Buffer }).stderr ?? error).split('\n')[0]}): skipped`;
  }
  const version = execFileSync(compiler, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  return {
    compiler: `${version} ${C_FLAGS.join(' ')}`,
    input(name, bytes) {
      const path = join(dir, `${name}.bin`);
      writeFileSync(path, bytes);
      return path;
    },
    run(caseName, iterations, input, args) {
      const line = execFileSync(binary, [caseName, String(iterations), input, ...args.map(String)], { encoding: 'utf8' }).trim();
      const space = line.indexOf(' ');
      return { nsPerOp: Number(line.slice(0, space)), result: line.slice(space + 1) };
    },
    close() { rmSync(dir, { recursive: true, force: true }); },
  };
}
