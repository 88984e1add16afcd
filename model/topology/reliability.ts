/**
 * Reliable queues: what warren derives from a queue's `retry` (reliability-schema.ts), once, for every target
 * and for the client (client/). The broker does the waiting, never the consumer:
 *
 * - every line: a quorum queue with `x-delivery-limit` = attempts - 1 (a quorum queue dead-letters a message
 *   whose delivery count exceeds the limit), at-least-once dead-lettering (`x-dead-letter-strategy`, which
 *   only works with `x-overflow: reject-publish`) into the dead-letter queue through the default exchange;
 *   the dead-letter queue has no delivery limit (`-1` where 4.0+ would default to 20);
 * - RabbitMQ 4.3: the queue delays a message it gets back itself. Read in rabbit_quorum_queue.erl and
 *   rabbit_fifo.erl (v4.3.5): `x-delayed-retry-type` all | failed | returned | disabled, `-min` (required)
 *   and `-max` (@default min) in milliseconds; the wait is min(min × delivery count, max). basic.reject
 *   with requeue is a failed delivery (delivery count + 1, counted by the delivery limit); basic.nack with
 *   requeue is a return (acquired count only: never reaches the limit). Type "failed" delays the former.
 * - before 4.3: one quorum delay queue per distinct wait, with a queue TTL (`x-message-ttl`, never a
 *   per-message TTL, which expires only at the head) that dead-letters back into the queue; the consumer
 *   republishes a failed message into the delay queue of its retry (confirmed) and then acks it.
 */
import type { Problem } from '../core/problems';
import { error, warning } from '../core/rule';
import type { ParsedSpec, QueueType } from '../spec';
import { queueTypeOf, type QueueSpec, type TopologySpec } from './schema';
import { featuresOf, type RabbitmqVersion, type VersionFeatures } from '../rabbitmq/version';

type ArgumentValue = string | number | boolean | readonly string[];

/** What a line offers for retries. */
export type RetryFeatures = Pick<VersionFeatures, 'quorumDelayedRetry' | 'deliveryLimitCountsNack' | 'quorumDefaultDeliveryLimit'>;

/** Queue arguments of the quorum queue's own delayed retry (4.3+). */
export const DELAYED_RETRY_ARGUMENTS = ['x-delayed-retry-type', 'x-delayed-retry-min', 'x-delayed-retry-max'] as const;
/** Policy keys of the same. */
export const DELAYED_RETRY_POLICY_KEYS = ['delayed-retry-type', 'delayed-retry-min', 'delayed-retry-max'] as const;

/** Typed queue fields a retry policy sets itself. */
const DERIVED_FIELDS: Readonly<Record<string, string>> = {
  deliveryLimit: 'x-delivery-limit', deadLetterExchange: 'x-dead-letter-exchange', deadLetterRoutingKey: 'x-dead-letter-routing-key', overflow: 'x-overflow',
};
/** Raw arguments a retry policy sets itself (the typed ones are refused as raw arguments by rules.ts). */
const DERIVED_RAW_ARGUMENTS = ['x-dead-letter-strategy', ...DELAYED_RETRY_ARGUMENTS];

/** How a failed message waits for its next attempt. */
export type RetryMechanism =
  /** 4.3+: the consumer rejects with requeue (`basic.reject`, never `basic.nack`); the queue waits. */
  | { readonly kind: 'quorum-delayed-retry'; readonly minMs: number; readonly maxMs: number }
  /** Before 4.3: the consumer republishes into `queueForRetry[k - 1]` for retry k, then acks. */
  | { readonly kind: 'delay-queues'; readonly queueForRetry: readonly string[] };

export interface ResolvedReliableQueue {
  readonly vhost: string;
  readonly name: string;
  /** Deliveries in all, the first included. */
  readonly attempts: number;
  /** Wait before retry k at index k - 1 (k = 1 .. attempts - 1): min(delayMs × k, maxDelayMs). */
  readonly retryDelaysMs: readonly number[];
  readonly deadLetterQueue: string;
  /** x-delivery-limit of the queue: attempts - 1, the broker's backstop when a consumer dies on every attempt. */
  readonly deliveryLimit: number;
  readonly retry: RetryMechanism;
}

export interface DerivedQueue {
  readonly name: string;
  readonly vhost: string;
  readonly type: QueueType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Readonly<Record<string, ArgumentValue>>;
}

export interface ResolvedReliability {
  readonly reliableQueues: readonly ResolvedReliableQueue[];
  /** Arguments each retrying queue gets on top of its own, by the queue's index in topology.queues. */
  readonly argumentsByQueue: ReadonlyMap<number, Readonly<Record<string, ArgumentValue>>>;
  /** Dead-letter queues and delay queues, in the order of the queues that need them, each once. */
  readonly queues: readonly DerivedQueue[];
}

/** "1s", "90s", "2m", "1h", "1500ms": the suffix of a delay queue's name. */
export function formatDelay(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export const deadLetterQueueOf = (queue: QueueSpec): string => queue.retry?.deadLetterQueue ?? `${queue.name}.dead`;
export const delayQueueName = (queue: string, delayMs: number): string => `${queue}.retry.${formatDelay(delayMs)}`;

function retryDelaysOf(retry: NonNullable<QueueSpec['retry']>): number[] {
  const max = retry.maxDelayMs ?? retry.delayMs;
  return Array.from({ length: retry.attempts - 1 }, (_, i) => Math.min(retry.delayMs * (i + 1), max));
}

/** Both dead-lettering arguments for at-least-once delivery into `routingKey` through the default exchange. */
const atLeastOnceTo = (routingKey: string) => ({
  'x-dead-letter-exchange': '',
  'x-dead-letter-routing-key': routingKey,
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
});

export function resolveReliability(topology: TopologySpec, features: RetryFeatures): ResolvedReliability {
  const reliableQueues: ResolvedReliableQueue[] = [];
  const argumentsByQueue = new Map<number, Record<string, ArgumentValue>>();
  const queues: DerivedQueue[] = [];
  const add = (queue: DerivedQueue) => {
    if (!queues.some((q) => q.vhost === queue.vhost && q.name === queue.name)) queues.push(queue);
  };
  topology.queues.forEach((q, i) => {
    if (!q.retry) return;
    const delays = retryDelaysOf(q.retry);
    const deadLetterQueue = deadLetterQueueOf(q);
    const deliveryLimit = q.retry.attempts - 1;
    const max = q.retry.maxDelayMs ?? q.retry.delayMs;
    const retry: RetryMechanism = features.quorumDelayedRetry
      ? { kind: 'quorum-delayed-retry', minMs: q.retry.delayMs, maxMs: max }
      : { kind: 'delay-queues', queueForRetry: delays.map((d) => delayQueueName(q.name, d)) };
    argumentsByQueue.set(i, {
      ...atLeastOnceTo(deadLetterQueue),
      'x-delivery-limit': deliveryLimit,
      ...(retry.kind === 'quorum-delayed-retry' && { 'x-delayed-retry-type': 'failed', 'x-delayed-retry-min': retry.minMs, 'x-delayed-retry-max': retry.maxMs }),
    });
    // No limit on the dead-letter queue: reading dead letters gives them back (warren dlq list), which 4.0-4.2
    // count toward the default limit of 20, and a dead letter over it would be dropped (it has nowhere to go).
    const unlimited: Record<string, ArgumentValue> = features.quorumDefaultDeliveryLimit ? { 'x-delivery-limit': -1 } : {};
    add({ name: deadLetterQueue, vhost: q.vhost, type: 'quorum', durable: true, autoDelete: false, arguments: { ...unlimited, 'x-queue-type': 'quorum' } });
    if (retry.kind === 'delay-queues') {
      for (const delayMs of new Set(delays)) {
        const args = { 'x-message-ttl': delayMs, 'x-queue-type': 'quorum', ...atLeastOnceTo(q.name) };
        add({ name: delayQueueName(q.name, delayMs), vhost: q.vhost, type: 'quorum', durable: true, autoDelete: false, arguments: sortedArguments(args) });
      }
    }
    reliableQueues.push({ vhost: q.vhost, name: q.name, attempts: q.retry.attempts, retryDelaysMs: delays, deadLetterQueue, deliveryLimit, retry });
  });
  return { reliableQueues, argumentsByQueue, queues };
}

export function sortedArguments(args: Record<string, ArgumentValue>): Record<string, ArgumentValue> {
  return Object.fromEntries(Object.entries(args).sort(([a], [b]) => a.localeCompare(b)));
}


const NACK_LOOP =
  'delays only messages returned with basic.nack, which RabbitMQ 4.3 does not count toward the delivery limit (only basic.reject and consumer crashes count): ' +
  'a nack retry loop never reaches the dead-letter queue; use "failed" and requeue with basic.reject (or give the queue a retry policy)';

/** Problems of retry policies and of the delayed-retry arguments and policy keys, registered in RULES (validate.ts). */
export function reliabilityRule(spec: ParsedSpec, version: RabbitmqVersion | undefined): Problem[] {
  const features = version && featuresOf(version);
  const { topology } = spec;
  const problems: Problem[] = [];
  const declared = (vhost: string, name: string) => topology.queues.findIndex((q) => q.vhost === vhost && q.name === name);
  topology.queues.forEach((q, i) => {
    const at = `topology.queues[${i}]`;
    for (const argument of DELAYED_RETRY_ARGUMENTS) {
      const value = q.arguments[argument];
      if (value === undefined || q.retry) continue;
      const path = `${at}.arguments["${argument}"]`;
      if (features && !features.quorumDelayedRetry) {
        problems.push(error(path, value, `is not understood before RabbitMQ 4.3 (the queue would retry at once); remove it and give the queue a retry policy, which gets delay queues on ${version!.line}`));
      } else if (features && argument === 'x-delayed-retry-type' && (value === 'returned')) {
        problems.push(warning(path, value, NACK_LOOP));
      }
    }
    if (!q.retry) return;
    const type = queueTypeOf(q, topology, spec.queues.defaultType);
    if (type !== 'quorum') {
      problems.push(error(`${at}.type`, type, 'is not a quorum queue, which retry needs (delivery limit, at-least-once dead-lettering); set type: quorum'));
    }
    for (const [field, argument] of Object.entries(DERIVED_FIELDS)) {
      const value = q[field as keyof QueueSpec];
      if (value !== undefined) problems.push(error(`${at}.${field}`, value, `is set by retry (${argument}); remove it, or remove retry and set dead-lettering yourself`));
    }
    for (const argument of DERIVED_RAW_ARGUMENTS) {
      const value = q.arguments[argument];
      if (value !== undefined) problems.push(error(`${at}.arguments["${argument}"]`, value, `is set by retry; remove it, or remove retry and set dead-lettering yourself`));
    }
    const { delayMs, maxDelayMs, attempts } = q.retry;
    if (maxDelayMs !== undefined && maxDelayMs < delayMs) {
      problems.push(error(`${at}.retry.maxDelayMs`, maxDelayMs, `is below retry.delayMs (${delayMs}); give ${delayMs} or more, or leave it out`));
    }
    const deadLetterQueue = deadLetterQueueOf(q);
    const clash = declared(q.vhost, deadLetterQueue);
    if (deadLetterQueue === q.name) {
      problems.push(error(`${at}.retry.deadLetterQueue`, deadLetterQueue, 'is the queue itself; name another queue, or leave it out for "<queue>.dead"'));
    } else if (clash !== -1) {
      problems.push(error(`${at}.retry.deadLetterQueue`, deadLetterQueue, `is declared as topology.queues[${clash}]; remove that declaration (warren declares the dead-letter queue), or name another queue`));
    }
    if (features && !features.quorumDelayedRetry && attempts > 1) {
      for (const delay of new Set(retryDelaysOf(q.retry))) {
        const name = delayQueueName(q.name, delay);
        const other = declared(q.vhost, name);
        if (other !== -1) problems.push(error(`topology.queues[${other}].name`, name, `is the delay queue warren derives for topology.queues[${i}].retry on ${version!.line}; rename this queue`));
      }
    }
  });
  // Operator policies take these keys on 4.3 too, but rules.ts does not list them yet: only policies here.
  const policyProblems = (section: 'policies') =>
    topology[section].forEach((p, i) => {
      for (const key of DELAYED_RETRY_POLICY_KEYS) {
        const value = p.definition[key];
        if (value === undefined) continue;
        const path = `topology.${section}[${i}].definition["${key}"]`;
        if (features && !features.quorumDelayedRetry) problems.push(error(path, value, `is not understood before RabbitMQ 4.3; remove it and give the queues a retry policy, which gets delay queues on ${version!.line}`));
        else if (features && key === 'delayed-retry-type' && value === 'returned') problems.push(warning(path, value, NACK_LOOP));
      }
    });
  policyProblems('policies');
  return problems;
}
