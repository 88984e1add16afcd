/**
 * What a Prometheus outside Kubernetes needs for a cluster: a rules file rendered from `alertRulesOf` (the same
 * data as the chart's PrometheusRule) and the scrape jobs of every node's metrics endpoint and HAProxy's
 * `/metrics`. Typed structure first, YAML last; the caller says at which addresses its Prometheus reaches them.
 */
import { stringify } from 'yaml';
import { listenersOfFamily, type Listener } from '../cluster/listeners';
import type { ResolvedCluster, ResolvedNode } from '../resolve';
import { alertRulesOf, type AlertRuleOptions } from './alerts';

/** One group of a Prometheus rules file (`promtool check rules` format). */
export interface PrometheusRuleGroup {
  readonly name: string;
  readonly rules: readonly {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly labels: { readonly severity: string };
    readonly annotations: { readonly summary: string; readonly description: string };
  }[];
}

/** One job of `scrape_configs`, in Prometheus's own key names. */
export interface PrometheusScrapeJob {
  readonly job_name: string;
  readonly metrics_path: string;
  readonly params?: Readonly<Record<string, readonly string[]>>;
  readonly scrape_interval: string;
  readonly scrape_timeout: string;
  readonly basic_auth?: { readonly username: string; readonly password_file: string };
  /** `https` for nodes whose metrics listen over TLS only. @default "http" */
  readonly scheme?: 'https';
  readonly tls_config?: { readonly ca_file: string };
  readonly static_configs: readonly { readonly targets: readonly string[]; readonly labels: Readonly<Record<string, string>> }[];
}

/** Where the operator's Prometheus reaches each endpoint; targets differ (VM addresses, compose's published ports). */
export interface ScrapeAddressing {
  /** `host:port` of a node's metrics listener (`prometheus`, or `prometheus-tls` when the plain one is off). */
  readonly nodeTarget: (node: ResolvedNode, listener: Listener) => string;
  /** `host:port` of each HAProxy's stats listener (which serves `/metrics`). */
  readonly haproxyTargets: (statsPort: number) => readonly string[];
  /** A file the operator places on the Prometheus host holding the HAProxy stats user's password; never a literal secret. */
  readonly haproxyPasswordFile: string;
}

/** The rules file's name in every bundle, and where the README tells the operator to place the password. */
export const PROMETHEUS_RULES_FILE = 'rabbitmq-rules.yml';
export const PROMETHEUS_SCRAPE_FILE = 'scrape-configs.yml';
export const haproxyPasswordFileOf = (cluster: ResolvedCluster) => `/etc/prometheus/warren/${cluster.name}-haproxy-stats.password`;
/** Where the operator places the nodes' CA certificate on the Prometheus host, when metrics are served over TLS only. */
export const scrapeCaFileOf = (cluster: ResolvedCluster) => `/etc/prometheus/warren/${cluster.name}-ca.pem`;

export function prometheusRuleGroupsOf(cluster: ResolvedCluster, options: AlertRuleOptions = {}): PrometheusRuleGroup[] {
  return [
    {
      name: `rabbitmq-${cluster.name}`,
      rules: alertRulesOf(cluster, options).map((rule) => ({
        alert: rule.name,
        expr: rule.expr,
        for: `${rule.forSeconds}s`,
        labels: { severity: rule.severity },
        annotations: { summary: rule.summary, description: rule.description },
      })),
    },
  ];
}

export function prometheusScrapeJobsOf(cluster: ResolvedCluster, addressing: ScrapeAddressing): PrometheusScrapeJob[] {
  // Not rabbitmq_cluster: a target label of the same name would rename the one the alerts join on to exported_rabbitmq_cluster.
  const labels = { warren_cluster: cluster.name };
  const jobs: PrometheusScrapeJob[] = [];
  // The plain listener while the nodes keep one; else TLS, verified against the nodes' CA (rules.ts demands one).
  const family = listenersOfFamily(cluster.listeners, 'prometheus');
  const prometheus = family.plain ?? family.tls;
  if (prometheus) {
    const targets = cluster.nodes.map((node) => addressing.nodeTarget(node, prometheus));
    const tls = prometheus.tls ? ({ scheme: 'https', tls_config: { ca_file: scrapeCaFileOf(cluster) } } as const) : {};
    jobs.push({
      job_name: `rabbitmq-${cluster.name}`,
      ...tls,
      metrics_path: '/metrics',
      scrape_interval: '15s',
      scrape_timeout: '10s',
      static_configs: [{ targets, labels }],
    });
    const deadLetterQueues = cluster.topology.deadLetterQueues;
    if (deadLetterQueues.length > 0) {
      // The dead-letter alert reads per-queue depths, which only /metrics/detailed serves (the chart scrapes the same).
      jobs.push({
        job_name: `rabbitmq-${cluster.name}-dead-letters`,
        ...tls,
        metrics_path: '/metrics/detailed',
        params: { family: ['queue_coarse_metrics'], vhost: [...new Set(deadLetterQueues.map((q) => q.vhost))] },
        scrape_interval: '30s',
        scrape_timeout: '10s',
        static_configs: [{ targets, labels }],
      });
    }
  }
  const lb = cluster.loadBalancer;
  if (lb) {
    jobs.push({
      job_name: `haproxy-${cluster.name}`,
      metrics_path: lb.haproxy.metricsPath,
      scrape_interval: '15s',
      scrape_timeout: '10s',
      // HAProxy serves /metrics only to its stats user (haproxy/from-cluster.ts).
      basic_auth: { username: lb.haproxy.statsUser, password_file: addressing.haproxyPasswordFile },
      static_configs: [{ targets: addressing.haproxyTargets(lb.haproxy.statsPort), labels }],
    });
  }
  return jobs;
}

/** Where the scrape jobs come from prometheusScrapeJobsOf: HAProxy's /metrics is scraped wherever there is a load balancer. */
export const hostRuleOptions = (cluster: ResolvedCluster): AlertRuleOptions => ({ haproxyScraped: cluster.loadBalancer !== undefined });

// No anchors and aliases: jobs that share a target list read as plainly as those that do not.
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** VM bundles also install warren-tls-expiry on TLS node hosts (vm/tls-expiry.ts), for node_exporter's textfile collector. */
export const vmRuleOptions = (cluster: ResolvedCluster): AlertRuleOptions => ({ ...hostRuleOptions(cluster), certificateExpiryExported: cluster.tls !== undefined });

/** The rules file of VM bundles (vmRuleOptions) and compose (hostRuleOptions), whose scrape jobs (prometheusScrapeJobsOf) include HAProxy's. */
export function renderPrometheusRules(cluster: ResolvedCluster, options: AlertRuleOptions = hostRuleOptions(cluster)): string {
  return (
    `# Prometheus alert rules for RabbitMQ cluster "${cluster.name}". Generated by warren; edit the spec, not this file.\n` +
    `# Load it with rule_files: in prometheus.yml; promtool check rules ${PROMETHEUS_RULES_FILE}\n` +
    stringify({ groups: prometheusRuleGroupsOf(cluster, options) }, YAML_OPTIONS)
  );
}

export function renderPrometheusScrapeConfigs(cluster: ResolvedCluster, addressing: ScrapeAddressing): string {
  const jobs = prometheusScrapeJobsOf(cluster, addressing);
  const lb = cluster.loadBalancer;
  return (
    `# Prometheus scrape jobs for RabbitMQ cluster "${cluster.name}". Generated by warren; edit the spec, not this file.\n` +
    '# Prometheus 2.43+: list this file under scrape_config_files:; older: copy the jobs into scrape_configs: of prometheus.yml.\n' +
    (lb ? `# The HAProxy job reads the stats user's password from ${addressing.haproxyPasswordFile}: place it there (mode 0640, group prometheus).\n` : '') +
    (jobs.some((job) => job.tls_config) ? `# The nodes serve metrics over TLS only: place their CA certificate at ${scrapeCaFileOf(cluster)}.\n` : '') +
    stringify({ scrape_configs: jobs }, YAML_OPTIONS)
  );
}

/** Where a Prometheus that runs beside the cluster sends its alerts: `host:port` of each Alertmanager. */
export interface PrometheusConfigOptions {
  /** @default - none: alerts show in Prometheus only */
  readonly alertmanagers?: readonly string[];
}

/**
 * A whole prometheus.yml for a Prometheus run by warren (the compose service): the same scrape jobs and rules file as
 * for your own Prometheus, the rules file named relative to this file (Prometheus resolves it from the config's folder).
 */
export function renderPrometheusConfig(cluster: ResolvedCluster, addressing: ScrapeAddressing, options: PrometheusConfigOptions = {}): string {
  const alertmanagers = options.alertmanagers ?? [];
  const config = {
    global: { scrape_interval: '15s', evaluation_interval: '15s' },
    rule_files: [PROMETHEUS_RULES_FILE],
    ...(alertmanagers.length > 0 && { alerting: { alertmanagers: [{ static_configs: [{ targets: alertmanagers }] }] } }),
    scrape_configs: prometheusScrapeJobsOf(cluster, addressing),
  };
  return (
    `# prometheus.yml for RabbitMQ cluster "${cluster.name}". Generated by warren; edit the spec, not this file.\n` +
    `# The jobs and rules are those of ${PROMETHEUS_SCRAPE_FILE} and ${PROMETHEUS_RULES_FILE}, with the compose services as targets.\n` +
    stringify(config, YAML_OPTIONS)
  );
}
