/**
 * The docker-compose target: a Compose Specification project (no `version:` key) with one service per
 * node, forming a cluster by itself through classic_config peer discovery.
 */
import { Document, isScalar, isSeq, visit } from 'yaml';
import { HAPROXY_SERVICE, haproxyConfigFile, haproxyService } from './load-balancer';
import {
  composePortPlan,
  majorityAgentArgs,
  MAJORITY_AGENT_ESCRIPT,
  pemFileContent,
  renderDefinitions,
  renderEnabledPlugins,
  renderRabbitmqConf,
  secretValue,
  tlsPathsIn,
  type GeneratedFile,
  type PublishedPort,
  type ResolvedCluster,
  type ResolvedNode,
  type SecretRef,
  type SecretValues,
} from '../model';

/** Where things live inside the official rabbitmq image. */
export const CONTAINER_PATHS = {
  /** After the image's own conf.d/10-defaults.conf, so our `loopback_users.guest = true` wins. */
  rabbitmqConf: '/etc/rabbitmq/conf.d/20-warren.conf',
  enabledPlugins: '/etc/rabbitmq/enabled_plugins',
  definitions: '/etc/rabbitmq/definitions.json',
  cookie: '/var/lib/rabbitmq/.erlang.cookie',
  data: '/var/lib/rabbitmq',
  secrets: '/run/secrets',
  /** Certificate, key and CA, installed by the entrypoint (the key 0400 for the rabbitmq user). */
  tls: '/etc/rabbitmq/tls',
} as const;

/** Secret names in the compose file; also the file names under `secrets/`. */
export const COMPOSE_SECRETS = {
  cookie: 'erlang-cookie',
  definitions: 'definitions.json',
  tlsCertificate: 'tls-certificate',
  tlsPrivateKey: 'tls-private-key',
  tlsCaCertificate: 'tls-ca-certificate',
} as const;

/** Files of the compose bundle, relative to the compose folder. */
export const COMPOSE_FILES = {
  compose: 'compose.yaml',
  rabbitmqConf: 'rabbitmq/rabbitmq.conf',
  enabledPlugins: 'rabbitmq/enabled_plugins',
  majorityAgent: 'rabbitmq/majority-agent.escript',
  cookie: `secrets/${COMPOSE_SECRETS.cookie}`,
  definitions: `secrets/${COMPOSE_SECRETS.definitions}`,
  tlsCertificate: `secrets/${COMPOSE_SECRETS.tlsCertificate}`,
  tlsPrivateKey: `secrets/${COMPOSE_SECRETS.tlsPrivateKey}`,
  tlsCaCertificate: `secrets/${COMPOSE_SECRETS.tlsCaCertificate}`,
} as const;

/** The TLS files of a node: compose secret, where the entrypoint installs it, and its mode there. */
export function composeTlsFiles(cluster: ResolvedCluster): { secret: string; ref: SecretRef; file: string; destination: string; mode: '0400' | '0444' }[] {
  const { tls } = cluster;
  if (!tls) return [];
  const paths = tlsPathsIn(CONTAINER_PATHS.tls);
  return [
    { secret: COMPOSE_SECRETS.tlsCertificate, ref: tls.certificate, file: COMPOSE_FILES.tlsCertificate, destination: paths.certificate, mode: '0444' as const },
    { secret: COMPOSE_SECRETS.tlsPrivateKey, ref: tls.privateKey, file: COMPOSE_FILES.tlsPrivateKey, destination: paths.privateKey, mode: '0400' as const },
    ...(tls.caCertificate ? [{ secret: COMPOSE_SECRETS.tlsCaCertificate, ref: tls.caCertificate, file: COMPOSE_FILES.tlsCaCertificate, destination: paths.caCertificate, mode: '0444' as const }] : []),
  ];
}

/** Keys in the order dclint's service-keys-order rule expects. */
export interface ComposeService {
  image: string;
  depends_on?: Record<string, { condition: 'service_started' | 'service_healthy' }>;
  volumes?: ({ type: 'bind'; source: string; target: string; read_only: true } | { type: 'volume'; source: string; target: string })[];
  secrets?: { source: string; target: string }[];
  environment?: Record<string, string>;
  ports?: string[];
  networks?: string[];
  entrypoint?: string[];
  restart?: 'unless-stopped';
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  hostname?: string;
  stop_grace_period?: string;
}

export interface ComposeProject {
  name: string;
  services: Record<string, ComposeService>;
  networks: Record<string, { name: string }>;
  volumes: Record<string, Record<string, never>>;
  secrets: Record<string, { file: string }>;
}

/**
 * Compose bind-mounts file secrets without applying uid/gid/mode, and Erlang refuses a cookie others can
 * read: copy the cookie (and the hash-bearing definitions) into place as the rabbitmq user, mode 0400,
 * then hand over to the image's own entrypoint, which drops root.
 */
function entrypoint(cluster: ResolvedCluster): string[] {
  const install = (from: string, to: string, mode = '0400') => `install -m ${mode} -o rabbitmq -g rabbitmq ${from} ${to}`;
  const tls = composeTlsFiles(cluster);
  return [
    '/bin/sh',
    '-c',
    [
      'set -e',
      install(`${CONTAINER_PATHS.secrets}/${COMPOSE_SECRETS.cookie}`, CONTAINER_PATHS.cookie),
      install(`${CONTAINER_PATHS.secrets}/${COMPOSE_SECRETS.definitions}`, CONTAINER_PATHS.definitions),
      ...(tls.length > 0 ? [`mkdir -p ${CONTAINER_PATHS.tls}`] : []),
      ...tls.map((f) => install(`${CONTAINER_PATHS.secrets}/${f.secret}`, f.destination, f.mode)),
      ...(majorityAgentLoop(cluster) ?? []),
      'exec docker-entrypoint.sh rabbitmq-server',
    ].join('; '),
  ];
}

/**
 * The majority agent (model/majority-check.ts) as a second process of the node's container, in its network
 * namespace, as the rabbitmq user, started again a second after it ends; it ends with the container.
 */
function majorityAgentLoop(cluster: ResolvedCluster): string[] | undefined {
  const check = cluster.majorityCheck;
  if (!check) return undefined;
  const agent = ['escript', ...majorityAgentArgs(check, cluster.nodes.map((n) => n.host), cluster.ports.distribution)].join(' ');
  // Braces: the entrypoint joins its commands with `; `, and `&;` is a syntax error.
  return [`{ (while true; do setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups ${agent}; sleep 1; done) & }`];
}

/** The host ports of the whole project, from the model's one plan (the same the clash rule checks). */
export function publishedPortsOf(cluster: ResolvedCluster): PublishedPort[] {
  return composePortPlan(cluster, cluster.nodes.map((node) => node.host));
}

/** `address:host:container` mappings of one service, in host-port order as dclint expects. */
export function portMappings(cluster: ResolvedCluster, published: readonly PublishedPort[], service: string): string[] {
  return published
    .filter((p) => p.service === service)
    .sort((a, b) => a.hostPort - b.hostPort)
    .map((p) => `${cluster.compose.bindAddress}:${p.hostPort}:${p.containerPort}`);
}

function nodeService(cluster: ResolvedCluster, node: ResolvedNode, published: readonly PublishedPort[], network: string): ComposeService {
  return {
    image: cluster.image,
    volumes: [
      { type: 'bind', source: `./${COMPOSE_FILES.rabbitmqConf}`, target: CONTAINER_PATHS.rabbitmqConf, read_only: true },
      { type: 'bind', source: `./${COMPOSE_FILES.enabledPlugins}`, target: CONTAINER_PATHS.enabledPlugins, read_only: true },
      ...(cluster.majorityCheck
        ? [{ type: 'bind' as const, source: `./${COMPOSE_FILES.majorityAgent}`, target: cluster.majorityCheck.programPath, read_only: true as const }]
        : []),
      { type: 'volume', source: `${node.host}-data`, target: CONTAINER_PATHS.data },
    ],
    secrets: [
      { source: COMPOSE_SECRETS.cookie, target: COMPOSE_SECRETS.cookie },
      { source: COMPOSE_SECRETS.definitions, target: COMPOSE_SECRETS.definitions },
      ...composeTlsFiles(cluster).map((f) => ({ source: f.secret, target: f.secret })),
    ],
    environment: { RABBITMQ_NODENAME: node.nodeName },
    ports: portMappings(cluster, published, node.host),
    networks: [network],
    entrypoint: entrypoint(cluster),
    restart: 'unless-stopped',
    // Healthy means serving clients: `up --wait` and `depends_on: service_healthy` are all Docker does with it
    // (it never restarts an unhealthy container). `ping` passes as soon as the Erlang VM answers, which let
    // `up --wait` return 7-17 s before the nodes opened their AMQP listener; `check_running` passes once the
    // node has joined its peers, imported the definitions and opened every listener.
    // No `start_interval`: Compose refuses it below Docker Engine 25 (Debian 12 ships 20.10, Ubuntu 22.04 24.0).
    healthcheck: {
      test: ['CMD', 'rabbitmq-diagnostics', '-q', 'check_running'],
      interval: '10s',
      timeout: '10s',
      retries: 6,
      start_period: '60s',
    },
    hostname: node.host,
    stop_grace_period: '60s',
  };
}

export function composeProjectOf(cluster: ResolvedCluster): ComposeProject {
  const network = cluster.name;
  const published = publishedPortsOf(cluster);
  const services: [string, ComposeService][] = cluster.nodes.map((node) => [node.host, nodeService(cluster, node, published, network)]);
  if (cluster.loadBalancer) services.push([HAPROXY_SERVICE, haproxyService(cluster, published, network)]);
  return {
    name: cluster.name,
    // Sorted by name, as dclint expects (and as readers scan them).
    services: Object.fromEntries(services.sort(([a], [b]) => (a < b ? -1 : 1))),
    networks: { [network]: { name: cluster.name } },
    volumes: Object.fromEntries(cluster.nodes.map((node) => [`${node.host}-data`, {}])),
    secrets: {
      [COMPOSE_SECRETS.cookie]: { file: `./${COMPOSE_FILES.cookie}` },
      [COMPOSE_SECRETS.definitions]: { file: `./${COMPOSE_FILES.definitions}` },
      ...Object.fromEntries(composeTlsFiles(cluster).map((f) => [f.secret, { file: `./${f.file}` }])),
    },
  };
}

export function renderComposeProject(project: ComposeProject): string {
  const document = new Document(project);
  // Quoted port mappings: YAML 1.1 readers turn unquoted "a:b" with small numbers into base-60 integers.
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'ports' && isSeq(pair.value)) {
        for (const item of pair.value.items) if (isScalar(item)) item.type = 'QUOTE_SINGLE';
      }
    },
  });
  return document.toString({ lineWidth: 0 });
}

/** rabbitmq.conf as a container of the official image reads it (compose, and the Pulumi docker program). */
export function containerRabbitmqConf(cluster: ResolvedCluster): string {
  return renderRabbitmqConf(cluster, {
    peerDiscovery: { backend: 'classic_config' },
    definitionsPath: CONTAINER_PATHS.definitions,
    tlsPaths: tlsPathsIn(CONTAINER_PATHS.tls),
  });
}

/** Every file of the compose bundle, paths relative to the output folder (under `compose/`). */
export function composeFiles(cluster: ResolvedCluster, secrets: SecretValues): GeneratedFile[] {
  const conf = containerRabbitmqConf(cluster);
  const header = `# docker-compose project for RabbitMQ cluster "${cluster.name}". Generated by warren; edit the spec, not this file.\n# Start: docker compose -f compose.yaml up -d\n`;
  return [
    { path: `compose/${COMPOSE_FILES.compose}`, content: header + renderComposeProject(composeProjectOf(cluster)), kind: 'plain' },
    { path: `compose/${COMPOSE_FILES.rabbitmqConf}`, content: conf, kind: 'plain' },
    { path: `compose/${COMPOSE_FILES.enabledPlugins}`, content: renderEnabledPlugins(cluster), kind: 'plain' },
    ...(cluster.majorityCheck ? [{ path: `compose/${COMPOSE_FILES.majorityAgent}`, content: MAJORITY_AGENT_ESCRIPT, kind: 'executable' as const }] : []),
    { path: `compose/${COMPOSE_FILES.cookie}`, content: secretValue(secrets, cluster.erlangCookie), kind: 'secret' },
    { path: `compose/${COMPOSE_FILES.definitions}`, content: renderDefinitions(cluster, secrets), kind: 'secret' },
    // The certificates are public; only the key is written like a secret.
    ...composeTlsFiles(cluster).map((f): GeneratedFile => ({
      path: `compose/${f.file}`,
      content: pemFileContent(secrets, f.ref),
      kind: f.mode === '0400' ? 'secret' : 'plain',
    })),
    ...(cluster.loadBalancer ? [haproxyConfigFile(cluster, secrets)] : []),
  ];
}
