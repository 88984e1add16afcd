/**
 * Alert rules for a cluster, as tool-neutral data over the metrics of the rabbitmq_prometheus plugin (and HAProxy's,
 * where a Prometheus scrapes the load balancers too). The chart turns them into a PrometheusRule; VM bundles and
 * compose render them as a rules file. Each expression is scoped to this cluster through
 * `rabbitmq_identity_info{rabbitmq_cluster="<name>"}` (one series per node), and reads only metrics the cluster's
 * version exposes.
 */
import type { ResolvedCluster } from '../resolve';

export interface AlertRule {
  /** Alert name, CamelCase as Prometheus alerts usually are. */
  readonly name: string;
  /** PromQL expression; the alert fires while it returns series. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires. */
  readonly forSeconds: number;
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  readonly description: string;
}

export interface AlertRuleOptions {
  /**
   * The same Prometheus scrapes HAProxy's `/metrics` with the scrape jobs warren writes (label `warren_cluster`):
   * VM bundles and compose. The chart's Prometheus sees no HAProxy.
   * @default false
   */
  readonly haproxyScraped?: boolean;
  /**
   * Each TLS node host exports TLS_EXPIRY_METRIC through node_exporter's textfile collector (VM bundles install the
   * timer that writes it); RabbitMQ exports no certificate expiry itself.
   * @default false
   */
  readonly certificateExpiryExported?: boolean;
}

/**
 * notAfter of each certificate file a node uses, as Unix time, with labels rabbitmq_cluster, rabbitmq_node and path;
 * 0 when the file is missing or not a certificate (so that the alert fires).
 */
export const TLS_EXPIRY_METRIC = 'warren_tls_certificate_expiry_timestamp_seconds';

/**
 * One series per node of this cluster. /metrics/detailed (the dead-letter job) repeats rabbitmq_identity_info on the
 * same instance, and only 4.x tells them apart (rabbitmq_endpoint; 3.10.8 has no such label): counted raw, a node
 * counts twice, and a join on instance is many-to-many, which a real Prometheus refuses ("found duplicate series").
 */
function identityOf(cluster: ResolvedCluster, extra = ''): string {
  return `max by (instance, rabbitmq_cluster, rabbitmq_node) (rabbitmq_identity_info{rabbitmq_cluster="${cluster.name}"${extra}})`;
}

/** Joins a per-node metric with this cluster's identity, keeping only this cluster's nodes. */
function ofCluster(cluster: ResolvedCluster, metric: string): string {
  return `${metric} * on(instance) group_left(rabbitmq_cluster, rabbitmq_node) ${identityOf(cluster)}`;
}

/** A PromQL regular expression matching exactly these strings (inside a double-quoted label matcher). */
function exactly(values: readonly string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');
}

/**
 * Nodes that report metrics yet cannot reach peers Prometheus still reaches: more unreachable peers than nodes
 * missing from Prometheus's view, so a killed node (NodeDown) raises no partition. The node's own view lags a cut
 * by the Erlang tick time (45-75 s with the default net_ticktime 60; measured on 4.3.6).
 */
function partitionExpr(cluster: ResolvedCluster): string {
  const identity = identityOf(cluster);
  const seen = `count(${identity})`;
  if (cluster.features.unreachablePeersMetric) {
    return `max by (rabbitmq_node) (${ofCluster(cluster, 'rabbitmq_unreachable_cluster_peers_count')}) > on() group_left() (${cluster.nodes.length} - ${seen})`;
  }
  // erlang_vm_dist_node_state 3 = connection up; only links to this cluster's nodes count (CLI tools connect too).
  // A node with no link up has no series of its own: `or` gives it 0.
  const links = ofCluster(cluster, `erlang_vm_dist_node_state{peer=~"${exactly(cluster.nodes.map((n) => n.nodeName))}"}`);
  return `(count by (rabbitmq_node) (${links} == 3) or on(rabbitmq_node) (0 * max by (rabbitmq_node) (${identity}))) < on() group_left() (${seen} - 1)`;
}

/**
 * Nodes that report metrics while every HAProxy holds them DOWN in the client listens: the majority check found the
 * node cut off from most of its cluster (it keeps serving on its own), within seconds where the node's own view
 * lags the Erlang tick time. Server names are the nodes' hosts (haproxy/from-cluster.ts).
 */
function cutOffExpr(cluster: ResolvedCluster): string {
  return cluster.nodes
    .map((node) => {
      const down = `min by (server) (haproxy_server_status{warren_cluster="${cluster.name}",proxy=~"amqps?",server="${node.host}",state="DOWN"}) == 1`;
      return `(${down} and on() ${identityOf(cluster, `,rabbitmq_node="${node.nodeName}"`)})`;
    })
    .join(' or ');
}

export function alertRulesOf(cluster: ResolvedCluster, options: AlertRuleOptions = {}): AlertRule[] {
  const nodes = cluster.nodes.length;
  const identity = identityOf(cluster);
  const rules: AlertRule[] = [
    {
      name: 'RabbitmqNodeDown',
      expr: `(count(${identity}) or vector(0)) < ${nodes}`,
      forSeconds: 120,
      severity: 'critical',
      summary: `A node of RabbitMQ cluster ${cluster.name} is down`,
      description: `Fewer than ${nodes} nodes of cluster ${cluster.name} report metrics; quorum queues lose their majority if more fail.`,
    },
  ];
  if (nodes > 1) {
    const handling = cluster.partitionHandling.honoured
      ? `Mnesia: partition handling "${cluster.partitionHandling.mode}" applies`
      : 'Khepri: no node pauses; the minority side keeps serving but cannot commit quorum queue writes';
    rules.push({
      name: 'RabbitmqNetworkPartition',
      expr: partitionExpr(cluster),
      forSeconds: 60,
      severity: 'critical',
      summary: `Nodes of RabbitMQ cluster ${cluster.name} lost sight of each other`,
      description: `A running node cannot reach peers that are up: a network partition (${handling}).`,
    });
  }
  if (options.haproxyScraped && cluster.loadBalancer && cluster.majorityCheck && nodes > 1) {
    rules.push({
      name: 'RabbitmqNodeCutOff',
      expr: cutOffExpr(cluster),
      forSeconds: 60,
      severity: 'critical',
      summary: `A node of RabbitMQ cluster ${cluster.name} is cut off from the majority`,
      description: 'The node runs, but every HAProxy holds it out of rotation: its majority agent cannot reach more than half of the cluster (or the node does not serve clients). Its own clients get no confirms from quorum queues.',
    });
  }
  rules.push(
    {
      name: 'RabbitmqMemoryAlarm',
      expr: `max by (rabbitmq_node) (${ofCluster(cluster, 'rabbitmq_alarms_memory_used_watermark')}) > 0`,
      forSeconds: 0,
      severity: 'critical',
      summary: `Memory alarm on a node of RabbitMQ cluster ${cluster.name}`,
      description: 'The node is above its memory high watermark and blocks every publisher.',
    },
    {
      name: 'RabbitmqDiskAlarm',
      expr: `max by (rabbitmq_node) (${ofCluster(cluster, 'rabbitmq_alarms_free_disk_space_watermark')}) > 0`,
      forSeconds: 0,
      severity: 'critical',
      summary: `Disk alarm on a node of RabbitMQ cluster ${cluster.name}`,
      description: 'The node has less free disk than its disk_free_limit and blocks every publisher.',
    },
    {
      name: 'RabbitmqUnroutableMessages',
      expr:
        `sum(rate(rabbitmq_channel_messages_unroutable_dropped_total[5m]) * on(instance) group_left() ${identity})` +
        ` + sum(rate(rabbitmq_channel_messages_unroutable_returned_total[5m]) * on(instance) group_left() ${identity}) > 0`,
      forSeconds: 300,
      severity: 'warning',
      summary: `RabbitMQ cluster ${cluster.name} drops or returns unroutable messages`,
      description: 'Publishers send messages no binding matches: a missing queue or binding, or a wrong routing key.',
    },
  );
  if (options.certificateExpiryExported && cluster.tls) {
    const days = cluster.tls.expiryWarningDays;
    rules.push({
      name: 'RabbitmqTlsCertificateExpiresSoon',
      expr: `min by (rabbitmq_node, path) (${TLS_EXPIRY_METRIC}{rabbitmq_cluster="${cluster.name}"}) - time() < ${days * 86_400}`,
      forSeconds: 0,
      severity: 'warning',
      summary: `A TLS certificate of RabbitMQ cluster ${cluster.name} expires within ${days} days`,
      description:
        `The certificate file (label path) of the node (label rabbitmq_node) expires within ${days} days, has expired, or is missing or unreadable (exported as 0). ` +
        'Issue new material, put it in the bundle (warren synth) and run warren-rotate-certs.sh on each node: no restart, open connections stay.',
    });
  }
  const deadLetterQueues = cluster.topology.deadLetterQueues;
  if (deadLetterQueues.length > 0) {
    // Per-queue series come from /metrics/detailed?family=queue_coarse_metrics (the aggregated /metrics has none).
    const series = deadLetterQueues.map((q) => `rabbitmq_detailed_queue_messages{vhost="${q.vhost}",queue="${q.name}"}`);
    rules.push({
      name: 'RabbitmqDeadLetterQueueNotEmpty',
      expr: `max by (vhost, queue) (${series.map((s) => ofCluster(cluster, s)).join(' or ')}) > 0`,
      forSeconds: 300,
      severity: 'warning',
      summary: `Dead letters pile up in RabbitMQ cluster ${cluster.name}`,
      description: `A dead-letter queue of the topology (${deadLetterQueues.map((q) => `${q.vhost}/${q.name}`).join(', ')}) has held messages for 5 minutes: rejected, expired or over-delivered messages need attention.`,
    });
  }
  return rules;
}
