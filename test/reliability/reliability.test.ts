/** Retry policies: the topology warren derives per line, and the exact text of every problem. */
import { describe, expect, it } from 'vitest';
import { withoutRoutingWarnings } from '../topology/routing-warnings';
import { alertRulesOf, definitionsOf, formatProblem, resolveCluster, validateSpec, type ClusterSpec } from '../../model/internal';

const orders = (version: string, retry: any = { attempts: 4, delayMs: 1000, maxDelayMs: 2500 }): ClusterSpec => ({
  name: 'shop',
  rabbitmq: { version },
  topology: {
    vhosts: [{ name: 'orders' }],
    exchanges: [{ name: 'events', vhost: 'orders', type: 'topic' }],
    queues: [{ name: 'orders.created', vhost: 'orders', type: 'quorum', retry }],
    bindings: [{ vhost: 'orders', source: 'events', destination: 'orders.created', routingKey: 'order.created' }],
  },
});

const problemsOf = (spec: ClusterSpec): string[] => {
  const v = validateSpec(spec);
  // The routing analysis' warnings are left out (these queues are bound to nothing): test/topology/routing.test.ts.
  return withoutRoutingWarnings((v.ok ? v.warnings : v.problems).map(formatProblem));
};

const queue = (spec: ClusterSpec, name: string) => resolveCluster(spec).topology.queues.find((q) => q.name === name);

describe('a queue with a retry policy', () => {
  it('on 4.3 becomes a quorum queue that delays its own retries (x-delayed-retry-*) and dead-letters at least once into <queue>.dead', () => {
    const cluster = resolveCluster(orders('4.3'));
    expect(cluster.topology.queues.map((q) => q.name)).toEqual(['orders.created', 'orders.created.dead']);
    expect(queue(orders('4.3'), 'orders.created')?.arguments).toEqual({
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'orders.created.dead',
      'x-dead-letter-strategy': 'at-least-once',
      'x-delayed-retry-max': 2500,
      'x-delayed-retry-min': 1000,
      'x-delayed-retry-type': 'failed',
      'x-delivery-limit': 3,
      'x-overflow': 'reject-publish',
      'x-queue-type': 'quorum',
    });
    expect(cluster.topology.reliableQueues).toEqual([
      {
        vhost: 'orders',
        name: 'orders.created',
        attempts: 4,
        retryDelaysMs: [1000, 2000, 2500],
        deadLetterQueue: 'orders.created.dead',
        deliveryLimit: 3,
        retry: { kind: 'quorum-delayed-retry', minMs: 1000, maxMs: 2500 },
      },
    ]);
    expect(Object.isFrozen(cluster.topology.reliableQueues[0]!.retryDelaysMs)).toBe(true);
  });

  it('before 4.3 gets one delay queue per distinct wait, with a queue TTL that dead-letters back into the queue', () => {
    const spec = orders('3.10', { attempts: 5, delayMs: 1000, maxDelayMs: 2000 });
    const cluster = resolveCluster(spec);
    expect(cluster.topology.queues.map((q) => q.name)).toEqual(['orders.created', 'orders.created.dead', 'orders.created.retry.1s', 'orders.created.retry.2s']);
    expect(queue(spec, 'orders.created')?.arguments).toEqual({
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'orders.created.dead',
      'x-dead-letter-strategy': 'at-least-once',
      'x-delivery-limit': 4,
      'x-overflow': 'reject-publish',
      'x-queue-type': 'quorum',
    });
    expect(queue(spec, 'orders.created.retry.2s')?.arguments).toEqual({
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'orders.created',
      'x-dead-letter-strategy': 'at-least-once',
      'x-message-ttl': 2000,
      'x-overflow': 'reject-publish',
      'x-queue-type': 'quorum',
    });
    expect(cluster.topology.reliableQueues[0]!.retry).toEqual({
      kind: 'delay-queues',
      queueForRetry: ['orders.created.retry.1s', 'orders.created.retry.2s', 'orders.created.retry.2s', 'orders.created.retry.2s'],
    });
    // No per-message TTL anywhere: a message's own expiration only takes effect at the head of a queue.
    expect(JSON.stringify(definitionsOf(cluster, { 'default-user-password': 'p' }).queues)).not.toContain('expiration');
  });

  it('its dead-letter queue has no delivery limit: -1 where 4.0+ would default to 20 (reading dead letters gives them back), none before 4.0', () => {
    expect(['3.10', '3.13', '4.0', '4.2', '4.3'].map((line) => [line, queue(orders(line), 'orders.created.dead')?.arguments])).toEqual([
      ['3.10', { 'x-queue-type': 'quorum' }],
      ['3.13', { 'x-queue-type': 'quorum' }],
      ['4.0', { 'x-delivery-limit': -1, 'x-queue-type': 'quorum' }],
      ['4.2', { 'x-delivery-limit': -1, 'x-queue-type': 'quorum' }],
      ['4.3', { 'x-delivery-limit': -1, 'x-queue-type': 'quorum' }],
    ]);
  });

  it('every retry waits delayMs when maxDelayMs is left out; one attempt needs no delay queue', () => {
    expect(resolveCluster(orders('4.0', { attempts: 3, delayMs: 60_000 })).topology.queues.map((q) => q.name)).toEqual(['orders.created', 'orders.created.dead', 'orders.created.retry.1m']);
    expect(resolveCluster(orders('4.0', { attempts: 1 })).topology.queues.map((q) => q.name)).toEqual(['orders.created', 'orders.created.dead']);
  });

  it('its dead-letter queue is covered by the dead-letter alert', () => {
    const rule = alertRulesOf(resolveCluster(orders('4.3'))).find((r) => r.name === 'RabbitmqDeadLetterQueueNotEmpty');
    expect(rule?.expr).toContain('rabbitmq_detailed_queue_messages{vhost="orders",queue="orders.created.dead"}');
    expect(rule?.expr).not.toContain('queue="orders.created"}');
  });

  it('reports every problem at once, with the fix', () => {
    const spec = orders('3.12', { attempts: 0, delayMs: 1.5, maxDelayMs: 0 });
    expect(problemsOf(spec)).toEqual([
      'topology.queues[0].retry.attempts: "0" is below 1; give 1 (no retry) or more deliveries',
      'topology.queues[0].retry.delayMs: "1.5" is not a whole number of milliseconds; give an integer such as 1000',
      'topology.queues[0].retry.maxDelayMs: "0" is below 1; give a longest delay of 1 ms or more (e.g. 1000)',
      // The cross-field rules run without the bad list (as for every shape error), so the binding's queue is missing there.
      'topology.bindings[0].destination: "orders.created" is not a queue in vhost "orders"; declare it under topology.queues',
    ]);
    expect(
      problemsOf({
        name: 'shop',
        rabbitmq: { version: '3.12' },
        topology: {
          queues: [
            { name: 'a', type: 'classic', deliveryLimit: 5, overflow: 'drop-head', arguments: { 'x-dead-letter-strategy': 'at-most-once' }, retry: { attempts: 3, delayMs: 2000, maxDelayMs: 1000 } },
            { name: 'b', retry: { attempts: 3, deadLetterQueue: 'b' } },
            { name: 'c', retry: { attempts: 2, deadLetterQueue: 'c.failed' } },
            { name: 'c.failed' },
            { name: 'c.retry.1s' },
          ],
        },
      }),
    ).toEqual([
      'topology.queues[0].deliveryLimit: "5" is not supported by classic queues (x-delivery-limit); remove it, or use type "quorum"',
      'topology.queues[0].arguments["x-dead-letter-strategy"]: "at-most-once" is not supported by classic queues (x-dead-letter-strategy); remove it, or use type "quorum"',
      'topology.queues[0].type: "classic" is not a quorum queue, which retry needs (delivery limit, at-least-once dead-lettering); set type: quorum',
      'topology.queues[0].deliveryLimit: "5" is set by retry (x-delivery-limit); remove it, or remove retry and set dead-lettering yourself',
      'topology.queues[0].overflow: "drop-head" is set by retry (x-overflow); remove it, or remove retry and set dead-lettering yourself',
      'topology.queues[0].arguments["x-dead-letter-strategy"]: "at-most-once" is set by retry; remove it, or remove retry and set dead-lettering yourself',
      'topology.queues[0].retry.maxDelayMs: "1000" is below retry.delayMs (2000); give 2000 or more, or leave it out',
      'topology.queues[1].retry.deadLetterQueue: "b" is the queue itself; name another queue, or leave it out for "<queue>.dead"',
      'topology.queues[2].retry.deadLetterQueue: "c.failed" is declared as topology.queues[3]; remove that declaration (warren declares the dead-letter queue), or name another queue',
      'topology.queues[4].name: "c.retry.1s" is the delay queue warren derives for topology.queues[2].retry on 3.12; rename this queue',
    ]);
  });

  it('a queue of the default type: the queue must resolve to quorum', () => {
    expect(problemsOf({ name: 'shop', queues: { defaultType: 'classic' }, topology: { queues: [{ name: 'a', retry: { attempts: 2 } }] } })).toEqual([
      'topology.queues[0].type: "classic" is not a quorum queue, which retry needs (delivery limit, at-least-once dead-lettering); set type: quorum',
    ]);
  });
});

describe('delayed-retry arguments and policy keys written by hand', () => {
  const spec = (version: string, type: string): ClusterSpec => ({
    name: 'shop',
    rabbitmq: { version },
    topology: {
      queues: [{ name: 'a', arguments: { 'x-delayed-retry-type': type, 'x-delayed-retry-min': 1000 } }],
      policies: [{ name: 'p', pattern: '^a$', definition: { 'delayed-retry-type': type, 'delayed-retry-min': 1000 } }],
    },
  });

  it('on 4.3 warn when they delay only nacked messages, which the delivery limit never counts', () => {
    expect(problemsOf(spec('4.3', 'failed'))).toEqual([]);
    const why =
      'delays only messages returned with basic.nack, which RabbitMQ 4.3 does not count toward the delivery limit (only basic.reject and consumer crashes count): ' +
      'a nack retry loop never reaches the dead-letter queue; use "failed" and requeue with basic.reject (or give the queue a retry policy)';
    expect(problemsOf(spec('4.3', 'returned'))).toEqual([
      `warning: topology.queues[0].arguments["x-delayed-retry-type"]: "returned" ${why}`,
      `warning: topology.policies[0].definition["delayed-retry-type"]: "returned" ${why}`,
    ]);
  });

  it('before 4.3 are errors that point at retry', () => {
    expect(problemsOf(spec('4.2', 'failed'))).toEqual([
      'topology.queues[0].arguments["x-delayed-retry-type"]: "failed" is not understood before RabbitMQ 4.3 (the queue would retry at once); remove it and give the queue a retry policy, which gets delay queues on 4.2',
      'topology.queues[0].arguments["x-delayed-retry-min"]: "1000" is not understood before RabbitMQ 4.3 (the queue would retry at once); remove it and give the queue a retry policy, which gets delay queues on 4.2',
      'topology.policies[0].definition["delayed-retry-type"]: "failed" is not understood before RabbitMQ 4.3; remove it and give the queues a retry policy, which gets delay queues on 4.2',
      'topology.policies[0].definition["delayed-retry-min"]: "1000" is not understood before RabbitMQ 4.3; remove it and give the queues a retry policy, which gets delay queues on 4.2',
    ]);
  });
});
