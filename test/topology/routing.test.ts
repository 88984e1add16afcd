/**
 * The routing analysis (model/topology/routing.ts) as validation reports it: a dead-letter cycle, a queue nothing
 * routes to, an exchange without bindings and an unused upstream are warnings naming the field, the value and the
 * fix; the topology drawing marks the same results.
 */
import { describe, expect, it } from 'vitest';
import { topologyDiagram } from '../../graph';
import { formatProblem, resolveCluster, validateSpec, type ClusterSpec } from '../../model';
import { loadExample } from '../support/fixtures';

const warningsOf = (spec: unknown): string[] => {
  const v = validateSpec(spec);
  expect(v.ok, JSON.stringify(v.ok ? [] : v.problems)).toBe(true);
  return v.ok ? v.warnings.map(formatProblem) : [];
};

/** examples/topology-4.3.yaml as it was: its quorum-limits policy (pattern ".*") also gave the dead-letter queue payments.dlx. */
const formerPayments = {
  name: 'payments',
  topology: {
    vhosts: [{ name: 'payments' }],
    exchanges: [
      { name: 'payments', vhost: 'payments', type: 'topic' },
      { name: 'payments.dlx', vhost: 'payments', type: 'direct' },
    ],
    queues: [
      { name: 'payments.authorise', vhost: 'payments', deadLetterExchange: 'payments.dlx', deadLetterRoutingKey: 'authorise' },
      { name: 'payments.authorise.dead', vhost: 'payments' },
    ],
    bindings: [
      { vhost: 'payments', source: 'payments', destination: 'payments.authorise', routingKey: 'payment.*.requested' },
      { vhost: 'payments', source: 'payments.dlx', destination: 'payments.authorise.dead', routingKey: 'authorise' },
    ],
    policies: [{ name: 'quorum-limits', vhost: 'payments', pattern: '.*', applyTo: 'quorum_queues', definition: { 'delivery-limit': 20, 'dead-letter-exchange': 'payments.dlx' } }],
  },
};

/** A cycle through two queues' own fields, a queue and an exchange nothing uses, an upstream no policy names. */
const marks = {
  name: 'marks',
  plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_federation'],
  topology: {
    federationUpstreams: [{ name: 'idle', uri: 'env:IDLE_UPSTREAM_URI' }],
    exchanges: [
      { name: 'orders', type: 'direct' },
      { name: 'retry', type: 'direct' },
      { name: 'lonely', type: 'fanout' },
    ],
    queues: [
      { name: 'work', messageTtlMs: 1000, deadLetterExchange: 'retry', deadLetterRoutingKey: 'wait' },
      { name: 'wait', messageTtlMs: 5000, deadLetterExchange: 'orders', deadLetterRoutingKey: 'work' },
      { name: 'forgotten' },
    ],
    bindings: [
      { source: 'orders', destination: 'work', routingKey: 'work' },
      { source: 'retry', destination: 'wait', routingKey: 'wait' },
    ],
  },
};

describe('routing warnings', () => {
  it('examples/topology-4.3.yaml has none: its dead-letter queue takes a policy without a dead-letter exchange', () => {
    expect(warningsOf(loadExample('topology-4.3.yaml'))).toEqual([]);
  });

  it('a policy that dead-letters the dead-letter queue back into itself: warned at the policy\'s key, with the fix', () => {
    expect(warningsOf(formerPayments)).toEqual([
      'warning: topology.policies[0].definition["dead-letter-exchange"]: "payments.dlx" dead-letters queue "payments.authorise.dead" back into itself (payments.authorise.dead → payments.authorise.dead): RabbitMQ drops a message that comes back after expiring or overflowing, and a rejected one circles forever; give the queue a dead-letter exchange that routes outside it or leave it out of policy "quorum-limits"\'s pattern',
    ]);
  });

  it('a cycle through queue fields, an unrouted queue, an unbound exchange and an unused upstream, each at its field', () => {
    expect(warningsOf(marks)).toEqual([
      'warning: topology.queues[0].deadLetterExchange: "retry" dead-letters queue "work" back into the cycle (work → wait → work): RabbitMQ drops a message that comes back after expiring or overflowing, and a rejected one circles forever; give one queue of the cycle a dead-letter exchange that routes outside it',
      'warning: topology.queues[2].name: "forgotten" is a queue no binding, dead-letter route, retry, federation or shovel reaches: only a publish to the default exchange with the key "forgotten" does; bind it (topology.bindings), or remove it if nothing publishes to it by name',
      'warning: topology.exchanges[2].name: "lonely" is an exchange with no bindings and no alternate exchange: what is published to it is dropped; bind it (topology.bindings with source "lonely") or remove it',
      'warning: topology.federationUpstreams[0].name: "idle" is an upstream no policy of vhost "/" names: nothing is federated from it; name it in a policy (definition: { federation-upstream: idle }) or remove it',
    ]);
  });

  it('the drawing marks exactly what validation warns about (one analysis)', () => {
    for (const spec of [formerPayments, marks]) {
      const warned = warningsOf(spec).map((w) => /: "([^"]*)" /.exec(w)![1]);
      const cluster = resolveCluster(spec as ClusterSpec);
      const marked = topologyDiagram(cluster).nodes.filter((n) => n.marks.length > 0);
      // A cycle is warned once, where its route is set, and marked on every queue in it.
      expect(marked.length, spec.name).toBeGreaterThan(0);
      for (const node of marked) {
        const name = node.lines[0]!.replace(/^upstream /, '');
        const cycle = node.marks.some((m) => m.startsWith('dead-letter cycle'));
        expect(cycle || warned.includes(name), `${spec.name}: ${name} is marked but not warned`).toBe(true);
      }
      expect(marked.filter((n) => n.marks.some((m) => m.startsWith('dead-letter cycle'))).length > 0).toBe(warningsOf(spec).some((w) => w.includes('dead-letters queue')));
    }
  });
});
