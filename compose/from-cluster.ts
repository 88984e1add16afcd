/**
 * composeProjectFromCluster: one service per node, forming a cluster by itself through classic_config peer
 * discovery, and HAProxy in front when the spec has a load balancer. Ports come from the model's port plan,
 * the secret files from the secrets the model says the compose target needs.
 */
import { posix } from 'node:path';
import {
  composePortPlan,
  hasInterNodeTls,
  interNodeEnvironment,
  majorityAgentArgs,
  secretsOfTarget,
  tlsPathsIn,
  type PublishedPort,
  type ResolvedCluster,
  type ResolvedNode,
  type SecretRef,
} from '../model/internal';
import type { ComposeProject, ComposeService, PortMapping, ServiceFile, StartupStep } from './config';
import { monitoringServices } from './monitoring';
import { bind, secretFile } from './service-files';
import { COMPOSE_FILES, COMPOSE_SECRETS, COMPOSE_SECRETS_FOLDER, CONTAINER_PATHS, HAPROXY_CONFIG_FILE, HAPROXY_CONFIG_PATH, HAPROXY_IMAGE, HAPROXY_SERVICE, IMAGE_FOLDERS } from './paths';

/** The host ports of the whole project, from the model's one plan (the same the clash rule checks). */
export function publishedPortsOf(cluster: ResolvedCluster): PublishedPort[] {
  return composePortPlan(cluster, cluster.nodes.map((node) => node.host));
}

export function composeProjectFromCluster(cluster: ResolvedCluster): ComposeProject {
  const network = cluster.name;
  const published = publishedPortsOf(cluster);
  const services = [
    ...cluster.nodes.map((node) => nodeService(cluster, node, nodeFilesOf(cluster, node), portsOf(cluster, published, node.host), network)),
    ...(cluster.loadBalancer ? [haproxyService(portsOf(cluster, published, HAPROXY_SERVICE), network)] : []),
  ];
  const monitoring = monitoringServices(cluster, network);
  const all = [...services, ...monitoring];
  const secrets = new Map<string, string>();
  for (const file of all.flatMap((s) => s.files)) if (file.delivery.kind === 'secret') secrets.set(file.delivery.name, file.source);
  return {
    name: cluster.name,
    network,
    services,
    monitoring,
    volumes: all.flatMap((s) => (s.dataVolume ? [s.dataVolume.name] : [])),
    secrets: [...secrets].map(([name, source]) => ({ name, source })),
  };
}

function portsOf(cluster: ResolvedCluster, published: readonly PublishedPort[], service: string): PortMapping[] {
  return published
    .filter((p) => p.service === service)
    .sort((a, b) => a.hostPort - b.hostPort)
    .map((p) => ({ listener: p.listener, address: cluster.compose.bindAddress, hostPort: p.hostPort, containerPort: p.containerPort }));
}

/**
 * A node's files: its configuration, mounted, then the files that carry the secrets the model lists for the
 * compose target's RabbitMQ, in the model's order (a secret of its own becomes a file of its own; those carried
 * in definitions.json share that file). Of the nodes' own TLS certificates and keys (generated), only its own.
 */
function nodeFilesOf(cluster: ResolvedCluster, node: ResolvedNode): ServiceFile[] {
  const secretFiles = new Map<string, ServiceFile>();
  const othersTls = new Set<SecretRef>((cluster.tls?.nodes ?? []).filter((n) => n.host !== node.host).flatMap((n) => [n.certificate, n.privateKey]));
  for (const ref of secretsOfTarget(cluster, 'compose')) {
    if (ref.consumer !== 'rabbitmq' || othersTls.has(ref)) continue;
    const file = secretCarrierOf(cluster, ref);
    secretFiles.set(file.source, file);
  }
  return [
    bind('rabbitmq-conf', COMPOSE_FILES.rabbitmqConf, CONTAINER_PATHS.rabbitmqConf),
    bind('enabled-plugins', COMPOSE_FILES.enabledPlugins, CONTAINER_PATHS.enabledPlugins),
    // Paths only, no secret: mounted like rabbitmq.conf.
    ...(hasInterNodeTls(cluster) ? [bind('inter-node-tls', COMPOSE_FILES.interNodeTls, CONTAINER_PATHS.interNodeTls)] : []),
    ...(cluster.majorityCheck ? [bind('majority-agent', COMPOSE_FILES.majorityAgent, cluster.majorityCheck.programPath)] : []),
    ...secretFiles.values(),
  ];
}

function secretCarrierOf(cluster: ResolvedCluster, ref: SecretRef): ServiceFile {
  switch (ref.carrier) {
    case 'definitions':
      return secretFile('definitions', COMPOSE_SECRETS.definitions, COMPOSE_FILES.definitions, CONTAINER_PATHS.definitions, '0400');
    case 'own-file':
      return ownSecretFile(cluster, ref);
    case 'config-file':
      throw new Error(`${ref.path}: the compose nodes' configuration carries no secret, yet "${ref.id}" is for RabbitMQ in its configuration file`);
    default: {
      const unknown: never = ref.carrier;
      throw new Error(`${ref.path}: unknown secret carrier ${String(unknown)}`);
    }
  }
}

/** Where a secret delivered as a file of its own goes in the container, and its mode there. */
function ownSecretFile(cluster: ResolvedCluster, ref: SecretRef): ServiceFile {
  const { tls } = cluster;
  const tlsPaths = tlsPathsIn(CONTAINER_PATHS.tls);
  if (ref === cluster.erlangCookie) return secretFile('erlang-cookie', COMPOSE_SECRETS.cookie, COMPOSE_FILES.cookie, CONTAINER_PATHS.cookie, '0400');
  if (ref === tls?.certificate) return secretFile('tls-certificate', COMPOSE_SECRETS.tlsCertificate, COMPOSE_FILES.tlsCertificate, tlsPaths.certificate, '0444');
  if (ref === tls?.privateKey) return secretFile('tls-private-key', COMPOSE_SECRETS.tlsPrivateKey, COMPOSE_FILES.tlsPrivateKey, tlsPaths.privateKey, '0400');
  if (ref === tls?.caCertificate) return secretFile('tls-ca-certificate', COMPOSE_SECRETS.tlsCaCertificate, COMPOSE_FILES.tlsCaCertificate, tlsPaths.caCertificate, '0444');
  for (const own of tls?.nodes ?? []) {
    // A node's own (generated) certificate and key: a compose secret named after the node, installed where the shared ones go.
    const source = `${COMPOSE_SECRETS_FOLDER}/${ref.id}`;
    if (ref === own.certificate) return { ...secretFile('tls-certificate', ref.id, source, tlsPaths.certificate, '0444'), node: own.host };
    if (ref === own.privateKey) return { ...secretFile('tls-private-key', ref.id, source, tlsPaths.privateKey, '0400'), node: own.host };
  }
  throw new Error(`${ref.path}: the compose target has no place for the secret "${ref.id}" (${ref.description}); give it one in compose/from-cluster.ts`);
}

/**
 * Compose bind-mounts file secrets without applying uid/gid/mode, and Erlang refuses a cookie others can
 * read: install each secret file (the cookie, the hash-bearing definitions, TLS material) as the rabbitmq user,
 * start the majority agent beside the server, then hand over to the image's own entrypoint, which drops root.
 */
function nodeStartup(cluster: ResolvedCluster, files: readonly ServiceFile[]): StartupStep[] {
  const steps: StartupStep[] = [];
  const folders = new Set(IMAGE_FOLDERS);
  for (const file of files) {
    if (file.delivery.kind !== 'secret') continue;
    const folder = posix.dirname(file.target);
    if (!folders.has(folder)) steps.push({ kind: 'make-folder', path: folder });
    folders.add(folder);
    steps.push({ kind: 'install', from: `${CONTAINER_PATHS.secrets}/${file.delivery.name}`, to: file.target, mode: file.delivery.mode });
  }
  const check = cluster.majorityCheck;
  if (check) {
    // The majority agent (model/cluster/majority-check.ts), in the node's network namespace; it ends with the container.
    steps.push({ kind: 'keep-running', argv: ['escript', ...majorityAgentArgs(check, cluster.nodes.map((n) => n.host), cluster.ports.distribution)] });
  }
  steps.push({ kind: 'exec', argv: ['docker-entrypoint.sh', 'rabbitmq-server'] });
  return steps;
}

function nodeService(cluster: ResolvedCluster, node: ResolvedNode, files: readonly ServiceFile[], ports: readonly PortMapping[], network: string): ComposeService {
  return {
    name: node.host,
    image: cluster.image,
    hostname: node.host,
    // With inter-node TLS the server's and the CLI's VM arguments (no secret: the options file's path); the
    // healthcheck's and `docker exec`'s CLI read them from the container's environment too.
    environment: { RABBITMQ_NODENAME: node.nodeName, ...interNodeEnvironment(cluster, CONTAINER_PATHS.interNodeTls) },
    files,
    dataVolume: { name: `${node.host}-data`, target: CONTAINER_PATHS.data },
    ports,
    network,
    startup: nodeStartup(cluster, files),
    restart: 'unless-stopped',
    // Healthy means serving clients: `up --wait` and `depends_on: service_healthy` are all Docker does with it
    // (it never restarts an unhealthy container). `ping` passes as soon as the Erlang VM answers, which let
    // `up --wait` return 7-17 s before the nodes opened their AMQP listener; `check_running` passes once the
    // node has joined its peers, imported the definitions and opened every listener.
    // No `start_interval`: Compose refuses it below Docker Engine 25 (Debian 12 ships 20.10, Ubuntu 22.04 24.0).
    healthcheck: { test: ['CMD', 'rabbitmq-diagnostics', '-q', 'check_running'], intervalSeconds: 10, timeoutSeconds: 10, retries: 6, startPeriodSeconds: 60 },
    stopGracePeriodSeconds: 60,
    // RabbitMQ is told the same figure less headroom (files.ts), so its alarms apply to this limit, not to the host.
    memoryLimitBytes: cluster.compose.memory.limitBytes,
  };
}

/** HAProxy, configured by the same renderer the VM bundles use (files.ts). */
function haproxyService(ports: readonly PortMapping[], network: string): ComposeService {
  return {
    name: HAPROXY_SERVICE,
    image: HAPROXY_IMAGE,
    hostname: HAPROXY_SERVICE,
    environment: {},
    files: [bind('haproxy-config', HAPROXY_CONFIG_FILE, HAPROXY_CONFIG_PATH)],
    ports,
    network,
    restart: 'unless-stopped',
  };
}
