/**
 * Where messages can go in a resolved topology: the dead-letter route of each queue (its own arguments first,
 * else the policy RabbitMQ would apply), which queues an exchange can route a key to, the dead-letter cycles
 * those routes close, federation links, and what nothing reaches. One analysis for validation's warnings
 * (routing-rules.ts) and the topology drawing's marks (graph/topology.ts).
 */
import type { ResolvedQueue, ResolvedTopology } from './resolve';

type Policy = ResolvedTopology['policies'][number] | ResolvedTopology['operatorPolicies'][number];

export interface DeadLetterRoute {
  readonly queue: ResolvedQueue;
  /** "" is the default exchange. */
  readonly exchange: string;
  /** Undefined: dead letters keep their original routing key. */
  readonly routingKey?: string;
  /** The policy that sets the route, when the queue's arguments do not. */
  readonly policy?: string;
}

/** Whether a policy pattern (an Erlang regex, which JavaScript reads alike for the usual patterns) matches a name. */
function patternMatches(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(name);
  } catch {
    return false;
  }
}

function appliesToQueue(policy: Policy, queue: ResolvedQueue): boolean {
  if (policy.vhost !== queue.vhost || !patternMatches(policy.pattern, queue.name)) return false;
  const target = policy.applyTo;
  switch (target) {
    case 'all':
    case 'queues':
      return true;
    case 'classic_queues':
      return queue.type === 'classic';
    case 'quorum_queues':
      return queue.type === 'quorum';
    case 'streams':
      return queue.type === 'stream';
    case 'exchanges':
      return false;
    default: {
      const never: never = target;
      return never;
    }
  }
}

/** The policy RabbitMQ applies to a queue: the matching one of highest priority (the first declared on a tie). */
export function policyOf<P extends Policy>(policies: readonly P[], queue: ResolvedQueue): P | undefined {
  let best: P | undefined;
  for (const policy of policies) if (appliesToQueue(policy, queue) && (best === undefined || policy.priority > best.priority)) best = policy;
  return best;
}

/** The policy RabbitMQ applies to an exchange, as policyOf for queues. */
export function policyOfExchange(policies: ResolvedTopology['policies'], vhost: string, name: string): ResolvedTopology['policies'][number] | undefined {
  let best: ResolvedTopology['policies'][number] | undefined;
  for (const p of policies) {
    if (p.vhost === vhost && (p.applyTo === 'exchanges' || p.applyTo === 'all') && patternMatches(p.pattern, name) && (best === undefined || p.priority > best.priority)) best = p;
  }
  return best;
}

/** Each queue's dead-letter route: x-dead-letter-exchange wins over a policy's dead-letter-exchange, as in RabbitMQ. */
export function deadLetterRoutesOf(topology: ResolvedTopology): DeadLetterRoute[] {
  return topology.queues.flatMap((queue): DeadLetterRoute[] => {
    const exchange = queue.arguments['x-dead-letter-exchange'];
    if (typeof exchange === 'string') {
      const key = queue.arguments['x-dead-letter-routing-key'];
      return [{ queue, exchange, ...(typeof key === 'string' && { routingKey: key }) }];
    }
    const policy = policyOf(topology.policies, queue);
    const fromPolicy = policy?.definition['dead-letter-exchange'];
    if (policy === undefined || typeof fromPolicy !== 'string') return [];
    const key = policy.definition['dead-letter-routing-key'];
    return [{ queue, exchange: fromPolicy, ...(typeof key === 'string' && { routingKey: key }), policy: policy.name }];
  });
}

/** Topic matching: `*` is one word, `#` zero or more. */
export function topicMatches(pattern: string, key: string): boolean {
  const match = (p: readonly string[], k: readonly string[]): boolean => {
    if (p.length === 0) return k.length === 0;
    const [head, ...rest] = p;
    if (head === '#') return match(rest, k) || (k.length > 0 && match(p, k.slice(1)));
    return k.length > 0 && (head === '*' || head === k[0]) && match(rest, k.slice(1));
  };
  return match(pattern.split('.'), key.split('.'));
}

const queueKey = (vhost: string, name: string) => JSON.stringify([vhost, name]);

/** The bindings of each exchange, by vhost and name: built once for every route followed. */
export type BindingIndex = ReadonlyMap<string, readonly ResolvedTopology['bindings'][number][]>;

export function bindingIndexOf(topology: ResolvedTopology): BindingIndex {
  const index = new Map<string, ResolvedTopology['bindings'][number][]>();
  for (const b of topology.bindings) {
    const key = queueKey(b.vhost, b.source);
    index.set(key, [...(index.get(key) ?? []), b]);
  }
  return index;
}

/**
 * The queues a message with this key can reach from an exchange, through exchange-to-exchange bindings.
 * An unknown key (dead letters that keep their original one) or a headers exchange may match any binding.
 */
export function routedQueues(topology: ResolvedTopology, bindings: BindingIndex, vhost: string, exchange: string, routingKey: string | undefined): Set<string> {
  const reached = new Set<string>();
  if (exchange === '') {
    if (routingKey !== undefined) reached.add(queueKey(vhost, routingKey));
    return reached;
  }
  const seen = new Set<string>();
  const visit = (source: string) => {
    if (seen.has(source)) return;
    seen.add(source);
    const type = topology.exchanges.find((e) => e.vhost === vhost && e.name === source)?.type ?? 'direct';
    for (const b of bindings.get(queueKey(vhost, source)) ?? []) {
      const matches =
        routingKey === undefined || type === 'fanout' || type === 'headers' || (type === 'topic' ? topicMatches(b.routingKey, routingKey) : b.routingKey === routingKey);
      if (!matches) continue;
      if (b.destinationType === 'queue') reached.add(queueKey(vhost, b.destination));
      else visit(b.destination);
    }
  };
  visit(exchange);
  return reached;
}

/** Queues whose dead letters can come back to them: each cycle once, in the order of topology.queues. */
export function deadLetterCycles(topology: ResolvedTopology, routes: readonly DeadLetterRoute[]): ResolvedQueue[][] {
  const index = new Map(topology.queues.map((q, i) => [queueKey(q.vhost, q.name), i]));
  const next: number[][] = topology.queues.map(() => []);
  const bindings = bindingIndexOf(topology);
  for (const route of routes) {
    const from = index.get(queueKey(route.queue.vhost, route.queue.name))!;
    for (const key of routedQueues(topology, bindings, route.queue.vhost, route.exchange, route.routingKey)) {
      const to = index.get(key);
      if (to !== undefined) next[from]!.push(to);
    }
  }
  // Tarjan's strongly connected components, iterative so that a long chain cannot overflow the stack.
  const order: number[] = new Array(topology.queues.length).fill(-1);
  const low: number[] = new Array(topology.queues.length).fill(0);
  const onStack: boolean[] = new Array(topology.queues.length).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < topology.queues.length; root++) {
    if (order[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [v, i] = frame;
      if (i === 0) {
        order[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      if (i < next[v]!.length) {
        frame[1] = i + 1;
        const w = next[v]![i]!;
        if (order[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v]!, order[w]!);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || next[v]!.includes(v)) components.push(component.sort((a, b) => a - b));
      }
    }
  }
  return components.sort((a, b) => a[0]! - b[0]!).map((c) => c.map((i) => topology.queues[i]!));
}

type Exchange = ResolvedTopology['exchanges'][number];
type Upstream = ResolvedTopology['federationUpstreams'][number];

/** An exchange or queue federated from an upstream, by the policy that names it. */
export interface FederationLink {
  readonly upstream: Upstream;
  readonly kind: 'exchange' | 'queue';
  readonly name: string;
  readonly policy: string;
}

export interface RoutingAnalysis {
  readonly deadLetterRoutes: readonly DeadLetterRoute[];
  /** Each cycle once, its queues in the order of topology.queues. */
  readonly deadLetterCycles: readonly (readonly ResolvedQueue[])[];
  readonly federationLinks: readonly FederationLink[];
  /** Queues no binding, dead-letter route, retry, federation link or shovel reaches. */
  readonly unroutedQueues: readonly ResolvedQueue[];
  /** Declared exchanges with no binding from them and no alternate exchange: what is published there is dropped. */
  readonly unboundExchanges: readonly Exchange[];
  /** Upstreams no policy names: nothing is federated from them. */
  readonly unusedUpstreams: readonly Upstream[];
}

function federationLinksOf(topology: ResolvedTopology): FederationLink[] {
  return topology.federationUpstreams.flatMap((upstream) => {
    const uses = (definition: Readonly<Record<string, unknown>>) => definition['federation-upstream'] === upstream.name || definition['federation-upstream-set'] === 'all';
    const exchanges = topology.exchanges.filter((e) => e.vhost === upstream.vhost).flatMap((exchange): FederationLink[] => {
      const policy = policyOfExchange(topology.policies, exchange.vhost, exchange.name);
      return policy && uses(policy.definition) ? [{ upstream, kind: 'exchange', name: exchange.name, policy: policy.name }] : [];
    });
    const queues = topology.queues.filter((q) => q.vhost === upstream.vhost).flatMap((queue): FederationLink[] => {
      const policy = policyOf(topology.policies, queue);
      return policy && uses(policy.definition) ? [{ upstream, kind: 'queue', name: queue.name, policy: policy.name }] : [];
    });
    return [...exchanges, ...queues];
  });
}

/** Where a dead-letter route lands: the queue itself for the default exchange and a declared queue's name, else the exchange. */
export function deadLetterTargetOf(topology: ResolvedTopology, route: DeadLetterRoute): { kind: 'exchange' | 'queue'; name: string } {
  const { vhost } = route.queue;
  if (route.exchange === '' && route.routingKey !== undefined && topology.queues.some((q) => q.vhost === vhost && q.name === route.routingKey)) {
    return { kind: 'queue', name: route.routingKey };
  }
  return { kind: 'exchange', name: route.exchange };
}

export function analyseRouting(topology: ResolvedTopology): RoutingAnalysis {
  const key = (kind: 'exchange' | 'queue', vhost: string, name: string) => JSON.stringify([kind, vhost, name]);
  const reached = new Set<string>();
  const bound = new Set<string>();
  for (const b of topology.bindings) {
    bound.add(key('exchange', b.vhost, b.source));
    reached.add(key(b.destinationType, b.vhost, b.destination));
  }
  for (const e of topology.exchanges) {
    if (e.alternateExchange === undefined) continue;
    bound.add(key('exchange', e.vhost, e.name));
    reached.add(key('exchange', e.vhost, e.alternateExchange));
  }
  const deadLetterRoutes = deadLetterRoutesOf(topology);
  for (const route of deadLetterRoutes) {
    const target = deadLetterTargetOf(topology, route);
    reached.add(key(target.kind, route.queue.vhost, target.name));
  }
  for (const reliable of topology.reliableQueues) {
    if (reliable.retry.kind === 'delay-queues') for (const delayQueue of reliable.retry.queueForRetry) reached.add(key('queue', reliable.vhost, delayQueue));
  }
  const federationLinks = federationLinksOf(topology);
  for (const link of federationLinks) reached.add(key(link.kind, link.upstream.vhost, link.name));
  for (const shovel of topology.shovels) {
    const end = shovel.destination;
    if (end.uri.kind === 'local') reached.add(end.queue !== undefined ? key('queue', shovel.vhost, end.queue) : key('exchange', shovel.vhost, end.exchange ?? ''));
  }
  return {
    deadLetterRoutes,
    deadLetterCycles: deadLetterCycles(topology, deadLetterRoutes),
    federationLinks,
    unroutedQueues: topology.queues.filter((q) => !reached.has(key('queue', q.vhost, q.name))),
    unboundExchanges: topology.exchanges.filter((e) => !bound.has(key('exchange', e.vhost, e.name))),
    unusedUpstreams: topology.federationUpstreams.filter((u) => !federationLinks.some((link) => link.upstream === u)),
  };
}
