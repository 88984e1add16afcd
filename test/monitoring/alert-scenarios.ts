/**
 * Input series for `promtool test rules`, one scenario per alert of `alertRulesOf`: the series a healthy cluster
 * exposes, and the same series where one thing goes wrong at FAULT_MINUTE. Series are built from the cluster
 * (its nodes, name, dead-letter queues), so they are what the scrape jobs would collect for this cluster.
 */
import type { AlertRule, ResolvedCluster } from '../../model';

/** Minutes of input (one sample a minute); the fault starts at FAULT_MINUTE and lasts to the end. */
export const SERIES_MINUTES = 40;
export const FAULT_MINUTE = 5;

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface AlertScenario {
  readonly healthy: readonly InputSeries[];
  readonly failing: readonly InputSeries[];
  /** Labels the firing alert carries besides alertname and severity. */
  readonly firingLabels: Readonly<Record<string, string>>;
}

const steady = (value: number) => `${value}x${SERIES_MINUTES}`;
/** `before` until FAULT_MINUTE, then `after`. */
const stepAt = (before: number, after: number) => `${before}x${FAULT_MINUTE - 1} ${after}x${SERIES_MINUTES - FAULT_MINUTE}`;

function selector(metric: string, labels: Record<string, string>): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

const instanceOf = (cluster: ResolvedCluster, index: number) => `${cluster.nodes[index]!.host}:15692`;

/** rabbitmq_identity_info of every node, as the rabbitmq_prometheus plugin exposes it. */
function identities(cluster: ResolvedCluster, values: (index: number) => string): InputSeries[] {
  return cluster.nodes.map((node, i) => ({
    series: selector('rabbitmq_identity_info', {
      job: 'rabbitmq',
      instance: instanceOf(cluster, i),
      rabbitmq_cluster: cluster.name,
      rabbitmq_node: node.nodeName,
      rabbitmq_endpoint: 'metrics',
    }),
    values: values(i),
  }));
}

const allUp = (cluster: ResolvedCluster) => identities(cluster, () => steady(1));

/** One gauge per node, where the last node's value steps from `healthy` to `failing` at the fault. */
function perNode(cluster: ResolvedCluster, metric: string, healthy: number, failing?: number): InputSeries[] {
  const last = cluster.nodes.length - 1;
  return cluster.nodes.map((_, i) => ({
    series: selector(metric, { job: 'rabbitmq', instance: instanceOf(cluster, i) }),
    values: failing !== undefined && i === last ? stepAt(healthy, failing) : steady(healthy),
  }));
}

const lastNodeName = (cluster: ResolvedCluster) => cluster.nodes[cluster.nodes.length - 1]!.nodeName;

type ScenarioOf = (cluster: ResolvedCluster) => AlertScenario;

/** Every alert warren emits needs one; the test fails for an alert without a scenario. */
export const SCENARIOS: Readonly<Record<string, ScenarioOf>> = {
  // The last node stops reporting (a stale marker, as Prometheus writes when a scrape fails).
  RabbitmqNodeDown: (cluster) => ({
    healthy: allUp(cluster),
    failing: identities(cluster, (i) => (i === cluster.nodes.length - 1 ? `1x${FAULT_MINUTE - 1} stale` : steady(1))),
    firingLabels: {},
  }),
  // The last node loses its link to the first: its erlang_vm_dist_node_state for that peer leaves 3 (up).
  RabbitmqNetworkPartition: (cluster) => {
    const links = (fault: boolean): InputSeries[] =>
      cluster.nodes.flatMap((node, i) =>
        cluster.nodes
          .filter((peer) => peer !== node)
          .map((peer) => ({
            series: selector('erlang_vm_dist_node_state', { job: 'rabbitmq', instance: instanceOf(cluster, i), peer: peer.nodeName }),
            values: fault && i === cluster.nodes.length - 1 && peer === cluster.nodes[0] ? stepAt(3, 1) : steady(3),
          })),
      );
    return { healthy: [...allUp(cluster), ...links(false)], failing: [...allUp(cluster), ...links(true)], firingLabels: {} };
  },
  RabbitmqMemoryAlarm: (cluster) => ({
    healthy: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_memory_used_watermark', 0)],
    failing: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_memory_used_watermark', 0, 1)],
    firingLabels: { rabbitmq_node: lastNodeName(cluster) },
  }),
  RabbitmqDiskAlarm: (cluster) => ({
    healthy: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_free_disk_space_watermark', 0)],
    failing: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_free_disk_space_watermark', 0, 1)],
    firingLabels: { rabbitmq_node: lastNodeName(cluster) },
  }),
  // Counters: flat while healthy; the last node drops 10 unroutable messages a minute from the fault on.
  RabbitmqUnroutableMessages: (cluster) => {
    const counters = (fault: boolean): InputSeries[] =>
      cluster.nodes.flatMap((_, i) => [
        {
          series: selector('rabbitmq_channel_messages_unroutable_dropped_total', { job: 'rabbitmq', instance: instanceOf(cluster, i) }),
          values: fault && i === cluster.nodes.length - 1 ? `0x${FAULT_MINUTE - 1} 10+10x${SERIES_MINUTES - FAULT_MINUTE}` : steady(0),
        },
        {
          series: selector('rabbitmq_channel_messages_unroutable_returned_total', { job: 'rabbitmq', instance: instanceOf(cluster, i) }),
          values: steady(0),
        },
      ]);
    return { healthy: [...allUp(cluster), ...counters(false)], failing: [...allUp(cluster), ...counters(true)], firingLabels: {} };
  },
  // The first dead-letter queue, led by the first node, receives 5 messages at the fault.
  RabbitmqDeadLetterQueueNotEmpty: (cluster) => {
    const [queue] = cluster.topology.deadLetterQueues;
    if (!queue) throw new Error(`cluster "${cluster.name}" has no dead-letter queue, yet emits the dead-letter alert`);
    const depth = (fault: boolean): InputSeries[] =>
      cluster.topology.deadLetterQueues.map((q) => ({
        series: selector('rabbitmq_detailed_queue_messages', { job: 'rabbitmq-dead-letters', instance: instanceOf(cluster, 0), vhost: q.vhost, queue: q.name }),
        values: fault && q === queue ? stepAt(0, 5) : steady(0),
      }));
    return {
      healthy: [...allUp(cluster), ...depth(false)],
      failing: [...allUp(cluster), ...depth(true)],
      firingLabels: { vhost: queue.vhost, queue: queue.name },
    };
  },
};

/** One `promtool test rules` file: for each alert, its healthy and failing inputs checked before and after `for`. */
export function promtoolTestsOf(cluster: ResolvedCluster, rules: readonly AlertRule[], rulesFile: string): object {
  const minutes = (seconds: number) => Math.ceil(seconds / 60);
  return {
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: rules.flatMap((rule) => {
      const scenario = SCENARIOS[rule.name]!(cluster);
      const firing = [{ exp_labels: { severity: rule.severity, ...scenario.firingLabels }, exp_annotations: { summary: rule.summary, description: rule.description } }];
      // Counters need a rate window of samples; past that, the fault has held for `for` plus a minute.
      const firesAt = FAULT_MINUTE + minutes(rule.forSeconds) + 1;
      const lastMinute = SERIES_MINUTES - 1;
      return [
        {
          name: `${rule.name}: a healthy cluster raises nothing`,
          interval: '1m',
          input_series: scenario.healthy,
          alert_rule_test: [FAULT_MINUTE, firesAt, lastMinute].map((m) => ({ eval_time: `${m}m`, alertname: rule.name, exp_alerts: [] })),
        },
        {
          name: `${rule.name}: fires once the fault has lasted ${rule.forSeconds}s`,
          interval: '1m',
          input_series: scenario.failing,
          alert_rule_test: [
            { eval_time: `${FAULT_MINUTE - 1}m`, alertname: rule.name, exp_alerts: [] },
            // Before `for` has passed the alert is only pending, which promtool lists as no alert.
            ...(rule.forSeconds >= 60 ? [{ eval_time: `${FAULT_MINUTE + minutes(rule.forSeconds) - 1}m`, alertname: rule.name, exp_alerts: [] }] : []),
            { eval_time: `${firesAt}m`, alertname: rule.name, exp_alerts: firing },
            { eval_time: `${lastMinute}m`, alertname: rule.name, exp_alerts: firing },
          ],
        },
      ];
    }),
  };
}
