/**
 * The nemesis's schedule, drawn from a seeded PRNG: the same seed, topology and options give the same rounds.
 * A round is one or two faults that overlap (the second starts while the first is active: "a node killed while
 * the VIP holder's link is cut"), then a heal of all of them, then a recovery pause. Within tolerance (the
 * default) a round never touches more brokers than the quorum tolerates (3 nodes: 1) nor every load balancer;
 * harsh mode makes about half of its rounds exceed that (two nodes at once, both load balancers). Pure.
 */

/** What a fault does to its targets; heal undoes it (restart what was killed, SIGCONT, restore, flush). */
export type FaultKind =
  | 'broker-kill'
  | 'broker-pause'
  | 'node-link-cut'
  | 'node-partition'
  | 'haproxy-kill'
  | 'haproxy-pause'
  | 'keepalived-kill'
  | 'keepalived-pause'
  | 'lb-link-cut'
  | 'minority-partition';

/** Faults on one RabbitMQ host. node-partition: packets to and from the other nodes dropped; load balancers still reach it. */
export const NODE_FAULTS = ['broker-kill', 'broker-pause', 'node-link-cut', 'node-partition'] as const satisfies readonly FaultKind[];
/** Faults on one load-balancer host. */
export const LB_FAULTS = ['haproxy-kill', 'haproxy-pause', 'keepalived-kill', 'keepalived-pause', 'lb-link-cut'] as const satisfies readonly FaultKind[];

export interface Fault {
  readonly kind: FaultKind;
  /**
   * The hosts it hits. minority-partition: [node, load balancer], cut off together from the other nodes and load
   * balancers (the client host still reaches both sides).
   */
  readonly targets: readonly string[];
  /** From the round's start. */
  readonly startMs: number;
  readonly durationMs: number;
}

export interface Round {
  readonly index: number;
  readonly faults: readonly Fault[];
  /** True when the round hits more brokers than the quorum tolerates, or every load balancer. */
  readonly exceedsTolerance: boolean;
  /** Wait after the heal and the cluster's recovery, before the next round. */
  readonly pauseAfterMs: number;
}

export interface SoakTopology {
  readonly nodes: readonly string[];
  readonly loadBalancers: readonly string[];
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly minutes: number;
  readonly harsh: boolean;
}

export interface Schedule extends ScheduleOptions {
  readonly brokerTolerance: number;
  readonly rounds: readonly Round[];
}

/** Fault durations and pauses, in ms: long enough for HAProxy and Keepalived to act, short of Erlang's net tick. */
const DURATION_MS = { min: 4_000, max: 20_000 };
const PAUSE_MS = { min: 8_000, max: 20_000 };

/** mulberry32: a 32-bit seeded generator, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Brokers a quorum of `nodes` can lose and still have a majority: 3 -> 1, 5 -> 2. */
export function brokerToleranceOf(nodes: number): number {
  return Math.floor((nodes - 1) / 2);
}

/** The hosts a fault takes away from the brokers' quorum and from the load balancers. */
export function faultFootprint(fault: Fault, topology: SoakTopology): { nodes: string[]; loadBalancers: string[] } {
  return {
    nodes: fault.targets.filter((t) => topology.nodes.includes(t)),
    loadBalancers: fault.targets.filter((t) => topology.loadBalancers.includes(t)),
  };
}

/** Whether faults active together exceed the tolerance: more brokers than the quorum tolerates, or every load balancer. */
export function exceedsTolerance(faults: readonly Fault[], topology: SoakTopology): boolean {
  const nodes = new Set(faults.flatMap((f) => faultFootprint(f, topology).nodes));
  const lbs = new Set(faults.flatMap((f) => faultFootprint(f, topology).loadBalancers));
  return nodes.size > brokerToleranceOf(topology.nodes.length) || (lbs.size > 0 && lbs.size >= topology.loadBalancers.length);
}

/** Rounds until their nominal length (longest fault plus pause) covers `minutes`; the runner stops at the deadline. */
export function drawSchedule(options: ScheduleOptions, topology: SoakTopology): Schedule {
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new Error(`--seed: "${options.seed}" is not an integer from 0 to 4294967295; give one, or leave it out to draw one`);
  }
  if (!(options.minutes > 0)) throw new Error(`--minutes: "${options.minutes}" is not a positive number; give e.g. --minutes 3`);
  if (topology.nodes.length < 1 || topology.loadBalancers.length < 1) {
    throw new Error(`the soak needs RabbitMQ nodes and load balancers; the spec has ${topology.nodes.length} nodes and ${topology.loadBalancers.length} load balancers`);
  }
  const random = prng(options.seed);
  const between = (range: { min: number; max: number }) => Math.round((range.min + random() * (range.max - range.min)) / 100) * 100;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const rounds: Round[] = [];
  for (let elapsedMs = 0, index = 0; elapsedMs < options.minutes * 60_000; index++) {
    const harshRound = options.harsh && random() < 0.5;
    const faults = harshRound ? harshFaults(topology, random, pick, between) : toleratedFaults(topology, random, pick, between);
    const pauseAfterMs = between(PAUSE_MS);
    rounds.push({ index, faults, exceedsTolerance: exceedsTolerance(faults, topology), pauseAfterMs });
    elapsedMs += Math.max(...faults.map((f) => f.startMs + f.durationMs)) + pauseAfterMs;
  }
  return { ...options, brokerTolerance: brokerToleranceOf(topology.nodes.length), rounds };
}

type Pick = <T>(items: readonly T[]) => T;
type Between = (range: { min: number; max: number }) => number;

/** One fault, or a node fault and a load-balancer fault overlapping, or a minority partition: never beyond tolerance. */
function toleratedFaults(topology: SoakTopology, random: () => number, pick: Pick, between: Between): Fault[] {
  const shape = random();
  const canLoseLb = topology.loadBalancers.length > 1;
  const canLoseNode = brokerToleranceOf(topology.nodes.length) >= 1;
  const nodeFault = (startMs: number): Fault => ({ kind: pick(NODE_FAULTS), targets: [pick(topology.nodes)], startMs, durationMs: between(DURATION_MS) });
  const lbFault = (startMs: number): Fault => ({ kind: pick(LB_FAULTS), targets: [pick(topology.loadBalancers)], startMs, durationMs: between(DURATION_MS) });
  if (!canLoseNode && !canLoseLb) throw new Error('the spec tolerates no fault (one node, one load balancer); give it 3 nodes and 2 load balancers, or run --harsh');
  if (shape < 0.15 && canLoseNode && canLoseLb) {
    return [{ kind: 'minority-partition', targets: [pick(topology.nodes), pick(topology.loadBalancers)], startMs: 0, durationMs: between(DURATION_MS) }];
  }
  const first = (canLoseNode && (random() < 0.6 || !canLoseLb) ? nodeFault : lbFault)(0);
  if (shape < 0.55 || !canLoseNode || !canLoseLb) return [first];
  const second = (first.kind in NODE_KIND ? lbFault : nodeFault)(Math.floor((random() * first.durationMs) / 100) * 100);
  return [first, second];
}

/** Two brokers at once, or both load balancers at once (each its own kind), overlapping. */
function harshFaults(topology: SoakTopology, random: () => number, pick: Pick, between: Between): Fault[] {
  const onNodes = random() < 0.6 && topology.nodes.length > brokerToleranceOf(topology.nodes.length);
  const pool = onNodes ? topology.nodes : topology.loadBalancers;
  const count = onNodes ? brokerToleranceOf(topology.nodes.length) + 1 : topology.loadBalancers.length;
  const shuffled = [...pool];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const targets = shuffled.slice(0, count);
  const first = between(DURATION_MS);
  return targets.map((target, i) => ({
    kind: pick(onNodes ? NODE_FAULTS : LB_FAULTS),
    targets: [target],
    startMs: i === 0 ? 0 : Math.floor((random() * first) / 100) * 100,
    durationMs: i === 0 ? first : between(DURATION_MS),
  }));
}

const NODE_KIND: Record<string, true> = Object.fromEntries(NODE_FAULTS.map((k) => [k, true]));

/** "broker-kill rabbit-2 at +3.0 s for 12.4 s". */
export function describeFault(fault: Fault): string {
  return `${fault.kind} ${fault.targets.join('+')} at +${(fault.startMs / 1000).toFixed(1)} s for ${(fault.durationMs / 1000).toFixed(1)} s`;
}

/** The schedule as printed at start: one line per round. */
export function describeSchedule(schedule: Schedule): string {
  const head = `seed ${schedule.seed}, ${schedule.minutes} min, ${schedule.harsh ? 'harsh (beyond tolerance in some rounds)' : `within tolerance (at most ${schedule.brokerTolerance} broker and one load balancer at once)`}`;
  return [head, ...schedule.rounds.map((r) => `  round ${r.index}${r.exceedsTolerance ? ' [beyond tolerance]' : ''}: ${r.faults.map(describeFault).join('; ')}; then pause ${(r.pauseAfterMs / 1000).toFixed(1)} s`)].join('\n');
}
