// Feeds piped (non-TTY) input to the REPL one line at a time: the next line goes in only when the REPL shows
// its prompt again, so awaited transactions and async dot-commands finish in order and `.exit` at the end of
// a script runs after everything before it.
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';

export class LineFeeder {
  /** The stream to give the REPL as its input. */
  readonly output = new PassThrough();
  /** True once the source ended and every line was handed over. */
  ended = false;
  private waiting: (() => void) | undefined;
  private isReady = true;

  constructor(source: Readable) {
    void this.run(source);
  }

  /** Call whenever the REPL displays its prompt. */
  ready(): void {
    this.isReady = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  private whenReady(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  private async run(source: Readable): Promise<void> {
    const lines = createInterface({ input: source, crlfDelay: Infinity, terminal: false });
    for await (const line of lines) {
      await this.whenReady();
      this.isReady = false;
      this.output.write(`${line}\n`);
    }
    await this.whenReady();
    this.ended = true;
    this.output.end();
  }
}
