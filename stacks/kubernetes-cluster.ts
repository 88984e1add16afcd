/**
 * RabbitmqCluster on Kubernetes (`warren:kubernetes:RabbitmqCluster`): the very objects the cdk8s chart
 * synthesises, in-process, created as typed @pulumi/kubernetes resources in a namespace the program names.
 * The cluster is the provider's: the current kubeconfig context, `kubernetes:context`, or an explicit provider.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { applicationListenerOf, managementListenerOf, secretsOfTarget, type ResolvedCluster } from '../model';
import { clientServiceHostName, podHostName } from '../model/internal';
import { chartObjectsOf, chartPlanOf, leafAt, withLeaf, type KubernetesObject } from './chart-objects';
import { amqpUrl, managementUrl } from './connection-urls';
import { secretOutputsOf, secretValuesOf, type SecretInputs } from './secrets';

export interface KubernetesRabbitmqClusterArgs {
  /** The cluster, as resolveCluster() returns it; `cluster.kubernetes.namespace` is where everything goes. */
  readonly cluster: ResolvedCluster;
  /**
   * Secret values by id (`erlang-cookie`, `default-user-password`, ...), e.g. from `config.requireSecret`.
   * @default - a RandomPassword kept in the stack's state for every secret whose spec source is `generate`
   */
  readonly secrets?: SecretInputs;
  /**
   * Create the namespace (and delete it on `pulumi destroy`).
   * @default - true, unless the namespace is "default"
   */
  readonly createNamespace?: boolean;
}

type ObjectConstructor = new (name: string, args: Record<string, unknown>, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Typed resources for every apiVersion/kind the chart emits; a new kind must be added here, never guessed. */
const CONSTRUCTORS: Readonly<Record<string, ObjectConstructor>> = {
  'v1/ServiceAccount': k8s.core.v1.ServiceAccount as unknown as ObjectConstructor,
  'v1/Secret': k8s.core.v1.Secret as unknown as ObjectConstructor,
  'v1/ConfigMap': k8s.core.v1.ConfigMap as unknown as ObjectConstructor,
  'v1/Service': k8s.core.v1.Service as unknown as ObjectConstructor,
  'apps/v1/StatefulSet': k8s.apps.v1.StatefulSet as unknown as ObjectConstructor,
  'policy/v1/PodDisruptionBudget': k8s.policy.v1.PodDisruptionBudget as unknown as ObjectConstructor,
  'networking.k8s.io/v1/NetworkPolicy': k8s.networking.v1.NetworkPolicy as unknown as ObjectConstructor,
  'rbac.authorization.k8s.io/v1/Role': k8s.rbac.v1.Role as unknown as ObjectConstructor,
  'rbac.authorization.k8s.io/v1/RoleBinding': k8s.rbac.v1.RoleBinding as unknown as ObjectConstructor,
  // prometheus-operator CRDs: no typed class in @pulumi/kubernetes.
  'monitoring.coreos.com/v1/ServiceMonitor': k8s.apiextensions.CustomResource as unknown as ObjectConstructor,
  'monitoring.coreos.com/v1/PrometheusRule': k8s.apiextensions.CustomResource as unknown as ObjectConstructor,
  // cert-manager's CRD (tls.certManager): no typed class either.
  'cert-manager.io/v1/Certificate': k8s.apiextensions.CustomResource as unknown as ObjectConstructor,
};

/** Objects a pod mounts or runs as (a Certificate makes the TLS Secret): created before the StatefulSet so its first pods find them. */
const POD_PREREQUISITES = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'Secret', 'Certificate', 'ConfigMap', 'Service']);

export class KubernetesRabbitmqCluster extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  /** Erlang node names, `rabbit@<pod>.<headless service>.<namespace>`. */
  readonly nodeNames: pulumi.Output<string[]>;
  /** In-cluster AMQP URLs: the client Service first, then each pod. Secret when they carry the password. */
  readonly amqpUrls: pulumi.Output<string[]>;
  /** In-cluster AMQP URL of the client Service. Secret when it carries the password. */
  readonly amqpUrl: pulumi.Output<string>;
  /** In-cluster management UI (https on the TLS port whenever the node opens it), or undefined without the management plugin. */
  readonly managementUrl: pulumi.Output<string | undefined>;
  readonly username: pulumi.Output<string>;
  /** The default user's password (secret); undefined when kubernetes.existingSecret names a Secret you manage. */
  readonly password: pulumi.Output<string | undefined>;
  /** Every object of the chart, by `Kind/name`. */
  readonly objects: Readonly<Record<string, pulumi.CustomResource>>;

  constructor(name: string, args: KubernetesRabbitmqClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('warren:kubernetes:RabbitmqCluster', name, {}, opts);
    const { cluster } = args;
    const { namespace, names, replicas } = cluster.kubernetes;
    const refs = secretsOfTarget(cluster, 'kubernetes');
    const secrets = secretOutputsOf(refs, args.secrets ?? {}, this, name);
    const synthesised = secretValuesOf(secrets).apply((values) => chartObjectsOf(cluster, values));
    const plan = chartPlanOf(cluster);

    const createNamespace = args.createNamespace ?? namespace !== 'default';
    const ns = createNamespace ? new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: namespace } }, { parent: this }) : undefined;
    this.namespace = ns ? ns.metadata.name : pulumi.output(namespace);

    const create = (object: KubernetesObject, index: number, dependsOn: pulumi.Resource[]) => {
      const key = `${object.apiVersion}/${object.kind}`;
      const Constructor = CONSTRUCTORS[key];
      if (!Constructor) throw new Error(`${key} ${object.metadata.name}: the chart emits a kind this program has no resource for; add it to CONSTRUCTORS in stacks/kubernetes-cluster.ts`);
      let inputs: unknown = { ...object, metadata: { ...object.metadata, ...(object.metadata.namespace !== undefined && { namespace: this.namespace }) } };
      for (const leaf of plan.secretLeaves[index]!) {
        inputs = withLeaf(inputs, leaf, pulumi.secret(synthesised.apply((objects) => leafAt(objects[index], leaf))));
      }
      return new Constructor(`${name}-${object.kind.toLowerCase()}-${object.metadata.name}`, inputs as Record<string, unknown>, {
        parent: this,
        ...(dependsOn.length > 0 && { dependsOn }),
      });
    };
    const objects: Record<string, pulumi.CustomResource> = {};
    const indexed = plan.objects.map((object, index) => ({ object, index }));
    const prerequisites: pulumi.Resource[] = [];
    for (const { object, index } of indexed.filter(({ object }) => POD_PREREQUISITES.has(object.kind))) {
      const resource = create(object, index, ns ? [ns] : []);
      objects[`${object.kind}/${object.metadata.name}`] = resource;
      prerequisites.push(resource);
    }
    for (const { object, index } of indexed.filter(({ object }) => !POD_PREREQUISITES.has(object.kind))) {
      objects[`${object.kind}/${object.metadata.name}`] = create(object, index, object.kind === 'StatefulSet' ? prerequisites : ns ? [ns] : []);
    }
    this.objects = objects;

    const podHost = (i: number) => podHostName(cluster.kubernetes, i);
    const serviceHost = clientServiceHostName(cluster.kubernetes);
    const hosts = [serviceHost, ...Array.from({ length: replicas }, (_, i) => podHost(i))];
    const password = secrets[cluster.defaultUser.password.id];
    // Plain AMQP while the nodes keep it; amqps:// when TLS replaced it.
    const { name: scheme, port: amqp } = applicationListenerOf(cluster.listeners);
    const management = managementListenerOf(cluster.listeners);
    this.nodeNames = pulumi.output(
      Array.from({ length: replicas }, (_, i) =>
        cluster.kubernetes.nodeNamePattern.replace('$(MY_POD_NAME)', `${names.statefulSet}-${i}`).replace('$(MY_POD_NAMESPACE)', namespace),
      ),
    );
    this.amqpUrls = password
      ? pulumi.secret(pulumi.all(hosts.map((host) => amqpUrl(cluster.defaultUser.name, password, host, amqp, scheme))))
      : pulumi.output(hosts.map((host) => `${scheme}://${host}:${amqp}/`));
    this.amqpUrl = this.amqpUrls.apply((urls) => urls[0]!);
    this.managementUrl = pulumi.output(management && managementUrl(serviceHost, management.port, management.tls));
    this.username = pulumi.output(cluster.defaultUser.name);
    this.password = password ?? pulumi.output(undefined);
    this.registerOutputs({
      namespace: this.namespace,
      nodeNames: this.nodeNames,
      amqpUrls: this.amqpUrls,
      amqpUrl: this.amqpUrl,
      managementUrl: this.managementUrl,
      username: this.username,
      password: this.password,
    });
  }
}
