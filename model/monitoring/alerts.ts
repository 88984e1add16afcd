/**
 * Alert rules for a cluster, as tool-neutral data over the metrics of the rabbitmq_prometheus plugin.
 * The chart turns them into a PrometheusRule; other targets may render them for their own Prometheus.
 * Each expression is scoped to this cluster through `rabbitmq_identity_info{rabbitmq_cluster="<name>"}`.
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

/** Joins a per-node metric with this cluster's identity, keeping only this cluster's nodes. */
function ofCluster(cluster: ResolvedCluster, metric: string): string {
  return `${metric} * on(instance) group_left(rabbitmq_cluster, rabbitmq_node) rabbitmq_identity_info{rabbitmq_cluster="${cluster.name}"}`;
}

export function alertRulesOf(cluster: ResolvedCluster): AlertRule[] {
  const nodes = cluster.nodes.length;
  const identity = `rabbitmq_identity_info{rabbitmq_cluster="${cluster.name}"}`;
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
  if (cluster.partitionHandling.honoured && nodes > 1) {
    rules.push({
      name: 'RabbitmqNetworkPartition',
      // erlang_vm_dist_node_state 3 = connection up; a full mesh has nodes × (nodes - 1) of them.
      expr: `count(${ofCluster(cluster, 'erlang_vm_dist_node_state')} == 3) < ${nodes * (nodes - 1)}`,
      forSeconds: 60,
      severity: 'critical',
      summary: `Nodes of RabbitMQ cluster ${cluster.name} lost sight of each other`,
      description: `Inter-node links are down: a network partition that partition handling "${cluster.partitionHandling.mode}" will act on.`,
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
