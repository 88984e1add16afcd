/**
 * RabbitMQ version lines warren knows, and what each one understands.
 * Every version-dependent decision reads a `VersionFeatures`; nothing else compares version numbers.
 */

export const SUPPORTED_LINES = ['3.10', '3.11', '3.12', '3.13', '4.0', '4.1', '4.2', '4.3'] as const;
export type VersionLine = (typeof SUPPORTED_LINES)[number];

/** The line a spec gets when it names none: the current release line. */
export const DEFAULT_VERSION = '4.3';

/** Where a cluster keeps its metadata (users, vhosts, queues, bindings): Mnesia, or Khepri (Raft). */
export const METADATA_STORES = ['khepri', 'mnesia'] as const;
export type MetadataStore = (typeof METADATA_STORES)[number];

export interface RabbitmqVersion {
  /** As written in the spec, e.g. "4.3" or "3.13.7". */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  /** @default - undefined when the spec names only the line */
  readonly patch?: number;
  readonly line: VersionLine;
}

export interface VersionFeatures {
  /** Classic queue mirroring (`ha-*` policy keys) exists: removed in 4.0. */
  readonly classicMirroring: boolean;
  /** The metadata store a new cluster of this line starts with: Khepri from 4.2, Mnesia before. */
  readonly defaultMetadataStore: MetadataStore;
  /**
   * Metadata stores a cluster of this line can run as warren builds it. Khepri: from 4.2 (before, an opt-in
   * feature flag warren does not enable). Mnesia: until 4.2, where a cluster upgraded from an earlier line
   * keeps it until its `khepri_db` feature flag is enabled; 4.3 removed it.
   */
  readonly metadataStores: readonly MetadataStore[];
  /** `default_queue_type` is a node-wide rabbitmq.conf key (4.0+; earlier only per virtual host). */
  readonly nodeDefaultQueueType: boolean;
  /** A virtual host's metadata may carry `default_queue_type` (3.11+). */
  readonly vhostDefaultQueueType: boolean;
  /** The rabbitmq.conf key for where new queue leaders go. */
  readonly queueLocatorKey: 'queue_leader_locator' | 'queue_master_locator';
  /** Kubernetes peer discovery queries the API server (below 4.1) and needs RBAC. */
  readonly k8sDiscoveryQueriesApi: boolean;
  /** Unauthenticated HTTP health endpoints (`/api/health/checks/ready-to-serve-clients`) exist (4.2+). */
  readonly httpHealthEndpoints: boolean;
  /**
   * The Prometheus plugin opens its plain port (15692) unless `prometheus.tcp.listener = none`, even with a TLS port
   * configured: found in 4.0.5 and 4.3.6. 3.10.8 has no such key and opens no plain port beside a configured TLS one.
   * The lines between are not checked: they count as 3.10, and a TLS-only choice there gets a warning.
   */
  readonly prometheusPlainListenerNone: boolean;
  /** Policies may apply to one queue type (`classic_queues`, `quorum_queues`, `streams`): 3.12+. */
  readonly policiesPerQueueType: boolean;
  /** Quorum queues have two built-in message priorities (4.0+); they never take `x-max-priority`. */
  readonly quorumQueuePriorities: boolean;
  /** Quorum queues delay returned messages themselves (`x-delayed-retry-*`): 4.3+. */
  readonly quorumDelayedRetry: boolean;
  /** The delivery limit counts basic.nack with requeue too: before 4.3 (from 4.3 only rejects and crashes). */
  readonly deliveryLimitCountsNack: boolean;
  /** A quorum queue without `x-delivery-limit` has one of 20 (4.0+); -1 turns it off. Before 4.0: no limit. */
  readonly quorumDefaultDeliveryLimit: boolean;
  /**
   * The Erlang/OTP series packages should prefer for this line (`25`, `26.2`, `27`): one that every release of
   * the line supports (see ERLANG_SERIES).
   */
  readonly erlangSeries: string;
  /**
   * The line also runs on Erlang 28 or later, whose `re` module is PCRE2 instead of PCRE (4.2+; every line runs on an
   * Erlang with PCRE too): patterns RabbitMQ compiles (policies, permissions) must then suit both engines.
   */
  readonly pcre2Erlang: boolean;
  /** RabbitMQ reads sizes in TB and TiB (3.13+, rabbitmq-server#10348; 3.10.8 answers parse_error). */
  readonly terabyteSizes: boolean;
  /**
   * The prometheus plugin reports `rabbitmq_unreachable_cluster_peers_count`, the cluster members a node cannot reach
   * (4.0+: found in 4.0.5 and 4.3.6, absent from 3.10.8; the lines between are not checked, so they count links instead).
   */
  readonly unreachablePeersMetric: boolean;
  /**
   * Quorum queue continuous membership reconciliation (`quorum_queue.continuous_membership_reconciliation.*`, 3.13+):
   * the node holding a queue's leader adds members on running nodes the queue lacks, up to a target group size.
   */
  readonly quorumMembershipReconciliation: boolean;
  /**
   * `rabbitmq-queues transfer_leadership [--vhost V] QUEUE NODE` exists: found in 4.3.6, absent from 4.0.5 (4.1 and 4.2
   * not checked: they count as without, and use the internal function rebalance calls, through rabbitmqctl eval).
   */
  readonly transferLeadershipCommand: boolean;
  /** `rabbitmq-upgrade` commands that wait for replicas elsewhere before a node stops (mirrors exist before 4.0). */
  readonly awaitReplicasCommands: readonly ('await_online_quorum_plus_one' | 'await_online_synchronized_mirror')[];
}

const VERSION_PATTERN = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

/** Parses a version; returns undefined for text that is not `MAJOR.MINOR[.PATCH]` of a supported line. */
export function parseVersion(text: string): RabbitmqVersion | undefined {
  const match = VERSION_PATTERN.exec(text);
  if (!match) return undefined;
  const line = `${match[1]}.${match[2]}`;
  if (!(SUPPORTED_LINES as readonly string[]).includes(line)) return undefined;
  const version: RabbitmqVersion = {
    text,
    major: Number(match[1]),
    minor: Number(match[2]),
    line: line as VersionLine,
  };
  return match[3] === undefined ? version : { ...version, patch: Number(match[3]) };
}

function atLeast(version: RabbitmqVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

/**
 * The Erlang/OTP series apt should prefer for each line: one that every release of the line supports. 4.2 and 4.3
 * support Erlang 28 only for new clusters (a rolling upgrade of a Khepri cluster from 27 can fail), 4.0.0-4.0.3 stop
 * at 26.2, every 3.12 release takes 25 but only 3.12.10+ take 26.2, and 3.10 takes 25 from 3.10.5.
 */
const ERLANG_SERIES: Readonly<Record<VersionLine, string>> = {
  '3.10': '25',
  '3.11': '25',
  '3.12': '25',
  '3.13': '26',
  '4.0': '26.2',
  '4.1': '27',
  '4.2': '27',
  '4.3': '27',
};

export function featuresOf(version: RabbitmqVersion): VersionFeatures {
  return {
    classicMirroring: !atLeast(version, 4, 0),
    defaultMetadataStore: atLeast(version, 4, 2) ? 'khepri' : 'mnesia',
    metadataStores: atLeast(version, 4, 3) ? ['khepri'] : atLeast(version, 4, 2) ? ['khepri', 'mnesia'] : ['mnesia'],
    nodeDefaultQueueType: atLeast(version, 4, 0),
    vhostDefaultQueueType: atLeast(version, 3, 11),
    queueLocatorKey: atLeast(version, 4, 0) ? 'queue_leader_locator' : 'queue_master_locator',
    k8sDiscoveryQueriesApi: !atLeast(version, 4, 1),
    httpHealthEndpoints: atLeast(version, 4, 2),
    prometheusPlainListenerNone: atLeast(version, 4, 0),
    policiesPerQueueType: atLeast(version, 3, 12),
    quorumQueuePriorities: atLeast(version, 4, 0),
    quorumDelayedRetry: atLeast(version, 4, 3),
    deliveryLimitCountsNack: !atLeast(version, 4, 3),
    quorumDefaultDeliveryLimit: atLeast(version, 4, 0),
    erlangSeries: ERLANG_SERIES[version.line],
    pcre2Erlang: atLeast(version, 4, 2),
    terabyteSizes: atLeast(version, 3, 13),
    unreachablePeersMetric: atLeast(version, 4, 0),
    quorumMembershipReconciliation: atLeast(version, 3, 13),
    transferLeadershipCommand: atLeast(version, 4, 3),
    awaitReplicasCommands: atLeast(version, 4, 0)
      ? ['await_online_quorum_plus_one']
      : ['await_online_quorum_plus_one', 'await_online_synchronized_mirror'],
  };
}
