/**
 * The compose target's typed project as a plan for @pulumi/docker: the same services, host names, node names,
 * published ports, healthchecks, files and start-up, so both targets run the very same cluster.
 * Pure: no resources, no secret values (files name their content, the component supplies it).
 */
import {
  composeProjectFromCluster,
  durationText,
  HAPROXY_SERVICE,
  renderEntrypoint,
  type ComposeService,
  type FileContent,
  type ServiceFile,
  type StartupStep,
} from '../compose';
import type { ResolvedCluster } from '../model/internal';

/** Contents that carry a secret or a hash of one: uploaded as secret inputs. */
export const SECRET_CONTENTS: ReadonlySet<FileContent> = new Set(['erlang-cookie', 'definitions', 'haproxy-config', 'tls-private-key']);

/** The official rabbitmq image's `rabbitmq` user and group. Numeric: names would resolve on the machine running Pulumi. */
export const RABBITMQ_UID = '999';

export interface UploadPlan {
  /** Absolute path in the container. */
  readonly file: string;
  readonly content: FileContent;
  /** The node whose own TLS certificate or key it is (ServiceFile.node). @default - the material every node shares */
  readonly node?: string;
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
  /** The node's start-up without what the uploads already did. @default - the image's entrypoint */
  readonly entrypoint?: readonly string[];
  readonly healthcheck?: {
    readonly tests: readonly string[];
    readonly interval: string;
    readonly timeout: string;
    readonly retries: number;
    readonly startPeriod: string;
  };
  readonly restart: 'unless-stopped';
  readonly stopTimeoutSeconds?: number;
  /** The Docker API's `memory`, in MB of 2^20 bytes. @default - no limit */
  readonly memoryLimitMiB?: number;
}

export interface DockerPlan {
  readonly networkName: string;
  readonly volumeNames: readonly string[];
  /** Nodes first, in cluster order, then HAProxy when there is a load balancer. */
  readonly containers: readonly ContainerPlan[];
}

/**
 * A compose file as an upload. A bind mount keeps its target and is world-readable. A compose secret goes
 * straight where the compose entrypoint installs it: upload sets owner and mode in the tar stream Docker
 * extracts before the container starts, so the cookie is in place as Erlang demands it (owner rabbitmq, 0400).
 */
function uploadOf(file: ServiceFile): UploadPlan {
  switch (file.delivery.kind) {
    case 'bind':
      return { file: file.target, content: file.content, permissions: '0644' };
    case 'secret':
      return { file: file.target, content: file.content, ...(file.node !== undefined && { node: file.node }), permissions: file.delivery.mode, owner: RABBITMQ_UID, group: RABBITMQ_UID };
    default: {
      const unknown: never = file.delivery;
      throw new Error(`unknown file delivery ${JSON.stringify(unknown)}`);
    }
  }
}

/** Whether a start-up step still has to run in the container: uploads have already put every file in place. */
function runsAfterUploads(step: StartupStep): boolean {
  switch (step.kind) {
    case 'make-folder':
    case 'install':
      return false;
    case 'keep-running':
    case 'exec':
      return true;
    default: {
      const unknown: never = step;
      throw new Error(`unknown start-up step ${JSON.stringify(unknown)}`);
    }
  }
}

function containerOf(cluster: ResolvedCluster, service: ComposeService): ContainerPlan {
  const h = service.healthcheck;
  return {
    service: service.name,
    // Nodes keep their host name (unique per cluster); HAProxy gets the cluster's name in front.
    containerName: service.name === HAPROXY_SERVICE ? `${cluster.name}-${HAPROXY_SERVICE}` : service.name,
    hostname: service.hostname,
    image: service.image,
    envs: Object.entries(service.environment).map(([key, value]) => `${key}=${value}`),
    ports: service.ports.map((p) => ({ ip: p.address, external: p.hostPort, internal: p.containerPort })),
    ...(service.dataVolume && { volume: { name: service.dataVolume.name, containerPath: service.dataVolume.target } }),
    uploads: service.files.map(uploadOf),
    // The same script compose runs, so the majority agent HAProxy asks runs beside every node here too.
    ...(service.startup && { entrypoint: renderEntrypoint(service.startup.filter(runsAfterUploads)) }),
    ...(h && {
      healthcheck: {
        tests: h.test,
        interval: durationText(h.intervalSeconds),
        timeout: durationText(h.timeoutSeconds),
        retries: h.retries,
        startPeriod: durationText(h.startPeriodSeconds),
      },
    }),
    restart: service.restart,
    ...(service.stopGracePeriodSeconds !== undefined && { stopTimeoutSeconds: service.stopGracePeriodSeconds }),
    ...(service.memoryLimitBytes !== undefined && { memoryLimitMiB: service.memoryLimitBytes / 2 ** 20 }),
  };
}

export function dockerPlanOf(cluster: ResolvedCluster): DockerPlan {
  const project = composeProjectFromCluster(cluster);
  return {
    networkName: project.network,
    volumeNames: project.volumes,
    containers: project.services.map((service) => containerOf(cluster, service)),
  };
}
