/**
 * resolveCluster: validate once, derive everything generators need, freeze it.
 * Generators read a ResolvedCluster and never re-derive names, ports or secret ids.
 */
import { listenersOf, type Listener } from './cluster/listeners';
import { cliPortRange, nodeHostsOf } from './cluster/nodes';
import { composeMemoryOf } from './compose/memory';
import type { ContainerMemory } from './core/container-memory';
import { SpecError, type Problem } from './core/problems';
import { resolveLoadBalancer, type ResolvedLoadBalancer } from './load-balancer/resolve';
import { GENERATED_LENGTH, parseSecretSource, type SecretRef } from './secrets/secrets';
import type { ClusterSpec, ParsedSpec, PartitionHandlingMode, QueueType } from './spec';
import { resolveTopology, type ResolvedTopology } from './topology/resolve';
import { resolveKubernetes, type ResolvedKubernetes } from './kubernetes/resolve';
import { resolveComposeMonitoring, type ResolvedComposeMonitoring } from './monitoring/compose-services';
import { resolveMajorityCheck, type ResolvedMajorityCheck } from './cluster/majority-check';
import { resolveTls, tlsSecretRefs, type ResolvedTls } from './tls/resolve';
import { resolveFirewall, type ResolvedFirewall } from './firewall/resolve';
import { validateSpec } from './validate';
import { metadataStoreOf, partitionHandlingNotices } from './rabbitmq/metadata-store';
import { quorumMembersOf, type QuorumMembers } from './rabbitmq/quorum-members';
import { featuresOf, parseVersion, type MetadataStore, type RabbitmqVersion, type VersionFeatures } from './rabbitmq/version';

export interface ResolvedNode {
  /** 1-based position in the cluster. */
  readonly index: number;
  readonly host: string;
  /** Erlang node name, `rabbit@<host>`. */
  readonly nodeName: string;
  readonly address?: string;
}

export interface ResolvedPorts {
  readonly amqp: number;
  readonly amqps: number;
  readonly management: number;
  readonly managementTls: number;
  readonly prometheus: number;
  readonly prometheusTls: number;
  readonly stream: number;
  readonly streamTls: number;
  readonly epmd: number;
  readonly distribution: number;
  /** Ports the CLI tools use, distribution + 10000 .. + 10010. */
  readonly cliRange: readonly [number, number];
}

export type ResourceLimit = { readonly relative: number } | { readonly absolute: string };

export interface ResolvedCluster {
  readonly name: string;
  readonly version: RabbitmqVersion;
  readonly features: VersionFeatures;
  readonly image: string;
  readonly nodes: readonly ResolvedNode[];
  readonly ports: ResolvedPorts;
  /** The listeners every node opens, from the ports, plugins and TLS; targets read these, never the plugins. */
  readonly listeners: readonly Listener[];
  readonly heartbeatSeconds: number;
  /** Khepri (Raft) or Mnesia: the spec's rabbitmq.metadataStore, or the line's default. */
  readonly metadataStore: MetadataStore;
  readonly partitionHandling: {
    readonly mode: PartitionHandlingMode;
    /** Node names (rabbit@host) that must stay reachable, for pause_if_all_down. */
    readonly pauseIfAllDown?: { readonly nodes: readonly string[]; readonly recover: 'ignore' | 'autoheal' };
    /** False where the metadata store ignores the setting (Khepri). */
    readonly honoured: boolean;
  };
  /**
   * Load balancers and Kubernetes readiness take a node out while it cannot reach a majority of the cluster.
   * @default - none where the node pauses itself (pause_minority or pause_if_all_down on a Mnesia line)
   */
  readonly majorityCheck?: ResolvedMajorityCheck;
  /** Sorted, without duplicates. */
  readonly plugins: readonly string[];
  readonly defaultUser: { readonly name: string; readonly tags: readonly string[]; readonly password: SecretRef };
  readonly erlangCookie: SecretRef;
  readonly resources: { readonly memoryHighWatermark: ResourceLimit; readonly diskFreeLimit: ResourceLimit };
  readonly defaultQueueType: QueueType;
  /** The group size quorum queues are grown to, and whether RabbitMQ does it itself (3.13+). */
  readonly quorumMembers: QuorumMembers;
  readonly loadBalancer?: ResolvedLoadBalancer;
  readonly compose: {
    readonly bindAddress: string;
    readonly hostPortOffset: number;
    /** Each node container's memory limit, and what RabbitMQ is told it has. */
    readonly memory: ContainerMemory;
    /** Prometheus and Alertmanager services (monitoring.compose). */
    readonly monitoring: ResolvedComposeMonitoring;
  };
  /** AMQP over TLS on ports.amqps, and the other families' TLS listeners tls.listeners asks for. @default - no TLS listener */
  readonly tls?: ResolvedTls;
  /** Host firewall of the VM bundles (nftables). @default - none: the bundles change no firewall */
  readonly firewall?: ResolvedFirewall;
  readonly topology: ResolvedTopology;
  /** Kubernetes target (cdk8s chart, Pulumi Kubernetes program). */
  readonly kubernetes: ResolvedKubernetes;
  /** Every secret the cluster needs. */
  readonly secrets: readonly SecretRef[];
  /** Facts the user should hear about (settings without effect on this version). */
  readonly notices: readonly string[];
  readonly warnings: readonly Problem[];
}

/** Validates `spec` and derives the cluster; throws SpecError listing every problem. */
export function resolveCluster(spec: ClusterSpec | ParsedSpec): ResolvedCluster {
  const validation = validateSpec(spec);
  if (!validation.ok) throw new SpecError(validation.problems);
  return deepFreeze(derive(validation.spec, validation.warnings));
}

function derive(spec: ParsedSpec, warnings: readonly Problem[]): ResolvedCluster {
  const version = parseVersion(spec.rabbitmq.version)!;
  const features = featuresOf(version);
  const nodes = nodeHostsOf(spec).map((node, i) => ({ index: i + 1, nodeName: `rabbit@${node.host}`, ...node }));
  const erlangCookie: SecretRef = {
    id: 'erlang-cookie',
    description: 'Erlang cookie shared by every node',
    path: 'erlangCookie',
    source: parseSecretSource(spec.erlangCookie, GENERATED_LENGTH.cookie),
    generatable: true,
    consumer: 'rabbitmq',
    carrier: 'own-file',
  };
  const password: SecretRef = {
    id: 'default-user-password',
    description: `password of the default user "${spec.defaultUser.name}"`,
    path: 'defaultUser.password',
    source: parseSecretSource(spec.defaultUser.password, GENERATED_LENGTH.password),
    generatable: true,
    consumer: 'rabbitmq',
    carrier: 'definitions',
  };
  const metadataStore = metadataStoreOf(spec, features);
  const notices = partitionHandlingNotices(spec, version, features);
  if (!features.nodeDefaultQueueType && !features.vhostDefaultQueueType && spec.queues.defaultType !== 'classic') {
    notices.push(
      `queues.defaultType "${spec.queues.defaultType}" cannot be set on RabbitMQ ${version.line}; clients must declare x-queue-type themselves`,
    );
  }
  const { pauseIfAllDown } = spec.partitionHandling;
  const loadBalancer = spec.loadBalancer && resolveLoadBalancer(spec.loadBalancer, spec.name, spec.heartbeatSeconds);
  const topology = resolveTopology(spec.topology, spec.queues.defaultType, features);
  const tls = spec.tls && resolveTls(spec.tls, nodes.map((n) => n.host));
  const firewall = resolveFirewall(spec.firewall);
  // Partition handling means something only on Mnesia; where it pauses the node, no majority check is needed.
  const partitionHandlingHonoured = metadataStore === 'mnesia';
  const majorityCheck = resolveMajorityCheck(partitionHandlingHonoured, spec.partitionHandling.mode);
  return {
    name: spec.name,
    version,
    features,
    image: spec.rabbitmq.image ?? `rabbitmq:${version.text}-management`,
    nodes,
    ports: { ...spec.ports, cliRange: cliPortRange(spec.ports.distribution) },
    listeners: listenersOf(spec),
    heartbeatSeconds: spec.heartbeatSeconds,
    metadataStore,
    partitionHandling: {
      mode: spec.partitionHandling.mode,
      ...(pauseIfAllDown && {
        pauseIfAllDown: {
          nodes: pauseIfAllDown.nodes.map((n) => (n.startsWith('rabbit@') ? n : `rabbit@${n}`)),
          recover: pauseIfAllDown.recover,
        },
      }),
      honoured: partitionHandlingHonoured,
    },
    ...(majorityCheck && { majorityCheck }),
    plugins: [...new Set(spec.plugins)].sort(),
    defaultUser: { name: spec.defaultUser.name, tags: spec.defaultUser.tags, password },
    erlangCookie,
    resources: {
      memoryHighWatermark: toLimit(spec.resources.memoryHighWatermark),
      diskFreeLimit: toLimit(spec.resources.diskFreeLimit),
    },
    defaultQueueType: spec.queues.defaultType,
    quorumMembers: quorumMembersOf(features),
    ...(loadBalancer && { loadBalancer }),
    compose: {
      bindAddress: spec.compose.bindAddress,
      hostPortOffset: spec.compose.hostPortOffset,
      memory: composeMemoryOf(spec.compose),
      monitoring: resolveComposeMonitoring(spec.monitoring, spec.compose.hostPortOffset),
    },
    ...(tls && { tls }),
    ...(firewall && { firewall }),
    topology,
    kubernetes: resolveKubernetes(spec.name, nodes.length, spec.kubernetes, features),
    secrets: [erlangCookie, password, ...(loadBalancer ? [loadBalancer.statsPassword, ...(loadBalancer.keepalived.authPass ? [loadBalancer.keepalived.authPass] : [])] : []), ...topology.secrets, ...tlsSecretRefs(tls)],
    notices,
    warnings,
  };
}

function toLimit(value: number | string): ResourceLimit {
  return typeof value === 'number' ? { relative: value } : { absolute: value };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
