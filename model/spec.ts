/**
 * The cluster spec: what a user writes, in YAML or as a TypeScript object.
 * This zod definition is the single source of the spec's shape, its defaults, the TypeScript types
 * and the shipped JSON Schema (`schema/warren.schema.json`). Rules that relate several fields live in
 * `rules.ts`.
 */
import { z } from 'zod';
import { DNS_LABEL, DNS_LABEL_MESSAGE, dnsLabel, QUEUE_TYPES, secretSource, TOO_LONG_FOR_A_HOST_NAME, USER_TAGS } from './core/primitives';
import { topologySchema } from './topology/schema';
import { kubernetesSchema } from './kubernetes/schema';
import { haproxySchema, keepalivedSchema } from './load-balancer/schema';
import { tlsSchema } from './tls/schema';
import { DEFAULT_VERSION, METADATA_STORES } from './rabbitmq/version';

export { QUEUE_TYPES, USER_TAGS } from './core/primitives';
export { POLICY_TARGETS, type PolicySpec } from './topology/schema';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([1-9]|[12]\d|3[0-2])$/;
/** Sizes as RabbitMQ reads them: bytes, or a number with a decimal (MB, GB) or binary (MiB, GiB) unit. */
const INFORMATION_SIZE = /^\d+(kB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;

const port = (defaultPort: number, what: string) =>
  z
    .int(`is not a port number; give an integer between 1 and 65535`)
    .min(1, `is not a port number; give an integer between 1 and 65535`)
    .max(65535, `is not a port number; give an integer between 1 and 65535`)
    .default(defaultPort)
    .describe(`${what}. @default ${defaultPort}`);

export const PARTITION_HANDLING_MODES = ['autoheal', 'pause_minority', 'pause_if_all_down', 'ignore'] as const;
export const BALANCE_ALGORITHMS = ['leastconn', 'roundrobin'] as const;

const nodeHost = z
  .strictObject({
    host: dnsLabel('rmq-1').describe('Host name of the machine; the node is named rabbit@<host>.'),
    address: z
      .string()
      .regex(IPV4, `is not an IPv4 address; write four numbers 0-255 separated by dots (e.g. "10.0.0.11")`)
      .optional()
      .describe('IPv4 address of the host (VM deployments). @default - resolved through DNS'),
  })
  .describe('One RabbitMQ host.');

const loadBalancerHost = z
  .strictObject({
    host: dnsLabel('lb-1').describe('Host name of the load-balancer machine.'),
    address: z
      .string()
      .regex(IPV4, `is not an IPv4 address; write four numbers 0-255 separated by dots (e.g. "10.0.0.21")`)
      .describe('IPv4 address of the load-balancer host on the network that carries the virtual IP.'),
    priority: z
      .int('is not a VRRP priority; give an integer between 1 and 254')
      .min(1, 'is not a VRRP priority; give an integer between 1 and 254')
      .max(254, 'is not a VRRP priority; give an integer between 1 and 254')
      .optional()
      .describe('VRRP priority; the highest healthy host holds the virtual IP. @default - derived from the order of hosts'),
  })
  .describe('One HAProxy (and Keepalived) host.');

export const clusterSpecSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by warren.'),
    name: z
      .string()
      // Only a name that would be valid but for its dots gets this message; others get the DNS-label one.
      .refine((name) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(name), {
        error: 'contains a dot; it names the Kubernetes StatefulSet, whose pods need single-label host names (<name>-0.<service>); use "-" instead (e.g. "orders-eu")',
        abort: true,
      })
      .max(63, TOO_LONG_FOR_A_HOST_NAME)
      .regex(DNS_LABEL, DNS_LABEL_MESSAGE('orders'))
      .describe('Cluster name: prefixes host names, services and Kubernetes objects.'),
    rabbitmq: z
      .strictObject({
        version: z
          .string(`is not a version; write it as a string, e.g. "4.3" or "3.13.7"`)
          .default(DEFAULT_VERSION)
          .describe(`RabbitMQ version (MAJOR.MINOR or MAJOR.MINOR.PATCH), 3.10 to 4.3. @default "${DEFAULT_VERSION}"`),
        image: z
          .string()
          .min(1)
          .optional()
          .describe('Container image. @default "rabbitmq:<version>-management"'),
        metadataStore: z
          .enum(METADATA_STORES)
          .optional()
          .describe(
            'Metadata store the cluster runs on. A new 4.2+ cluster starts on Khepri (Raft), where partition handling has no effect; ' +
              'a cluster upgraded to 4.2 from an earlier line keeps Mnesia until its khepri_db feature flag is enabled: say "mnesia" ' +
              'for it, and partition handling is written. 4.3 has no Mnesia; before 4.2 warren builds Mnesia clusters. ' +
              '@default - "khepri" from 4.2, "mnesia" before',
          ),
      })
      .prefault({})
      .describe('Which RabbitMQ to run.'),
    nodes: z
      .union(
        [
          z.int().min(1, 'is below 1; a cluster needs at least one node (3 or 5 for quorum queues)').max(99, 'is above 99; warren plans clusters of up to 99 nodes'),
          z.array(nodeHost).min(1, 'is an empty list; name at least one host (3 or 5 for quorum queues)'),
        ],
        { error: (issue) => (issue.code === 'invalid_union' ? 'is neither a node count nor a list of hosts; write a number such as 3, or a list of { host, address }' : undefined) },
      )
      .default(3)
      .describe('A node count (hosts are named <name>-1..N) or an explicit list of hosts. @default 3'),
    ports: z
      .strictObject({
        amqp: port(5672, 'AMQP 0-9-1 listener'),
        amqps: port(5671, 'AMQP over TLS listener (used only when TLS is configured)'),
        management: port(15672, 'Management UI and HTTP API'),
        prometheus: port(15692, 'Prometheus metrics, scraped per node'),
        stream: port(5552, 'Stream protocol listener (rabbitmq_stream plugin)'),
        epmd: port(4369, 'Erlang port mapper'),
        distribution: port(25672, 'Erlang distribution (inter-node and CLI traffic)'),
      })
      .prefault({})
      .describe('Listener ports on every node.'),
    heartbeatSeconds: z
      .int('is not a whole number of seconds; give an integer such as 60')
      .min(0, 'is negative; give 0 (disabled, not recommended) or a number of seconds such as 60')
      .max(3600, 'is above 3600; give a heartbeat of at most an hour (60 is usual)')
      .default(60)
      .describe('AMQP heartbeat the server proposes; load-balancer timeouts are derived from it. @default 60'),
    partitionHandling: z
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
      .describe('What nodes do after a network partition (Mnesia metadata store only; no effect on Khepri, see rabbitmq.metadataStore).'),
    plugins: z
      .array(z.string())
      .default(['rabbitmq_management', 'rabbitmq_prometheus'])
      .describe('Plugins to enable. @default ["rabbitmq_management", "rabbitmq_prometheus"]'),
    defaultUser: z
      .strictObject({
        name: z.string().min(1, 'is empty; give the administrator a user name').default('admin').describe('@default "admin"'),
        password: secretSource('the default user\'s password'),
        tags: z.array(z.enum(USER_TAGS)).default(['administrator']).describe('@default ["administrator"]'),
      })
      .prefault({})
      .describe('The user created at boot (guest is never enabled for remote access).'),
    erlangCookie: secretSource('the Erlang cookie shared by all nodes'),
    resources: z
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
      .describe('Resource alarms.'),
    queues: z
      .strictObject({
        defaultType: z.enum(QUEUE_TYPES).default('quorum').describe('Queue type for declarations that name none (where the version supports it). @default "quorum"'),
      })
      .prefault({}),
    loadBalancer: z
      .strictObject({
        balance: z.enum(BALANCE_ALGORITHMS).default('leastconn').describe('HAProxy balance algorithm for AMQP. @default "leastconn"'),
        hosts: z.array(loadBalancerHost).default([]).describe('Load-balancer hosts (VM deployments). @default [] (compose runs one HAProxy container)'),
        virtualIp: z
          .string()
          .regex(IPV4_CIDR, 'is not an IPv4 address with a prefix length; write it as CIDR (e.g. "10.0.0.100/24")')
          .optional()
          .describe('Floating address held by one load-balancer host through VRRP (Keepalived).'),
        statsPassword: secretSource('the password of the HAProxy stats page (user "stats")'),
        haproxy: haproxySchema,
        keepalived: keepalivedSchema,
      })
      .optional()
      .describe('HAProxy in front of the nodes and, with a virtual IP, Keepalived.'),
    compose: z
      .strictObject({
        bindAddress: z
          .string()
          .regex(IPV4, 'is not an IPv4 address; use "127.0.0.1" (this machine only) or "0.0.0.0" (every interface)')
          .default('127.0.0.1')
          .describe('Host address published ports bind to. @default "127.0.0.1"'),
        hostPortOffset: z
          .int('is not an integer; give a whole number such as 0 or 10000')
          .min(0, 'is negative; give 0 or a positive offset')
          .default(0)
          .describe('Added to every published host port, to run several clusters side by side. @default 0'),
      })
      .prefault({})
      .describe('docker-compose target.'),
    tls: tlsSchema,
    topology: topologySchema,
    kubernetes: kubernetesSchema,
  })
  .describe('A RabbitMQ cluster, as warren synthesises it.');

/** A spec as a user writes it (defaults optional). */
export type ClusterSpec = z.input<typeof clusterSpecSchema>;
/** A spec with every default applied. */
export type ParsedSpec = z.output<typeof clusterSpecSchema>;
export type PartitionHandlingMode = (typeof PARTITION_HANDLING_MODES)[number];
export type QueueType = (typeof QUEUE_TYPES)[number];
