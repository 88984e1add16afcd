/**
 * The cluster spec: what a user writes, in YAML or as a TypeScript object, assembled from one schema per
 * section (each section's folder holds its schema, rules and resolution).
 * This zod definition is the single source of the spec's shape, its defaults, the TypeScript types
 * and the shipped JSON Schema (`schema/warren.schema.json`). Rules that relate several fields run in
 * `validate.ts`.
 */
import * as z from 'zod';
import {
  clusterNameSchema,
  defaultUserSchema,
  erlangCookieSchema,
  heartbeatSecondsSchema,
  nodesSchema,
  partitionHandlingSchema,
  pluginsSchema,
  portsSchema,
  queuesSchema,
  resourcesSchema,
} from './cluster/schema';
import { composeSchema } from './compose/schema';
import { firewallSchema } from './firewall/schema';
import { kubernetesSchema } from './kubernetes/schema';
import { loadBalancerSchema } from './load-balancer/schema';
import { monitoringSchema } from './monitoring/schema';
import { rabbitmqSchema } from './rabbitmq/schema';
import { tlsSchema } from './tls/schema';
import { topologySchema } from './topology/schema';

export { QUEUE_TYPES, USER_TAGS, type QueueType } from './core/primitives';
export { PARTITION_HANDLING_MODES, type PartitionHandlingMode } from './cluster/schema';
export { BALANCE_ALGORITHMS } from './load-balancer/schema';
export { POLICY_TARGETS, type PolicySpec } from './topology/schema';

export const clusterSpecSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by warren.'),
    name: clusterNameSchema,
    rabbitmq: rabbitmqSchema,
    nodes: nodesSchema,
    ports: portsSchema,
    heartbeatSeconds: heartbeatSecondsSchema,
    partitionHandling: partitionHandlingSchema,
    plugins: pluginsSchema,
    defaultUser: defaultUserSchema,
    erlangCookie: erlangCookieSchema,
    resources: resourcesSchema,
    queues: queuesSchema,
    loadBalancer: loadBalancerSchema,
    compose: composeSchema,
    monitoring: monitoringSchema,
    tls: tlsSchema,
    firewall: firewallSchema,
    topology: topologySchema,
    kubernetes: kubernetesSchema,
  })
  .describe('A RabbitMQ cluster, as warren synthesises it.');

/** A spec as a user writes it (defaults optional). */
export type ClusterSpec = z.input<typeof clusterSpecSchema>;
/** A spec with every default applied. */
export type ParsedSpec = z.output<typeof clusterSpecSchema>;
