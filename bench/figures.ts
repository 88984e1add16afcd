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

/**
 * The distribution-free 95 % confidence interval of a median: the k-th smallest and k-th largest of n runs, with
 * k the largest rank such that P(Binomial(n, 1/2) < k) <= 2.5 %. Too few runs (n < 9) give the whole range.
 */
export function medianInterval95(runs: readonly number[]): [number, number] {
  const sorted = [...runs].sort((a, b) => a - b);
  const n = sorted.length;
  let k = 0;
  let below = 0; // P(X < k+1) as k grows
  let term = 0.5 ** n; // P(X = k)
  for (let i = 0; i < n; i++) {
    below += term;
    if (below > 0.025) break;
    k = i + 1;
    term = (term * (n - i)) / (i + 1);
  }
  const rank = Math.max(k, 1);
  return [sorted[rank - 1]!, sorted[n - rank]!];
}

/**
 * A paired ratio as the README and the log give it: the median of the per-pair ratios with its 95 % interval (how
 * far the reported figure can move between runs), then the pairs' own spread and range.
 */
export function ratioText(f: Figure): string {
  const [low, high] = medianInterval95(f.runs);
  return `${f.median.toFixed(3)} (median of ${f.runs.length} pairs, its 95 % interval ${low.toFixed(3)} to ${high.toFixed(3)}; per pair ± ${f.spread.toFixed(3)}, ${f.min.toFixed(2)} to ${f.max.toFixed(2)})`;
}

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
