/** Small helpers for the benchmark's figures: every figure carries its runs, median and spread. */
export interface Figure {
  readonly runs: readonly number[];
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Half the distance between the lower and upper quartile (robust to one odd run); 0 for one run. */
  readonly spread: number;
  /** For timings: the finest step the probe that measured them can see (a 100 ms poll cannot see 30 ms). */
  readonly resolutionMs?: number;
}

/** `digits` decimals (0 for milliseconds, 3 for ratios). */
export function figure(runs: readonly number[], options: { resolutionMs?: number; digits?: number } = {}): Figure {
  if (runs.length === 0) throw new Error('figure: no runs measured');
  const scale = 10 ** (options.digits ?? 0);
  const round = (n: number) => Math.round(n * scale) / scale;
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    runs: runs.map(round),
    median: round(quantile(sorted, 0.5)),
    min: round(sorted[0]!),
    max: round(sorted.at(-1)!),
    spread: round((quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2),
    ...(options.resolutionMs !== undefined && { resolutionMs: options.resolutionMs }),
  };
}

/** Linear interpolation between the closest ranks of a sorted array. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
