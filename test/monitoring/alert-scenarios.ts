/**
 * Input series for `promtool test rules`, one scenario per alert of `alertRulesOf`: the series a healthy cluster
 * exposes, and the same series where one thing goes wrong at FAULT_MINUTE. Series are built from the cluster
 * (its nodes, name, dead-letter queues), so they are what the scrape jobs would collect for this cluster.
 */
import { TLS_EXPIRY_METRIC, type AlertRule, type ResolvedCluster } from '../../model';

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
  /** Labels of each firing alert besides alertname and severity: one entry per alert. */
  readonly firing: readonly Readonly<Record<string, string>>[];
  /** Another fault's series that must not raise this alert (e.g. a killed node is no partition). */
  readonly silentOn?: readonly InputSeries[];
}

const steady = (value: number) => `${value}x${SERIES_MINUTES}`;
/** `before` until FAULT_MINUTE, then `after`. */
const stepAt = (before: number, after: number) => `${before}x${FAULT_MINUTE - 1} ${after}x${SERIES_MINUTES - FAULT_MINUTE}`;
/** `value` until FAULT_MINUTE, then no sample (a stale marker, as Prometheus writes when a scrape fails). */
const goneAt = (value: number) => `${value}x${FAULT_MINUTE - 1} stale`;

function selector(metric: string, labels: Record<string, string>): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

const instanceOf = (cluster: ResolvedCluster, index: number) => `${cluster.nodes[index]!.host}:15692`;
const lastIndex = (cluster: ResolvedCluster) => cluster.nodes.length - 1;
const isLast = (cluster: ResolvedCluster, index: number) => index === lastIndex(cluster);

/**
 * rabbitmq_identity_info of every node, as the rabbitmq_prometheus plugin exposes it; where the dead-letter job
 * scrapes /metrics/detailed too, the same node also reports it there. 4.x labels the endpoint (4.0.5 and 4.3.6:
 * "aggregated", "detailed"); 3.10.8 does not, so its two series differ only by job.
 */
function identities(cluster: ResolvedCluster, values: (index: number) => string): InputSeries[] {
  const labelsEndpoint = cluster.version.major >= 4;
  const endpoints: [job: string, endpoint: string][] = [['rabbitmq', 'aggregated'], ...(cluster.topology.deadLetterQueues.length > 0 ? [['rabbitmq-dead-letters', 'detailed'] as [string, string]] : [])];
  return cluster.nodes.flatMap((node, i) =>
    endpoints.map(([job, endpoint]) => ({
      series: selector('rabbitmq_identity_info', {
        job,
        instance: instanceOf(cluster, i),
        rabbitmq_cluster: cluster.name,
        rabbitmq_node: node.nodeName,
        ...(labelsEndpoint && { rabbitmq_endpoint: endpoint }),
      }),
      values: values(i),
    })),
  );
}

const allUp = (cluster: ResolvedCluster) => identities(cluster, () => steady(1));

/** One gauge per node, where the last node's value steps from `healthy` to `failing` at the fault. */
function perNode(cluster: ResolvedCluster, metric: string, healthy: number, failing?: number): InputSeries[] {
  return cluster.nodes.map((_, i) => ({
    series: selector(metric, { job: 'rabbitmq', instance: instanceOf(cluster, i) }),
    values: failing !== undefined && isLast(cluster, i) ? stepAt(healthy, failing) : steady(healthy),
  }));
}

/** What each node says of its peers: the 4.x count (`p` = -1), or each link's state (`p` = the peer). */
function peerViews(cluster: ResolvedCluster, values: (i: number, peer: number) => string): InputSeries[] {
  if (cluster.features.unreachablePeersMetric) {
    return cluster.nodes.map((_, i) => ({
      series: selector('rabbitmq_unreachable_cluster_peers_count', { job: 'rabbitmq', instance: instanceOf(cluster, i) }),
      values: values(i, -1),
    }));
  }
  return cluster.nodes.flatMap((_, i) =>
    cluster.nodes.flatMap((peer, p) =>
      p === i ? [] : [{ series: selector('erlang_vm_dist_node_state', { job: 'rabbitmq', instance: instanceOf(cluster, i), peer: peer.nodeName }), values: values(i, p) }],
    ),
  );
}

/** Healthy links everywhere; from the fault on, `cut(i, p)` says which links are gone (a count for the 4.x metric). */
function links(cluster: ResolvedCluster, cut: (i: number, p: number) => boolean): InputSeries[] {
  return peerViews(cluster, (i, p) => {
    if (p >= 0) return cut(i, p) ? stepAt(3, 1) : steady(3);
    const unreachable = cluster.nodes.filter((_, q) => q !== i && cut(i, q)).length;
    return unreachable > 0 ? stepAt(0, unreachable) : steady(0);
  });
}

/** HAProxy's view of every node on every load balancer; `down` nodes go DOWN at the fault. */
function haproxyStates(cluster: ResolvedCluster, down: (i: number) => boolean): InputSeries[] {
  const lbs = cluster.loadBalancer?.hosts.map((h) => h.host) ?? [];
  return (lbs.length > 0 ? lbs : ['haproxy']).flatMap((lb) =>
    cluster.nodes.flatMap((node, i) =>
      (['UP', 'DOWN'] as const).map((state) => ({
        series: selector('haproxy_server_status', { job: 'haproxy', instance: `${lb}:8404`, warren_cluster: cluster.name, proxy: 'amqp', server: node.host, state }),
        values: down(i) ? (state === 'DOWN' ? stepAt(0, 1) : stepAt(1, 0)) : steady(state === 'UP' ? 1 : 0),
      })),
    ),
  );
}

/**
 * The last node killed: it stops reporting, its peers lose their links to it (the 4.x metric counts it unreachable,
 * 3.x drops the link's series), every HAProxy marks it DOWN.
 */
function killedLastNode(cluster: ResolvedCluster): InputSeries[] {
  const last = lastIndex(cluster);
  const views = peerViews(cluster, (i, p) => {
    if (i === last) return goneAt(p < 0 ? 0 : 3);
    if (p < 0) return stepAt(0, 1);
    return p === last ? goneAt(3) : steady(3);
  });
  return [...identities(cluster, (i) => (i === last ? goneAt(1) : steady(1))), ...views, ...haproxyStates(cluster, (i) => i === last)];
}

const lastNodeName = (cluster: ResolvedCluster) => cluster.nodes[lastIndex(cluster)]!.nodeName;

type ScenarioOf = (cluster: ResolvedCluster) => AlertScenario;

/**
 * warren-tls-expiry's series on every TLS node host (node_exporter, port 9100): the server certificate and the CA. The
 * last node's certificate has notAfter = the warning threshold + FAULT_MINUTE minutes, so time() crosses the threshold
 * at the fault; the others' lie a day further. Another cluster's expired certificate must not raise this cluster's alert.
 */
function certificateExpiry(cluster: ResolvedCluster, crossesAtFault: boolean, clusterName = cluster.name, value?: number): InputSeries[] {
  const threshold = cluster.tls!.expiryWarningDays * 86_400;
  const paths = ['/etc/rabbitmq/tls/server_certificate.pem', ...(cluster.tls!.caCertificate ? ['/etc/rabbitmq/tls/ca_certificate.pem'] : [])];
  return cluster.nodes.flatMap((node, i) =>
    paths.map((path) => ({
      series: selector(TLS_EXPIRY_METRIC, { job: 'node', instance: `${node.host}:9100`, rabbitmq_cluster: clusterName, rabbitmq_node: node.nodeName, path }),
      values: steady(value ?? (crossesAtFault && isLast(cluster, i) && path === paths[0] ? threshold + FAULT_MINUTE * 60 : threshold + 86_400)),
    })),
  );
}

/** Every alert warren emits needs one; the test fails for an alert without a scenario. */
export const SCENARIOS: Readonly<Record<string, ScenarioOf>> = {
  RabbitmqNodeDown: (cluster) => ({
    healthy: allUp(cluster),
    failing: killedLastNode(cluster),
    firing: [{}],
  }),
  // The last node is cut off from its peers (Prometheus still reaches it): every node misses a peer that is up.
  RabbitmqNetworkPartition: (cluster) => {
    const cut = (i: number, p: number) => isLast(cluster, i) !== isLast(cluster, p);
    return {
      healthy: [...allUp(cluster), ...links(cluster, () => false)],
      failing: [...allUp(cluster), ...links(cluster, cut)],
      firing: cluster.nodes.map((node) => ({ rabbitmq_node: node.nodeName })),
      silentOn: killedLastNode(cluster),
    };
  },
  // Every HAProxy holds the last node DOWN while it still reports metrics.
  RabbitmqNodeCutOff: (cluster) => ({
    healthy: [...allUp(cluster), ...haproxyStates(cluster, () => false)],
    failing: [...allUp(cluster), ...haproxyStates(cluster, (i) => isLast(cluster, i))],
    firing: [{ server: cluster.nodes[lastIndex(cluster)]!.host }],
    silentOn: killedLastNode(cluster),
  }),
  RabbitmqMemoryAlarm: (cluster) => ({
    healthy: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_memory_used_watermark', 0)],
    failing: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_memory_used_watermark', 0, 1)],
    firing: [{ rabbitmq_node: lastNodeName(cluster) }],
  }),
  RabbitmqDiskAlarm: (cluster) => ({
    healthy: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_free_disk_space_watermark', 0)],
    failing: [...allUp(cluster), ...perNode(cluster, 'rabbitmq_alarms_free_disk_space_watermark', 0, 1)],
    firing: [{ rabbitmq_node: lastNodeName(cluster) }],
  }),
  // Counters: flat while healthy; the last node drops 10 unroutable messages a minute from the fault on.
  RabbitmqUnroutableMessages: (cluster) => {
    const counters = (fault: boolean): InputSeries[] =>
      cluster.nodes.flatMap((_, i) => [
        {
          series: selector('rabbitmq_channel_messages_unroutable_dropped_total', { job: 'rabbitmq', instance: instanceOf(cluster, i) }),
          values: fault && isLast(cluster, i) ? `0x${FAULT_MINUTE - 1} 10+10x${SERIES_MINUTES - FAULT_MINUTE}` : steady(0),
        },
        {
          series: selector('rabbitmq_channel_messages_unroutable_returned_total', { job: 'rabbitmq', instance: instanceOf(cluster, i) }),
          values: steady(0),
        },
      ]);
    return { healthy: [...allUp(cluster), ...counters(false)], failing: [...allUp(cluster), ...counters(true)], firing: [{}] };
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
      firing: [{ vhost: queue.vhost, queue: queue.name }],
    };
  },
  RabbitmqTlsCertificateExpiresSoon: (cluster) => ({
    healthy: certificateExpiry(cluster, false),
    failing: certificateExpiry(cluster, true),
    firing: [{ rabbitmq_node: lastNodeName(cluster), path: '/etc/rabbitmq/tls/server_certificate.pem' }],
    silentOn: [...certificateExpiry(cluster, false), ...certificateExpiry(cluster, false, 'other', 0)],
  }),
};

/** One `promtool test rules` file: for each alert, its healthy and failing inputs checked before and after `for`. */
export function promtoolTestsOf(cluster: ResolvedCluster, rules: readonly AlertRule[], rulesFile: string): object {
  const minutes = (seconds: number) => Math.ceil(seconds / 60);
  return {
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: rules.flatMap((rule) => {
      const scenario = SCENARIOS[rule.name]!(cluster);
      const firing = scenario.firing.map((labels) => ({ exp_labels: { severity: rule.severity, ...labels }, exp_annotations: { summary: rule.summary, description: rule.description } }));
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
        ...(scenario.silentOn
          ? [
              {
                name: `${rule.name}: another fault raises nothing`,
                interval: '1m',
                input_series: scenario.silentOn,
                alert_rule_test: [firesAt, lastMinute].map((m) => ({ eval_time: `${m}m`, alertname: rule.name, exp_alerts: [] })),
              },
            ]
          : []),
      ];
    }),
  };
}
