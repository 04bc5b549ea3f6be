// "Did you mean ...?" for names typed at the REPL or on the command line: the candidates closest to a typo by
// edit distance (a swap of two neighbouring letters counts as one edit), case ignored.

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1];
}

/**
 * The candidates closest to `typed` that are close enough to be what was meant (at most a third of its letters
 * wrong, at least one allowed), at most `limit`. Empty when nothing is close, or when `typed` is itself one.
 */
export function closestNames(typed: string, candidates: Iterable<string>, limit = 3): string[] {
  const wanted = typed.toLowerCase();
  const allowed = Math.max(1, Math.floor(typed.length / 3));
  const scored: { name: string; distance: number }[] = [];
  for (const name of new Set(candidates)) {
    if (name === typed) return [];
    const distance = editDistance(wanted, name.toLowerCase());
    if (distance <= allowed) scored.push({ name, distance });
  }
  const best = Math.min(...scored.map((s) => s.distance));
  return scored.filter((s) => s.distance === best).sort((x, y) => x.name.localeCompare(y.name)).slice(0, limit).map((s) => s.name);
}

/** `; did you mean "a" or "b"?` (each name written by `show`), or '' when nothing is close. */
export function didYouMean(typed: string, candidates: Iterable<string>, show = (name: string) => `"${name}"`): string {
  const close = closestNames(typed, candidates);
  if (close.length === 0) return '';
  const quoted = close.map(show);
  return `; did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`}?`;
}
