/**
 * What the real-broker tests share: the lab runtime a spec's version runs on, an AMQP client run inside a lab
 * host, and what a node's log says about the configuration it was given.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDefinitions, renderEnabledPlugins, renderRabbitmqConf, type ResolvedCluster, type SecretValues } from '../../model';
import { rabbitmqLineOf, rabbitmqRuntime, startRabbitmqNode, waitForClusterSize, writeErlangCookie, type Lab, type RabbitmqLine, type RabbitmqNode, type Runtime } from '../lab';

const STEPS_CLIENT = join(__dirname, 'clients', 'amqp-steps.cjs');

/** The lab line and programs that run the spec's RabbitMQ version: "4.3" -> the forky root, "3.10.8" -> this machine. */
export function runtimeOf(cluster: ResolvedCluster): Runtime & { readonly line: RabbitmqLine } {
  const line = rabbitmqLineOf(cluster.version.text);
  return { ...rabbitmqRuntime(line), line };
}

export interface SingleNode {
  readonly rabbit: RabbitmqNode;
  /** The node's /var/log/rabbitmq. */
  readonly logDir: string;
  /** The management API of the node as the default user, from `clientHost`: GET /api<path>, parsed. */
  api(path: string): Promise<any>;
}

/**
 * The cluster's first node in the lab host of its name, booted from the files warren renders for it
 * (rabbitmq.conf, enabled_plugins, definitions.json, the cookie) on the line its version names; resolves once
 * the node runs and the management API lists every queue of the topology.
 */
export async function startSingleNode(lab: Lab, cluster: ResolvedCluster, secrets: SecretValues, clientHost = 'client'): Promise<SingleNode> {
  const node = cluster.nodes[0]!;
  const base = join(lab.tempDir, node.host);
  const dirs = { etcDir: join(base, 'etc'), dataDir: join(base, 'data'), logDir: join(base, 'log') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  // The node boots alone: its target cluster size is 1, or it would wait for its peers before importing queues.
  const conf = renderRabbitmqConf(cluster, { peerDiscovery: { backend: 'classic_config' }, definitionsPath: '/etc/rabbitmq/definitions.json' });
  writeFileSync(join(dirs.etcDir, 'rabbitmq.conf'), conf.replace(/^cluster_formation\.target_cluster_size_hint = \d+$/m, 'cluster_formation.target_cluster_size_hint = 1'));
  writeFileSync(join(dirs.etcDir, 'enabled_plugins'), renderEnabledPlugins(cluster));
  writeFileSync(join(dirs.etcDir, 'definitions.json'), renderDefinitions(cluster, secrets), { mode: 0o600 });
  writeErlangCookie(dirs.dataDir, secrets['erlang-cookie']!);
  const rabbit = await startRabbitmqNode(lab, node.host, { nodeName: node.nodeName, ...dirs, root: runtimeOf(cluster).root });
  await waitForClusterSize(lab, rabbit, 1, 120_000);
  const credentials = `${cluster.defaultUser.name}:${secrets['default-user-password']!}`;
  const api = async (path: string) => {
    const result = await lab.run(clientHost, ['curl', '-sf', '--max-time', '10', '-u', credentials, `http://${node.host}:${cluster.ports.management}/api${path}`]);
    if (result.code !== 0) throw new Error(`GET ${path}: curl exit ${result.code} ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const deadline = Date.now() + 120_000;
  while ((await api('/queues').catch(() => [])).length !== cluster.topology.queues.length) {
    if (Date.now() > deadline) throw new Error(`${node.host}: the definitions were not imported within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { rabbit, logDir: dirs.logDir, api };
}

export type AmqpStep =
  | { readonly op: 'publish'; readonly exchange: string; readonly routingKey: string; readonly count?: number; readonly headers?: Record<string, string>; readonly expiration?: number }
  | { readonly op: 'take'; readonly queue: string; readonly rejectKeys?: readonly string[]; readonly quietMs?: number }
  | { readonly op: 'declare'; readonly queue: string; readonly arguments: Record<string, unknown> }
  | { readonly op: 'wait'; readonly ms: number };

export interface TakenMessage {
  readonly key: string;
  readonly body: string;
  readonly death?: { readonly reason: string; readonly queue: string };
}

/** Runs the steps in one connection from `host`; each step's result, in order (see clients/amqp-steps.cjs). */
export async function runAmqpSteps(lab: Lab, host: string, url: string, steps: readonly AmqpStep[]): Promise<unknown[]> {
  const result = await lab.run(host, ['node', STEPS_CLIENT], { env: { AMQP_URL: url, STEPS: JSON.stringify(steps) }, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`AMQP client in ${host} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as unknown[];
}

/**
 * Lines of a node's logs where RabbitMQ objects to a configuration key: unknown (which stops the node),
 * deprecated, ignored or without effect.
 */
export function configKeyComplaints(logDir: string): string[] {
  return logLines(logDir).filter((line) =>
    /no setting with that name|unknown variable|(key|setting|parameter|option).{0,80}(deprecated|ignored|no effect|not supported)|(deprecated|ignored|no effect).{0,40}(key|setting)/i.test(line),
  );
}

/** Deprecated features the node says are in use (`Deprecated features: \`name\`: ...`). */
export function deprecatedFeaturesInUse(logDir: string): string[] {
  return [...new Set(logLines(logDir).flatMap((line) => [...line.matchAll(/Deprecated features: `([a-z_]+)`/g)].map((m) => m[1]!)))].sort();
}

function logLines(logDir: string): string[] {
  return readdirSync(logDir)
    .filter((file) => file.endsWith('.log'))
    .flatMap((file) => readFileSync(join(logDir, file), 'utf8').split('\n'));
}
