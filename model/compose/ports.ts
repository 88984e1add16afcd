/**
 * The host ports the compose target publishes. One plan, read by the compose generator and by the
 * rule that rejects clashes, so what is checked is what is written.
 */
import type { Listener, ListenerName, ListenerPortKey } from '../cluster/listeners';

export interface PublishedPort {
  /** Service that publishes it: a node's host name, or `haproxy`. */
  readonly service: string;
  readonly listener: ListenerName | 'stats';
  /** The key of `ports` the container port comes from (none for HAProxy's stats). */
  readonly portKey?: ListenerPortKey;
  readonly hostPort: number;
  readonly containerPort: number;
}

/** What the plan reads: the nodes' listeners (from the resolved cluster, or listenersOf a parsed spec). */
export interface PortPlanSource {
  readonly listeners: readonly Listener[];
  readonly loadBalancer?: { readonly haproxy: { readonly statsPort: number } };
  readonly compose: { readonly hostPortOffset: number };
}

/**
 * The plan for nodes with these host names. With a load balancer, clients use HAProxy's ports (the balanced
 * listeners) and each node publishes only its per-node listeners (metrics, scraped per node). Without one,
 * node i publishes each balanced and per-node listener at port + offset + i - 1, except TLS listeners, which
 * count down (port + offset - (i - 1)): with the usual 5671 beside 5672 (15671, 15691 beside 15672, 15692) they
 * would otherwise land on the next node's plain port. Advertised listeners (stream) are not published: their clients dial the host name the
 * node advertises, which does not resolve outside the compose network.
 */
export function composePortPlan(source: PortPlanSource, hosts: readonly string[]): PublishedPort[] {
  const offset = source.compose.hostPortOffset;
  const statsPort = source.loadBalancer?.haproxy.statsPort;
  const published = source.listeners.filter((l) => l.access !== 'advertised');
  const onNodes = statsPort === undefined ? published : published.filter((l) => l.access === 'per-node');
  const nodes = hosts.flatMap((service, i) =>
    onNodes.map((l): PublishedPort => ({
      service,
      listener: l.name,
      portKey: l.portKey,
      hostPort: l.tls ? l.port + offset - i : l.port + offset + i,
      containerPort: l.port,
    })),
  );
  if (statsPort === undefined) return nodes;
  const balancer: PublishedPort[] = [
    ...published
      .filter((l) => l.access === 'balanced')
      .map((l): PublishedPort => ({ service: 'haproxy', listener: l.name, portKey: l.portKey, hostPort: l.port + offset, containerPort: l.port })),
    { service: 'haproxy', listener: 'stats', hostPort: statsPort + offset, containerPort: statsPort },
  ];
  return [...nodes, ...balancer];
}
