/**
 * A one-node RabbitMQ of the spec's line in a lab host, booted from the files warren renders, and a client host
 * that runs test/client/lab-app.ts (an application on warren's client): shared by the reliability and client tests.
 */
import { join } from 'node:path';
import { resolveCluster, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model';
import { createLab, type Lab } from '../lab';
import { fixtureSecrets } from '../support/fixtures';
import { runtimeOf, startSingleNode } from '../support/real-rabbitmq';

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
  const started = Date.now();
  const { api } = await startSingleNode(lab, cluster, secrets);
  console.log(`RabbitMQ ${runtime.versions['rabbitmq-server']} booted with ${cluster.topology.queues.length} queues in ${Date.now() - started} ms`);
  const url = `amqp://${encodeURIComponent(cluster.defaultUser.name)}:${encodeURIComponent(password)}@${node.host}:${cluster.ports.amqp}/`;
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

/** The management API's queue length once it reads `expected` (its figures lag up to a stats interval, 5 s), or its last reading after 20 s. */
export async function queueLengthOnceSettled(broker: BrokerLab, queue: string, expected: number, vhost = '/'): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const length = (await broker.api(`/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`)).messages as number;
    if (length === expected || Date.now() > deadline) return length;
    await new Promise((r) => setTimeout(r, 500));
  }
}
