/**
 * The soak's checker: a pure function over the clients' JSON-line logs and the nemesis's record of what it did.
 * It reports confirmed messages lost, messages handled twice, the longest window without a confirm (and the
 * faults active in it), and every invariant it checked with pass/fail. Loss, unconfirmed rows, long gaps and
 * a cluster that did not recover fail the run only within tolerance; beyond it (harsh rounds) they are reported.
 */
import type { FaultKind } from './schedule';

/**
 * One line of a client's log. Producers: `write` (the row and its outbox message committed), `attempt` (the
 * relay hands it to the publisher), `confirm` (the broker confirmed it and a queue took it), `fail` (nack,
 * return, timeout or a lost channel; the outbox retries it). Consumers: `deliver` (the handler runs), `handled`
 * (its transaction committed, with the id in the inbox). Both: `connected` / `disconnected` / `retrying` (id: the
 * client's name; `retrying` carries the reason the attempt before it failed, and its backoff).
 */
export interface ClientEvent {
  readonly e: 'write' | 'attempt' | 'confirm' | 'fail' | 'deliver' | 'handled' | 'connected' | 'disconnected' | 'retrying';
  readonly id: string;
  /** Epoch ms. */
  readonly t: number;
  /** The client that logged it, e.g. "producer-1". */
  readonly c: string;
  readonly error?: string;
}

/** What the nemesis did, with the times it did it (epoch ms). */
export interface FaultRecord {
  readonly round: number;
  readonly kind: FaultKind;
  readonly targets: readonly string[];
  readonly injectedAtMs: number;
  /** Undefined when the heal itself failed (then the run failed too). */
  readonly healedAtMs?: number;
}

export interface RoundRecord {
  readonly index: number;
  readonly exceedsTolerance: boolean;
  readonly startedAtMs: number;
  /** When every node ran again in one cluster and one load balancer held the VIP; null if not within the limit. */
  readonly recoveredAtMs: number | null;
}

export interface CheckInput {
  readonly events: readonly ClientEvent[];
  readonly faults: readonly FaultRecord[];
  readonly rounds: readonly RoundRecord[];
  /** The fault period: from the nemesis's start to its last heal. */
  readonly startMs: number;
  readonly endMs: number;
  /** Longest tolerated window without a confirm while within tolerance. */
  readonly maxGapMs: number;
}

export interface Invariant {
  readonly name: string;
  readonly holds: boolean;
  /** False when the run went beyond tolerance and the invariant is only reported. */
  readonly enforced: boolean;
  readonly detail: string;
}

export interface IdList {
  readonly count: number;
  /** The first 20, sorted. */
  readonly ids: readonly string[];
}

export interface SoakVerdict {
  readonly withinTolerance: boolean;
  readonly counts: {
    readonly written: number;
    readonly attempts: number;
    readonly failedAttempts: number;
    readonly confirmed: number;
    readonly handled: number;
    readonly handlerCalls: number;
  };
  readonly lostConfirmed: IdList;
  readonly unconfirmed: IdList;
  /** Ids whose handler transaction committed more than once: the inbox should make this 0. */
  readonly handledTwice: IdList;
  /** Ids the handler saw more than once (redeliveries the inbox did not catch before the handler, rolled back). */
  readonly handlerRedeliveries: IdList;
  readonly handledNeverWritten: IdList;
  readonly longestGap: { readonly ms: number; readonly fromMs: number; readonly toMs: number; readonly faults: readonly string[] };
  /** The longest wait from a message's confirm to its first commit by a handler (reported, not enforced). */
  readonly longestDelivery: { readonly ms: number; readonly id: string | null };
  readonly invariants: readonly Invariant[];
  /** Every enforced invariant holds. */
  readonly passed: boolean;
}

const SHOWN_IDS = 20;

function idList(ids: Iterable<string>): IdList {
  const all = [...ids].sort();
  return { count: all.length, ids: all.slice(0, SHOWN_IDS) };
}

function idsOf(events: readonly ClientEvent[], kind: ClientEvent['e']): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) if (event.e === kind) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  return counts;
}

/** "broker-kill rabbit-2 (round 3)". */
export function faultLabel(fault: FaultRecord): string {
  return `${fault.kind} ${fault.targets.join('+')} (round ${fault.round})`;
}

/** The longest window in [startMs, endMs] without a confirm, and the faults active at some point in it. */
export function longestGap(confirmTimes: readonly number[], faults: readonly FaultRecord[], startMs: number, endMs: number): SoakVerdict['longestGap'] {
  const times = [startMs, ...confirmTimes.filter((t) => t > startMs && t < endMs).sort((a, b) => a - b), endMs];
  let best = { ms: 0, fromMs: startMs, toMs: startMs };
  for (let i = 1; i < times.length; i++) {
    const ms = times[i]! - times[i - 1]!;
    if (ms > best.ms) best = { ms, fromMs: times[i - 1]!, toMs: times[i]! };
  }
  const active = faults.filter((f) => f.injectedAtMs < best.toMs && (f.healedAtMs ?? endMs) > best.fromMs).map(faultLabel);
  return { ...best, faults: active };
}

export function checkSoak(input: CheckInput): SoakVerdict {
  const withinTolerance = input.rounds.every((r) => !r.exceedsTolerance);
  const written = idsOf(input.events, 'write');
  const confirmed = idsOf(input.events, 'confirm');
  const handled = idsOf(input.events, 'handled');
  const delivered = idsOf(input.events, 'deliver');
  const attempts = input.events.filter((e) => e.e === 'attempt').length;
  const failedAttempts = input.events.filter((e) => e.e === 'fail').length;
  const lostConfirmed = idList([...confirmed.keys()].filter((id) => !handled.has(id)));
  const unconfirmed = idList([...written.keys()].filter((id) => !confirmed.has(id)));
  const handledTwice = idList([...handled].filter(([, n]) => n > 1).map(([id]) => id));
  const handlerRedeliveries = idList([...delivered].filter(([, n]) => n > 1).map(([id]) => id));
  const handledNeverWritten = idList([...handled.keys()].filter((id) => !written.has(id)));
  const confirmTimes = input.events.filter((e) => e.e === 'confirm').map((e) => e.t);
  const gap = longestGap(confirmTimes, input.faults, input.startMs, input.endMs);
  const firstConfirm = new Map<string, number>();
  const firstHandled = new Map<string, number>();
  for (const e of input.events) {
    if (e.e === 'confirm' && !firstConfirm.has(e.id)) firstConfirm.set(e.id, e.t);
    if (e.e === 'handled' && !firstHandled.has(e.id)) firstHandled.set(e.id, e.t);
  }
  let longestDelivery: SoakVerdict['longestDelivery'] = { ms: 0, id: null };
  for (const [id, t] of firstHandled) {
    const confirmedAt = firstConfirm.get(id);
    if (confirmedAt !== undefined && t - confirmedAt > longestDelivery.ms) longestDelivery = { ms: t - confirmedAt, id };
  }
  const notRecovered = input.rounds.filter((r) => r.recoveredAtMs === null);
  const unhealed = input.faults.filter((f) => f.healedAtMs === undefined);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const shown = (list: IdList) => (list.count === 0 ? '' : `: ${list.ids.join(', ')}${list.count > list.ids.length ? ', ...' : ''}`);
  const invariants: Invariant[] = [
    { name: 'publishers got confirms during the run', holds: confirmed.size > 0, enforced: true, detail: `${confirmed.size} messages confirmed` },
    { name: 'no confirmed message lost', holds: lostConfirmed.count === 0, enforced: withinTolerance, detail: `${lostConfirmed.count} of ${confirmed.size} confirmed never handled${shown(lostConfirmed)}` },
    { name: 'no message handled twice (inbox)', holds: handledTwice.count === 0, enforced: true, detail: `${handledTwice.count} ids committed more than once${shown(handledTwice)}` },
    { name: 'nothing handled that was never written', holds: handledNeverWritten.count === 0, enforced: true, detail: `${handledNeverWritten.count} unknown ids${shown(handledNeverWritten)}` },
    { name: 'every written message confirmed by the end (outbox drained)', holds: unconfirmed.count === 0, enforced: withinTolerance, detail: `${unconfirmed.count} of ${written.size} written never confirmed${shown(unconfirmed)}` },
    {
      name: `no window without a confirm longer than ${seconds(input.maxGapMs)}`,
      holds: gap.ms <= input.maxGapMs,
      enforced: withinTolerance,
      detail: `longest ${seconds(gap.ms)}${gap.faults.length > 0 ? ` during ${gap.faults.join(', ')}` : ' with no fault active'}`,
    },
    { name: 'every fault healed', holds: unhealed.length === 0, enforced: true, detail: unhealed.length === 0 ? `${input.faults.length} faults healed` : `not healed: ${unhealed.map(faultLabel).join(', ')}` },
    {
      name: 'the cluster recovered after every round (all nodes running, one VIP holder)',
      holds: notRecovered.length === 0,
      enforced: withinTolerance,
      detail: notRecovered.length === 0 ? `${input.rounds.length} rounds recovered` : `not recovered: round ${notRecovered.map((r) => r.index).join(', ')}`,
    },
  ];
  return {
    withinTolerance,
    counts: { written: written.size, attempts, failedAttempts, confirmed: confirmed.size, handled: handled.size, handlerCalls: input.events.filter((e) => e.e === 'deliver').length },
    lostConfirmed,
    unconfirmed,
    handledTwice,
    handlerRedeliveries,
    handledNeverWritten,
    longestGap: gap,
    longestDelivery,
    invariants,
    passed: invariants.every((i) => i.holds || !i.enforced),
  };
}
