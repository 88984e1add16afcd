/** Small helpers for the benchmark's figures: medians over runs, and timing. */
export interface Figure {
  readonly runs: readonly number[];
  readonly median: number;
  readonly max: number;
}

export function figure(runs: readonly number[]): Figure {
  if (runs.length === 0) throw new Error('figure: no runs measured');
  const sorted = [...runs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { runs: runs.map(Math.round), median: Math.round(median), max: Math.round(sorted.at(-1)!) };
}

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
