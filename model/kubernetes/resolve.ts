/**
 * The Kubernetes target's resolved settings: object names, node-name pattern, replicas and the
 * preStop/grace-period budget, derived once so the chart, the Pulumi program and the CLI agree.
 */
import { containerMemory, type ContainerMemory } from '../core/container-memory';
import { quantityValue, type KubernetesSpec } from './schema';
import { preStopCommandsOf, preStopWorstCaseSeconds } from './pre-stop';
import type { VersionFeatures } from '../rabbitmq/version';

export interface ResolvedKubernetes {
  readonly namespace: string;
  /** One pod per node of the spec (`nodes` count or list length); pods are named <statefulSet>-0..N-1. */
  readonly replicas: number;
  readonly names: {
    readonly statefulSet: string;
    /** Headless Service that gives every pod its DNS name; part of the node names. */
    readonly headlessService: string;
    /** ClusterIP Service for clients (AMQP, management, Prometheus). */
    readonly clientService: string;
    readonly serviceAccount: string;
    readonly configMap: string;
    readonly cookieSecret: string;
    /** Default user's credentials and definitions.json. */
    readonly defaultUserSecret: string;
    /**
     * `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`, `ca.crt`) of a cluster with TLS: the chart creates it from
     * the spec's sources, or, with existingSecret, you manage it (cert-manager writes this layout).
     */
    readonly tlsSecret: string;
  };
  /** RABBITMQ_NODENAME, with the pod's own name and namespace filled in by Kubernetes. */
  readonly nodeNamePattern: string;
  readonly storage: { readonly size: string; readonly className?: string };
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu?: string; readonly memory: string };
  };
  /** The container's memory limit, and what RabbitMQ is told it has. */
  readonly memory: ContainerMemory;
  readonly clientNamespaces: readonly string[];
  readonly monitoringNamespace: string;
  readonly serviceMonitor: boolean;
  readonly prometheusRule: boolean;
  /** A Secret the user manages (keys `erlang-cookie`, `definitions.json`) instead of generated ones. */
  readonly existingSecret?: string;
  readonly preStop: {
    readonly commands: readonly string[];
    readonly timeoutSeconds: number;
  };
  readonly terminationGracePeriodSeconds: number;
  readonly maxUnavailable: number;
}

export function resolveKubernetes(name: string, replicas: number, spec: KubernetesSpec, features: VersionFeatures): ResolvedKubernetes {
  const headlessService = `${name}-nodes`;
  return {
    namespace: spec.namespace,
    replicas,
    names: {
      statefulSet: name,
      headlessService,
      clientService: name,
      serviceAccount: name,
      configMap: `${name}-config`,
      cookieSecret: spec.existingSecret ?? `${name}-erlang-cookie`,
      defaultUserSecret: spec.existingSecret ?? `${name}-default-user`,
      tlsSecret: `${name}-tls`,
    },
    nodeNamePattern: `rabbit@$(MY_POD_NAME).${headlessService}.$(MY_POD_NAMESPACE)`,
    storage: spec.storage,
    resources: spec.resources,
    memory: containerMemory(spec.resources.limits.memory, quantityValue(spec.resources.limits.memory)),
    clientNamespaces: [...new Set(spec.clientNamespaces.filter((ns) => ns !== spec.namespace))].sort(),
    monitoringNamespace: spec.monitoringNamespace,
    serviceMonitor: spec.serviceMonitor,
    prometheusRule: spec.prometheusRule,
    ...(spec.existingSecret && { existingSecret: spec.existingSecret }),
    preStop: { commands: preStopCommandsOf(features, replicas), timeoutSeconds: spec.preStopTimeoutSeconds },
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? preStopWorstCaseSeconds(features, replicas, spec.preStopTimeoutSeconds),
    maxUnavailable: spec.maxUnavailable,
  };
}

/** DNS name of pod `ordinal` (0-based) through the headless Service, as peers and direct clients dial it. */
export function podHostName(kubernetes: ResolvedKubernetes, ordinal: number): string {
  return `${kubernetes.names.statefulSet}-${ordinal}.${kubernetes.names.headlessService}.${kubernetes.namespace}.svc`;
}

/** The host part of a pod's node name (nodeNamePattern): `<pod>.<headless Service>.<namespace>`, as peers dial it. */
export function nodeNameHost(kubernetes: ResolvedKubernetes, ordinal: number): string {
  return `${kubernetes.names.statefulSet}-${ordinal}.${kubernetes.names.headlessService}.${kubernetes.namespace}`;
}

/** DNS name of the client Service, as applications in other namespaces dial it. */
export function clientServiceHostName(kubernetes: ResolvedKubernetes): string {
  return `${kubernetes.names.clientService}.${kubernetes.namespace}.svc`;
}
