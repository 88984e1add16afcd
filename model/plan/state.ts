/**
 * The file `warren synth` keeps next to its output for `warren plan`: per group of targets written together,
 * the cluster as synthesised (a plan snapshot: sources of secrets, never values) and what is known of the
 * cookie's file. A synth of some targets replaces their entry and leaves the others', whose folders it did not
 * touch. Deterministic: the same spec and store give the same bytes.
 */
import { WarrenUserError } from '../core/user-error';
import type { CookieRecord } from './cookie';
import { deepEqual, isPlainObject } from './diff';
import { PLAN_SNAPSHOT_FORMAT, type PlanSnapshot, type PlainValue } from './snapshot';

/** Relative to the output folder. */
export const PLAN_STATE_PATH = '.warren/state.json';

export interface SynthesisRecord {
  /** Target folders this synthesis wrote, e.g. `compose`, `vm`. */
  readonly targets: readonly string[];
  /** The version of warren that wrote them. */
  readonly warren: string;
  readonly cluster: PlanSnapshot;
  readonly erlangCookie: CookieRecord;
}

export interface PlanState {
  readonly format: typeof PLAN_SNAPSHOT_FORMAT;
  readonly synthesised: readonly SynthesisRecord[];
}

/** The state after a synth wrote `record.targets`: their old entries give way, an identical entry takes them in. */
export function nextPlanState(previous: PlanState | undefined, record: SynthesisRecord, targetOrder: readonly string[]): PlanState {
  const order = (targets: readonly string[]) => [...targets].sort((a, b) => targetOrder.indexOf(a) - targetOrder.indexOf(b));
  const kept = (previous?.synthesised ?? [])
    .map((entry) => ({ ...entry, targets: entry.targets.filter((target) => !record.targets.includes(target)) }))
    .filter((entry) => entry.targets.length > 0);
  const same = kept.findIndex((entry) => entry.warren === record.warren && deepEqual(entry.cluster, record.cluster) && JSON.stringify(entry.erlangCookie) === JSON.stringify(record.erlangCookie));
  const synthesised =
    same >= 0
      ? kept.map((entry, i) => (i === same ? { ...entry, targets: order([...entry.targets, ...record.targets]) } : entry))
      : [...kept, { ...record, targets: order(record.targets) }];
  return { format: PLAN_SNAPSHOT_FORMAT, synthesised };
}

export function renderPlanState(state: PlanState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

const SNAPSHOT_KEYS = ['name', 'version', 'metadataStore', 'nodes', 'partitionHandling', 'erlangCookie', 'topology', 'rabbitmqConf'];

function isRecord(value: PlainValue | undefined): boolean {
  if (!isPlainObject(value)) return false;
  const { targets, warren, cluster, erlangCookie } = value;
  return (
    Array.isArray(targets) &&
    targets.every((t) => typeof t === 'string') &&
    typeof warren === 'string' &&
    isPlainObject(cluster) &&
    SNAPSHOT_KEYS.every((key) => key in cluster) &&
    Array.isArray(cluster.nodes) &&
    isPlainObject(erlangCookie) &&
    typeof erlangCookie.source === 'string'
  );
}

/** Reads a state file's text; `where` names it in messages. */
export function parsePlanState(text: string, where: string): PlanState {
  const rewrite = 'run `warren synth` again to rewrite it (with the spec last synthesised, to compare with that)';
  let value: PlainValue;
  try {
    value = JSON.parse(text) as PlainValue;
  } catch {
    throw new WarrenUserError(`${where} is not JSON; ${rewrite}`, 1);
  }
  if (!isPlainObject(value) || typeof value.format !== 'number') throw new WarrenUserError(`${where} is not a state warren synth wrote; ${rewrite}`, 1);
  if (value.format !== PLAN_SNAPSHOT_FORMAT) {
    throw new WarrenUserError(`${where} has format ${value.format}, which this warren does not read (it reads ${PLAN_SNAPSHOT_FORMAT}); ${rewrite}`, 1);
  }
  if (!Array.isArray(value.synthesised) || value.synthesised.length === 0 || !value.synthesised.every(isRecord)) {
    throw new WarrenUserError(`${where} is not a state warren synth wrote (its synthesised entries are missing or malformed); ${rewrite}`, 1);
  }
  return value as unknown as PlanState;
}
