// Writes docs/performance.md and its charts from a results file of bench/run.ts: the view model
// (bench/report/view.ts) rendered through the page's template (bench/report/performance.md.mustache).
// Every figure on the page comes from that file; run again after each full benchmark run (bench/run.ts
// does it itself). The results file is only read.
//
//   node --import tsx bench/report.ts [RESULTS_JSON] [--docs-dir DIR]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Mustache from 'mustache';
import { repoRoot } from '@qoslab/native-stack';
import { evaluateGoals, sizing } from './lib/analysis';
import type { Results } from './lib/results';
import { charts } from './report/charts';
import { reportView } from './report/view';

const TEMPLATE = join(__dirname, 'report', 'performance.md.mustache');

/** The page as Markdown: nothing is HTML-escaped, and runs of blank lines are one. */
export function renderPage(results: Results, resultsPath: string): string {
  const page = Mustache.render(readFileSync(TEMPLATE, 'utf8'), reportView(results, resultsPath), {}, { escape: (value: unknown) => String(value) });
  return `${page.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** Writes performance.md and its charts into docsDir; returns the files written. */
export function writeReport(results: Results, docsDir: string, resultsFile: string): string[] {
  mkdirSync(docsDir, { recursive: true });
  const written: string[] = [];
  for (const [name, svg] of Object.entries(charts(results))) {
    const path = join(docsDir, name);
    writeFileSync(path, svg);
    written.push(path);
  }
  const page = join(docsDir, 'performance.md');
  writeFileSync(page, renderPage(results, relative(repoRoot, resultsFile)));
  written.push(page);
  return written;
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'docs-dir': { type: 'string' } } });
  const file = resolve(positionals[0] ?? join(repoRoot, 'bench', 'results', 'latest.json'));
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Results;
  // Goals and sizing are derived from the measurements: re-derived here, so a change of the rules in
  // bench/lib/analysis.ts shows on the page without measuring again (the results file is left as measured).
  const results: Results = { ...stored, goals: evaluateGoals(stored), sizing: sizing(stored) };
  const written = writeReport(results, resolve(values['docs-dir'] ?? join(repoRoot, 'docs')), file);
  process.stderr.write(`report: ${written.join(', ')}\n`);
}
