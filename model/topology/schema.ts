/**
 * The topology section of the spec: virtual hosts, users, permissions, exchanges, queues, bindings,
 * policies, operator policies, federation upstreams and shovels, declared at boot through definitions.json.
 * Rules that relate these objects (names that must exist, arguments a queue type refuses) live in
 * rules.ts, and what they become in resolve.ts.
 */
import * as z from 'zod';
import { QUEUE_TYPES, secretSource, USER_TAGS, type QueueType } from '../core/primitives';
import { retrySchema } from './reliability-schema';

export const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers'] as const;
export const POLICY_TARGETS = ['queues', 'classic_queues', 'quorum_queues', 'streams', 'exchanges', 'all'] as const;
export const OPERATOR_POLICY_TARGETS = ['queues', 'classic_queues', 'quorum_queues', 'streams'] as const;
export const OVERFLOW_BEHAVIOURS = ['drop-head', 'reject-publish', 'reject-publish-dlx'] as const;
export const ACK_MODES = ['on-confirm', 'on-publish', 'no-ack'] as const;

/** `local` (this cluster, no credentials), or where a URI with credentials comes from. */
const CONNECTION_URI = /^(local|file:.+|env:[A-Za-z_][A-Za-z0-9_]*)$/;
/** Stream retention: a number and one unit, Y M D h m s (e.g. "7D"). */
const MAX_AGE = /^\d+(Y|M|D|h|m|s)$/;
/** User, upstream and shovel names double as secret file names (`user-<name>-password`). */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const argumentValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
const argumentsRecord = (what: string) =>
  z.record(z.string(), argumentValue).default({}).describe(`${what} @default {}`);

const name = (what: string) => z.string().min(1, `is empty; give the ${what} a name`);
const vhostRef = z.string().min(1, 'is empty; name a virtual host ("/" is the default one)').default('/').describe('Virtual host. @default "/"');
const milliseconds = (what: string) =>
  z.int('is not a whole number of milliseconds; give an integer').min(0, 'is negative; give 0 or more milliseconds').optional().describe(`${what} @default - none`);
const count = (what: string) =>
  z.int('is not a whole number; give an integer').min(0, 'is negative; give 0 or more').optional().describe(`${what} @default - none`);
const connectionUri = (what: string) =>
  z
    .string()
    .regex(CONNECTION_URI, 'is not a connection source; use "local" (this cluster), "file:<path>" or "env:<VARIABLE>" holding an amqp:// URI (URIs carry credentials, so they are never written inline)')
    .describe(`${what}: "local" for this cluster, or "file:<path>" / "env:<VARIABLE>" holding an amqp:// or amqps:// URI (read at synth time).`);

const vhost = z.strictObject({
  name: name('virtual host'),
  defaultQueueType: z.enum(QUEUE_TYPES).optional().describe('Queue type for declarations in this vhost that name none (3.11+). @default - queues.defaultType'),
  description: z.string().optional().describe('Shown in the management UI. @default - none'),
});

const user = z.strictObject({
  name: name('user').regex(USER_NAME, 'is not a user name warren accepts; use letters, digits, ".", "_" and "-", starting with a letter or digit'),
  tags: z.array(z.enum(USER_TAGS)).default([]).describe('Management tags. @default [] (messaging only, no UI access)'),
  password: secretSource('this user\'s password'),
});

const permission = z.strictObject({
  user: name('permission\'s user').describe('A user of topology.users (or defaultUser).'),
  vhost: vhostRef,
  configure: z.string().default('.*').describe('Regex of resources the user may declare and delete. @default ".*"'),
  write: z.string().default('.*').describe('Regex of resources the user may publish or bind to. @default ".*"'),
  read: z.string().default('.*').describe('Regex of resources the user may consume from or bind from. @default ".*"'),
});

const exchange = z.strictObject({
  name: name('exchange'),
  vhost: vhostRef,
  type: z.enum(EXCHANGE_TYPES).default('direct').describe('@default "direct"'),
  durable: z.boolean().default(true).describe('@default true'),
  autoDelete: z.boolean().default(false).describe('@default false'),
  internal: z.boolean().default(false).describe('Only other exchanges may publish to it. @default false'),
  alternateExchange: z.string().min(1).optional().describe('Exchange that receives messages this one cannot route. @default - none'),
  arguments: argumentsRecord('Further exchange arguments.'),
});

const queue = z.strictObject({
  name: name('queue'),
  vhost: vhostRef,
  type: z.enum(QUEUE_TYPES).optional().describe('@default - the vhost\'s defaultQueueType, else queues.defaultType'),
  durable: z.boolean().default(true).describe('Quorum queues and streams are always durable. @default true'),
  autoDelete: z.boolean().default(false).describe('Classic queues only. @default false'),
  messageTtlMs: milliseconds('Messages older than this are dropped or dead-lettered (x-message-ttl; not streams).'),
  expiresMs: milliseconds('The queue is deleted after being unused this long (x-expires; not streams).'),
  maxLength: count('Most messages the queue holds (x-max-length; not streams).'),
  maxLengthBytes: count('Most bytes the queue (or stream) holds (x-max-length-bytes).'),
  overflow: z.enum(OVERFLOW_BEHAVIOURS).optional().describe('What happens at maxLength (x-overflow); reject-publish-dlx is classic only. @default - "drop-head"'),
  deadLetterExchange: z.string().optional().describe('Exchange that receives rejected, expired and dropped messages (x-dead-letter-exchange; "" is the default exchange). @default - none'),
  deadLetterRoutingKey: z.string().optional().describe('Routing key dead letters get (x-dead-letter-routing-key). @default - their original key'),
  deliveryLimit: count('Deliveries before a message is dead-lettered (x-delivery-limit; quorum only).'),
  singleActiveConsumer: z.boolean().optional().describe('One consumer at a time (x-single-active-consumer; not streams). @default - false'),
  maxPriority: z.int().min(1, 'is below 1; give a priority between 1 and 255 (1 to 5 is advised)').max(255, 'is above 255; give a priority between 1 and 255 (1 to 5 is advised)').optional().describe('Priorities the queue supports (x-max-priority; classic only). @default - none'),
  maxAge: z.string().regex(MAX_AGE, 'is not a retention period; write a number and one unit of Y, M, D, h, m, s (e.g. "7D")').optional().describe('Stream retention (x-max-age; streams only). @default - none'),
  arguments: argumentsRecord('Further x-arguments for the queue type.'),
  retry: retrySchema.optional().describe('Retries and dead letters derived by warren (see "Reliable messaging" in the README). @default - none'),
});

const binding = z.strictObject({
  vhost: vhostRef,
  source: name('binding\'s source exchange').describe('Exchange the messages come from.'),
  destination: name('binding\'s destination').describe('Queue or exchange the messages go to.'),
  destinationType: z.enum(['queue', 'exchange']).default('queue').describe('@default "queue"'),
  routingKey: z.string().default('').describe('Routing key or, for topic exchanges, pattern of dot-separated words with * and #. @default ""'),
  arguments: argumentsRecord('Binding arguments, e.g. header matches with x-match for headers exchanges.'),
});

const policyFields = {
  name: name('policy'),
  vhost: vhostRef,
  pattern: z.string().describe('Regular expression matched against queue or exchange names.'),
  priority: z.int('is not an integer; give a whole number (higher wins)').default(0).describe('@default 0'),
  definition: z.record(z.string(), argumentValue).describe('Policy keys and values, e.g. { "max-length": 10000 }.'),
};

export const policySchema = z.strictObject({
  ...policyFields,
  applyTo: z.enum(POLICY_TARGETS).default('queues').describe('What the policy applies to; per queue type from 3.12. @default "queues"'),
});

export const operatorPolicySchema = z.strictObject({
  ...policyFields,
  applyTo: z.enum(OPERATOR_POLICY_TARGETS).default('queues').describe('Queues the operator policy applies to; per queue type from 3.12. @default "queues"'),
});

const federationUpstream = z.strictObject({
  name: name('federation upstream').regex(USER_NAME, 'is not an upstream name warren accepts; use letters, digits, ".", "_" and "-", starting with a letter or digit'),
  vhost: vhostRef,
  uri: connectionUri('The upstream broker'),
  exchange: z.string().optional().describe('Upstream exchange to federate from. @default - the same name'),
  queue: z.string().optional().describe('Upstream queue to federate from. @default - the same name'),
  maxHops: z.int().min(1, 'is below 1; give 1 or more').default(1).describe('@default 1'),
  prefetchCount: z.int().min(1, 'is below 1; give 1 or more').default(1000).describe('@default 1000'),
  reconnectDelaySeconds: z.int().min(0, 'is negative; give 0 or more seconds').default(5).describe('@default 5'),
  ackMode: z.enum(ACK_MODES).default('on-confirm').describe('@default "on-confirm"'),
  expiresMs: milliseconds('Upstream queue expiry for federated exchanges.'),
  messageTtlMs: milliseconds('Message TTL of the upstream queue for federated exchanges.'),
});

const shovelEnd = z.strictObject({
  uri: connectionUri('The broker at this end').default('local'),
  queue: z.string().min(1).optional().describe('Queue to consume from (source) or publish to (destination).'),
  exchange: z.string().optional().describe('Exchange to consume from (source, through a temporary queue) or publish to (destination).'),
  routingKey: z.string().optional().describe('Routing key for the exchange. @default - the original key'),
});

const shovel = z.strictObject({
  name: name('shovel').regex(USER_NAME, 'is not a shovel name warren accepts; use letters, digits, ".", "_" and "-", starting with a letter or digit'),
  vhost: vhostRef,
  source: shovelEnd,
  destination: shovelEnd,
  ackMode: z.enum(ACK_MODES).default('on-confirm').describe('@default "on-confirm"'),
  prefetchCount: z.int().min(1, 'is below 1; give 1 or more').default(1000).describe('@default 1000'),
  reconnectDelaySeconds: z.int().min(0, 'is negative; give 0 or more seconds').default(5).describe('@default 5'),
});

export const topologySchema = z
  .strictObject({
    vhosts: z.array(vhost).default([]).describe('Virtual hosts besides "/" (list "/" to give it a default queue type). @default []'),
    users: z.array(user).default([]).describe('Application users besides defaultUser. @default []'),
    permissions: z.array(permission).default([]).describe('What each user may do in each vhost (defaultUser gets every vhost). @default []'),
    exchanges: z.array(exchange).default([]).describe('@default []'),
    queues: z.array(queue).default([]).describe('@default []'),
    bindings: z.array(binding).default([]).describe('@default []'),
    policies: z.array(policySchema).default([]).describe('@default []'),
    operatorPolicies: z.array(operatorPolicySchema).default([]).describe('Limits that override user policies and client arguments. @default []'),
    federationUpstreams: z.array(federationUpstream).default([]).describe('Brokers to federate from (needs the rabbitmq_federation plugin). @default []'),
    shovels: z.array(shovel).default([]).describe('Dynamic shovels (needs the rabbitmq_shovel plugin). @default []'),
  })
  .prefault({})
  .describe('Virtual hosts, users, exchanges, queues, bindings, policies, federation and shovels declared at boot.');

export type TopologySpec = z.output<typeof topologySchema>;
export type VhostSpec = TopologySpec['vhosts'][number];
export type UserSpec = TopologySpec['users'][number];
export type PermissionSpec = TopologySpec['permissions'][number];
export type ExchangeSpec = TopologySpec['exchanges'][number];
export type QueueSpec = TopologySpec['queues'][number];
export type BindingSpec = TopologySpec['bindings'][number];
export type PolicySpec = TopologySpec['policies'][number];
export type OperatorPolicySpec = TopologySpec['operatorPolicies'][number];
export type FederationUpstreamSpec = TopologySpec['federationUpstreams'][number];
export type ShovelSpec = TopologySpec['shovels'][number];
export type ShovelEndSpec = ShovelSpec['source'];

/** Typed queue fields and the x-argument each one becomes. */
export const QUEUE_FIELD_ARGUMENTS: Readonly<Record<string, string>> = {
  messageTtlMs: 'x-message-ttl', expiresMs: 'x-expires', maxLength: 'x-max-length', maxLengthBytes: 'x-max-length-bytes',
  overflow: 'x-overflow', deadLetterExchange: 'x-dead-letter-exchange', deadLetterRoutingKey: 'x-dead-letter-routing-key',
  deliveryLimit: 'x-delivery-limit', singleActiveConsumer: 'x-single-active-consumer', maxPriority: 'x-max-priority', maxAge: 'x-max-age',
};

/**
 * Queue arguments and the queue types that accept them, first the one to suggest
 * (as `capabilities()` of rabbit_classic_queue, rabbit_quorum_queue and rabbit_stream_queue list them).
 */
export const QUEUE_ARGUMENTS: Readonly<Record<string, readonly QueueType[]>> = {
  'x-message-ttl': ['classic', 'quorum'],
  'x-expires': ['classic', 'quorum'],
  'x-max-length': ['classic', 'quorum'],
  'x-max-length-bytes': ['classic', 'quorum', 'stream'],
  'x-overflow': ['classic', 'quorum'],
  'x-dead-letter-exchange': ['classic', 'quorum'],
  'x-dead-letter-routing-key': ['classic', 'quorum'],
  'x-dead-letter-strategy': ['quorum'],
  'x-delivery-limit': ['quorum'],
  'x-single-active-consumer': ['classic', 'quorum'],
  'x-max-priority': ['classic'],
  'x-queue-mode': ['classic'],
  'x-queue-version': ['classic'],
  'x-queue-master-locator': ['classic'],
  'x-queue-leader-locator': ['quorum', 'stream'],
  'x-quorum-initial-group-size': ['quorum'],
  'x-max-in-memory-length': ['quorum'],
  'x-max-in-memory-bytes': ['quorum'],
  'x-max-age': ['stream'],
  'x-stream-max-segment-size-bytes': ['stream'],
  'x-initial-cluster-size': ['stream'],
  'x-delayed-retry-type': ['quorum'],
  'x-delayed-retry-min': ['quorum'],
  'x-delayed-retry-max': ['quorum'],
};

/** A queue's type: its own, else its vhost's default, else the cluster's. */
export function queueTypeOf(queue: QueueSpec, topology: TopologySpec, clusterDefault: QueueType): QueueType {
  return queue.type ?? topology.vhosts.find((v) => v.name === queue.vhost)?.defaultQueueType ?? clusterDefault;
}
