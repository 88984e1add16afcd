/**
 * The listeners a node opens for clients, operators and metric scrapers, decided once from the ports, the
 * plugins and TLS. rabbitmq.conf, HAProxy, the compose port plan, the Kubernetes Services, container ports
 * and NetworkPolicy all read this list; inter-node ports (epmd, distribution, the CLI range) stay in `ports`.
 */
import type { PortsSpec } from './schema';

export type ListenerName = 'amqp' | 'amqps' | 'management' | 'prometheus' | 'stream';

export interface Listener {
  readonly name: ListenerName;
  readonly port: number;
  /** Whether the listener speaks TLS. */
  readonly tls: boolean;
  /** Who connects: applications, operators (UI, HTTP API), or metric scrapers. */
  readonly audience: 'clients' | 'operators' | 'scrapers';
  /**
   * How it is reached: through the load balancer (`balanced`), on each node (`per-node`: metrics are
   * scraped per node, never through a balancer), or at the host name the node advertises (`advertised`:
   * stream clients reconnect to the node that leads their stream, so a balancer cannot stand in front).
   */
  readonly access: 'balanced' | 'per-node' | 'advertised';
}

/** What the listeners depend on: the same fields on a parsed spec and on a resolved cluster. */
export interface ListenerSource {
  readonly ports: Pick<PortsSpec, ListenerName>;
  readonly plugins: readonly string[];
  readonly tls?: { readonly plainListener: boolean };
}

/** Listeners in a fixed order: amqp, amqps, management, prometheus, stream. */
export function listenersOf(source: ListenerSource): readonly Listener[] {
  const { ports, plugins, tls } = source;
  const has = (plugin: string) => plugins.includes(plugin);
  const listeners: (Listener | false)[] = [
    (tls?.plainListener ?? true) && { name: 'amqp', port: ports.amqp, tls: false, audience: 'clients', access: 'balanced' },
    tls !== undefined && { name: 'amqps', port: ports.amqps, tls: true, audience: 'clients', access: 'balanced' },
    has('rabbitmq_management') && { name: 'management', port: ports.management, tls: false, audience: 'operators', access: 'balanced' },
    has('rabbitmq_prometheus') && { name: 'prometheus', port: ports.prometheus, tls: false, audience: 'scrapers', access: 'per-node' },
    has('rabbitmq_stream') && { name: 'stream', port: ports.stream, tls: false, audience: 'clients', access: 'advertised' },
  ];
  return listeners.filter((listener): listener is Listener => listener !== false);
}

/** The listener applications connect to by default: plain AMQP while the nodes keep it, else AMQP over TLS. */
export function applicationListenerOf(listeners: readonly Listener[]): Listener & { readonly name: 'amqp' | 'amqps' } {
  const found = listeners.find((l) => l.name === 'amqp') ?? listeners.find((l) => l.name === 'amqps');
  if (!found) throw new Error('a cluster without an AMQP listener: listenersOf always opens amqp or amqps');
  return found as Listener & { readonly name: 'amqp' | 'amqps' };
}

/** The named listener, when the node opens it. */
export function listenerNamed(listeners: readonly Listener[], name: ListenerName): Listener | undefined {
  return listeners.find((l) => l.name === name);
}
