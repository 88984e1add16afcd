/**
 * The StatefulSet that runs the nodes. Written against the typed Kubernetes API (cdk8s-plus-27's
 * `k8s` imports) rather than cdk8s-plus's StatefulSet, which in this release has no
 * volumeClaimTemplates, no topology spread constraints and no publishNotReadyAddresses on its
 * generated Service, and adds its own selector label and default resources.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { dirname } from 'node:path';
import { CLOSE_CLIENT_CONNECTIONS_COMMAND, hasInterNodeTls, interNodeEnvironment, listenersOfFamily, majorityAgentArgs, tlsPathsIn, type ResolvedCluster, type ResolvedMajorityCheck } from '../model/internal';
import { labelsOf, selectorOf } from './labels';
import { CONFIG_DIR, configItemsOf, DEFINITIONS_KEY, INTER_NODE_TLS_PATH, TLS_DIR } from './node-config';

/** uid and gid of the rabbitmq user in the official image. */
const RABBITMQ_UID = 999;
const DATA_DIR = '/var/lib/rabbitmq';
const COOKIE_MOUNT = '/run/warren/erlang-cookie';
export const COOKIE_KEY = 'erlang-cookie';
/** Keys of the `kubernetes.io/tls` Secret. */
export const TLS_KEYS = { certificate: 'tls.crt', privateKey: 'tls.key', caCertificate: 'ca.crt' } as const;
const TLS_SECRET_MOUNT = '/run/warren/tls-secret';
export const CHECKSUM_ANNOTATION = 'checksum/config';
/** ConfigMap key of the majority agent's program. */
export const MAJORITY_AGENT_KEY = 'majority-agent.escript';

export interface NodeStatefulSetProps {
  readonly cluster: ResolvedCluster;
  readonly configChecksum: string;
}

const containerSecurity: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

export class NodeStatefulSet extends Construct {
  constructor(scope: Construct, id: string, props: NodeStatefulSetProps) {
    super(scope, id);
    const { cluster } = props;
    const { kubernetes: k8sTarget } = cluster;
    const selector = selectorOf(cluster);
    new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: k8sTarget.names.statefulSet, namespace: k8sTarget.namespace, labels: labelsOf(cluster, 'broker') },
      spec: {
        serviceName: k8sTarget.names.headlessService,
        replicas: k8sTarget.replicas,
        // Nodes must start together: a node waits for its peers, so OrderedReady deadlocks a full restart.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: labelsOf(cluster, 'broker'), annotations: { [CHECKSUM_ANNOTATION]: props.configChecksum } },
          spec: podSpecOf(cluster),
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: selector },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(k8sTarget.storage.className !== undefined && { storageClassName: k8sTarget.storage.className }),
              resources: { requests: { storage: k8s.Quantity.fromString(k8sTarget.storage.size) } },
            },
          },
        ],
      },
    });
  }
}

function podSpecOf(cluster: ResolvedCluster): k8s.PodSpec {
  const { kubernetes: k8sTarget, image } = cluster;
  const selector = selectorOf(cluster);
  return {
    serviceAccountName: k8sTarget.names.serviceAccount,
    // Only discovery below 4.1 talks to the API server.
    automountServiceAccountToken: cluster.features.k8sDiscoveryQueriesApi,
    terminationGracePeriodSeconds: k8sTarget.terminationGracePeriodSeconds,
    securityContext: {
      runAsUser: RABBITMQ_UID,
      runAsGroup: RABBITMQ_UID,
      runAsNonRoot: true,
      fsGroup: RABBITMQ_UID,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    initContainers: [
      // Erlang refuses a cookie others can read; a Secret volume cannot give uid 999 mode 0600 itself.
      secretCopyInitContainer(image, {
        name: 'erlang-cookie',
        from: { volume: 'erlang-cookie', mountPath: COOKIE_MOUNT },
        to: { volume: 'data', mountPath: DATA_DIR },
        copies: [[COOKIE_KEY, `${DATA_DIR}/.erlang.cookie`, '0600']],
      }),
      ...(cluster.tls ? [tlsInitContainerOf(cluster)] : []),
    ],
    containers: [rabbitmqContainerOf(cluster), ...(cluster.majorityCheck ? [majorityAgentContainerOf(cluster, cluster.majorityCheck)] : [])],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
        ],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
    ],
    volumes: [
      {
        name: 'config',
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: k8sTarget.names.configMap, items: configItemsOf(cluster) } },
            { secret: { name: k8sTarget.names.defaultUserSecret, items: [{ key: DEFINITIONS_KEY, path: DEFINITIONS_KEY }] } },
          ],
        },
      },
      { name: 'erlang-cookie', secret: { secretName: k8sTarget.names.cookieSecret, defaultMode: 0o440, items: [{ key: COOKIE_KEY, path: COOKIE_KEY }] } },
      ...(cluster.tls ? tlsVolumesOf(cluster) : []),
      ...(cluster.majorityCheck
        ? [{ name: 'majority-agent', configMap: { name: k8sTarget.names.configMap, defaultMode: 0o555, items: [{ key: MAJORITY_AGENT_KEY, path: MAJORITY_AGENT_KEY }] } }]
        : []),
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
      { name: 'logs', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
    ],
  };
}

/** TLS files as the Secret delivers them, and the in-memory folder the node reads them from. */
function tlsVolumesOf(cluster: ResolvedCluster): k8s.Volume[] {
  const keys = [TLS_KEYS.certificate, TLS_KEYS.privateKey, ...(cluster.tls?.caCertificate ? [TLS_KEYS.caCertificate] : [])];
  return [
    { name: 'tls-secret', secret: { secretName: cluster.kubernetes.names.tlsSecret, defaultMode: 0o440, items: keys.map((key) => ({ key, path: key })) } },
    { name: 'tls', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
  ];
}

/** The key must be the rabbitmq user's alone: copied into memory 0400, the certificates 0444. */
function tlsInitContainerOf(cluster: ResolvedCluster): k8s.Container {
  const paths = tlsPathsIn(TLS_DIR);
  const copies: [string, string, string][] = [
    [TLS_KEYS.certificate, paths.certificate, '0444'],
    [TLS_KEYS.privateKey, paths.privateKey, '0400'],
    ...(cluster.tls?.caCertificate ? ([[TLS_KEYS.caCertificate, paths.caCertificate, '0444']] as [string, string, string][]) : []),
  ];
  return secretCopyInitContainer(cluster.image, {
    name: 'tls-files',
    from: { volume: 'tls-secret', mountPath: TLS_SECRET_MOUNT },
    to: { volume: 'tls', mountPath: TLS_DIR },
    copies,
  });
}

/**
 * An init container that copies Secret files into a writable volume as uid 999 with the modes the node
 * needs (a Secret volume alone gives fsGroup 0440 at best). rm first: a 0400 file left by an earlier run
 * cannot be overwritten.
 */
function secretCopyInitContainer(
  image: string,
  props: {
    readonly name: string;
    readonly from: { readonly volume: string; readonly mountPath: string };
    readonly to: { readonly volume: string; readonly mountPath: string };
    /** [Secret key, destination path, mode] */
    readonly copies: readonly (readonly [string, string, string])[];
  },
): k8s.Container {
  return {
    name: props.name,
    image,
    command: [
      'sh',
      '-c',
      ['set -eu', ...props.copies.map(([key, to, mode]) => `rm -f ${to}; cp ${props.from.mountPath}/${key} ${to}; chmod ${mode} ${to}`)].join('; '),
    ],
    securityContext: containerSecurity,
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
      limits: { memory: k8s.Quantity.fromString('64Mi') },
    },
    volumeMounts: [
      { name: props.to.volume, mountPath: props.to.mountPath },
      { name: props.from.volume, mountPath: props.from.mountPath, readOnly: true },
    ],
  };
}

function rabbitmqContainerOf(cluster: ResolvedCluster): k8s.Container {
  const { kubernetes: k8sTarget, ports, features } = cluster;
  const { requests, limits } = k8sTarget.resources;
  const ping: k8s.ExecAction = { command: ['rabbitmq-diagnostics', '-q', 'ping'] };
  const { plain: plainManagement, tls: tlsManagement } = listenersOfFamily(cluster.listeners, 'management');
  const managementListener = plainManagement ?? tlsManagement;
  const timeout = k8sTarget.preStop.timeoutSeconds;
  return {
    name: 'rabbitmq',
    image: cluster.image,
    env: [
      { name: 'MY_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'MY_POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'RABBITMQ_USE_LONGNAME', value: 'true' },
      // Refers to the two variables above, so it must come after them.
      { name: 'RABBITMQ_NODENAME', value: k8sTarget.nodeNamePattern },
      { name: 'RABBITMQ_CONFIG_FILES', value: `${CONFIG_DIR}/conf.d` },
      { name: 'RABBITMQ_ENABLED_PLUGINS_FILE', value: `${CONFIG_DIR}/enabled_plugins` },
      // The server's and the CLI's (probes, preStop) VM arguments for inter-node TLS: the options file's path, no secret.
      ...interNodeEnvOf(cluster),
    ],
    ports: [
      ...cluster.listeners.map((listener) => ({ name: listener.name, containerPort: listener.port, protocol: 'TCP' })),
      { name: 'epmd', containerPort: ports.epmd, protocol: 'TCP' },
      { name: 'cluster-links', containerPort: ports.distribution, protocol: 'TCP' },
    ],
    resources: {
      requests: { cpu: k8s.Quantity.fromString(requests.cpu), memory: k8s.Quantity.fromString(requests.memory) },
      limits: {
        ...(limits.cpu !== undefined && { cpu: k8s.Quantity.fromString(limits.cpu) }),
        memory: k8s.Quantity.fromString(limits.memory),
      },
    },
    securityContext: containerSecurity,
    // A first boot waits up to 5 minutes for peers; the CLI ping needs only the cookie, no password.
    startupProbe: { exec: ping, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 60 },
    // No liveness probe: restarting a busy or syncing node makes things worse.
    readinessProbe:
      features.httpHealthEndpoints && managementListener
        ? {
            // Over TLS where the plain port is closed; the kubelet does not verify the certificate.
            httpGet: {
              path: '/api/health/checks/ready-to-serve-clients',
              port: k8s.IntOrString.fromString(managementListener.name),
              ...(managementListener.tls && { scheme: 'HTTPS' }),
            },
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 3,
          }
        : { exec: ping, periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 },
    lifecycle: {
      preStop: {
        exec: {
          command: ['sh', '-c', k8sTarget.preStop.commands.map((command) => `rabbitmq-upgrade ${command} -t ${timeout}`).join('; ')],
        },
      },
    },
    // Parent directories before the files mounted inside them.
    volumeMounts: [
      { name: 'data', mountPath: DATA_DIR },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'logs', mountPath: '/var/log/rabbitmq' },
      { name: 'tmp', mountPath: '/tmp' },
      ...(cluster.tls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
    ],
  };
}

/**
 * The majority agent (model/majority-check.ts) beside the node, in the pod's network namespace. Its readiness is
 * the pod's: while the node cannot reach a majority of the pods, the pod leaves the client Service's endpoints and
 * new connections go to the majority. kube-proxy does not cut established ones, so the agent closes them through
 * the node's CLI (the cookie in the data volume, the node's own name) when the majority is lost.
 */
function majorityAgentContainerOf(cluster: ResolvedCluster, check: ResolvedMajorityCheck): k8s.Container {
  const { names, replicas } = cluster.kubernetes;
  // Pod names resolve through the headless Service, which publishes not-ready pods too.
  const pods = Array.from({ length: replicas }, (_, i) => `${names.statefulSet}-${i}.${names.headlessService}.$(MY_POD_NAMESPACE)`);
  return {
    name: 'majority-agent',
    image: cluster.image,
    command: ['escript', ...majorityAgentArgs(check, pods, cluster.ports.distribution)],
    env: [
      { name: 'MY_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'MY_POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'RABBITMQ_USE_LONGNAME', value: 'true' },
      // Refers to the two variables above, so it must come after them.
      { name: 'RABBITMQ_NODENAME', value: cluster.kubernetes.nodeNamePattern },
      { name: 'HOME', value: DATA_DIR },
      { name: 'WARREN_ON_MINORITY', value: CLOSE_CLIENT_CONNECTIONS_COMMAND },
      // Its CLI closes connections over the distribution: with inter-node TLS, through TLS like the node.
      ...interNodeEnvOf(cluster),
    ],
    ports: [{ name: 'majority', containerPort: check.agentPort, protocol: 'TCP' }],
    // Measured: one BEAM of about 42 MB, 3 ms of CPU per second.
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('64Mi') },
      limits: { memory: k8s.Quantity.fromString('128Mi') },
    },
    securityContext: containerSecurity,
    readinessProbe: {
      httpGet: { path: check.path, port: k8s.IntOrString.fromString('majority') },
      periodSeconds: 1,
      timeoutSeconds: 1,
      failureThreshold: 2,
      successThreshold: 1,
    },
    volumeMounts: [
      { name: 'majority-agent', mountPath: dirname(check.programPath), readOnly: true },
      // The cookie the CLI needs, installed there by the init container; the CLI writes nothing but temporary files.
      { name: 'data', mountPath: DATA_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      ...(hasInterNodeTls(cluster)
        ? [
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            { name: 'tls', mountPath: TLS_DIR, readOnly: true },
          ]
        : []),
    ],
  };
}

function interNodeEnvOf(cluster: ResolvedCluster): k8s.EnvVar[] {
  return Object.entries(interNodeEnvironment(cluster, INTER_NODE_TLS_PATH)).map(([name, value]) => ({ name, value }));
}
