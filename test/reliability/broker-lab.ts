/**
 * A one-node RabbitMQ of the spec's line in a lab host, booted from the files warren renders, and a client host
 * that runs test/client/lab-app.ts (an application on warren's client): shared by the reliability and client tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDefinitions, renderEnabledPlugins, renderRabbitmqConf, resolveCluster, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model';
import { createLab, startRabbitmqNode, waitForClusterSize, writeErlangCookie, type Lab } from '../lab';
import { fixtureSecrets } from '../support/fixtures';
import { runtimeOf } from '../support/real-rabbitmq';

export const TSX = join(__dirname, '../../node_modules/.bin/tsx');
export const LAB_APP = join(__dirname, '../client/lab-app.ts');

export const ordersSpec = (version: string): ClusterSpec => ({
  name: 'shop',
  rabbitmq: { version },
  nodes: 1,
  topology: {
    exchanges: [{ name: 'events', type: 'topic' }],
    queues: [{ name: 'orders.created', type: 'quorum', retry: { attempts: 3, delayMs: 1000, maxDelayMs: 2000 } }],
    bindings: [{ source: 'events', destination: 'orders.created', routingKey: 'order.created' }],
  },
});

export interface BrokerLab {
  readonly lab: Lab;
  readonly cluster: ResolvedCluster;
  readonly url: string;
  /** Runs lab-app.ts in the client host with `env`; its last stdout line, parsed. */
  app(env: Record<string, string>, timeoutMs?: number): Promise<any>;
  api(path: string): Promise<any>;
}

/** One node of the spec's line in a lab host booted from warren's files, and a client host. */
export async function startBrokerLab(spec: ClusterSpec): Promise<BrokerLab> {
  const cluster = resolveCluster(spec);
  const node = cluster.nodes[0]!;
  const runtime = runtimeOf(cluster);
  const secrets: SecretValues = fixtureSecrets(cluster);
  const password = secrets['default-user-password']!;
  const lab = await createLab({ hosts: [{ name: node.host }, { name: 'client' }] });
  const base = join(lab.tempDir, node.host);
  const dirs = { etcDir: join(base, 'etc'), dataDir: join(base, 'data'), logDir: join(base, 'log') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  writeFileSync(join(dirs.etcDir, 'rabbitmq.conf'), renderRabbitmqConf(cluster, { peerDiscovery: { backend: 'classic_config' }, definitionsPath: '/etc/rabbitmq/definitions.json' }));
  writeFileSync(join(dirs.etcDir, 'enabled_plugins'), renderEnabledPlugins(cluster));
  writeFileSync(join(dirs.etcDir, 'definitions.json'), renderDefinitions(cluster, secrets), { mode: 0o600 });
  writeErlangCookie(dirs.dataDir, secrets['erlang-cookie']!);
  const started = Date.now();
  const rabbit = await startRabbitmqNode(lab, node.host, { nodeName: node.nodeName, ...dirs, root: runtime.root });
  await waitForClusterSize(lab, rabbit, 1, 120_000);
  const user = cluster.defaultUser.name;
  const url = `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${node.host}:${cluster.ports.amqp}/`;
  const api = async (path: string) => {
    const result = await lab.run('client', ['curl', '-sf', '--max-time', '10', '-u', `${user}:${password}`, `http://${node.host}:${cluster.ports.management}/api${path}`]);
    if (result.code !== 0) throw new Error(`GET ${path}: curl exit ${result.code} ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const deadline = Date.now() + 120_000;
  while ((await api('/queues').catch(() => [])).length !== cluster.topology.queues.length) {
    if (Date.now() > deadline) throw new Error('the definitions were not imported within 120 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`RabbitMQ ${runtime.versions['rabbitmq-server']} booted with ${cluster.topology.queues.length} queues in ${Date.now() - started} ms`);
  const app = async (env: Record<string, string>, timeoutMs = 120_000) => {
    const result = await lab.run('client', [TSX, LAB_APP], { env: { URL: url, SPEC: JSON.stringify(spec), ...env }, timeoutMs });
    if (result.code !== 0) throw new Error(`lab-app ${env.MODE} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').pop()!);
  };
  return { lab, cluster, url, app, api };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

