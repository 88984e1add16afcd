/**
 * One change `warren plan` found between the cluster last synthesised and the spec now, with what it means
 * for the running cluster: its class, why, and what to do.
 */
import { truncateForMessage } from '../core/user-error';
import type { PlainValue } from './snapshot';

/**
 * - `no-op`: nothing changes on the running cluster (a setting this version ignores, the same cookie from another source).
 * - `live`: RabbitMQ (or HAProxy, Keepalived) takes it while running, without restarting a node.
 * - `rolling restart`: nodes read it only at boot; restart them one at a time.
 * - `migration`: a restart is not enough: data or state must move, or a one-way step is taken (queue recreation,
 *   a version upgrade, Khepri, scaling in).
 * - `rejected`: the cluster cannot take it as a change; the fix says what to do instead.
 */
export const CHANGE_CLASSES = ['no-op', 'live', 'rolling restart', 'migration', 'rejected'] as const;
export type ChangeClass = (typeof CHANGE_CLASSES)[number];

export interface PlannedChange {
  /** Where in the spec, e.g. `topology.queues["orders" in "/"].arguments.x-max-length` or `rabbitmq.version`. */
  readonly path: string;
  /** @default - absent before (added) */
  readonly before?: PlainValue;
  /** @default - absent after (removed) */
  readonly after?: PlainValue;
  readonly class: ChangeClass;
  readonly reason: string;
  readonly fix: string;
}

/** Strings that could be mistaken for the line's own separators, or would not show, are quoted. */
const NEEDS_QUOTES = /^$|^\s|\s$|[\n\r\t]| -> |: |; |^\(none\)$/;

/** A value as a plan line shows it: strings bare unless they could mislead, structures as short JSON, absence as (none). */
export function formatPlanValue(value: PlainValue | undefined): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'string') return NEEDS_QUOTES.test(value) ? JSON.stringify(truncateForMessage(value)) : truncateForMessage(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return truncateForMessage(JSON.stringify(value));
}

/** `path: before -> after: class: reason; fix`, one line. */
export function formatChange(change: PlannedChange): string {
  return `${change.path}: ${formatPlanValue(change.before)} -> ${formatPlanValue(change.after)}: ${change.class}: ${change.reason}; ${change.fix}`;
}

/** The class that decides the plan's outcome: the most demanding one present. */
export function worstClass(changes: readonly PlannedChange[]): ChangeClass | undefined {
  let worst: ChangeClass | undefined;
  for (const change of changes) {
    if (worst === undefined || CHANGE_CLASSES.indexOf(change.class) > CHANGE_CLASSES.indexOf(worst)) worst = change.class;
  }
  return worst;
}
