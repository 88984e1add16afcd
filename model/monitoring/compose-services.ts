/**
 * monitoring.compose: Prometheus (and Alertmanager) as services of the compose target. Their host ports join the
 * compose target's published ports, so the rule checks them against the same port plan the generator writes.
 */
import { listenersOf } from '../cluster/listeners';
import { nodeHostsOf } from '../cluster/nodes';
import { composePortPlan } from '../compose/ports';
import type { Problem } from '../core/problems';
import { error } from '../core/rule';
import type { ParsedSpec } from '../spec';

/** The port each service listens on inside its container (the images' defaults). */
export const PROMETHEUS_CONTAINER_PORT = 9090;
export const ALERTMANAGER_CONTAINER_PORT = 9093;

export interface ResolvedComposeMonitoring {
  /** @default - no Prometheus service */
  readonly prometheus?: { readonly hostPort: number; readonly containerPort: number };
  /** @default - no Alertmanager service */
  readonly alertmanager?: { readonly hostPort: number; readonly containerPort: number };
}

type MonitoringSpec = ParsedSpec['monitoring'];

export function resolveComposeMonitoring(monitoring: MonitoringSpec, hostPortOffset: number): ResolvedComposeMonitoring {
  const { compose } = monitoring;
  return {
    ...(compose.prometheus && { prometheus: { hostPort: compose.prometheusPort + hostPortOffset, containerPort: PROMETHEUS_CONTAINER_PORT } }),
    ...(compose.prometheus && compose.alertmanager && { alertmanager: { hostPort: compose.alertmanagerPort + hostPortOffset, containerPort: ALERTMANAGER_CONTAINER_PORT } }),
  };
}

/** Alertmanager needs the Prometheus that feeds it, Prometheus needs metrics to scrape, and their host ports must be free. */
export function monitoringRule(spec: ParsedSpec): Problem[] {
  const { compose } = spec.monitoring;
  const problems: Problem[] = [];
  if (compose.alertmanager && !compose.prometheus) {
    problems.push(error('monitoring.compose.alertmanager', true, 'needs monitoring.compose.prometheus: true (Alertmanager only receives what a Prometheus sends it); set prometheus to true as well, or alertmanager to false'));
  }
  if (!compose.prometheus) return problems;
  if (!spec.plugins.includes('rabbitmq_prometheus')) {
    problems.push(error('monitoring.compose.prometheus', true, 'needs the rabbitmq_prometheus plugin, which is not enabled: no node would have metrics to scrape; add "rabbitmq_prometheus" to plugins, or set prometheus to false'));
  }
  const offset = spec.compose.hostPortOffset;
  const taken = new Map(composePortPlan({ ...spec, listeners: listenersOf(spec) }, nodeHostsOf(spec).map((n) => n.host)).map((p) => [p.hostPort, `${p.service} (${p.listener})`]));
  const wanted: [key: 'prometheusPort' | 'alertmanagerPort', service: string][] = [['prometheusPort', 'Prometheus'], ...(compose.alertmanager ? [['alertmanagerPort', 'Alertmanager'] as ['alertmanagerPort', string]] : [])];
  for (const [key, service] of wanted) {
    const port = compose[key] + offset;
    const path = `monitoring.compose.${key}`;
    if (port > 65535) problems.push(error(path, compose[key], `gives host port ${port} with compose.hostPortOffset ${offset}, past 65535; use at most ${65535 - offset}`));
    else if (taken.has(port)) problems.push(error(path, compose[key], `gives ${service} host port ${port}, already published for ${taken.get(port)}; choose a port no other service publishes`));
    taken.set(port, service);
  }
  return problems;
}
