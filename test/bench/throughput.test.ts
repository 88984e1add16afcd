/** The throughput figure's arithmetic: per-pair ratios without the warm-up, and the median's 95 % interval. */
import { describe, expect, it } from 'vitest';
import { figure, medianInterval95, ratioText } from '../../bench/figures';
import { pairRatios } from '../../bench/throughput';

describe('bench throughput figures', () => {
  it('pairs each direct window with the HAProxy window of the same pair, after dropping the warm-up', () => {
    const windows = [
      { pair: 0, side: 'direct' as const, ms: 100, perSecond: 20000, warmup: true },
      { pair: 0, side: 'haproxy' as const, ms: 400, perSecond: 5000, warmup: true },
      { pair: 1, side: 'haproxy' as const, ms: 500, perSecond: 4000, warmup: false },
      { pair: 1, side: 'direct' as const, ms: 400, perSecond: 5000, warmup: false },
      { pair: 2, side: 'direct' as const, ms: 400, perSecond: 5000, warmup: false },
      { pair: 2, side: 'haproxy' as const, ms: 400, perSecond: 5000, warmup: false },
    ];
    expect(pairRatios(windows)).toEqual({ direct: [5000, 5000], haproxy: [4000, 5000], ratios: [0.8, 1] });
    expect(() => pairRatios(windows.slice(0, 3))).toThrow('throughput pair 1 lacks a direct window');
    expect(() => pairRatios(windows.slice(0, 2))).toThrow('no measured pairs');
  });

  it('gives the order-statistic interval of the median: ranks 10 and 21 of 30, 2 and 9 of 10, the whole range below 9', () => {
    const ranks = (n: number) => Array.from({ length: n }, (_, i) => n - i);
    expect(medianInterval95(ranks(30))).toEqual([10, 21]);
    expect(medianInterval95(ranks(10))).toEqual([2, 9]);
    expect(medianInterval95(ranks(8))).toEqual([1, 8]);
  });

  it("reports a paired ratio as its median with that interval, then the pairs' own spread and range", () => {
    const ratios = Array.from({ length: 30 }, (_, i) => 0.8 + i / 100);
    expect(ratioText(figure(ratios, { digits: 3 }))).toBe('0.945 (median of 30 pairs, its 95 % interval 0.890 to 1.000; per pair ± 0.073, 0.80 to 1.09)');
  });
});
