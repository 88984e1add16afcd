/** The nemesis's schedule: the same seed gives the same rounds; within tolerance never beyond it; harsh exceeds it. */
import { describe, expect, it } from 'vitest';
import { parseSoakArgs } from '../../bench/soak/args';
import { brokerToleranceOf, describeSchedule, drawSchedule, exceedsTolerance, LB_FAULTS, NODE_FAULTS, prng, type Fault } from '../../bench/soak/schedule';

const TOPOLOGY = { nodes: ['rabbit-1', 'rabbit-2', 'rabbit-3'], loadBalancers: ['lb-1', 'lb-2'] };

/** The faults of a round active at some common moment with `fault`. */
const overlapping = (faults: readonly Fault[], fault: Fault) => faults.filter((f) => f.startMs < fault.startMs + fault.durationMs && fault.startMs < f.startMs + f.durationMs);

describe('drawSchedule', () => {
  it('gives the same schedule for the same seed, and another for another seed', () => {
    const a = drawSchedule({ seed: 42, minutes: 10, harsh: false }, TOPOLOGY);
    expect(drawSchedule({ seed: 42, minutes: 10, harsh: false }, TOPOLOGY)).toEqual(a);
    expect(describeSchedule(drawSchedule({ seed: 42, minutes: 10, harsh: false }, TOPOLOGY))).toBe(describeSchedule(a));
    expect(drawSchedule({ seed: 43, minutes: 10, harsh: false }, TOPOLOGY).rounds).not.toEqual(a.rounds);
    expect(describeSchedule(a).split('\n')[0]).toBe('seed 42, 10 min, within tolerance (at most 1 broker and one load balancer at once)');
  });

  it('covers the minutes asked for with rounds of overlapping faults, pauses and every kind of fault over many seeds', () => {
    const kinds = new Set<string>();
    let pairs = 0;
    for (let seed = 0; seed < 200; seed++) {
      const schedule = drawSchedule({ seed, minutes: 10, harsh: false }, TOPOLOGY);
      const nominal = schedule.rounds.reduce((sum, r) => sum + Math.max(...r.faults.map((f) => f.startMs + f.durationMs)) + r.pauseAfterMs, 0);
      expect(nominal).toBeGreaterThanOrEqual(10 * 60_000);
      for (const round of schedule.rounds) {
        for (const f of round.faults) kinds.add(f.kind);
        if (round.faults.length === 2) {
          pairs++;
          expect(overlapping(round.faults, round.faults[0]!)).toHaveLength(2);
        }
        expect(round.pauseAfterMs).toBeGreaterThanOrEqual(8_000);
      }
    }
    expect([...kinds].sort()).toEqual([...NODE_FAULTS, ...LB_FAULTS, 'minority-partition'].sort());
    expect(pairs).toBeGreaterThan(100);
  });

  it('within tolerance never hits more than one broker nor both load balancers at once, over 500 seeds', () => {
    for (let seed = 0; seed < 500; seed++) {
      for (const round of drawSchedule({ seed, minutes: 10, harsh: false }, TOPOLOGY).rounds) {
        expect(round.exceedsTolerance).toBe(false);
        for (const f of round.faults) {
          const together = overlapping(round.faults, f);
          expect(new Set(together.flatMap((g) => g.targets.filter((t) => t.startsWith('rabbit-')))).size).toBeLessThanOrEqual(1);
          expect(new Set(together.flatMap((g) => g.targets.filter((t) => t.startsWith('lb-')))).size).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('harsh mode exceeds the tolerance in some rounds: two brokers at once, or both load balancers', () => {
    const beyond = Array.from({ length: 50 }, (_, seed) => drawSchedule({ seed, minutes: 10, harsh: true }, TOPOLOGY).rounds)
      .flat()
      .filter((r) => r.exceedsTolerance);
    expect(beyond.length).toBeGreaterThan(50);
    expect(beyond.some((r) => r.faults.filter((f) => f.targets[0]!.startsWith('rabbit-')).length === 2)).toBe(true);
    expect(beyond.some((r) => new Set(r.faults.map((f) => f.targets[0])).size === 2 && r.faults.every((f) => f.targets[0]!.startsWith('lb-')))).toBe(true);
    expect(describeSchedule(drawSchedule({ seed: 1, minutes: 10, harsh: true }, TOPOLOGY))).toContain('[beyond tolerance]');
  });

  it('refuses a bad seed or duration, naming the value and the fix', () => {
    expect(() => drawSchedule({ seed: -1, minutes: 3, harsh: false }, TOPOLOGY)).toThrow('--seed: "-1" is not an integer from 0 to 4294967295; give one, or leave it out to draw one');
    expect(() => drawSchedule({ seed: 1, minutes: 0, harsh: false }, TOPOLOGY)).toThrow('--minutes: "0" is not a positive number; give e.g. --minutes 3');
  });
});

describe('tolerance', () => {
  it('a quorum of 3 tolerates 1 broker, of 5 two; both load balancers at once are beyond it', () => {
    expect([1, 2, 3, 4, 5].map(brokerToleranceOf)).toEqual([0, 0, 1, 1, 2]);
    const f = (targets: string[]): Fault => ({ kind: 'broker-kill', targets, startMs: 0, durationMs: 1000 });
    expect(exceedsTolerance([f(['rabbit-1']), f(['lb-1'])], TOPOLOGY)).toBe(false);
    expect(exceedsTolerance([f(['rabbit-1']), f(['rabbit-2'])], TOPOLOGY)).toBe(true);
    expect(exceedsTolerance([f(['lb-1']), f(['lb-2'])], TOPOLOGY)).toBe(true);
  });

  it('prng is a fixed sequence per seed', () => {
    const a = prng(7);
    const first = [a(), a(), a()];
    const b = prng(7);
    expect([b(), b(), b()]).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('parseSoakArgs', () => {
  it('defaults to 10 minutes on both lines within tolerance, with a drawn seed', () => {
    expect(parseSoakArgs([], () => 99)).toEqual({ minutes: 10, seed: 99, lines: ['4.3', '3.10'], harsh: false, maxGapMs: 60_000, readme: false });
    expect(parseSoakArgs(['--minutes', '3', '--seed', '5', '--line', '3.10', '--harsh', '--max-gap-s', '30', '--readme'], () => 99)).toEqual({ minutes: 3, seed: 5, lines: ['3.10'], harsh: true, maxGapMs: 30_000, readme: true });
  });

  it('reports every bad flag at once', () => {
    expect(() => parseSoakArgs(['--minutes', 'x', '--seed', '1.5', '--line', '4.0', '--fast'], () => 1)).toThrow(
      [
        '--minutes: "x" is not a number of minutes above 0 (at most a day); give e.g. --minutes 3',
        '--seed: "1.5" is not an integer from 0 to 4294967295; give e.g. --seed 42',
        '--line: "4.0" is not a line the soak runs; use one of 4.3, 3.10',
        '"--fast" is not an option of npm run soak; use --minutes, --seed, --line, --harsh, --max-gap-s or --readme',
      ].join('\n'),
    );
  });
});
