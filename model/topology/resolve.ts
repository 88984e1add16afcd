/**
 * The topology as definitions.json and the clients need it: every queue with its type and arguments,
 * the dead-letter and retry queues the spec implies, and the secrets its connections use.
 */
import type { QueueType } from '../core/primitives';
import { GENERATED_LENGTH, parseSecretSource, type SecretRef } from '../secrets/secrets';
import { resolveReliability, sortedArguments, type ResolvedReliableQueue, type RetryFeatures } from './reliability';
import {
  QUEUE_FIELD_ARGUMENTS,
  queueTypeOf,
  type BindingSpec,
  type ExchangeSpec,
  type FederationUpstreamSpec,
  type OperatorPolicySpec,
  type PermissionSpec,
  type PolicySpec,
  type QueueSpec,
  type ShovelEndSpec,
  type ShovelSpec,
  type TopologySpec,
  type VhostSpec,
} from './schema';

/** The x-arguments a queue is declared with: its type always (explicit on every version), typed fields, then raw ones. */
export function queueArgumentsOf(queue: QueueSpec, type: QueueType): Record<string, string | number | boolean | string[]> {
  const typed = Object.entries(QUEUE_FIELD_ARGUMENTS).flatMap(([field, argument]) => {
    const value = queue[field as keyof QueueSpec] as string | number | boolean | undefined;
    return value === undefined ? [] : [[argument, value] as const];
  });
  const all = { 'x-queue-type': type, ...Object.fromEntries(typed), ...queue.arguments };
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
}

/** Where a federation or shovel connection goes: this cluster (no credentials), or a URI kept as a secret. */
export type ConnectionRef = { readonly kind: 'local' } | { readonly kind: 'secret'; readonly secret: SecretRef };

export interface ResolvedQueue {
  readonly name: string;
  readonly vhost: string;
  readonly type: QueueType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** Every x-argument, x-queue-type included, sorted by name. */
  readonly arguments: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface ResolvedTopology {
  /** "/" and every declared vhost, sorted. */
  readonly vhosts: readonly VhostSpec[];
  readonly users: readonly { readonly name: string; readonly tags: readonly string[]; readonly password: SecretRef }[];
  readonly permissions: readonly PermissionSpec[];
  readonly exchanges: readonly ExchangeSpec[];
  readonly queues: readonly ResolvedQueue[];
  readonly bindings: readonly BindingSpec[];
  readonly policies: readonly PolicySpec[];
  readonly operatorPolicies: readonly OperatorPolicySpec[];
  readonly federationUpstreams: readonly (Omit<FederationUpstreamSpec, 'uri'> & { readonly uri: ConnectionRef })[];
  readonly shovels: readonly (Omit<ShovelSpec, 'source' | 'destination'> & {
    readonly source: Omit<ShovelEndSpec, 'uri'> & { readonly uri: ConnectionRef };
    readonly destination: Omit<ShovelEndSpec, 'uri'> & { readonly uri: ConnectionRef };
  })[];
  /** Queues with a retry policy: how they retry and where their dead letters go (reliability.ts). */
  readonly reliableQueues: readonly ResolvedReliableQueue[];
  /** Queues that receive dead letters: bound (directly or through exchanges) to a dead-letter exchange, and those of reliableQueues. */
  readonly deadLetterQueues: readonly { readonly vhost: string; readonly name: string }[];
  /** Every secret the topology needs: user passwords, federation and shovel URIs. */
  readonly secrets: readonly SecretRef[];
}

/** A connection URI is never generated (the spec refuses "generate" for it). */
function connectionRef(uri: string, id: string, description: string, path: string): ConnectionRef {
  return uri === 'local' ? { kind: 'local' } : { kind: 'secret', secret: { id, description, path, source: parseSecretSource(uri, 0), generatable: false, consumer: 'rabbitmq', carrier: 'definitions' } };
}

export function resolveTopology(topology: TopologySpec, clusterDefault: QueueType, retryFeatures: RetryFeatures): ResolvedTopology {
  const reliability = resolveReliability(topology, retryFeatures);
  const users = topology.users.map((u, i) => ({
    name: u.name,
    tags: u.tags,
    password: {
      id: `user-${u.name}-password`,
      description: `password of user "${u.name}"`,
      path: `topology.users[${i}].password`,
      source: parseSecretSource(u.password, GENERATED_LENGTH.password),
      generatable: true,
      consumer: 'rabbitmq',
      carrier: 'definitions',
    } satisfies SecretRef,
  }));
  const federationUpstreams = topology.federationUpstreams.map((u, i) => ({
    ...u,
    uri: connectionRef(u.uri, `federation-upstream-${u.name}-uri`, `URI of federation upstream "${u.name}"`, `topology.federationUpstreams[${i}].uri`),
  }));
  const shovels = topology.shovels.map((s, i) => ({
    ...s,
    source: { ...s.source, uri: connectionRef(s.source.uri, `shovel-${s.name}-source-uri`, `source URI of shovel "${s.name}"`, `topology.shovels[${i}].source.uri`) },
    destination: {
      ...s.destination,
      uri: connectionRef(s.destination.uri, `shovel-${s.name}-destination-uri`, `destination URI of shovel "${s.name}"`, `topology.shovels[${i}].destination.uri`),
    },
  }));
  const uriSecrets = [...federationUpstreams.map((u) => u.uri), ...shovels.flatMap((s) => [s.source.uri, s.destination.uri])].flatMap((ref) =>
    ref.kind === 'secret' ? [ref.secret] : [],
  );
  const declared = topology.vhosts.some((v) => v.name === '/') ? topology.vhosts : [{ name: '/' }, ...topology.vhosts];
  return {
    vhosts: [...declared].sort((a, b) => a.name.localeCompare(b.name)),
    users,
    permissions: topology.permissions,
    exchanges: topology.exchanges,
    queues: [
      ...topology.queues.map((q, i) => {
        const type = queueTypeOf(q, topology, clusterDefault);
        const derived = reliability.argumentsByQueue.get(i);
        const args = derived ? sortedArguments({ ...queueArgumentsOf(q, type), ...derived }) : queueArgumentsOf(q, type);
        return { name: q.name, vhost: q.vhost, type, durable: q.durable, autoDelete: q.autoDelete, arguments: args };
      }),
      ...reliability.queues,
    ],
    bindings: topology.bindings,
    policies: topology.policies,
    operatorPolicies: topology.operatorPolicies,
    federationUpstreams,
    shovels,
    reliableQueues: reliability.reliableQueues,
    deadLetterQueues: [
      ...deadLetterQueuesOf(topology),
      ...reliability.reliableQueues.map((q) => ({ vhost: q.vhost, name: q.deadLetterQueue })),
    ].filter((q, i, all) => all.findIndex((o) => o.vhost === q.vhost && o.name === q.name) === i),
    secrets: [...users.map((u) => u.password), ...uriSecrets],
  };
}

function deadLetterQueuesOf(topology: TopologySpec): { vhost: string; name: string }[] {
  const key = (vhost: string, name: string) => JSON.stringify([vhost, name]);
  const exchanges = new Set<string>();
  const queues = new Set<string>();
  for (const q of topology.queues) {
    if (q.deadLetterExchange) exchanges.add(key(q.vhost, q.deadLetterExchange));
    else if (q.deadLetterExchange === '' && q.deadLetterRoutingKey) queues.add(key(q.vhost, q.deadLetterRoutingKey));
  }
  for (const p of topology.policies) {
    const dlx = p.definition['dead-letter-exchange'];
    if (typeof dlx === 'string' && dlx !== '') exchanges.add(key(p.vhost, dlx));
  }
  // Follow exchange-to-exchange bindings until no new exchange is reached.
  let grew = true;
  while (grew) {
    grew = false;
    for (const b of topology.bindings) {
      if (b.destinationType === 'exchange' && exchanges.has(key(b.vhost, b.source)) && !exchanges.has(key(b.vhost, b.destination))) {
        exchanges.add(key(b.vhost, b.destination));
        grew = true;
      }
    }
  }
  for (const b of topology.bindings) {
    if (b.destinationType === 'queue' && exchanges.has(key(b.vhost, b.source))) queues.add(key(b.vhost, b.destination));
  }
  return topology.queues.filter((q) => queues.has(key(q.vhost, q.name))).map((q) => ({ vhost: q.vhost, name: q.name }));
}
