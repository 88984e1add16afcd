/**
 * `BENCH_ONLY=reliability-figures npm run bench`: only issue 13's figures (bench/reliability-figures.ts), per line
 * of BENCH_LINES (both by default), as JSON on stdout. With `-- --readme` they replace the `reliability` part of
 * bench/results.json (the other figures stay those of the last full run) and the README's table is regenerated.
 * Needs root, the roots (test/roots) and Debian's postgresql, as the e2e suite; a missing one is named when it is used.
 */
import { cpus } from 'node:os';
import { REPO_ROOT } from '../test/e2e/bundles';
import { log } from './figures';
import { mergeIntoResults } from './readme-table';
import { measureReliabilityLines, reliabilityMet, RELIABILITY_TARGETS } from './reliability-figures';

export async function runReliabilityFiguresOnly(lines: readonly string[]): Promise<void> {
  // The lab's helpers print progress with console.log: keep stdout for the JSON alone.
  const print = console.log;
  console.log = console.error;
  const startedAt = new Date().toISOString();
  const reliability = await measureReliabilityLines(lines).finally(() => (console.log = print));
  const met = Object.fromEntries(Object.entries(reliability).map(([line, f]) => [line, reliabilityMet(f)]));
  process.stdout.write(`${JSON.stringify({ startedAt, machine: { cpus: cpus().length }, reliability, targets: RELIABILITY_TARGETS, met }, null, 2)}\n`);
  if (!process.argv.includes('--readme')) return;
  mergeIntoResults(REPO_ROOT, (figures) => Object.assign(figures, { reliability: { startedAt, lines: reliability } }));
  log('wrote the reliability figures into bench/results.json and the README table');
}
