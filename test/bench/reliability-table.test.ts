/** Issue 13's rows of the README's benchmark table, from a bench result. */
import { describe, expect, it } from 'vitest';
import { figure } from '../../bench/figures';
import { percentileOf, reliabilityMet, type ReliabilityFigures } from '../../bench/reliability-figures';
import { reliabilityRows } from '../../bench/reliability-table';

const poison = (ratios: number[], settings: string) => ({
  settings,
  pairs: ratios.length,
  cleanPerSecond: figure([400, 410, 420]),
  poisonPerSecond: figure(ratios.map((r) => r * 410)),
  ratio: figure(ratios, { digits: 3 }),
  deadLetteredAfterMs: figure([1500, 1600, 1700], { resolutionMs: 5 }),
  poisonDeliveries: [3, 3, 3],
  deadLetterHeaders: { 'x-warren-attempts': 3, 'x-warren-error': 'cannot parse poison', 'x-warren-origin-queue': 'orders', 'x-warren-origin-exchange': 'events' },
});
const lateness = (configuredMs: number, p99Ms: number) => ({ configuredMs, n: 100, minMs: 2, p50Ms: 40, p99Ms, maxMs: p99Ms + 10 });
const figures = (p99Ms: number, publishRatios: number[]): ReliabilityFigures => ({
  versions: { 'rabbitmq-server': '4.3.6', erlang: '29.1' },
  retryLatenessMs: { '1s': lateness(1000, 90), '10s': lateness(10_000, 80), '60s': lateness(60_000, p99Ms) },
  poison: { method: 'windows', warren: poison([0.98, 1.0, 1.02], 'warren'), guide: poison([0.5, 0.6, 0.7], 'guide') },
  publish: {
    method: 'windows',
    pairs: publishRatios.length,
    rawPerSecond: figure([6000, 6100, 6200]),
    warrenPerSecond: figure([5900, 6000, 6100]),
    ratio: figure(publishRatios, { digits: 3 }),
    ratioMedianInterval95: [0.9, 1.1],
    outbox: { sqlite: { perSecond: figure([120, 125, 130]), costRatio: figure([47, 48, 49], { digits: 1 }) } },
  },
});

describe("the README's reliable-messaging rows", () => {
  it('give each retry level n, p50, p99 and max, both poison ratios side by side, the publish ratio and the outbox apart', () => {
    const rows = reliabilityRows({ startedAt: '2026-12-02T14:00:00.000Z', lines: { '4.3': figures(120, [0.97, 1.0, 1.03]) } });
    expect(rows).toContain('| retry after 60 s: delivered - due (n 100; Date.now() of the consumer, 1 ms) | p50 40 ms, p99 120 ms, max 130 ms (min 2) | - | p99 <= 500 ms: met |');
    const late = reliabilityRows({ startedAt: '2026-12-02T14:00:00.000Z', lines: { '4.3': figures(700, [1, 1, 1]) } });
    expect(late).toContain('| retry after 60 s: delivered - due (n 100; Date.now() of the consumer, 1 ms) | p50 40 ms, p99 700 ms, max 710 ms (min 2) | - | p99 <= 500 ms: NOT met |');
    expect(late).toContain('| retry after 10 s: delivered - due (n 100; Date.now() of the consumer, 1 ms) | p50 40 ms, p99 80 ms, max 90 ms (min 2) | - | p99 <= 500 ms: met |');
    expect(rows).toContain(
      '| healthy messages with a poison message / without (interleaved pairs) | 1.000 (median of 3 pairs, its 95 % interval 0.980 to 1.020; per pair ± 0.010, 0.98 to 1.02); 410 / 410 msg/s; dead letter after 1.60 s (probe 5 ms), 3 deliveries | ' +
        '0.600 (median of 3 pairs, its 95 % interval 0.500 to 0.700; per pair ± 0.050, 0.50 to 0.70); 246 / 410 msg/s; dead letter after 1.60 s (probe 5 ms), 3 deliveries | warren >= 0.9: met; dead letter after 3 attempts with error and origin: met |',
    );
    expect(rows).toContain("| Publisher / raw amqplib confirm channel, same window (interleaved pairs) | 1.000 (median of 3 pairs, its 95 % interval 0.970 to 1.030; per pair ± 0.015, 0.97 to 1.03); 6000 / 6100 msg/s | - | >= 0.9: met |");
    expect(rows).toContain("| outbox (a transaction per message, relayed): sqlite | 125 msg/s (48.0 × the Publisher's time) | - | - |");
    expect(reliabilityRows(undefined)).toEqual([]);
  });

  it('say NOT met when a level is late at p99, the Publisher is below 0.9 of the raw channel, or the dead letter lacks its error', () => {
    expect(reliabilityMet(figures(501, [0.97, 1.0, 1.03]))).toEqual({ retryDelays: false, poisonHealthyRate: true, poisonDeadLetter: true, publishOverhead: true });
    expect(reliabilityMet(figures(120, [0.8, 0.85, 0.95]))).toEqual({ retryDelays: true, poisonHealthyRate: true, poisonDeadLetter: true, publishOverhead: false });
    const noError = figures(120, [1, 1, 1]);
    const { 'x-warren-error': _, ...headers } = noError.poison.warren.deadLetterHeaders;
    expect(reliabilityMet({ ...noError, poison: { ...noError.poison, warren: { ...noError.poison.warren, deadLetterHeaders: headers } } }).poisonDeadLetter).toBe(false);
  });

  it('take p99 by nearest rank: of 100 samples the 99th smallest, of 10 the largest', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentileOf(hundred, 99)).toBe(99);
    expect(percentileOf(hundred, 50)).toBe(50);
    expect(percentileOf([5, 1, 9, 3, 7, 2, 8, 4, 6, 10], 99)).toBe(10);
  });
});
