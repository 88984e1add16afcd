/**
 * RabbitmqCluster: every Kubernetes object one RabbitMQ cluster needs, from a ResolvedCluster.
 * cdk8s-plus-27 builds the objects it models fully (ServiceAccount, Role, RoleBinding, Secrets,
 * ConfigMap, client Service, NetworkPolicy); the typed Kubernetes API builds those it cannot
 * express (headless Service with publishNotReadyAddresses, StatefulSet, PodDisruptionBudget); plain
 * ApiObjects the prometheus-operator and cert-manager CRDs.
 */
import { Construct } from 'constructs';
import { ApiResource, ConfigMap, k8s, Pods, Role, RoleBinding, Secret, Service, ServiceAccount } from 'cdk8s-plus-27';
import { certManagerCertificateOf, listenerNamed, MAJORITY_AGENT_ESCRIPT, pemFileContent, secretValue, type ResolvedCluster, type SecretValues } from '../model/internal';
import { NodesCertificate } from './certificate';
import { labelsOf, selectorOf } from './labels';
import { ClusterPrometheusRule, NodesServiceMonitor } from './monitoring';
import { NodesNetworkPolicy } from './network-policy';
import { configFilesOf, definitionsJsonOf, DEFINITIONS_KEY, restartChecksumOf } from './node-config';
import { COOKIE_KEY, MAJORITY_AGENT_KEY, NodeStatefulSet, TLS_KEYS } from './stateful-set';

export interface RabbitmqClusterProps {
  /** The cluster, as resolveCluster() returns it; `cluster.kubernetes` holds the target's settings. */
  readonly cluster: ResolvedCluster;
  /**
   * Secret values by id (`erlang-cookie`, `default-user-password`, ...), materialised by an entry point.
   * @default - none: then `cluster.kubernetes.existingSecret` must name a Secret you manage
   */
  readonly secrets?: SecretValues;
}

export class RabbitmqCluster extends Construct {
  /** Checksum of the boot-time configuration on the pod template; it changes only when nodes must restart. */
  readonly configChecksum: string;

  constructor(scope: Construct, id: string, props: RabbitmqClusterProps) {
    super(scope, id);
    const { cluster, secrets } = props;
    const { kubernetes: k8sTarget, ports } = cluster;
    const { names, namespace } = k8sTarget;
    const perNode = cluster.listeners.filter((l) => l.access === 'per-node');
    const metadata = (name: string, component: Parameters<typeof labelsOf>[1] = 'broker') => ({ name, namespace, labels: labelsOf(cluster, component) });

    const files = configFilesOf(cluster);
    const definitions = definitionsJsonOf(cluster, secrets);
    const { tls } = cluster;
    const certificateRequest = certManagerCertificateOf(cluster);
    // With cert-manager the chart holds no certificate material: cert-manager writes the same Secret.
    const tlsData =
      tls && !certificateRequest && secrets && definitions !== undefined
        ? {
            [TLS_KEYS.certificate]: pemFileContent(secrets, tls.certificate),
            [TLS_KEYS.privateKey]: pemFileContent(secrets, tls.privateKey),
            ...(tls.caCertificate && { [TLS_KEYS.caCertificate]: pemFileContent(secrets, tls.caCertificate) }),
          }
        : undefined;
    const tlsCertificates = tlsData && `${tlsData[TLS_KEYS.certificate]}${tlsData[TLS_KEYS.caCertificate] ?? ''}`;
    this.configChecksum = restartChecksumOf(files, definitions, k8sTarget.existingSecret, tlsCertificates);

    const serviceAccount = new ServiceAccount(this, 'ServiceAccount', { metadata: metadata(names.serviceAccount), automountToken: false });
    if (cluster.features.k8sDiscoveryQueriesApi) {
      // Peer discovery below 4.1 lists the headless Service's endpoints and records events.
      const role = new Role(this, 'PeerDiscoveryRole', {
        metadata: metadata(`${cluster.name}-peer-discovery`),
        rules: [
          { verbs: ['get'], resources: [ApiResource.ENDPOINTS] },
          { verbs: ['create'], resources: [ApiResource.EVENTS] },
        ],
      });
      new RoleBinding(this, 'PeerDiscoveryRoleBinding', { metadata: metadata(`${cluster.name}-peer-discovery`), role }).addSubjects(serviceAccount);
    }

    if (definitions !== undefined && secrets) {
      new Secret(this, 'ErlangCookie', {
        metadata: metadata(names.cookieSecret),
        // A changed cookie splits a running cluster: the Secret can be created once, never edited.
        immutable: true,
        stringData: { [COOKIE_KEY]: secretValue(secrets, cluster.erlangCookie) },
      });
      new Secret(this, 'DefaultUser', {
        metadata: metadata(names.defaultUserSecret),
        stringData: {
          username: cluster.defaultUser.name,
          password: secretValue(secrets, cluster.defaultUser.password),
          [DEFINITIONS_KEY]: definitions,
        },
      });
    }

    if (tlsData) {
      // The layout cert-manager writes, so a managed certificate can replace this Secret (tls.certManager).
      new Secret(this, 'Tls', { metadata: metadata(names.tlsSecret), type: 'kubernetes.io/tls', stringData: tlsData });
    }
    if (certificateRequest) new NodesCertificate(this, 'Certificate', { cluster, request: certificateRequest });

    new ConfigMap(this, 'Config', {
      metadata: metadata(names.configMap),
      data: { ...files, ...(cluster.majorityCheck && { [MAJORITY_AGENT_KEY]: MAJORITY_AGENT_ESCRIPT }) },
    });

    new k8s.KubeService(this, 'HeadlessService', {
      metadata: metadata(names.headlessService, 'nodes'),
      spec: {
        clusterIp: 'None',
        // Nodes must resolve each other before they are ready, or the first boot never completes.
        publishNotReadyAddresses: true,
        selector: selectorOf(cluster),
        ports: [
          { name: 'epmd', port: ports.epmd, targetPort: k8s.IntOrString.fromString('epmd'), protocol: 'TCP' },
          { name: 'cluster-links', port: ports.distribution, targetPort: k8s.IntOrString.fromString('cluster-links'), protocol: 'TCP' },
          ...perNode.map((listener) => ({ name: listener.name, port: listener.port, targetPort: k8s.IntOrString.fromString(listener.name), protocol: 'TCP' })),
        ],
      },
    });

    new Service(this, 'ClientService', {
      metadata: metadata(names.clientService, 'clients'),
      selector: Pods.select(this, 'ClientServicePods', { labels: { ...selectorOf(cluster) } }),
      ports: [
        ...cluster.listeners.map((listener) => ({ name: listener.name, port: listener.port, targetPort: listener.port })),
      ],
    });

    new NodeStatefulSet(this, 'StatefulSet', { cluster, configChecksum: this.configChecksum });

    new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
      metadata: metadata(cluster.name),
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(k8sTarget.maxUnavailable),
        selector: { matchLabels: selectorOf(cluster) },
        // A pod that is not ready protects nothing; letting it go keeps node drains moving.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    new NodesNetworkPolicy(this, 'NetworkPolicy', { cluster });
    if (k8sTarget.serviceMonitor && listenerNamed(cluster.listeners, 'prometheus')) new NodesServiceMonitor(this, 'ServiceMonitor', { cluster });
    if (k8sTarget.prometheusRule) new ClusterPrometheusRule(this, 'PrometheusRule', { cluster });
  }
}
