/**
 * warren's public model (`warren/model`): the spec, its validation and resolution, the resolved cluster's
 * types, secret references and the shared renderers. What only warren's own targets use lives in
 * `internal.ts`, outside the package's exports.
 */

// The spec: what a user writes, its schema, validation and documentation.
export { clusterSpecSchema, type ClusterSpec, type ParsedSpec, type QueueType, type PartitionHandlingMode } from './spec';
export { DEFAULT_SPEC } from './defaults';
export { validateSpec, type Validation } from './validate';
export { formatProblem, SpecError, type Problem } from './core/problems';
export { WarrenUserError, type UserErrorExitCode } from './core/user-error';
export { specJsonSchema } from './render/json-schema';
export { renderSpecReference } from './render/spec-reference';

// The resolved cluster every target reads.
export { resolveCluster, type ResolvedCluster, type ResolvedNode, type ResolvedPorts, type ResourceLimit } from './resolve';
export { applicationListenerOf, LISTENER_PORT_KEYS, listenerNamed, listenersOfFamily, managementListenerOf, type Listener, type ListenerFamily, type ListenerName } from './cluster/listeners';
export type { ResolvedMajorityCheck } from './cluster/majority-check';
export { SUPPORTED_LINES, type MetadataStore, type RabbitmqVersion, type VersionFeatures, type VersionLine } from './rabbitmq/version';
export type { ResolvedHaproxy, ResolvedKeepalived, ResolvedLoadBalancer, ResolvedLoadBalancerHost } from './load-balancer/resolve';
export type { ResolvedKubernetes } from './kubernetes/resolve';
export type { ResolvedNodeTls, ResolvedTls, TlsPaths } from './tls/resolve';
export type { ResolvedFirewall } from './firewall/resolve';
export { hostFirewallsOf, type FirewallAllow, type FirewallMatch, type HostFirewall, type PortRange } from './firewall/host-rules';
export type { ConnectionRef, ResolvedQueue, ResolvedTopology } from './topology/resolve';
export type { ResolvedReliability, ResolvedReliableQueue } from './topology/reliability';

// Secrets: references, where values come from, which target needs which.
export { type SecretConsumer, type SecretRef, type SecretSource, type SecretValues } from './secrets/secrets';
export { secretValueRules } from './secrets/value-rules';
export { secretsOfTarget, type SecretTarget } from './secrets/targets';
export { secretsStoreLocation, type SecretsStoreLocation } from './secrets/store-location';

// Renderers shared by several targets, and the alert rules.
export type { GeneratedFile } from './core/files';
export { renderRabbitmqConf, type RabbitmqConfOptions } from './render/rabbitmq-conf';
export { renderEnabledPlugins } from './render/enabled-plugins';
export { INTER_NODE_TLS_FILE, renderInterNodeTlsConfig } from './tls/inter-node';
export { renderDefinitions, type Definitions } from './render/definitions';
export { alertRulesOf, TLS_EXPIRY_METRIC, type AlertRule, type AlertRuleOptions } from './monitoring/alerts';
export { ALERTMANAGER_CONFIG_FILE, renderAlertmanagerConfig } from './monitoring/alertmanager';
export type { ResolvedComposeMonitoring } from './monitoring/compose-services';
export {
  PROMETHEUS_RULES_FILE,
  PROMETHEUS_SCRAPE_FILE,
  haproxyPasswordFileOf,
  scrapeCaFileOf,
  hostRuleOptions,
  vmRuleOptions,
  prometheusRuleGroupsOf,
  prometheusScrapeJobsOf,
  renderPrometheusRules,
  renderPrometheusConfig,
  renderPrometheusScrapeConfigs,
  type PrometheusRuleGroup,
  type PrometheusScrapeJob,
  type ScrapeAddressing,
} from './monitoring/prometheus';
