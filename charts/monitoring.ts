/**
 * prometheus-operator objects. cdk8s-plus has no types for these CRDs, so they are plain ApiObjects:
 * a ServiceMonitor that scrapes every node through the headless Service (never one address for all),
 * and a PrometheusRule carrying the model's alert rules.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { clientServiceHostName, listenersOfFamily, prometheusRuleGroupsOf, type ResolvedCluster } from '../model/internal';
import { TLS_KEYS } from './stateful-set';
import { labelsOf, selectorOf } from './labels';

export const PROMETHEUS_OPERATOR_API = 'monitoring.coreos.com/v1';

export class NodesServiceMonitor extends Construct {
  constructor(scope: Construct, id: string, props: { readonly cluster: ResolvedCluster }) {
    super(scope, id);
    const { cluster } = props;
    const { kubernetes: k8sTarget } = cluster;
    new ApiObject(this, 'Resource', {
      apiVersion: PROMETHEUS_OPERATOR_API,
      kind: 'ServiceMonitor',
      metadata: { name: cluster.name, namespace: k8sTarget.namespace, labels: labelsOf(cluster, 'monitoring') },
      spec: {
        selector: { matchLabels: { ...selectorOf(cluster), 'app.kubernetes.io/component': 'nodes' } },
        namespaceSelector: { matchNames: [k8sTarget.namespace] },
        endpoints: [{ ...metricsEndpoint(cluster), path: '/metrics', interval: '15s', scrapeTimeout: '10s' }, ...deadLetterEndpoints(cluster)],
      },
    });
  }
}

/**
 * The nodes' metrics port: the plain one while they keep it, else TLS, verified against the CA in the TLS Secret
 * (`ca.crt`) under the client Service's name, which every node's certificate carries (model/tls/dialled.ts).
 */
function metricsEndpoint(cluster: ResolvedCluster): Record<string, unknown> {
  const { plain, tls } = listenersOfFamily(cluster.listeners, 'prometheus');
  if (plain || !tls) return { port: 'prometheus' };
  const { kubernetes: k8sTarget } = cluster;
  return {
    port: tls.name,
    scheme: 'https',
    tlsConfig: { ca: { secret: { name: k8sTarget.names.tlsSecret, key: TLS_KEYS.caCertificate } }, serverName: clientServiceHostName(k8sTarget) },
  };
}

/**
 * The dead-letter alerts read per-queue series, which only /metrics/detailed serves: scrape it for the
 * virtual hosts that hold dead-letter queues, at a gentler pace than the aggregated metrics.
 */
function deadLetterEndpoints(cluster: ResolvedCluster): Record<string, unknown>[] {
  const vhosts = [...new Set(cluster.topology.deadLetterQueues.map((q) => q.vhost))].sort();
  if (vhosts.length === 0) return [];
  return [{ ...metricsEndpoint(cluster), path: '/metrics/detailed', params: { family: ['queue_coarse_metrics'], vhost: vhosts }, interval: '30s', scrapeTimeout: '10s' }];
}

export class ClusterPrometheusRule extends Construct {
  constructor(scope: Construct, id: string, props: { readonly cluster: ResolvedCluster }) {
    super(scope, id);
    const { cluster } = props;
    new ApiObject(this, 'Resource', {
      apiVersion: PROMETHEUS_OPERATOR_API,
      kind: 'PrometheusRule',
      metadata: { name: cluster.name, namespace: cluster.kubernetes.namespace, labels: labelsOf(cluster, 'monitoring') },
      // The same groups as the rules file VM and compose users load into their own Prometheus.
      spec: { groups: prometheusRuleGroupsOf(cluster) },
    });
  }
}
