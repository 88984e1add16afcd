/**
 * RabbitmqCluster on a Docker host (`warren:docker:RabbitmqCluster`): the compose project's network,
 * volumes and containers as @pulumi/docker resources, with the generated files uploaded into each
 * container before it starts. The nodes form the cluster by themselves (classic_config), exactly as the
 * compose target does. The Docker host is the provider's: DOCKER_HOST, `docker:host`, or an explicit provider.
 */
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import { HAPROXY_SERVICE, publishedPortsOf, serviceFileContent, type FileContent } from '../compose';
import { applicationListenerOf, managementListenerOf, secretsOfTarget, type ResolvedCluster, type SecretValues } from '../model/internal';
import { amqpUrl, managementUrl } from './connection-urls';
import { dockerPlanOf, SECRET_CONTENTS, type ContainerPlan } from './docker-plan';
import { secretOutputsOf, secretValuesOf, type SecretInputs } from './secrets';

export interface DockerRabbitmqClusterArgs {
  /** The cluster, as resolveCluster() returns it. */
  readonly cluster: ResolvedCluster;
  /**
   * Secret values by id (`erlang-cookie`, `default-user-password`, ...), e.g. from `config.requireSecret`.
   * @default - a RandomPassword kept in the stack's state for every secret whose spec source is `generate`
   */
  readonly secrets?: SecretInputs;
  /**
   * Host name clients use to reach the published ports (the remote Docker host's name, for instance).
   * @default - the spec's compose.bindAddress, or "localhost" when that binds every address
   */
  readonly publicHost?: string;
  /**
   * Seconds `pulumi up` waits for each container's healthcheck to pass.
   * @default 180
   */
  readonly healthyTimeoutSeconds?: number;
}

export class DockerRabbitmqCluster extends pulumi.ComponentResource {
  /** Erlang node names, `rabbit@<host>`, as in the compose target. */
  readonly nodeNames: pulumi.Output<string[]>;
  /** Every AMQP endpoint published on the Docker host: HAProxy's with a load balancer, else each node's. Secret. */
  readonly amqpUrls: pulumi.Output<string[]>;
  /** The first of amqpUrls: the one clients should use. Secret. */
  readonly amqpUrl: pulumi.Output<string>;
  /** The management UI (through HAProxy when there is one; https on the TLS port whenever the nodes open it), or undefined without the management plugin. */
  readonly managementUrl: pulumi.Output<string | undefined>;
  readonly username: pulumi.Output<string>;
  /** The default user's password. Secret. */
  readonly password: pulumi.Output<string>;
  readonly network: docker.Network;
  readonly containers: readonly docker.Container[];

  constructor(name: string, args: DockerRabbitmqClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('warren:docker:RabbitmqCluster', name, {}, opts);
    const { cluster } = args;
    const plan = dockerPlanOf(cluster);
    const secrets = secretOutputsOf(secretsOfTarget(cluster, 'compose'), args.secrets ?? {}, this, name);
    const values = secretValuesOf(secrets);
    const contentOf = fileContentsOf(cluster, values);

    this.network = new docker.Network(`${name}-network`, { name: plan.networkName }, { parent: this });
    const volumes = new Map(plan.volumeNames.map((volume) => [volume, new docker.Volume(`${name}-${volume}`, { name: volume }, { parent: this })]));
    const images = new Map<string, docker.RemoteImage>();
    const imageOf = (image: string, key: string) => {
      // Containers run the pulled image's ID, so a moved tag changes nothing until the image resource is replaced.
      if (!images.has(image)) images.set(image, new docker.RemoteImage(`${name}-${key}-image`, { name: image, keepLocally: true }, { parent: this }));
      return images.get(image)!;
    };
    const healthyTimeoutSeconds = args.healthyTimeoutSeconds ?? 180;

    this.containers = plan.containers.map((container) => {
      const image = imageOf(container.image, container.service === HAPROXY_SERVICE ? HAPROXY_SERVICE : 'rabbitmq');
      const volume = container.volume && volumes.get(container.volume.name);
      return new docker.Container(
        `${name}-${container.service}`,
        {
          name: container.containerName,
          image: image.imageId,
          hostname: container.hostname,
          envs: [...container.envs],
          networksAdvanced: [{ name: this.network.name, aliases: [container.service] }],
          ports: container.ports.map((p) => ({ ...p, protocol: 'tcp' })),
          ...(container.volume && volume && { volumes: [{ volumeName: volume.name, containerPath: container.volume.containerPath }] }),
          uploads: uploadsOf(container, contentOf),
          ...(container.entrypoint && { entrypoints: [...container.entrypoint] }),
          ...(container.healthcheck && { healthcheck: { ...container.healthcheck, tests: [...container.healthcheck.tests] } }),
          restart: container.restart,
          ...(container.stopTimeoutSeconds !== undefined && { stopTimeout: container.stopTimeoutSeconds }),
          ...(container.memoryLimitMiB !== undefined && { memory: container.memoryLimitMiB }),
          mustRun: true,
          // HAProxy has no healthcheck. Nodes are healthy once booted and clustered (check_running); Pulumi creates
          // them in parallel, so every node finds its peers while `pulumi up` waits.
          ...(container.healthcheck && { wait: true, waitTimeout: healthyTimeoutSeconds }),
        },
        { parent: this },
      );
    });

    const host = args.publicHost ?? (cluster.compose.bindAddress === '0.0.0.0' ? 'localhost' : cluster.compose.bindAddress);
    const published = publishedPortsOf(cluster);
    const password = secrets[cluster.defaultUser.password.id]!;
    // Plain AMQP while the nodes keep it; amqps:// when TLS replaced it.
    const scheme = applicationListenerOf(cluster.listeners).name;
    const amqpPorts = published.filter((p) => p.listener === scheme).map((p) => p.hostPort);
    const managementListener = managementListenerOf(cluster.listeners);
    const management = managementListener && published.find((p) => p.listener === managementListener.name);
    this.nodeNames = pulumi.output(cluster.nodes.map((node) => node.nodeName));
    this.amqpUrls = pulumi.secret(pulumi.all(amqpPorts.map((port) => amqpUrl(cluster.defaultUser.name, password, host, port, scheme))));
    this.amqpUrl = this.amqpUrls.apply((urls) => urls[0]!);
    this.managementUrl = pulumi.output(management && managementUrl(host, management.hostPort, managementListener.tls));
    this.username = pulumi.output(cluster.defaultUser.name);
    this.password = password;
    this.registerOutputs({
      nodeNames: this.nodeNames,
      amqpUrls: this.amqpUrls,
      amqpUrl: this.amqpUrl,
      managementUrl: this.managementUrl,
      username: this.username,
      password: this.password,
    });
  }
}

/** Files that need no secret value render now, so their diffs stay readable. */
const RENDERED_NOW: ReadonlySet<FileContent> = new Set(['rabbitmq-conf', 'enabled-plugins', 'inter-node-tls', 'majority-agent']);

/**
 * Each content the compose files hold, rendered by the same function; those that need secret values inside
 * the secret values (password hashes and the stats password's crypt hash stay secret), once each.
 */
function fileContentsOf(cluster: ResolvedCluster, values: pulumi.Output<SecretValues>): (content: FileContent, node: string | undefined) => pulumi.Input<string> {
  const rendered = new Map<string, pulumi.Input<string>>();
  return (content, node) => {
    const key = `${content}/${node ?? ''}`;
    if (!rendered.has(key)) {
      const text = RENDERED_NOW.has(content) ? serviceFileContent(cluster, content, {}) : values.apply((v) => serviceFileContent(cluster, content, v, node));
      rendered.set(key, SECRET_CONTENTS.has(content) ? pulumi.secret(text) : text);
    }
    return rendered.get(key)!;
  };
}

function uploadsOf(container: ContainerPlan, contentOf: (content: FileContent, node: string | undefined) => pulumi.Input<string>): docker.types.input.ContainerUpload[] {
  return container.uploads.map((upload) => ({
    file: upload.file,
    content: contentOf(upload.content, upload.node),
    permissions: upload.permissions,
    ...(upload.owner !== undefined && { owner: upload.owner }),
    ...(upload.group !== undefined && { group: upload.group }),
  }));
}
