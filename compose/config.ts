/**
 * A typed compose project: the services of a cluster, the files each reads and how they get there, their
 * ports, volume, healthcheck and start-up. Built once from the resolved cluster (from-cluster.ts), rendered
 * to compose.yaml (render.ts), and read as it is by the Pulumi docker program (stacks/docker-plan.ts), so both
 * run the very same containers.
 */
import type { PublishedPort } from '../model/internal';

/** What a file a service reads holds; serviceFileContent (files.ts) renders each. */
export type FileContent =
  | 'rabbitmq-conf'
  | 'enabled-plugins'
  | 'inter-node-tls'
  | 'majority-agent'
  | 'haproxy-config'
  | 'erlang-cookie'
  | 'definitions'
  | 'tls-certificate'
  | 'tls-private-key'
  | 'tls-ca-certificate'
  | 'prometheus-config'
  | 'prometheus-rules'
  | 'haproxy-stats-password'
  | 'alertmanager-config';

/**
 * How a file reaches the container. `bind`: mounted read-only, world-readable as written. `secret`: a compose
 * secret, which Compose bind-mounts under /run/secrets without applying owner or mode, so the service's
 * start-up installs it at `target` for the rabbitmq user with `mode`.
 */
export type FileDelivery = { readonly kind: 'bind' } | { readonly kind: 'secret'; readonly name: string; readonly mode: '0400' | '0444' };

export interface ServiceFile {
  readonly content: FileContent;
  /** Relative to the compose folder, where composeFiles writes it. */
  readonly source: string;
  /** Absolute path where the program in the container reads it. */
  readonly target: string;
  readonly delivery: FileDelivery;
  /** The node whose own TLS certificate or key it holds (`tls: generate`). @default - the material every node shares */
  readonly node?: string;
}

/** A host port published for one of the service's listeners. */
export interface PortMapping {
  readonly listener: PublishedPort['listener'] | 'web';
  /** Host address the port binds to. */
  readonly address: string;
  readonly hostPort: number;
  readonly containerPort: number;
}

/** One command of a node's start-up script, run as root before the server starts. */
export type StartupStep =
  | { readonly kind: 'make-folder'; readonly path: string }
  /** Copy a delivered secret into place, owned by the rabbitmq user. */
  | { readonly kind: 'install'; readonly from: string; readonly to: string; readonly mode: '0400' | '0444'; /** `user` or `uid`, and the same group. @default 'rabbitmq' */ readonly owner?: string }
  /** A program kept running beside the server as the rabbitmq user, started again a second after it ends. */
  | { readonly kind: 'keep-running'; readonly argv: readonly string[] }
  /** Hand over to the program (the image's own entrypoint drops root; otherwise argv does). */
  | { readonly kind: 'exec'; readonly argv: readonly string[] };

export interface Healthcheck {
  /** Docker's form: `CMD` then the command. */
  readonly test: readonly string[];
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
}

export interface ComposeService {
  /** A node's host name, or `haproxy`. */
  readonly name: string;
  readonly image: string;
  readonly hostname: string;
  /** Never a secret: secrets are files. */
  readonly environment: Readonly<Record<string, string>>;
  /** In the order the service mounts or installs them. */
  readonly files: readonly ServiceFile[];
  /** A named volume of its own. @default - none */
  readonly dataVolume?: { readonly name: string; readonly target: string };
  /** Sorted by host port. */
  readonly ports: readonly PortMapping[];
  readonly network: string;
  /** What the container runs instead of the image's entrypoint. @default - the image's entrypoint */
  readonly startup?: readonly StartupStep[];
  readonly restart: 'unless-stopped';
  /** @default - none (Docker never restarts an unhealthy container anyway) */
  readonly healthcheck?: Healthcheck;
  /** @default - Docker's 10 s */
  readonly stopGracePeriodSeconds?: number;
  /** Whole MiB. @default - no limit */
  readonly memoryLimitBytes?: number;
  /** The user the container starts as. @default - the image's */
  readonly user?: string;
  /** Services started before this one, and whether they must be healthy first. @default - none */
  readonly dependsOn?: readonly { readonly service: string; readonly condition: 'service_started' | 'service_healthy' }[];
}

export interface ComposeProject {
  readonly name: string;
  /** The one network every service joins. */
  readonly network: string;
  /** Nodes first, in cluster order, then HAProxy when there is a load balancer. */
  readonly services: readonly ComposeService[];
  /** Prometheus and Alertmanager when monitoring.compose asks for them: compose.yaml only, the Pulumi docker program runs none. */
  readonly monitoring: readonly ComposeService[];
  /** Named volumes, one per node and monitoring service. */
  readonly volumes: readonly string[];
  /** Every `secret` delivery of the services, once each, in the order the services list them. */
  readonly secrets: readonly { readonly name: string; readonly source: string }[];
}
