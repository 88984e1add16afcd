/** The soak's checker over hand-made logs: a clean run passes; loss, a duplicate, a long gap, no recovery each fail it. */
import { describe, expect, it } from 'vitest';
import { checkSoak, longestGap, type CheckInput, type ClientEvent, type FaultRecord, type RoundRecord } from '../../bench/soak/checker';

const T = 1_800_000_000_000;

/** Messages m-0..m-(n-1), one every 100 ms from T: written, attempted, confirmed 20 ms later, handled 50 ms later. */
function cleanEvents(n: number, skipConfirmFrom?: number, skipConfirmTo?: number): ClientEvent[] {
  const events: ClientEvent[] = [];
  for (let i = 0; i < n; i++) {
    const t = T + i * 100;
    const id = `m-${i}`;
    events.push({ e: 'write', id, t, c: 'producer-1' }, { e: 'attempt', id, t: t + 1, c: 'producer-1' });
    if (skipConfirmFrom !== undefined && t >= skipConfirmFrom && t < skipConfirmTo!) {
      events.push({ e: 'fail', id, t: t + 5, c: 'producer-1', error: 'PublishTimeoutError' }, { e: 'attempt', id, t: skipConfirmTo! + 1, c: 'producer-1' });
      events.push({ e: 'confirm', id, t: skipConfirmTo! + 20, c: 'producer-1' }, { e: 'deliver', id, t: skipConfirmTo! + 40, c: 'consumer-1' }, { e: 'handled', id, t: skipConfirmTo! + 50, c: 'consumer-1' });
      continue;
    }
    events.push({ e: 'confirm', id, t: t + 20, c: 'producer-1' }, { e: 'deliver', id, t: t + 40, c: 'consumer-1' }, { e: 'handled', id, t: t + 50, c: 'consumer-1' });
  }
  return events;
}

const fault: FaultRecord = { round: 0, kind: 'broker-kill', targets: ['rabbit-2'], injectedAtMs: T + 2_000, healedAtMs: T + 12_000 };
const round = (exceedsTolerance = false): RoundRecord => ({ index: 0, exceedsTolerance, startedAtMs: T + 2_000, recoveredAtMs: T + 20_000 });

function input(events: ClientEvent[], overrides: Partial<CheckInput> = {}): CheckInput {
  return { events, faults: [fault], rounds: [round()], startMs: T, endMs: T + 30_000, maxGapMs: 5_000, ...overrides };
}

const invariant = (verdict: ReturnType<typeof checkSoak>, start: string) => verdict.invariants.find((i) => i.name.startsWith(start))!;

describe('checkSoak', () => {
  it('passes a run where every confirmed message was handled once and confirms never stopped for long', () => {
    const verdict = checkSoak(input(cleanEvents(300)));
    expect(verdict.passed).toBe(true);
    expect(verdict.counts).toEqual({ written: 300, attempts: 300, failedAttempts: 0, confirmed: 300, handled: 300, handlerCalls: 300 });
    expect(verdict.lostConfirmed.count).toBe(0);
    expect(verdict.longestDelivery).toEqual({ ms: 30, id: 'm-0' });
    expect(verdict.invariants.every((i) => i.holds && i.enforced)).toBe(true);
    expect(verdict.invariants.map((i) => i.name)).toEqual([
      'publishers got confirms during the run',
      'no confirmed message lost',
      'no message handled twice (inbox)',
      'nothing handled that was never written',
      'every written message confirmed by the end (outbox drained)',
      'no window without a confirm longer than 5.0 s',
      'every fault healed',
      'the cluster recovered after every round (all nodes running, one VIP holder)',
    ]);
  });

  it('fails a run that lost a confirmed message, and names it', () => {
    const events = cleanEvents(300).filter((e) => !(e.id === 'm-42' && (e.e === 'handled' || e.e === 'deliver')));
    const verdict = checkSoak(input(events));
    expect(verdict.passed).toBe(false);
    expect(verdict.lostConfirmed).toEqual({ count: 1, ids: ['m-42'] });
    expect(invariant(verdict, 'no confirmed message lost')).toEqual({ name: 'no confirmed message lost', holds: false, enforced: true, detail: '1 of 300 confirmed never handled: m-42' });
  });

  it('fails a run whose handler committed one message twice, even beyond tolerance', () => {
    const events = [...cleanEvents(300), { e: 'deliver', id: 'm-7', t: T + 9_000, c: 'consumer-2' } as const, { e: 'handled', id: 'm-7', t: T + 9_001, c: 'consumer-2' } as const];
    for (const exceeds of [false, true]) {
      const verdict = checkSoak(input(events, { rounds: [round(exceeds)] }));
      expect(verdict.passed).toBe(false);
      expect(verdict.handledTwice).toEqual({ count: 1, ids: ['m-7'] });
      expect(verdict.handlerRedeliveries.count).toBe(1);
      expect(invariant(verdict, 'no message handled twice').enforced).toBe(true);
    }
  });

  it('reports a redelivery the inbox caught (handler ran, rolled back) without failing', () => {
    const verdict = checkSoak(input([...cleanEvents(300), { e: 'deliver', id: 'm-9', t: T + 9_000, c: 'consumer-2' }]));
    expect(verdict.passed).toBe(true);
    expect(verdict.handlerRedeliveries).toEqual({ count: 1, ids: ['m-9'] });
    const late = [...cleanEvents(300).filter((e) => !(e.id === 'm-9' && e.e === 'handled')), { e: 'handled', id: 'm-9', t: T + 60_000, c: 'consumer-2' } as const];
    expect(checkSoak(input(late)).longestDelivery).toEqual({ ms: 60_000 - 920, id: 'm-9' });
    expect(verdict.handledTwice.count).toBe(0);
  });

  it('fails a run with a window without confirms longer than the bound, and names the fault active in it', () => {
    const verdict = checkSoak(input(cleanEvents(300, T + 4_000, T + 11_000)));
    expect(verdict.passed).toBe(false);
    expect(verdict.longestGap.faults).toEqual(['broker-kill rabbit-2 (round 0)']);
    expect(verdict.longestGap.fromMs).toBe(T + 3_920);
    expect(verdict.longestGap.ms).toBe(7_100);
    expect(invariant(verdict, 'no window without a confirm')).toMatchObject({ holds: false, enforced: true, detail: 'longest 7.1 s during broker-kill rabbit-2 (round 0)' });
    expect(verdict.lostConfirmed.count).toBe(0);
    expect(verdict.counts.failedAttempts).toBe(70);
  });

  it('beyond tolerance reports loss, unconfirmed rows and a long gap without failing the run', () => {
    const events = cleanEvents(300, T + 4_000, T + 11_000).filter((e) => !(e.id === 'm-3' && e.e === 'handled') && !(e.id === 'm-299' && e.e === 'confirm'));
    const verdict = checkSoak(input(events, { rounds: [round(true)] }));
    expect(verdict.withinTolerance).toBe(false);
    expect(verdict.passed).toBe(true);
    expect(verdict.lostConfirmed.ids).toEqual(['m-3']);
    expect(verdict.unconfirmed.ids).toEqual(['m-299']);
    expect(verdict.invariants.filter((i) => !i.holds).map((i) => [i.name, i.enforced])).toEqual([
      ['no confirmed message lost', false],
      ['every written message confirmed by the end (outbox drained)', false],
      ['no window without a confirm longer than 5.0 s', false],
    ]);
  });

  it('fails a run with no confirm at all, an unhealed fault, a round that did not recover, or a handled id never written', () => {
    expect(invariant(checkSoak(input([])), 'publishers got confirms').holds).toBe(false);
    expect(checkSoak(input([])).passed).toBe(false);
    const unhealed = checkSoak(input(cleanEvents(300), { faults: [{ ...fault, healedAtMs: undefined }] }));
    expect(invariant(unhealed, 'every fault healed')).toMatchObject({ holds: false, detail: 'not healed: broker-kill rabbit-2 (round 0)' });
    const stuck = checkSoak(input(cleanEvents(300), { rounds: [{ ...round(), recoveredAtMs: null }] }));
    expect(stuck.passed).toBe(false);
    expect(invariant(stuck, 'the cluster recovered')).toMatchObject({ holds: false, detail: 'not recovered: round 0' });
    const phantom = checkSoak(input([...cleanEvents(300), { e: 'handled', id: 'x-1', t: T + 5_000, c: 'consumer-1' }]));
    expect(phantom.passed).toBe(false);
    expect(phantom.handledNeverWritten.ids).toEqual(['x-1']);
  });
});

describe('longestGap', () => {
  it('counts from the period start and to its end, and lists only faults overlapping the gap', () => {
    const other: FaultRecord = { round: 1, kind: 'haproxy-pause', targets: ['lb-1'], injectedAtMs: T + 50_000, healedAtMs: T + 55_000 };
    expect(longestGap([T + 1_000, T + 2_000], [fault, other], T, T + 10_000)).toEqual({ ms: 8_000, fromMs: T + 2_000, toMs: T + 10_000, faults: ['broker-kill rabbit-2 (round 0)'] });
    expect(longestGap([], [], T, T + 10_000)).toEqual({ ms: 10_000, fromMs: T, toMs: T + 10_000, faults: [] });
  });
});
