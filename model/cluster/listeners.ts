/**
 * The listeners a node opens for clients, operators and metric scrapers, decided once from the ports, the
 * plugins and TLS. rabbitmq.conf, HAProxy, the compose port plan, the Kubernetes Services, container ports
 * and NetworkPolicy all read this list; inter-node ports (epmd, distribution, the CLI range) stay in `ports`.
 */
import type { ListenerMode, TlsSpec } from '../tls/schema';
import type { PortsSpec } from './schema';

export type ListenerName = 'amqp' | 'amqps' | 'management' | 'management-tls' | 'prometheus' | 'prometheus-tls' | 'stream' | 'stream-tls';

/** A protocol a node serves, plain and/or over TLS. */
export type ListenerFamily = 'amqp' | 'management' | 'prometheus' | 'stream';

/** The key of `ports` each listener's port comes from. */
export const LISTENER_PORT_KEYS = {
  amqp: 'amqp',
  amqps: 'amqps',
  management: 'management',
  'management-tls': 'managementTls',
  prometheus: 'prometheus',
  'prometheus-tls': 'prometheusTls',
  stream: 'stream',
  'stream-tls': 'streamTls',
} as const satisfies Record<ListenerName, keyof PortsSpec>;

export type ListenerPortKey = (typeof LISTENER_PORT_KEYS)[ListenerName];

export interface Listener {
  readonly name: ListenerName;
  readonly family: ListenerFamily;
  /** The key of `ports` the port comes from (`ports.<portKey>` in messages). */
  readonly portKey: ListenerPortKey;
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

/** What the listeners depend on: the spec's ports, plugins and TLS section. */
export interface ListenerSource {
  readonly ports: Pick<PortsSpec, ListenerPortKey>;
  readonly plugins: readonly string[];
  readonly tls?: Pick<NonNullable<TlsSpec>, 'listeners' | 'plainListener'>;
}

const FAMILIES: readonly { family: ListenerFamily; plugin?: string; audience: Listener['audience']; access: Listener['access']; plain: ListenerName; secure: ListenerName }[] = [
  { family: 'amqp', audience: 'clients', access: 'balanced', plain: 'amqp', secure: 'amqps' },
  { family: 'management', plugin: 'rabbitmq_management', audience: 'operators', access: 'balanced', plain: 'management', secure: 'management-tls' },
  { family: 'prometheus', plugin: 'rabbitmq_prometheus', audience: 'scrapers', access: 'per-node', plain: 'prometheus', secure: 'prometheus-tls' },
  { family: 'stream', plugin: 'rabbitmq_stream', audience: 'clients', access: 'advertised', plain: 'stream', secure: 'stream-tls' },
];

/** How a family is served: AMQP gets TLS with the section (plain beside it unless switched off), the others when asked. */
function modeOf(family: ListenerFamily, tls: ListenerSource['tls']): ListenerMode {
  if (!tls) return 'plain';
  if (family === 'amqp') return tls.listeners.amqp ?? (tls.plainListener === false ? 'tls' : 'tls+plain');
  return tls.listeners[family];
}

/** Listeners in a fixed order: per family (amqp, management, prometheus, stream), the plain one first. */
export function listenersOf(source: ListenerSource): readonly Listener[] {
  const { ports, plugins, tls } = source;
  return FAMILIES.flatMap(({ family, plugin, audience, access, plain, secure }): Listener[] => {
    if (plugin !== undefined && !plugins.includes(plugin)) return [];
    const mode = modeOf(family, tls);
    const listener = (name: ListenerName, secured: boolean): Listener => ({ name, family, portKey: LISTENER_PORT_KEYS[name], port: ports[LISTENER_PORT_KEYS[name]], tls: secured, audience, access });
    return [...(mode !== 'tls' ? [listener(plain, false)] : []), ...(mode !== 'plain' ? [listener(secure, true)] : [])];
  });
}

/** The family's listeners the node opens: plain and/or TLS. */
export function listenersOfFamily(listeners: readonly Listener[], family: ListenerFamily): { readonly plain?: Listener; readonly tls?: Listener } {
  const own = listeners.filter((l) => l.family === family);
  const plain = own.find((l) => !l.tls);
  const tls = own.find((l) => l.tls);
  return { ...(plain && { plain }), ...(tls && { tls }) };
}

/** The listener applications connect to by default: plain AMQP while the nodes keep it, else AMQP over TLS. */
export function applicationListenerOf(listeners: readonly Listener[]): Listener & { readonly name: 'amqp' | 'amqps' } {
  const found = listeners.find((l) => l.name === 'amqp') ?? listeners.find((l) => l.name === 'amqps');
  if (!found) throw new Error('a cluster without an AMQP listener: listenersOf always opens amqp or amqps');
  return found as Listener & { readonly name: 'amqp' | 'amqps' };
}

/**
 * The listener the management UI and HTTP API are reached on: TLS whenever the node opens it (the UI's login sends the
 * password), else the plain one; undefined without the management plugin.
 */
export function managementListenerOf(listeners: readonly Listener[]): (Listener & { readonly name: 'management' | 'management-tls' }) | undefined {
  const { plain, tls } = listenersOfFamily(listeners, 'management');
  return (tls ?? plain) as (Listener & { readonly name: 'management' | 'management-tls' }) | undefined;
}

/** The named listener, when the node opens it. */
export function listenerNamed(listeners: readonly Listener[], name: ListenerName): Listener | undefined {
  return listeners.find((l) => l.name === name);
}
