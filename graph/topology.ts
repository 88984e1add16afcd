/**
 * The topology view: per vhost, exchanges (with their type) and queues (with their type and key
 * arguments), bindings with their keys or header matches, dead-letter routes drawn apart, the retries a
 * consumer republishes, and federation upstreams and shovels as links to other brokers. What is easier seen
 * than read is marked: dead-letter cycles, queues nothing routes to, exchanges without bindings.
 */
import { formatDelay, secretSourceText, type ConnectionRef, type ResolvedCluster, type ResolvedQueue, type ResolvedTopology } from '../model/internal';
import { DiagramBuilder, type Diagram } from './diagram';
import { analyseRouting, deadLetterTargetOf, policyOf } from '../model/topology/routing';

type Exchange = ResolvedTopology['exchanges'][number];
type Binding = ResolvedTopology['bindings'][number];

const MARK = {
  cycle: (names: readonly string[]) => `dead-letter cycle ${[...names, names[0]].join(' → ')}`,
  unrouted: 'nothing routes here: no binding, dead-letter route or link',
  unbound: 'no bindings: what is published here is dropped',
  unusedUpstream: 'no policy names this upstream: nothing is federated from it',
} as const;

/** Arguments shown as edges or in the type line, not as detail lines. */
const SHOWN_ELSEWHERE = new Set(['x-queue-type', 'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-delayed-retry-min', 'x-delayed-retry-max']);

function argumentLine(name: string, value: string | number | boolean | readonly string[], all: ResolvedQueue['arguments']): string {
  switch (name) {
    case 'x-message-ttl':
      return `TTL ${value} ms`;
    case 'x-expires':
      return `expires after ${value} ms unused`;
    case 'x-max-length':
      return `max length ${value}`;
    case 'x-max-length-bytes':
      return `max length ${value} bytes`;
    case 'x-overflow':
      return `overflow ${value}`;
    case 'x-delivery-limit':
      return `delivery limit ${value}`;
    case 'x-max-age':
      return `max age ${value}`;
    case 'x-single-active-consumer':
      return value === true ? 'single active consumer' : 'single active consumer off';
    case 'x-max-priority':
      return `priorities 1-${value}`;
    case 'x-dead-letter-strategy':
      return `dead-lettering ${value}`;
    case 'x-delayed-retry-type': {
      const min = all['x-delayed-retry-min'];
      const max = all['x-delayed-retry-max'] ?? min;
      return `delayed retry (${value}) ${min}-${max} ms`;
    }
    default:
      return `${name} = ${Array.isArray(value) ? value.join(',') : String(value)}`;
  }
}

function queueLines(queue: ResolvedQueue, topology: ResolvedTopology): string[] {
  const flags = [!queue.durable && 'transient', queue.autoDelete && 'auto-delete'].filter(Boolean);
  const policy = policyOf(topology.policies, queue);
  const operatorPolicy = policyOf(topology.operatorPolicies, queue);
  const reliable = topology.reliableQueues.find((r) => r.vhost === queue.vhost && r.name === queue.name);
  return [
    queue.name,
    `${queue.type === 'stream' ? 'stream' : `${queue.type} queue`}${flags.length > 0 ? `, ${flags.join(', ')}` : ''}`,
    ...Object.entries(queue.arguments)
      .filter(([name]) => !SHOWN_ELSEWHERE.has(name))
      .map(([name, value]) => argumentLine(name, value, queue.arguments)),
    ...(reliable ? [`retry: ${reliable.attempts} attempts, then ${reliable.deadLetterQueue}`] : []),
    ...(policy ? [`policy ${policy.name}`] : []),
    ...(operatorPolicy ? [`operator policy ${operatorPolicy.name}`] : []),
  ];
}

function exchangeLines(exchange: Exchange): string[] {
  const flags = [exchange.internal && 'internal', !exchange.durable && 'transient', exchange.autoDelete && 'auto-delete'].filter(Boolean);
  return [exchange.name, `${exchange.type} exchange${flags.length > 0 ? `, ${flags.join(', ')}` : ''}`];
}

function bindingLabel(binding: Binding, sourceType: Exchange['type'] | undefined): string {
  const args = Object.entries(binding.arguments);
  if (sourceType === 'headers') {
    const match = binding.arguments['x-match'] ?? 'all';
    return `x-match ${match}: ${args.filter(([k]) => k !== 'x-match').map(([k, v]) => `${k}=${v}`).join(', ')}`;
  }
  const key = sourceType === 'fanout' ? '' : binding.routingKey === '' ? '(empty key)' : binding.routingKey;
  return [key, ...args.map(([k, v]) => `${k}=${v}`)].filter((part) => part !== '').join(', ');
}

function connectionText(ref: ConnectionRef): string {
  return ref.kind === 'local' ? 'this cluster' : secretSourceText(ref.secret.source);
}

export function topologyDiagram(cluster: ResolvedCluster): Diagram {
  const t = cluster.topology;
  const b = new DiagramBuilder('topology', `${cluster.name}: topology (RabbitMQ ${cluster.version.text})`, 'LR');
  const vhostGroups = new Map<string, string>();
  const groupOf = (vhost: string): string => {
    let id = vhostGroups.get(vhost);
    if (id === undefined) {
      const declared = t.vhosts.find((v) => v.name === vhost);
      id = b.group(`vhost ${vhost} (default queue type ${declared?.defaultQueueType ?? cluster.defaultQueueType})`);
      vhostGroups.set(vhost, id);
    }
    return id;
  };
  for (const vhost of t.vhosts) groupOf(vhost.name);

  const exchangeKey = (vhost: string, name: string) => JSON.stringify(['exchange', vhost, name]);
  const queueKey = (vhost: string, name: string) => JSON.stringify(['queue', vhost, name]);
  const exchangeTypes = new Map(t.exchanges.map((e) => [exchangeKey(e.vhost, e.name), e.type]));
  for (const exchange of t.exchanges) b.node(exchangeKey(exchange.vhost, exchange.name), 'x', 'exchange', exchangeLines(exchange), groupOf(exchange.vhost));
  for (const queue of t.queues) b.node(queueKey(queue.vhost, queue.name), 'q', 'queue', queueLines(queue, t), groupOf(queue.vhost));
  // An exchange the spec names but does not declare: the default exchange, amq.*, or one declared elsewhere.
  const exchangeId = (vhost: string, name: string) =>
    b.node(exchangeKey(vhost, name), 'x', 'exchange', name === '' ? ['(default exchange)', 'direct, routes by queue name'] : [name, 'not declared by this spec'], groupOf(vhost));
  const queueId = (vhost: string, name: string) => b.node(queueKey(vhost, name), 'q', 'queue', [name, 'not declared by this spec'], groupOf(vhost));
  for (const vhost of t.vhosts) {
    if (!t.exchanges.some((e) => e.vhost === vhost.name) && !t.queues.some((q) => q.vhost === vhost.name)) {
      b.node(JSON.stringify(['empty', vhost.name]), 'n', 'note', ['no exchanges or queues declared'], groupOf(vhost.name));
    }
  }

  const routing = analyseRouting(t);
  for (const binding of t.bindings) {
    const from = exchangeId(binding.vhost, binding.source);
    const to = binding.destinationType === 'queue' ? queueId(binding.vhost, binding.destination) : exchangeId(binding.vhost, binding.destination);
    b.edge(from, to, 'binding', bindingLabel(binding, exchangeTypes.get(exchangeKey(binding.vhost, binding.source))));
  }
  for (const exchange of t.exchanges) {
    if (exchange.alternateExchange === undefined) continue;
    b.edge(exchangeId(exchange.vhost, exchange.name), exchangeId(exchange.vhost, exchange.alternateExchange), 'alternate', 'unroutable');
  }

  for (const route of routing.deadLetterRoutes) {
    const { vhost, name } = route.queue;
    const via = route.policy === undefined ? '' : ` (policy ${route.policy})`;
    const target = deadLetterTargetOf(t, route);
    if (target.kind === 'queue') b.edge(queueId(vhost, name), queueId(vhost, target.name), 'dead-letter', `dead letters${via}`);
    else b.edge(queueId(vhost, name), exchangeId(vhost, target.name), 'dead-letter', `dead letters${route.routingKey === undefined ? '' : `, key ${route.routingKey}`}${via}`);
  }
  for (const reliable of t.reliableQueues) {
    if (reliable.retry.kind !== 'delay-queues') continue;
    reliable.retry.queueForRetry.forEach((delayQueue, k) => {
      b.edge(queueId(reliable.vhost, reliable.name), queueId(reliable.vhost, delayQueue), 'retry', `retry ${k + 1} after ${formatDelay(reliable.retryDelaysMs[k]!)} (consumer republishes)`);
    });
  }

  const remotes = t.federationUpstreams.length + t.shovels.length > 0 ? b.group('other brokers') : undefined;
  const upstreamId = (upstream: (typeof t.federationUpstreams)[number]) =>
    b.node(JSON.stringify(['upstream', upstream.vhost, upstream.name]), 'r', 'remote', [`upstream ${upstream.name}`, connectionText(upstream.uri), `max hops ${upstream.maxHops}`], remotes);
  for (const upstream of t.federationUpstreams) upstreamId(upstream);
  for (const link of routing.federationLinks) {
    const { upstream } = link;
    const to = link.kind === 'exchange' ? exchangeId(upstream.vhost, link.name) : queueId(upstream.vhost, link.name);
    const from = link.kind === 'exchange' ? (upstream.exchange ?? link.name) : (upstream.queue ?? link.name);
    b.edge(upstreamId(upstream), to, 'link', `federation from ${link.kind} ${from} (policy ${link.policy})`);
  }
  for (const shovel of t.shovels) {
    const end = (side: typeof shovel.source, role: 'source' | 'destination') => {
      const what = side.queue !== undefined ? `queue ${side.queue}` : `exchange ${side.exchange ?? ''}`;
      if (side.uri.kind === 'local') {
        const id = side.queue !== undefined ? queueId(shovel.vhost, side.queue) : exchangeId(shovel.vhost, side.exchange ?? '');
        return { id, what: '' };
      }
      const id = b.node(JSON.stringify(['broker', connectionText(side.uri)]), 'r', 'remote', [`broker at ${connectionText(side.uri)}`], remotes);
      return { id, what: `${role === 'source' ? 'from' : 'to'} ${what}` };
    };
    const from = end(shovel.source, 'source');
    const to = end(shovel.destination, 'destination');
    const key = shovel.destination.routingKey === undefined ? '' : `, key ${shovel.destination.routingKey}`;
    b.edge(from.id, to.id, 'link', `${[`shovel ${shovel.name}`, from.what, to.what].filter((s) => s !== '').join(' ')}${key}`);
  }

  for (const upstream of routing.unusedUpstreams) b.mark(upstreamId(upstream), MARK.unusedUpstream);
  for (const cycle of routing.deadLetterCycles) {
    for (const queue of cycle) b.mark(queueId(queue.vhost, queue.name), MARK.cycle(cycle.map((q) => q.name)));
  }
  for (const queue of routing.unroutedQueues) b.mark(queueId(queue.vhost, queue.name), MARK.unrouted);
  for (const exchange of routing.unboundExchanges) b.mark(exchangeId(exchange.vhost, exchange.name), MARK.unbound);
  return b.build();
}
