/**
 * definitions.json, imported at boot (`load_definitions`) by every target. It carries password hashes
 * and federation/shovel URIs, so every target delivers it as a secret, never as plain configuration.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ResolvedCluster } from '../resolve';
import { secretValue, type SecretValues } from '../secrets/secrets';
import type { ConnectionRef, ResolvedTopology } from '../topology/resolve';

type Value = string | number | boolean | readonly string[];

export interface DefinitionsUser { name: string; password_hash: string; hashing_algorithm: string; tags: string; limits: Record<string, never> }
export interface DefinitionsVhost { name: string; description?: string; metadata?: { description?: string; default_queue_type?: string } }
export interface DefinitionsPermission { user: string; vhost: string; configure: string; write: string; read: string }
export interface DefinitionsPolicy { vhost: string; name: string; pattern: string; 'apply-to': string; priority: number; definition: Record<string, Value> }
export interface DefinitionsParameter { vhost: string; component: 'federation-upstream' | 'shovel' | 'operator_policy'; name: string; value: Record<string, unknown> }
export interface DefinitionsExchange { name: string; vhost: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean; arguments: Record<string, Value> }
export interface DefinitionsQueue { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: Record<string, Value> }
export interface DefinitionsBinding { source: string; vhost: string; destination: string; destination_type: 'queue' | 'exchange'; routing_key: string; arguments: Record<string, Value> }

export interface Definitions {
  readonly users: readonly DefinitionsUser[];
  readonly vhosts: readonly DefinitionsVhost[];
  readonly permissions: readonly DefinitionsPermission[];
  readonly policies: readonly DefinitionsPolicy[];
  /** Federation upstreams, shovels and operator policies (runtime parameters of those components). */
  readonly parameters: readonly DefinitionsParameter[];
  readonly global_parameters: readonly { name: string; value: unknown }[];
  readonly exchanges: readonly DefinitionsExchange[];
  readonly queues: readonly DefinitionsQueue[];
  readonly bindings: readonly DefinitionsBinding[];
}

const HASHING_ALGORITHM = 'rabbit_password_hashing_sha256';

/**
 * RabbitMQ's salted SHA-256 password hash: base64(salt ++ sha256(salt ++ password)).
 * The salt is derived from the password and user, so the same secrets give byte-identical output.
 */
export function rabbitPasswordHash(user: string, password: string): string {
  const salt = createHmac('sha256', password).update(`warren:${user}`).digest().subarray(0, 4);
  const digest = createHash('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export function definitionsOf(cluster: ResolvedCluster, secrets: SecretValues): Definitions {
  const { topology, features } = cluster;
  const user = (name: string, tags: readonly string[], password: string): DefinitionsUser => ({
    name,
    password_hash: rabbitPasswordHash(name, password),
    hashing_algorithm: HASHING_ALGORITHM,
    tags: tags.join(','),
    limits: {},
  });
  const uri = (ref: ConnectionRef, vhost: string) =>
    ref.kind === 'local' ? localUri(vhost) : secretValue(secrets, ref.secret);
  return {
    users: [
      user(cluster.defaultUser.name, cluster.defaultUser.tags, secretValue(secrets, cluster.defaultUser.password)),
      ...topology.users.map((u) => user(u.name, u.tags, secretValue(secrets, u.password))),
    ],
    vhosts: topology.vhosts.map((v) => {
      const defaultQueueType = v.defaultQueueType ?? cluster.defaultQueueType;
      if (!features.vhostDefaultQueueType) return { name: v.name, ...(v.description !== undefined && { description: v.description }) };
      return { name: v.name, metadata: { ...(v.description !== undefined && { description: v.description }), default_queue_type: defaultQueueType } };
    }),
    permissions: [
      ...topology.vhosts.map((v) => ({ user: cluster.defaultUser.name, vhost: v.name, configure: '.*', write: '.*', read: '.*' })),
      ...topology.permissions.map((p) => ({ user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })),
    ],
    policies: topology.policies.map((p) => ({ vhost: p.vhost, name: p.name, pattern: p.pattern, 'apply-to': p.applyTo, priority: p.priority, definition: p.definition })),
    parameters: parametersOf(topology, uri),
    global_parameters: [{ name: 'cluster_name', value: cluster.name }],
    exchanges: topology.exchanges.map((e) => ({
      name: e.name,
      vhost: e.vhost,
      type: e.type,
      durable: e.durable,
      auto_delete: e.autoDelete,
      internal: e.internal,
      arguments: { ...e.arguments, ...(e.alternateExchange !== undefined && { 'alternate-exchange': e.alternateExchange }) },
    })),
    queues: topology.queues.map((q) => ({ name: q.name, vhost: q.vhost, durable: q.durable, auto_delete: q.autoDelete, arguments: { ...q.arguments } })),
    bindings: topology.bindings.map((b) => ({
      source: b.source,
      vhost: b.vhost,
      destination: b.destination,
      destination_type: b.destinationType,
      routing_key: b.routingKey,
      arguments: b.arguments,
    })),
  };
}

/** The local node as a shovel or federation URI: a direct connection into `vhost`. */
function localUri(vhost: string): string {
  return vhost === '/' ? 'amqp://' : `amqp:///${encodeURIComponent(vhost)}`;
}

function parametersOf(topology: ResolvedTopology, uri: (ref: ConnectionRef, vhost: string) => string): DefinitionsParameter[] {
  const defined = (entries: Record<string, unknown>) => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
  return [
    ...topology.operatorPolicies.map((p): DefinitionsParameter => ({
      vhost: p.vhost,
      component: 'operator_policy',
      name: p.name,
      value: { pattern: p.pattern, 'apply-to': p.applyTo, priority: p.priority, definition: p.definition },
    })),
    ...topology.federationUpstreams.map((u): DefinitionsParameter => ({
      vhost: u.vhost,
      component: 'federation-upstream',
      name: u.name,
      value: defined({
        uri: uri(u.uri, u.vhost),
        exchange: u.exchange,
        queue: u.queue,
        'max-hops': u.maxHops,
        'prefetch-count': u.prefetchCount,
        'reconnect-delay': u.reconnectDelaySeconds,
        'ack-mode': u.ackMode,
        expires: u.expiresMs,
        'message-ttl': u.messageTtlMs,
      }),
    })),
    ...topology.shovels.map((s): DefinitionsParameter => ({
      vhost: s.vhost,
      component: 'shovel',
      name: s.name,
      value: defined({
        'src-protocol': 'amqp091',
        'src-uri': uri(s.source.uri, s.vhost),
        'src-queue': s.source.queue,
        'src-exchange': s.source.exchange,
        'src-exchange-key': s.source.routingKey,
        'src-prefetch-count': s.prefetchCount,
        'src-delete-after': 'never',
        'dest-protocol': 'amqp091',
        'dest-uri': uri(s.destination.uri, s.vhost),
        'dest-queue': s.destination.queue,
        'dest-exchange': s.destination.exchange,
        'dest-exchange-key': s.destination.routingKey,
        'ack-mode': s.ackMode,
        'reconnect-delay': s.reconnectDelaySeconds,
      }),
    })),
  ];
}

export function renderDefinitions(cluster: ResolvedCluster, secrets: SecretValues): string {
  return `${JSON.stringify(definitionsOf(cluster, secrets), null, 2)}\n`;
}
