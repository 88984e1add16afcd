/**
 * What each kind of difference means for a running cluster: a table from path patterns to classifiers, the
 * longest matching pattern deciding. Differences that a cluster-wide rule (cluster-rules.ts) explains, or that
 * only restate another one, are suppressed here.
 */
import type { ChangeClass } from './change';
import { joinPattern } from './diff';
import type { PlanSnapshot } from './snapshot';
import type { Classifier, Verdict } from './verdict';
import { TOPOLOGY_CLASSIFIERS } from './classify-topology';
import { quantityValue } from '../kubernetes/schema';
import { featuresOf, parseVersion } from '../rabbitmq/version';

export type { Classifier, ClassifyContext, Verdict } from './verdict';

export const ROLL = 'restart one node at a time (drain, restart, wait until it runs again)';
const suppressed: Classifier = () => undefined;
const verdict = (klass: ChangeClass, reason: string, fix: string): Classifier => () => ({ class: klass, reason, fix });

/** rabbitmq.conf keys of each listener port: a port no node listens on changes nothing. */
const LISTENER_KEYS: Readonly<Record<string, string>> = {
  'ports.amqp': 'listeners.tcp.default',
  'ports.amqps': 'listeners.ssl.default',
  'ports.management': 'management.tcp.port',
  'ports.prometheus': 'prometheus.tcp.port',
  'ports.stream': 'stream.listeners.tcp.default',
  'ports.managementTls': 'management.ssl.port',
  'ports.prometheusTls': 'prometheus.ssl.port',
  'ports.streamTls': 'stream.listeners.ssl.default',
};

const listenerPort: Classifier = (d, { before, after }) => {
  const key = LISTENER_KEYS[d.pattern]!;
  if (!(key in before.rabbitmqConf) && !(key in after.rabbitmqConf)) {
    return { class: 'no-op', reason: 'no node listens on it (its plugin is off, or there is no TLS)', fix: 'nothing to do' };
  }
  return {
    class: 'rolling restart',
    reason: `${key} is read at boot; clients, HAProxy (it reloads) and firewalls must follow`,
    fix: `${ROLL}; each node moves to the new port as it restarts`,
  };
};

const partitionHandling: Classifier = (_d, { before, after }) => {
  const honoured = (s: PlanSnapshot) => s.partitionHandling.honoured === true;
  if (!honoured(before) && !honoured(after)) {
    return { class: 'no-op', reason: 'the cluster runs Khepri, which ignores partition handling, so nothing is written', fix: 'nothing to do' };
  }
  return { class: 'rolling restart', reason: 'cluster_partition_handling is read at boot', fix: ROLL };
};

const defaultQueueType: Classifier = (d, { after }) => {
  const version = parseVersion(after.version);
  const features = version && featuresOf(version);
  if (features?.nodeDefaultQueueType) {
    return { class: 'rolling restart', reason: 'default_queue_type is read at boot and applies to queues declared later; existing queues keep their type', fix: ROLL };
  }
  if (features?.vhostDefaultQueueType) {
    return {
      class: 'live',
      reason: `RabbitMQ ${version!.line} keeps it per virtual host; existing queues keep their type`,
      fix: `rabbitmqctl update_vhost_metadata <vhost> --default-queue-type ${String(d.after)} for each virtual host that does not set its own`,
    };
  }
  return { class: 'no-op', reason: `RabbitMQ ${after.version} cannot default the queue type`, fix: 'nothing to do; clients declare x-queue-type themselves' };
};

/** Relative and absolute limits are two keys: switching between them shows once, on the new one. */
const memoryWatermark: Classifier = (d) => d.after === undefined ? undefined : ({
  class: 'rolling restart',
  reason: 'vm_memory_high_watermark is read at boot',
  fix: `${ROLL}; or, until the nodes restart, rabbitmqctl set_vm_memory_high_watermark ${typeof d.after === 'number' ? d.after : `absolute ${String(d.after)}`} on every node`,
});

const diskFreeLimit: Classifier = (d) => d.after === undefined ? undefined : ({
  class: 'rolling restart',
  reason: 'disk_free_limit is read at boot',
  fix: `${ROLL}; or, until the nodes restart, rabbitmqctl set_disk_free_limit ${typeof d.after === 'number' ? `mem_relative ${d.after}` : String(d.after)} on every node`,
});

const LOAD_BALANCER_RELOAD = 'HAProxy and Keepalived reload their configuration without dropping connections (install.sh reloads them); the nodes do not change';
const VRRP_PEERS_AGREE =
  'Keepalived peers that disagree on it do not hear each other and each takes the virtual IP, so change every load-balancer host at once (run install.sh on all of them together)';

const loadBalancerHost: Classifier = (d) =>
  d.after === undefined
    ? { class: 'live', reason: 'a load-balancer host leaves', fix: 'stop HAProxy and Keepalived on it, after the others run the new configuration' }
    : d.before === undefined
      ? { class: 'live', reason: 'a new load-balancer host', fix: 'run install.sh on it, and on the others (they reload)' }
      : { class: 'live', reason: LOAD_BALANCER_RELOAD, fix: 'run install.sh on each load-balancer host' };

const POD_TEMPLATE = "the StatefulSet's pod template changes: kubectl apply rolls the pods one at a time, each draining in its preStop hook";

const podTemplateUnlessUpgrade: Classifier = (_d, { before, after }) =>
  before.version === after.version ? { class: 'rolling restart', reason: POD_TEMPLATE, fix: 'kubectl apply' } : undefined;

const storageSize: Classifier = (d) => {
  const [was, is] = [quantityValue(String(d.before)), quantityValue(String(d.after))];
  if (is < was) {
    return { class: 'rejected', reason: 'a persistent volume cannot shrink', fix: `keep ${String(d.before)}, or move to a new cluster with smaller volumes (blue/green)` };
  }
  return {
    class: 'migration',
    reason: "a StatefulSet's volume claim template cannot change (kubectl apply refuses it)",
    fix: 'grow each claim (kubectl patch pvc, where its StorageClass allows expansion), then kubectl delete statefulset <name> --cascade=orphan and apply again',
  };
};

const NO_RESTART_K8S = (what: string): Classifier => verdict('live', `only the ${what} changes; no pod restarts`, 'kubectl apply');

/** Pattern -> classifier; the longest pattern that is a prefix of the difference's (at a segment boundary) decides. */
export const CLASSIFIERS: Readonly<Record<string, Classifier>> = {
  name: verdict(
    'rejected',
    'the name is the cluster_name, prefixes the Kubernetes objects and (with a node count) every host name, and names the secrets store folder (.warren-secrets/<name>/), so the next synth would generate a new cookie: it describes another cluster',
    'keep the name; to rename, build the new cluster beside this one and move to it (blue/green)',
  ),
  version: suppressed,
  metadataStore: suppressed,
  nodes: suppressed,
  erlangCookie: suppressed,
  rabbitmqConf: suppressed,
  image: (_d, { before, after }) =>
    before.version === after.version
      ? { class: 'rolling restart', reason: 'the nodes run another image', fix: `make sure it holds RabbitMQ ${after.version} (or a supported upgrade), then ${ROLL}` }
      : undefined,
  ...Object.fromEntries(Object.keys(LISTENER_KEYS).map((key) => [key, listenerPort])),
  'ports.epmd': verdict('rolling restart', 'an inter-node port: NetworkPolicy, firewalls and the nodes must follow', ROLL),
  'ports.distribution': verdict('rolling restart', "an inter-node port: the majority agent, NetworkPolicy and firewalls follow it", ROLL),
  heartbeatSeconds: verdict(
    'rolling restart',
    "heartbeat is read at boot and offered to new connections only; HAProxy's idle timeouts follow it on reload",
    `${ROLL}; open connections keep the old heartbeat until they reconnect`,
  ),
  partitionHandling: partitionHandling,
  'partitionHandling.honoured': suppressed,
  'plugins[]': (d) =>
    d.after === undefined
      ? { class: 'live', reason: 'a plugin stops without a restart', fix: `rabbitmq-plugins disable ${String(d.before)} on every node` }
      : { class: 'live', reason: 'a plugin starts without a restart', fix: `rabbitmq-plugins enable ${String(d.after)} on every node` },
  'defaultUser.name': (d) => ({
    class: 'live',
    reason: 'importing the definitions creates the new user; an import never deletes, so the old one stays',
    fix: `rabbitmqctl import_definitions <definitions.json> on one node, then, once nothing uses it, rabbitmqctl delete_user ${String(d.before)}`,
  }),
  'defaultUser.tags': verdict('live', "importing the definitions sets the user's tags", 'rabbitmqctl import_definitions <definitions.json> on one node'),
  'defaultUser.password': verdict('live', 'the password changes when the definitions are imported; clients using it need the new one', 'rabbitmqctl import_definitions <definitions.json> on one node'),
  'resources.memoryHighWatermark': memoryWatermark,
  'resources.diskFreeLimit': diskFreeLimit,
  defaultQueueType: defaultQueueType,
  loadBalancer: (d) =>
    d.before === undefined
      ? { class: 'live', reason: 'a load balancer is added in front of the nodes, which do not change', fix: 'install the load-balancer hosts, then move clients to it' }
      : d.after === undefined
        ? { class: 'live', reason: 'the load balancer goes; the nodes do not change', fix: 'move clients to the nodes first, then stop HAProxy and Keepalived' }
        : { class: 'live', reason: LOAD_BALANCER_RELOAD, fix: 'run install.sh on each load-balancer host' },
  'loadBalancer.hosts[]': loadBalancerHost,
  'loadBalancer.virtualIp': verdict('live', 'Keepalived takes the new address on reload and drops the old one', 'move clients to the new address; run install.sh on every load-balancer host at once'),
  ...Object.fromEntries(
    ['virtualRouterId', 'vrrpVersion', 'advertIntervalMs', 'peering', 'authPass'].map((key) => [`loadBalancer.keepalived.${key}`, verdict('live', 'Keepalived reloads it', VRRP_PEERS_AGREE)]),
  ),
  // Derived from the limit, which has its own line.
  'compose.memory.limitBytes': suppressed,
  'compose.memory.forRabbitmqBytes': suppressed,
  'kubernetes.memory': suppressed,
  'compose.monitoring': verdict('live', 'compose target only: the Prometheus and Alertmanager services change, the nodes do not', 'docker compose up -d (it recreates only the changed monitoring services)'),
  compose: verdict(
    'rolling restart',
    'compose target only: the node containers are recreated (docker compose up -d recreates every changed service at once)',
    'recreate one node at a time: docker compose up -d --no-deps <host> (the node\'s service), waiting until it is healthy',
  ),
  tls: (d) =>
    d.before === undefined
      ? { class: 'rolling restart', reason: 'the TLS listener (listeners.ssl.default) is configured at boot', fix: `${ROLL}; clients move to amqps once every node listens` }
      : d.after === undefined
        ? { class: 'rolling restart', reason: 'the TLS listener closes at the next boot', fix: `move clients off amqps first, then ${ROLL}` }
        : { class: 'rolling restart', reason: 'ssl_options are read at boot', fix: ROLL },
  'tls.listeners': verdict(
    'rolling restart',
    'listeners open and close at boot',
    `move clients and scrapers to the TLS port of a family before its plain port closes, then ${ROLL}`,
  ),
  ...Object.fromEntries(
    ['certificate', 'privateKey', 'caCertificate'].map((key): [string, Classifier] => [
      `tls.${key}`,
      (d) =>
        d.before === undefined || d.after === undefined
          ? { class: 'rolling restart', reason: 'ssl_options.cacertfile is read at boot', fix: ROLL }
          : {
              class: 'live',
              reason: 'the nodes read certificate files that can be replaced without a restart (only the source changed; warren does not see the files\' content)',
              fix: "replace the files on every node, then rabbitmqctl eval 'ssl:clear_pem_cache().' on each; new connections get them, open ones keep theirs",
            },
    ]),
  ),
  // Pods copy the TLS files when they start, and the chart's checksum cannot see what cert-manager writes later.
  'tls.certManager': verdict(
    'rolling restart',
    'Kubernetes target only: cert-manager (or, without it, the chart again) writes the TLS Secret, whose files the pods copy when they start',
    'kubectl apply, wait until the Certificate is Ready (kubectl wait certificate/<name> --for=condition=Ready), then kubectl rollout restart statefulset/<name>',
  ),
  firewall: verdict(
    'live',
    "VM hosts only: install.sh reloads warren-firewall, whose nft -f replaces table inet warren in one transaction; no service restarts and established connections stay",
    'run install.sh on every host; when switching the firewall on, first make sure firewall.admins holds the network you connect from',
  ),
  topology: verdict('live', 'imported with the definitions', 'rabbitmqctl import_definitions <definitions.json> on one node'),
  ...TOPOLOGY_CLASSIFIERS,
  kubernetes: verdict('rolling restart', POD_TEMPLATE, 'kubectl apply'),
  // The preStop hook follows the version and the node count; an upgrade rolls every pod anyway.
  'kubernetes.preStop': podTemplateUnlessUpgrade,
  'kubernetes.terminationGracePeriodSeconds': podTemplateUnlessUpgrade,
  'kubernetes.namespace': verdict(
    'rejected',
    'the namespace is part of every node name (rabbit@<pod>.<service>.<namespace>) and holds the volumes: a new namespace is a new, empty cluster',
    'keep the namespace; to move, build the cluster in the new namespace and move to it (blue/green)',
  ),
  'kubernetes.storage.size': storageSize,
  'kubernetes.storage.className': verdict(
    'migration',
    "existing volumes keep their StorageClass, and a StatefulSet's volume claim template cannot change",
    'kubectl delete statefulset <name> --cascade=orphan and apply again; then, one pod at a time, delete its claim and the pod, and wait until it rejoins and its quorum queue members catch up',
  ),
  'kubernetes.existingSecret': verdict(
    'rolling restart',
    `the pods read the cookie and definitions from another Secret: ${POD_TEMPLATE}`,
    "make sure its erlang-cookie is the cookie the cluster runs (a pod given another cannot rejoin), then kubectl apply",
  ),
  'kubernetes.names': suppressed,
  'kubernetes.nodeNamePattern': suppressed,
  'kubernetes.replicas': suppressed,
  'kubernetes.clientNamespaces[]': NO_RESTART_K8S('NetworkPolicy'),
  'kubernetes.monitoringNamespace': NO_RESTART_K8S('NetworkPolicy'),
  'kubernetes.serviceMonitor': NO_RESTART_K8S('ServiceMonitor'),
  'kubernetes.prometheusRule': NO_RESTART_K8S('PrometheusRule'),
  'kubernetes.maxUnavailable': NO_RESTART_K8S('PodDisruptionBudget'),
};

/** The classifier of a difference: the longest table entry that is its pattern or one of its ancestors. */
export function classifierFor(segments: readonly string[]): Classifier | undefined {
  for (let length = segments.length; length > 0; length--) {
    const found = CLASSIFIERS[joinPattern(segments.slice(0, length))];
    if (found) return found;
  }
  return undefined;
}

/** For a difference no table entry knows: assume the worst short of a migration. */
export const UNKNOWN: Verdict = {
  class: 'rolling restart',
  reason: 'warren does not classify this setting yet, so it assumes each node must restart',
  fix: ROLL,
};

