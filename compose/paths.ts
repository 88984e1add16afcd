/** Names and paths the compose project and the Pulumi docker program agree on. */

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
  /** Options of the Erlang distribution over TLS (tls.interNode), read by the node and the CLI (-ssl_dist_optfile). */
  interNodeTls: '/etc/rabbitmq/inter_node_tls.config',
} as const;

/** Folders the image already has; the entrypoint creates any other folder it installs into. */
export const IMAGE_FOLDERS: ReadonlySet<string> = new Set(['/etc/rabbitmq', CONTAINER_PATHS.data]);

/** Secret names in the compose file; also the file names under `secrets/`. */
export const COMPOSE_SECRETS = {
  cookie: 'erlang-cookie',
  definitions: 'definitions.json',
  tlsCertificate: 'tls-certificate',
  tlsPrivateKey: 'tls-private-key',
  tlsCaCertificate: 'tls-ca-certificate',
  haproxyStatsPassword: 'haproxy-stats-password',
} as const;

/** Where the compose secrets' files are, relative to the compose folder (a node's own TLS files too: `secrets/tls-certificate-<host>`). */
export const COMPOSE_SECRETS_FOLDER = 'secrets';

/** Files of the compose bundle, relative to the compose folder. */
export const COMPOSE_FILES = {
  compose: 'compose.yaml',
  rabbitmqConf: 'rabbitmq/rabbitmq.conf',
  enabledPlugins: 'rabbitmq/enabled_plugins',
  interNodeTls: 'rabbitmq/inter_node_tls.config',
  majorityAgent: 'rabbitmq/majority-agent.escript',
  cookie: `secrets/${COMPOSE_SECRETS.cookie}`,
  definitions: `secrets/${COMPOSE_SECRETS.definitions}`,
  tlsCertificate: `secrets/${COMPOSE_SECRETS.tlsCertificate}`,
  tlsPrivateKey: `secrets/${COMPOSE_SECRETS.tlsPrivateKey}`,
  tlsCaCertificate: `secrets/${COMPOSE_SECRETS.tlsCaCertificate}`,
  haproxyStatsPassword: `secrets/${COMPOSE_SECRETS.haproxyStatsPassword}`,
} as const;

/** Relative to the compose folder: the rules file and scrape jobs for the operator's own Prometheus. */
export const COMPOSE_PROMETHEUS_FOLDER = 'prometheus';

/**
 * HAProxy 3.2: the LTS line (fixes until 2030) that current Debian ships and that the compose test runs
 * this file with (test/compose-engine). 2.6, Debian 12's line, reaches its end of life in 2027, and a
 * user's first `up` pulls the image for years. 3.4 is newer but nothing here can run the config with it yet.
 */
export const HAPROXY_IMAGE = 'haproxy:3.2';
export const HAPROXY_SERVICE = 'haproxy';
/** Relative to the compose folder. */
export const HAPROXY_CONFIG_FILE = 'haproxy/haproxy.cfg';
/** Where the official haproxy image reads its configuration. */
export const HAPROXY_CONFIG_PATH = '/usr/local/etc/haproxy/haproxy.cfg';

/** Prometheus and Alertmanager (monitoring.compose): pinned releases, busybox-based images that run as nobody. */
export const PROMETHEUS_IMAGE = 'prom/prometheus:v3.5.0';
export const PROMETHEUS_SERVICE = 'prometheus';
export const ALERTMANAGER_IMAGE = 'prom/alertmanager:v0.28.1';
export const ALERTMANAGER_SERVICE = 'alertmanager';
export const COMPOSE_ALERTMANAGER_FOLDER = 'alertmanager';
/** The images' user (nobody, 65534) and its group. */
export const MONITORING_UID = '65534';
