/**
 * The host ports the compose target publishes. One plan, read by the compose generator and by the
 * rule that rejects clashes, so what is checked is what is written.
 */

export interface PublishedPort {
  /** Service that publishes it: a node's host name, or `haproxy`. */
  readonly service: string;
  readonly listener: 'amqp' | 'amqps' | 'management' | 'prometheus' | 'stats';
  readonly hostPort: number;
  readonly containerPort: number;
}

export interface PortPlanInput {
  readonly hosts: readonly string[];
  readonly ports: { readonly amqp: number; readonly amqps: number; readonly management: number; readonly prometheus: number };
  /** false when TLS replaces the plain AMQP listener. */
  readonly amqpEnabled: boolean;
  /** true when the nodes listen for AMQP over TLS. */
  readonly amqpsEnabled: boolean;
  readonly managementEnabled: boolean;
  readonly prometheusEnabled: boolean;
  /** The stats port when there is a load balancer. */
  readonly loadBalancerStatsPort?: number;
  readonly hostPortOffset: number;
}

/** What the plan reads: the same fields on a parsed spec and on a resolved cluster. */
export interface PortPlanSource {
  readonly ports: PortPlanInput['ports'];
  readonly plugins: readonly string[];
  readonly tls?: { readonly plainListener: boolean };
  readonly loadBalancer?: { readonly haproxy: { readonly statsPort: number } };
  readonly compose: { readonly hostPortOffset: number };
}

/** The plan for a spec or a cluster whose nodes have these host names. */
export function composePortPlan(source: PortPlanSource, hosts: readonly string[]): PublishedPort[] {
  return composePublishedPorts({
    hosts,
    ports: source.ports,
    amqpEnabled: source.tls?.plainListener ?? true,
    amqpsEnabled: source.tls !== undefined,
    managementEnabled: source.plugins.includes('rabbitmq_management'),
    prometheusEnabled: source.plugins.includes('rabbitmq_prometheus'),
    ...(source.loadBalancer && { loadBalancerStatsPort: source.loadBalancer.haproxy.statsPort }),
    hostPortOffset: source.compose.hostPortOffset,
  });
}

/**
 * With a load balancer, clients use HAProxy's ports and each node publishes only its metrics (scraped per
 * node, never through the balancer). Without one, node i publishes each listener at port + offset + i - 1,
 * except amqps, which counts down (port + offset - (i - 1)): with the usual 5671 beside 5672 it would
 * otherwise land on the next node's plain AMQP port.
 */
export function composePublishedPorts(input: PortPlanInput): PublishedPort[] {
  const { ports, hostPortOffset: offset } = input;
  const clientListeners = [...(input.amqpEnabled ? (['amqp'] as const) : []), ...(input.amqpsEnabled ? (['amqps'] as const) : [])];
  const nodeListeners: PublishedPort['listener'][] = [
    ...(input.loadBalancerStatsPort === undefined ? clientListeners : []),
    ...(input.loadBalancerStatsPort === undefined && input.managementEnabled ? (['management'] as const) : []),
    ...(input.prometheusEnabled ? (['prometheus'] as const) : []),
  ];
  const nodes = input.hosts.flatMap((service, i) =>
    nodeListeners.map((listener) => {
      const port = ports[listener as 'amqp' | 'amqps' | 'management' | 'prometheus'];
      return { service, listener, hostPort: listener === 'amqps' ? port + offset - i : port + offset + i, containerPort: port };
    }),
  );
  if (input.loadBalancerStatsPort === undefined) return nodes;
  const balancer: PublishedPort[] = [
    ...clientListeners.map((listener): PublishedPort => ({ service: 'haproxy', listener, hostPort: ports[listener] + offset, containerPort: ports[listener] })),
    ...(input.managementEnabled ? [{ service: 'haproxy', listener: 'management' as const, hostPort: ports.management + offset, containerPort: ports.management }] : []),
    { service: 'haproxy', listener: 'stats', hostPort: input.loadBalancerStatsPort + offset, containerPort: input.loadBalancerStatsPort },
  ];
  return [...nodes, ...balancer];
}
