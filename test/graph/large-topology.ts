/**
 * The large topology case, shared by test/graph/svg.test.ts (a generous bound) and `npm run bench`
 * (the figure): one vhost, 10 topic exchanges and a dead-letter exchange, 1,000 quorum queues each bound once
 * and dead-lettering through dlx (1,012 nodes, 2,010 edges once drawn).
 */
import type { ClusterSpec } from '../../model';

export const LARGE_TOPOLOGY_QUEUES = 1000;

export function largeTopologySpec(queues = LARGE_TOPOLOGY_QUEUES): ClusterSpec {
  return {
    name: 'large',
    nodes: 3,
    topology: {
      vhosts: [{ name: 'orders' }],
      exchanges: [...Array.from({ length: 10 }, (_, i) => ({ name: `orders-${i}`, vhost: 'orders', type: 'topic' })), { name: 'dlx', vhost: 'orders', type: 'direct' }],
      queues: Array.from({ length: queues }, (_, i) => ({ name: `queue-${i}`, vhost: 'orders', deliveryLimit: 5, deadLetterExchange: 'dlx', deadLetterRoutingKey: `dead-${i % 10}` })),
      bindings: [
        ...Array.from({ length: queues }, (_, i) => ({ vhost: 'orders', source: `orders-${i % 10}`, destination: `queue-${i}`, routingKey: `order.${i}.*` })),
        ...Array.from({ length: 10 }, (_, i) => ({ vhost: 'orders', source: 'dlx', destination: `queue-${i}`, routingKey: `dead-${i}` })),
      ],
    },
  } as ClusterSpec;
}
