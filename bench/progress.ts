// A progress bar on stderr for long measurements; a plain line per step when stderr is not a terminal.

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): (done: number, total: number, label: string) => void {
  let lastLabel = '';
  let lastDrawn = 0;
  return (done, total, label) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    if (!stream.isTTY) {
      if (label !== lastLabel) stream.write(`  ${label}...\n`);
      lastLabel = label;
      return;
    }
    const now = Date.now();
    if (now - lastDrawn < 50 && done < total && label === lastLabel) return;
    lastDrawn = now;
    lastLabel = label;
    const width = 30;
    const filled = Math.round(fraction * width);
    stream.write(`\r  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${label.slice(0, 50).padEnd(50)}`);
    if (done >= total) stream.write('\n');
  };
}
