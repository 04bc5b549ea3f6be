// Writing a command's output: in large pieces, waiting while the reader is behind (so a long output through a
// slow pipe holds one piece in memory, not all of it), and exiting only once everything written has left the
// process (process.exit() right after a write to a pipe drops what is still queued: a pipe is asynchronous).
import { once } from 'node:events';

/** Text for a stream, collected into pieces of about `pieceLength` characters. */
export class BufferedOutput {
  private text = '';

  constructor(private readonly stream: NodeJS.WritableStream, private readonly pieceLength = 1 << 16) {}

  write(text: string): void {
    this.text += text;
    if (this.text.length >= this.pieceLength) this.flush();
  }

  /** Hands what is collected to the stream. */
  flush(): void {
    if (this.text === '') return;
    this.stream.write(this.text);
    this.text = '';
  }

  /** Flushes, then waits until the stream wants more (its reader caught up). */
  async drain(): Promise<void> {
    this.flush();
    if ((this.stream as { writableNeedDrain?: boolean }).writableNeedDrain) await once(this.stream, 'drain');
  }
}

/** Resolves once everything written so far to `stream` has been handed to the system (or the stream failed). */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((stream as { destroyed?: boolean }).destroyed) { resolve(); return; }
    stream.write('', () => resolve());
  });
}

/** Exits with `code` once stdout and stderr are flushed: output through a pipe arrives whole. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
