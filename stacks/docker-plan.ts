/**
 * The docker-compose project, read as a plan for @pulumi/docker: the same services, host names, node
 * names, published ports, healthchecks and files, so both targets run the very same cluster.
 * Pure: no resources, no secret values (files name their content, the component supplies it).
 */
import {
  COMPOSE_FILES,
  COMPOSE_SECRETS,
  composeProjectOf,
  composeTlsFiles,
  CONTAINER_PATHS,
  HAPROXY_CONFIG_FILE,
  HAPROXY_SERVICE,
  publishedPortsOf,
  type ComposeService,
} from '../compose';
import type { ResolvedCluster } from '../model';

/** What a file uploaded into a container holds. */
export type FileContent =
  | 'rabbitmq-conf'
  | 'enabled-plugins'
  | 'erlang-cookie'
  | 'definitions'
  | 'haproxy-config'
  | 'majority-agent'
  | 'tls-certificate'
  | 'tls-private-key'
  | 'tls-ca-certificate';

/** Contents that carry a secret or a hash of one: uploaded as secret inputs. */
export const SECRET_CONTENTS: ReadonlySet<FileContent> = new Set(['erlang-cookie', 'definitions', 'haproxy-config', 'tls-private-key']);

/** The official rabbitmq image's `rabbitmq` user and group. Numeric: names would resolve on the machine running Pulumi. */
export const RABBITMQ_UID = '999';

export interface UploadPlan {
  /** Absolute path in the container. */
  readonly file: string;
  readonly content: FileContent;
  readonly permissions: '0644' | '0444' | '0400';
  readonly owner?: string;
  readonly group?: string;
}

export interface ContainerPlan {
  /** The compose service it mirrors: a node's host name, or `haproxy`. */
  readonly service: string;
  readonly containerName: string;
  readonly hostname: string;
  readonly image: string;
  /** `KEY=value`; never a secret (compose `environment:` holds none either). */
  readonly envs: readonly string[];
  readonly ports: readonly { readonly ip: string; readonly external: number; readonly internal: number }[];
  readonly volume?: { readonly name: string; readonly containerPath: string };
  readonly uploads: readonly UploadPlan[];
  readonly healthcheck?: {
    readonly tests: readonly string[];
    readonly interval: string;
    readonly timeout: string;
    readonly retries: number;
    readonly startPeriod: string;
  };
  readonly restart: 'unless-stopped';
  readonly stopTimeoutSeconds?: number;
}

export interface DockerPlan {
  readonly networkName: string;
  readonly volumeNames: readonly string[];
  /** Nodes first, in cluster order, then HAProxy when there is a load balancer. */
  readonly containers: readonly ContainerPlan[];
}

/** Compose bind mounts, by source, as uploads: same target, same content, world-readable like a bind mount. */
const BIND_CONTENTS: Readonly<Record<string, FileContent>> = {
  [`./${COMPOSE_FILES.rabbitmqConf}`]: 'rabbitmq-conf',
  [`./${COMPOSE_FILES.enabledPlugins}`]: 'enabled-plugins',
  [`./${HAPROXY_CONFIG_FILE}`]: 'haproxy-config',
  [`./${COMPOSE_FILES.majorityAgent}`]: 'majority-agent',
};

/**
 * Compose secrets, by name, as uploads to where the compose entrypoint installs them. Upload sets owner and
 * mode in the tar stream Docker extracts before the container starts, so the image's own entrypoint runs
 * unchanged and finds the cookie as Erlang demands it (owner rabbitmq, 0400).
 */
const SECRET_UPLOADS: Readonly<Record<string, UploadPlan>> = {
  [COMPOSE_SECRETS.cookie]: { file: CONTAINER_PATHS.cookie, content: 'erlang-cookie', permissions: '0400', owner: RABBITMQ_UID, group: RABBITMQ_UID },
  [COMPOSE_SECRETS.definitions]: { file: CONTAINER_PATHS.definitions, content: 'definitions', permissions: '0400', owner: RABBITMQ_UID, group: RABBITMQ_UID },
};

/** The TLS files, where and with the mode the compose entrypoint installs them (the key 0400 for uid 999). */
function tlsUploadsOf(cluster: ResolvedCluster): Record<string, UploadPlan> {
  const contents: Record<string, FileContent> = {
    [COMPOSE_SECRETS.tlsCertificate]: 'tls-certificate',
    [COMPOSE_SECRETS.tlsPrivateKey]: 'tls-private-key',
    [COMPOSE_SECRETS.tlsCaCertificate]: 'tls-ca-certificate',
  };
  return Object.fromEntries(
    composeTlsFiles(cluster).map((f) => [f.secret, { file: f.destination, content: contents[f.secret]!, permissions: f.mode, owner: RABBITMQ_UID, group: RABBITMQ_UID }]),
  );
}

function seconds(duration: string, where: string): number {
  const match = /^(\d+)s$/.exec(duration);
  if (!match) throw new Error(`${where}: "${duration}" is not a whole number of seconds; compose and this plan must agree on the format`);
  return Number(match[1]);
}

function uploadsOf(service: ComposeService, name: string, secretUploads: Readonly<Record<string, UploadPlan>>): UploadPlan[] {
  const binds = (service.volumes ?? []).filter((v) => v.type === 'bind');
  return [
    ...binds.map((bind): UploadPlan => {
      const content = BIND_CONTENTS[bind.source];
      if (!content) throw new Error(`services.${name}.volumes: "${bind.source}" has no upload plan; add it to BIND_CONTENTS in stacks/docker-plan.ts`);
      return { file: bind.target, content, permissions: '0644' };
    }),
    ...(service.secrets ?? []).map((secret) => {
      const upload = secretUploads[secret.source];
      if (!upload) throw new Error(`services.${name}.secrets: "${secret.source}" has no upload plan; add it to SECRET_UPLOADS (or tlsUploadsOf) in stacks/docker-plan.ts`);
      return upload;
    }),
  ];
}

export function dockerPlanOf(cluster: ResolvedCluster): DockerPlan {
  const project = composeProjectOf(cluster);
  const published = publishedPortsOf(cluster);
  const secretUploads = { ...SECRET_UPLOADS, ...tlsUploadsOf(cluster) };
  const services = [...cluster.nodes.map((node) => node.host), ...(cluster.loadBalancer ? [HAPROXY_SERVICE] : [])];
  const containers = services.map((name): ContainerPlan => {
    const service = project.services[name];
    if (!service) throw new Error(`services.${name}: missing from the compose project`);
    const volume = (service.volumes ?? []).find((v) => v.type === 'volume');
    const h = service.healthcheck;
    return {
      service: name,
      // Nodes keep their host name (unique per cluster); HAProxy gets the cluster's name in front.
      containerName: name === HAPROXY_SERVICE ? `${cluster.name}-${HAPROXY_SERVICE}` : name,
      hostname: service.hostname ?? name,
      image: service.image,
      envs: Object.entries(service.environment ?? {}).map(([key, value]) => `${key}=${value}`),
      ports: published
        .filter((p) => p.service === name)
        .sort((a, b) => a.hostPort - b.hostPort)
        .map((p) => ({ ip: cluster.compose.bindAddress, external: p.hostPort, internal: p.containerPort })),
      ...(volume && { volume: { name: volume.source, containerPath: volume.target } }),
      uploads: uploadsOf(service, name, secretUploads),
      ...(h && {
        healthcheck: { tests: h.test, interval: h.interval, timeout: h.timeout, retries: h.retries, startPeriod: h.start_period },
      }),
      restart: service.restart ?? 'unless-stopped',
      ...(service.stop_grace_period !== undefined && { stopTimeoutSeconds: seconds(service.stop_grace_period, `services.${name}.stop_grace_period`) }),
    };
  });
  const network = Object.values(project.networks)[0];
  if (!network) throw new Error(`networks: the compose project of "${cluster.name}" has none`);
  return { networkName: network.name, volumeNames: Object.keys(project.volumes), containers };
}
