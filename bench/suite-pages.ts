// Suites whose own reference page carries their latest figures (docs/scale.md for the scale suite), written like
// docs/bench.md's block and from the same run (report.ts newestPerSuite: the newest full or `--only` run that
// measured the suite, never a --quick one), between the page's bench markers, never by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatMarkdown, newestPerSuite, readRuns, replaceGeneratedBlock, type RunFile } from './report.js';

/** Suite name -> its page in docs/. */
export const SUITE_PAGES: Readonly<Record<string, string>> = { scale: 'scale.md', codecs: 'codecs.md' };

/** The run a suite's page shows, holding only that suite's results; undefined when no run measured it. */
export function suiteRun(resultsDir: string, suite: string): RunFile | undefined {
  const run = newestPerSuite(readRuns(resultsDir)).find((r) => r.record.results.some((s) => s.suite === suite));
  return run && { file: run.file, record: { ...run.record, results: run.record.results.filter((s) => s.suite === suite) } };
}

/** A suite page as the bench writes it: its file, its text with the run's block, and that run's file; undefined without a run. */
export function suitePage(resultsDir: string, root: string, suite: string): { file: string; text: string; source: string } | undefined {
  const page = SUITE_PAGES[suite];
  const run = page === undefined ? undefined : suiteRun(resultsDir, suite);
  if (page === undefined || !run) return undefined;
  const file = join(root, 'docs', page);
  const source = relative(root, run.file);
  const block = formatMarkdown([run], (r) => relative(join(root, 'docs'), r.file.replace(/\.json$/, '.svg')));
  return { file, text: replaceGeneratedBlock(readFileSync(file, 'utf8'), block, source), source };
}

/** Rewrites the generated block of every suite page that has a run; returns the pages written and their sources. */
export function writeSuitePages(resultsDir: string, root: string): string[] {
  const written: string[] = [];
  for (const suite of Object.keys(SUITE_PAGES)) {
    const page = suitePage(resultsDir, root, suite);
    if (!page) continue;
    writeFileSync(page.file, page.text);
    written.push(`${relative(root, page.file)} from ${page.source}`);
  }
  return written;
}
