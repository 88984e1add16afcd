/**
 * Prometheus and Alertmanager as compose services (monitoring.compose): Prometheus loads the rules file synth writes
 * for your own Prometheus and the same scrape jobs with the services as targets (files.ts), keeps its data in a named
 * volume and sends alerts to Alertmanager, whose receiver the operator fills in.
 */
import { ALERTMANAGER_CONFIG_FILE, haproxyPasswordFileOf, PROMETHEUS_RULES_FILE, renderPrometheusConfig, type ResolvedCluster } from '../model/internal';
import type { ComposeService, PortMapping, ServiceFile, StartupStep } from './config';
import { bind, secretFile } from './service-files';
import {
  ALERTMANAGER_IMAGE,
  ALERTMANAGER_SERVICE,
  COMPOSE_ALERTMANAGER_FOLDER,
  COMPOSE_FILES,
  COMPOSE_PROMETHEUS_FOLDER,
  COMPOSE_SECRETS,
  CONTAINER_PATHS,
  HAPROXY_SERVICE,
  MONITORING_UID,
  PROMETHEUS_IMAGE,
  PROMETHEUS_SERVICE,
} from './paths';

export const PROMETHEUS_CONFIG_FILE = `${COMPOSE_PROMETHEUS_FOLDER}/prometheus.yml`;
export const ALERTMANAGER_FILE = `${COMPOSE_ALERTMANAGER_FOLDER}/${ALERTMANAGER_CONFIG_FILE}`;

/** The images' own `--config.file` and data paths. */
const PROMETHEUS_ARGS = ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus'];

function readyCheck(port: number) {
  // busybox wget is in both images; /-/ready answers 200 once the configuration is loaded.
  return { test: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}/-/ready`], intervalSeconds: 10, timeoutSeconds: 5, retries: 6, startPeriodSeconds: 30 };
}

function webPort(cluster: ResolvedCluster, service: { readonly hostPort: number; readonly containerPort: number }): PortMapping[] {
  return [{ listener: 'web', address: cluster.compose.bindAddress, hostPort: service.hostPort, containerPort: service.containerPort }];
}

/** Both services, or Prometheus alone, or none, as the spec asks. */
export function monitoringServices(cluster: ResolvedCluster, network: string): ComposeService[] {
  const { prometheus, alertmanager } = cluster.compose.monitoring;
  if (!prometheus) return [];
  const services: ComposeService[] = [];
  if (alertmanager) {
    services.push({
      name: ALERTMANAGER_SERVICE,
      image: ALERTMANAGER_IMAGE,
      hostname: ALERTMANAGER_SERVICE,
      environment: {},
      files: [bind('alertmanager-config', ALERTMANAGER_FILE, `/etc/alertmanager/${ALERTMANAGER_CONFIG_FILE}`)],
      dataVolume: { name: `${ALERTMANAGER_SERVICE}-data`, target: '/alertmanager' },
      ports: webPort(cluster, alertmanager),
      network,
      restart: 'unless-stopped',
      healthcheck: readyCheck(alertmanager.containerPort),
    });
  }
  const files: ServiceFile[] = [
    bind('prometheus-config', PROMETHEUS_CONFIG_FILE, '/etc/prometheus/prometheus.yml'),
    bind('prometheus-rules', `${COMPOSE_PROMETHEUS_FOLDER}/${PROMETHEUS_RULES_FILE}`, `/etc/prometheus/${PROMETHEUS_RULES_FILE}`),
    ...(cluster.loadBalancer ? [secretFile('haproxy-stats-password', COMPOSE_SECRETS.haproxyStatsPassword, COMPOSE_FILES.haproxyStatsPassword, haproxyPasswordFileOf(cluster), '0400')] : []),
  ];
  services.push({
    name: PROMETHEUS_SERVICE,
    image: PROMETHEUS_IMAGE,
    hostname: PROMETHEUS_SERVICE,
    environment: {},
    files,
    dataVolume: { name: `${PROMETHEUS_SERVICE}-data`, target: '/prometheus' },
    ports: webPort(cluster, prometheus),
    network,
    ...(cluster.loadBalancer && { startup: passwordStartup(cluster), user: '0' }),
    restart: 'unless-stopped',
    healthcheck: readyCheck(prometheus.containerPort),
    dependsOn: [
      // Started with the cluster; a node that is not up yet is a target that is down, which is what Prometheus is for.
      ...cluster.nodes.map((n) => ({ service: n.host, condition: 'service_started' as const })),
      ...(cluster.loadBalancer ? [{ service: HAPROXY_SERVICE, condition: 'service_started' as const }] : []),
      ...(alertmanager ? [{ service: ALERTMANAGER_SERVICE, condition: 'service_healthy' as const }] : []),
    ],
  });
  return services;
}

/**
 * Compose mounts the stats password (a compose secret) with the owner and mode of the file on the Docker host (0600,
 * the user who ran synth), which the image's user cannot read: start as root, install it for nobody (0400) where
 * the HAProxy job's password_file names it, then run Prometheus as nobody (busybox setuidgid), as the image would.
 */
function passwordStartup(cluster: ResolvedCluster): StartupStep[] {
  const target = haproxyPasswordFileOf(cluster);
  return [
    { kind: 'make-folder', path: target.slice(0, target.lastIndexOf('/')) },
    { kind: 'install', from: `${CONTAINER_PATHS.secrets}/${COMPOSE_SECRETS.haproxyStatsPassword}`, to: target, mode: '0400', owner: MONITORING_UID },
    { kind: 'exec', argv: ['setuidgid', 'nobody', '/bin/prometheus', ...PROMETHEUS_ARGS] },
  ];
}

/** prometheus.yml of the Prometheus service: the scrape jobs with compose service names and container ports as targets. */
export function composePrometheusConfig(cluster: ResolvedCluster): string {
  const { alertmanager } = cluster.compose.monitoring;
  return renderPrometheusConfig(
    cluster,
    {
      nodeTarget: (node, listener) => `${node.host}:${listener.port}`,
      haproxyTargets: (statsPort) => [`${HAPROXY_SERVICE}:${statsPort}`],
      haproxyPasswordFile: haproxyPasswordFileOf(cluster),
    },
    { alertmanagers: alertmanager ? [`${ALERTMANAGER_SERVICE}:${alertmanager.containerPort}`] : [] },
  );
}
