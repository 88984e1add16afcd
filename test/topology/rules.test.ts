/** Every topology validation rule, with the exact text the user reads. */
import { describe, expect, it } from 'vitest';
import { formatProblem, validateSpec, type ClusterSpec } from '../../model';
import { withoutRoutingWarnings } from './routing-warnings';

const problemsOf = (topology: unknown, extra: Partial<ClusterSpec> = {}): string[] => {
  const v = validateSpec({ name: 'shop', ...extra, topology });
  // The routing analysis' warnings are left out: these specs are about the other rules.
  return withoutRoutingWarnings((v.ok ? v.warnings : v.problems).map(formatProblem));
};

const base = {
  vhosts: [{ name: 'orders' }],
  exchanges: [{ name: 'events', vhost: 'orders', type: 'topic' }, { name: 'dlx', vhost: 'orders', type: 'fanout' }],
  queues: [{ name: 'orders.created', vhost: 'orders' }, { name: 'orders.dead', vhost: 'orders' }],
};

describe('topology rules', () => {
  it('accepts a consistent topology', () => {
    expect(problemsOf({ ...base, bindings: [{ vhost: 'orders', source: 'events', destination: 'orders.created', routingKey: 'order.*.#' }] })).toEqual([]);
  });

  it('reports names that do not exist in the vhost, with did-you-mean, all at once', () => {
    expect(
      problemsOf({
        ...base,
        exchanges: [...base.exchanges, { name: 'audit', vhost: 'orders', alternateExchange: 'unroutd' }],
        queues: [...base.queues, { name: 'orders.x', vhost: 'orders', deadLetterExchange: 'dlq' }],
        bindings: [
          { vhost: 'orders', source: 'event', destination: 'orders.created' },
          { vhost: 'orders', source: 'events', destination: 'orders.creatd', routingKey: 'a' },
          { vhost: 'orders', source: 'events', destination: 'nothing-like-it', destinationType: 'exchange' },
          { vhost: 'order', source: 'events', destination: 'orders.created' },
        ],
        users: [{ name: 'app' }],
        permissions: [{ user: 'ap', vhost: 'orders' }, { user: 'app', vhost: 'payments' }],
      }),
    ).toEqual([
      'topology.permissions[0].user: "ap" is not a declared user; did you mean "app"?',
      'topology.permissions[1].vhost: "payments" is not a declared virtual host; add it to topology.vhosts',
      'topology.bindings[3].vhost: "order" is not a declared virtual host; did you mean "orders"?',
      'topology.exchanges[2].alternateExchange: "unroutd" is not an exchange in vhost "orders"; declare it under topology.exchanges',
      'topology.queues[2].deadLetterExchange: "dlq" is not an exchange in vhost "orders"; did you mean "dlx"?',
      'topology.bindings[0].source: "event" is not an exchange in vhost "orders"; did you mean "events"?',
      'topology.bindings[1].destination: "orders.creatd" is not a queue in vhost "orders"; did you mean "orders.created"?',
      'topology.bindings[2].destination: "nothing-like-it" is not an exchange in vhost "orders"; declare it under topology.exchanges',
      'topology.bindings[3].source: "events" is not an exchange in vhost "order"; declare it under topology.exchanges',
      'topology.bindings[3].destination: "orders.created" is not a queue in vhost "order"; declare it under topology.queues',
    ]);
  });

  it('checks topic binding keys', () => {
    const binding = (routingKey: string) => ({ vhost: 'orders', source: 'events', destination: 'orders.created', routingKey });
    expect(problemsOf({ ...base, bindings: [binding('order.*created'), binding('order..paid'), binding('#.paid'), binding('order.#')] })).toEqual([
      'topology.bindings[0].routingKey: "order.*created" has the word "*created", which mixes * or # with other characters; write dot-separated words where * matches one word and # zero or more (e.g. "orders.*.created")',
      'topology.bindings[1].routingKey: "order..paid" has an empty word (two dots in a row, or a dot at an end); write dot-separated words where * matches one word and # zero or more (e.g. "orders.*.created")',
    ]);
  });

  it('rejects arguments the queue type does not support, per version', () => {
    const queues = [
      { name: 'q1', maxPriority: 5 },
      { name: 'q2', type: 'classic', deliveryLimit: 3 },
      { name: 'q3', type: 'stream', messageTtlMs: 1000, durable: false },
      { name: 'q4', overflow: 'reject-publish-dlx', arguments: { 'x-queue-type': 'classic', 'x-max-lenght': 3, 'x-message-ttl': 5 } },
      { name: 'q5', type: 'classic', maxAge: '7D', deadLetterRoutingKey: 'x' },
    ];
    expect(problemsOf({ queues }, { rabbitmq: { version: '3.13' } })).toEqual([
      'topology.queues[0].maxPriority: "5" is not supported by quorum queues before RabbitMQ 4.0; remove it, or use type "classic" for a priority queue',
      'topology.queues[1].deliveryLimit: "3" is not supported by classic queues (x-delivery-limit); remove it, or use type "quorum"',
      'topology.queues[2].durable: "false" is not possible for streams, which are always durable; remove durable: false, or use type "classic"',
      'topology.queues[2].messageTtlMs: "1000" is not supported by streams (x-message-ttl); remove it, or use type "classic"',
      'topology.queues[3].overflow: "reject-publish-dlx" is not supported by quorum queues; use "reject-publish" or "drop-head", or type "classic"',
      'topology.queues[3].arguments["x-queue-type"]: "classic" is set through the queue\'s type; write type: quorum, classic or stream instead',
      'topology.queues[3].arguments["x-max-lenght"]: "3" is not a queue argument; did you mean "x-max-length"?',
      'topology.queues[3].arguments["x-message-ttl"]: "5" is set through the queue\'s messageTtlMs field; write messageTtlMs instead',
      'topology.queues[4].maxAge: "7D" is not supported by classic queues (x-max-age); remove it, or use type "stream"',
      'topology.queues[4].deadLetterRoutingKey: "x" has no deadLetterExchange to go with; set deadLetterExchange ("" for the default exchange) or remove it',
    ]);
    expect(problemsOf({ queues: [{ name: 'q1', maxPriority: 5 }] })).toEqual([
      'topology.queues[0].maxPriority: "5" is not a quorum queue argument: from RabbitMQ 4.0 quorum queues have two built-in priorities (messages with priority above 4 go first); remove it, or use type "classic" for more levels',
    ]);
    expect(problemsOf({ vhosts: [{ name: 'v', defaultQueueType: 'classic' }], queues: [{ name: 'q1', vhost: 'v', maxPriority: 5 }] })).toEqual([]);
  });

  it('reports duplicate names and reserved ones', () => {
    expect(
      problemsOf({
        vhosts: [{ name: 'v' }, { name: 'v' }],
        users: [{ name: 'app' }, { name: 'app' }, { name: 'admin' }],
        exchanges: [{ name: 'e' }, { name: 'e' }, { name: 'amq.mine' }],
        queues: [{ name: 'q' }, { name: 'q', vhost: 'v' }, { name: 'q' }],
      }),
    ).toEqual([
      'topology.vhosts[1].name: "v" is declared twice; declare each virtual host once',
      'topology.users[1].name: "app" is declared twice; declare each user once',
      'topology.users[2].name: "admin" is already defaultUser.name; give the application user another name',
      'topology.exchanges[1].name: "e" is declared twice in vhost "/"; give each exchange its own name',
      'topology.exchanges[2].name: "amq.mine" starts with "amq.", which RabbitMQ reserves; choose another name',
      'topology.queues[2].name: "q" is declared twice in vhost "/"; give each queue its own name',
    ]);
  });

  it('checks policies: version of apply-to, keys, targets; operator policies: allowed keys', () => {
    const topology = {
      ...base,
      policies: [
        { name: 'p', vhost: 'orders', pattern: '.*', applyTo: 'quorum_queues', definition: { 'message_ttl': 5, 'dead-letter-exchange': 'dxl', 'federation-upstream': 'up' } },
      ],
      operatorPolicies: [{ name: 'o', vhost: 'orders', pattern: '(', definition: { 'max-length': 5, 'dead-letter-exchange': 'dlx' } }],
    };
    expect(problemsOf(topology, { rabbitmq: { version: '3.11' } })).toEqual([
      'topology.policies[0].applyTo: "quorum_queues" targets one queue type, which RabbitMQ supports from 3.12; use "queues" on this version',
      'topology.policies[0].definition["message_ttl"]: "5" is not a policy key; did you mean "message-ttl"?',
      'topology.policies[0].definition["dead-letter-exchange"]: "dxl" is not an exchange in vhost "orders"; did you mean "dlx"?',
      'topology.policies[0].definition["federation-upstream"]: "up" is not a federation upstream in vhost "orders"; declare it under topology.federationUpstreams',
      `topology.operatorPolicies[0].pattern: "(" is not a regular expression RabbitMQ accepts (Erlang's PCRE: missing )); fix the pattern (e.g. "^orders\\\\.")`,
      'topology.operatorPolicies[0].definition["dead-letter-exchange"]: "dlx" is not allowed in an operator policy; use one of delivery-limit, expires, max-in-memory-bytes, max-in-memory-length, max-length, max-length-bytes, message-ttl, target-group-size, ha-mode, ha-params, ha-sync-mode (or move it to topology.policies)',
    ]);
    expect(problemsOf({ operatorPolicies: [{ name: 'o', pattern: '.*', definition: { 'ha-mode': 'all' } }] })).toEqual([
      'topology.operatorPolicies[0].definition["ha-mode"]: "all" is classic queue mirroring, removed in RabbitMQ 4.0; remove it and use quorum queues for replication',
    ]);
  });

  it('needs the plugins of federation and shovels, one end each, and plain classic queues for shovels', () => {
    const topology = {
      ...base,
      federationUpstreams: [{ name: 'up', vhost: 'orders', uri: 'env:UP_URI' }],
      shovels: [{ name: 's', vhost: 'orders', source: { queue: 'orders.created' }, destination: { exchange: 'events', queue: 'orders.dead' } }],
    };
    expect(problemsOf(topology)).toEqual([
      'topology.federationUpstreams: "1 declared" needs the rabbitmq_federation plugin, which is not enabled (the node would refuse the definitions at boot); add "rabbitmq_federation" to plugins',
      'topology.shovels: "1 declared" needs the rabbitmq_shovel plugin, which is not enabled (the node would refuse the definitions at boot); add "rabbitmq_shovel" to plugins',
      'topology.shovels[0].source.queue: "orders.created" is a queue with a type or arguments, but RabbitMQ imports shovels before queues and the shovel declares it first as a plain classic queue (seen on 3.10.8); make it type "classic" without arguments (policies still apply), or shovel from an exchange',
      'topology.shovels[0].destination: "{\\"queue\\":\\"orders.dead\\",\\"exchange\\":\\"events\\"}" needs exactly one of queue or exchange; name the queue, or the exchange (with routingKey if needed)',
    ]);
    expect(problemsOf({ federationUpstreams: [{ name: 'up', uri: 'amqp://user:pw@host' }] })[0]).toBe(
      'topology.federationUpstreams[0].uri: "amqp://user:pw@host" is not a connection source; use "local" (this cluster), "file:<path>" or "env:<VARIABLE>" holding an amqp:// URI (URIs carry credentials, so they are never written inline)',
    );
  });

  it('warns that 3.10 cannot store a vhost default queue type', () => {
    expect(problemsOf({ vhosts: [{ name: 'v', defaultQueueType: 'quorum' }] }, { rabbitmq: { version: '3.10.8' } })).toEqual([
      'warning: topology.vhosts[0].defaultQueueType: "quorum" cannot be stored before RabbitMQ 3.11; queues declared here still get their type, clients must pass x-queue-type themselves',
    ]);
  });
});
