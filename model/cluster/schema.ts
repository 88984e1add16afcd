/**
 * The cluster-wide sections of the spec: its name, nodes, listener ports, heartbeat, partition handling,
 * plugins, default user, Erlang cookie, resource alarms and default queue type.
 */
import * as z from 'zod';
import { DNS_LABEL, DNS_LABEL_MESSAGE, dnsLabel, INFORMATION_SIZE, ipv4Address, QUEUE_TYPES, secretSource, TOO_LONG_FOR_A_HOST_NAME, USER_TAGS } from '../core/primitives';

const port = (defaultPort: number, what: string) =>
  z
    .int(`is not a port number; give an integer between 1 and 65535`)
    .min(1, `is not a port number; give an integer between 1 and 65535`)
    .max(65535, `is not a port number; give an integer between 1 and 65535`)
    .default(defaultPort)
    .describe(`${what}. @default ${defaultPort}`);

export const PARTITION_HANDLING_MODES = ['autoheal', 'pause_minority', 'pause_if_all_down', 'ignore'] as const;
export type PartitionHandlingMode = (typeof PARTITION_HANDLING_MODES)[number];

const nodeHost = z
  .strictObject({
    host: dnsLabel('rmq-1').describe('Host name of the machine; the node is named rabbit@<host>.'),
    address: ipv4Address('10.0.0.11')
      .optional()
      .describe('IPv4 address of the host (VM deployments). @default - resolved through DNS'),
  })
  .describe('One RabbitMQ host.');

export const clusterNameSchema = z
  .string()
  // Only a name that would be valid but for its dots gets this message; others get the DNS-label one.
  .refine((name) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(name), {
    error: 'contains a dot; it names the Kubernetes StatefulSet, whose pods need single-label host names (<name>-0.<service>); use "-" instead (e.g. "orders-eu")',
    abort: true,
  })
  .max(63, TOO_LONG_FOR_A_HOST_NAME)
  .regex(DNS_LABEL, DNS_LABEL_MESSAGE('orders'))
  .describe('Cluster name: prefixes host names, services and Kubernetes objects.');

export const nodesSchema = z
  .union(
    [
      z.int().min(1, 'is below 1; a cluster needs at least one node (3 or 5 for quorum queues)').max(99, 'is above 99; warren plans clusters of up to 99 nodes'),
      z.array(nodeHost).min(1, 'is an empty list; name at least one host (3 or 5 for quorum queues)'),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? 'is neither a node count nor a list of hosts; write a number such as 3, or a list of { host, address }' : undefined) },
  )
  .default(3)
  .describe('A node count (hosts are named <name>-1..N) or an explicit list of hosts. @default 3');

export const portsSchema = z
  .strictObject({
    amqp: port(5672, 'AMQP 0-9-1 listener'),
    amqps: port(5671, 'AMQP over TLS listener (used only when TLS is configured)'),
    management: port(15672, 'Management UI and HTTP API'),
    managementTls: port(15671, 'Management UI and HTTP API over TLS (used only when tls.listeners.management asks for TLS)'),
    prometheus: port(15692, 'Prometheus metrics, scraped per node'),
    prometheusTls: port(15691, 'Prometheus metrics over TLS (used only when tls.listeners.prometheus asks for TLS)'),
    stream: port(5552, 'Stream protocol listener (rabbitmq_stream plugin)'),
    streamTls: port(5551, 'Stream protocol over TLS (used only when tls.listeners.stream asks for TLS)'),
    epmd: port(4369, 'Erlang port mapper'),
    distribution: port(25672, 'Erlang distribution (inter-node and CLI traffic)'),
  })
  .prefault({})
  .describe('Listener ports on every node.');

export const heartbeatSecondsSchema = z
  .int('is not a whole number of seconds; give an integer such as 60')
  .min(0, 'is negative; give 0 (disabled, not recommended) or a number of seconds such as 60')
  .max(3600, 'is above 3600; give a heartbeat of at most an hour (60 is usual)')
  .default(60)
  .describe('AMQP heartbeat the server proposes; load-balancer timeouts are derived from it. @default 60');

export const partitionHandlingSchema = z
  .strictObject({
    mode: z.enum(PARTITION_HANDLING_MODES).default('autoheal').describe('@default "autoheal"'),
    pauseIfAllDown: z
      .strictObject({
        nodes: z.array(z.string()).min(1, 'is an empty list; name at least one node host that must stay reachable'),
        recover: z.enum(['ignore', 'autoheal']).default('ignore').describe('@default "ignore"'),
      })
      .optional()
      .describe('Required when mode is pause_if_all_down: the hosts that must stay reachable.'),
  })
  .prefault({})
  .describe('What nodes do after a network partition (Mnesia metadata store only; no effect on Khepri, see rabbitmq.metadataStore).');

export const pluginsSchema = z
  .array(z.string())
  .default(['rabbitmq_management', 'rabbitmq_prometheus'])
  .describe('Plugins to enable. @default ["rabbitmq_management", "rabbitmq_prometheus"]');

export const defaultUserSchema = z
  .strictObject({
    name: z.string().min(1, 'is empty; give the administrator a user name').default('admin').describe('@default "admin"'),
    password: secretSource('the default user\'s password'),
    tags: z.array(z.enum(USER_TAGS)).default(['administrator']).describe('@default ["administrator"]'),
  })
  .prefault({})
  .describe('The user created at boot (guest is never enabled for remote access).');

export const erlangCookieSchema = secretSource('the Erlang cookie shared by all nodes');

export const resourcesSchema = z
  .strictObject({
    memoryHighWatermark: z
      .union([
        z.number().gt(0, 'is not a fraction of RAM; give a number between 0 and 1 (e.g. 0.6) or a size such as "2GiB"').lt(1, 'is not a fraction of RAM; give a number between 0 and 1 (e.g. 0.6) or a size such as "2GiB"'),
        z.string().regex(INFORMATION_SIZE, 'is not a size; write a number with MB, GB, MiB or GiB (e.g. "2GiB")'),
      ])
      .default(0.6)
      .describe('Memory alarm threshold: a fraction of RAM, or an absolute size. @default 0.6'),
    diskFreeLimit: z
      .union([
        z.number().gt(0, 'is not a multiple of RAM; give a positive number (e.g. 1.5) or a size such as "2GB"'),
        z.string().regex(INFORMATION_SIZE, 'is not a size; write a number with MB, GB, MiB or GiB (e.g. "2GB")'),
      ])
      .default('2GB')
      .describe('Disk alarm threshold: an absolute size, or a multiple of RAM. @default "2GB" (RabbitMQ\'s own 50MB is too low)'),
  })
  .prefault({})
  .describe('Resource alarms.');

export const queuesSchema = z
  .strictObject({
    defaultType: z.enum(QUEUE_TYPES).default('quorum').describe('Queue type for declarations that name none (where the version supports it). @default "quorum"'),
  })
  .prefault({});
export type PortsSpec = z.output<typeof portsSchema>;
