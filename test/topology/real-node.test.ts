/**
 * A real Debian RabbitMQ 3.10.8 node boots with the rabbitmq.conf and definitions.json warren renders for
 * examples/topology-3.10.yaml (one node, ports of its own). The test reads the topology back through the
 * management HTTP API, routes messages through the topic exchange, and follows rejected and expired
 * messages into the dead-letter queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRulesOf, renderDefinitions, renderEnabledPlugins, renderRabbitmqConf, resolveCluster, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model';
import { fixtureSecrets, loadExample } from '../support/fixtures';

const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
const PORTS = { amqp: 25772, amqps: 25771, management: 25782, prometheus: 25787, stream: 25752, epmd: 25769, distribution: 25792 };
/** Nothing listens here: the federation link stays down, the upstream definition must still load. */
const UNREACHABLE_UPSTREAM = 'amqp://127.0.0.1:25799';

let cluster: ResolvedCluster;
let secrets: SecretValues;
let folder: string;
let epmd: ChildProcess | undefined;
let server: ChildProcess | undefined;
let connection: ChannelModel | undefined;
let serverOutput = '';

const api = async (path: string): Promise<any> => {
  const auth = Buffer.from(`${cluster.defaultUser.name}:${secrets['default-user-password']}`).toString('base64');
  const response = await fetch(`http://127.0.0.1:${PORTS.management}/api${path}`, { headers: { authorization: `Basic ${auth}` } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return response.json();
};

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (server && server.exitCode !== null) throw new Error(`rabbitmq-server exited (${server.exitCode}) while waiting for ${what}:\n${serverOutput.slice(-3000)}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${String(last)})\n${serverOutput.slice(-3000)}`);
}

function stop(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL'); // its own process group: the shell script, beam and its helpers
  } catch {
    child.kill('SIGKILL');
  }
}

/** Drains a queue: every message's routing key, rejecting (not requeueing) those `reject` picks. */
async function drain(channel: Channel, queue: string, reject: (key: string) => boolean = () => false) {
  const found: { key: string; death?: { reason: string; queue: string } }[] = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: false });
    if (!message) return found;
    const deaths = message.properties.headers?.['x-death'] as { reason: string; queue: string }[] | undefined;
    found.push({ key: message.fields.routingKey, ...(deaths && { death: { reason: deaths[0]!.reason, queue: deaths[0]!.queue } }) });
    if (reject(message.fields.routingKey)) channel.nack(message, false, false);
    else channel.ack(message);
  }
}

describe('a real RabbitMQ 3.10.8 node loads the generated topology', () => {
  beforeAll(async () => {
    const spec = loadExample('topology-3.10.yaml') as ClusterSpec;
    cluster = resolveCluster({ ...spec, nodes: [{ host: 'localhost' }], ports: PORTS } as ClusterSpec);
    secrets = { ...fixtureSecrets(cluster), 'federation-upstream-eu-west-uri': UNREACHABLE_UPSTREAM };
    folder = mkdtempSync(join(tmpdir(), 'warren-topology-'));
    for (const dir of ['etc', 'home', 'mnesia', 'log']) mkdirSync(join(folder, dir));
    writeFileSync(join(folder, 'etc', 'rabbitmq.conf'), renderRabbitmqConf(cluster, { peerDiscovery: { backend: 'classic_config' }, definitionsPath: join(folder, 'etc', 'definitions.json') }));
    writeFileSync(join(folder, 'etc', 'enabled_plugins'), renderEnabledPlugins(cluster));
    writeFileSync(join(folder, 'etc', 'definitions.json'), renderDefinitions(cluster, secrets), { mode: 0o600 });
    writeFileSync(join(folder, 'home', '.erlang.cookie'), secrets['erlang-cookie']!, { mode: 0o400 });

    const env = { ...process.env, HOME: join(folder, 'home'), ERL_EPMD_PORT: String(PORTS.epmd) };
    epmd = spawn('epmd', ['-port', String(PORTS.epmd)], { env, stdio: 'ignore', detached: true });
    server = spawn(`${RABBITMQ_BIN}/rabbitmq-server`, [], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        RABBITMQ_NODENAME: cluster.nodes[0]!.nodeName,
        RABBITMQ_CONFIG_FILE: join(folder, 'etc', 'rabbitmq.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(folder, 'etc', 'enabled_plugins'),
        RABBITMQ_MNESIA_BASE: join(folder, 'mnesia'),
        RABBITMQ_LOG_BASE: join(folder, 'log'),
        RABBITMQ_DIST_PORT: String(PORTS.distribution),
        RABBITMQ_PID_FILE: join(folder, 'rabbit.pid'),
      },
    });
    server.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    await waitFor('the management API with the imported definitions', 180_000, async () => ((await api('/queues/orders')).length === 9 ? true : undefined));
    connection = await amqp.connect(`amqp://${cluster.defaultUser.name}:${secrets['default-user-password']}@127.0.0.1:${PORTS.amqp}/orders`);
  });

  afterAll(async () => {
    connection?.on('error', () => undefined); // the node is killed next; a reset is expected
    await connection?.close().catch(() => undefined);
    stop(server);
    stop(epmd);
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('the management API lists every exchange, queue (with its type), binding and policy', async () => {
    const exchanges = (await api('/exchanges/orders')).filter((e: any) => e.name !== '' && !e.name.startsWith('amq.'));
    expect(exchanges.map((e: any) => [e.name, e.type, e.internal, e.arguments]).sort()).toEqual([
      ['audit', 'fanout', true, {}],
      ['dead-letters', 'fanout', false, {}],
      ['events', 'topic', false, { 'alternate-exchange': 'unrouted' }],
      ['unrouted', 'fanout', false, {}],
    ]);
    const queues = await api('/queues/orders');
    expect(Object.fromEntries(queues.map((q: any) => [q.name, q.type]))).toEqual(
      Object.fromEntries(cluster.topology.queues.map((q) => [q.name, q.type])),
    );
    expect(queues.find((q: any) => q.name === 'orders.created').arguments).toEqual({ 'x-dead-letter-exchange': 'dead-letters', 'x-delivery-limit': 5, 'x-queue-type': 'quorum' });
    const bindings = (await api('/bindings/orders')).filter((b: any) => b.source !== '');
    expect(bindings.map((b: any) => `${b.source} -[${b.routing_key}]-> ${b.destination_type}:${b.destination}`).sort()).toEqual(
      cluster.topology.bindings.map((b) => `${b.source} -[${b.routingKey}]-> ${b.destinationType}:${b.destination}`).sort(),
    );
    expect((await api('/policies/orders')).map((p: any) => [p.name, p.definition]).sort()).toEqual([
      ['bounded-outbox', { 'max-length': 50000 }],
      ['mirror-classic', { 'ha-mode': 'exactly', 'ha-params': 2, 'ha-sync-mode': 'automatic' }],
    ]);
    expect((await api('/operator-policies/orders')).map((p: any) => [p.name, p.definition])).toEqual([['cap-bytes', { 'max-length-bytes': 100000000 }]]);
    expect((await api('/parameters/federation-upstream/orders')).map((p: any) => [p.name, p.value.uri])).toEqual([['eu-west', UNREACHABLE_UPSTREAM]]);
    expect((await api('/parameters/shovel/orders')).map((p: any) => p.name)).toEqual(['outbox-to-events']);
    expect((await api('/users')).map((u: any) => u.name).sort()).toEqual(['admin', 'grafana', 'order-service']);
    expect((await api('/vhosts')).map((v: any) => [v.name, v.description ?? '']).sort()).toEqual([['/', ''], ['orders', 'Order events']]);
    // Policies show on the queue once its statistics arrive (every 5 s).
    const effective = await waitFor('the policies on orders.all', 20_000, async () => (await api('/queues/orders/orders.all')).effective_policy_definition);
    expect(effective).toMatchObject({ 'ha-mode': 'exactly', 'max-length-bytes': 100000000 });
  });

  it('the topic exchange routes by the binding patterns; unroutable messages reach the alternate exchange', async () => {
    const channel = await connection!.createConfirmChannel();
    for (const key of ['order.created', 'order.paid', 'reminder.sent', 'misc.thing']) channel.publish('events', key, Buffer.from(key));
    await channel.waitForConfirms();
    const received = async (queue: string) => (await drain(channel, queue, (key) => queue === 'orders.created' && key === 'order.created')).map((m) => m.key);
    const consumed = async (queue: string) => {
      // Quorum queues with a single active consumer refuse basic.get: consume instead.
      const keys: string[] = [];
      const { consumerTag } = await channel.consume(queue, (m) => m && keys.push(m.fields.routingKey), { noAck: true });
      await new Promise((r) => setTimeout(r, 1000));
      await channel.cancel(consumerTag);
      return keys;
    };
    expect(await received('orders.created')).toEqual(['order.created']); // rejected here: dead-lettered
    expect(await received('orders.all')).toEqual(['order.created', 'order.paid']);
    expect(await consumed('orders.payments')).toEqual(['order.paid']);
    expect(await received('orders.audit')).toEqual(['order.created', 'order.paid']);
    expect(await received('orders.unrouted')).toEqual(['misc.thing']);
    await channel.close();
  });

  it('a rejected and an expired message arrive in the dead-letter queue, and its metric shows them', async () => {
    // The DLQ alert reads this metric; per-queue series come from /metrics/detailed (stats every 5 s).
    const metric = await waitFor('the dead-letter queue metric', 30_000, async () => {
      const text = await (await fetch(`http://127.0.0.1:${PORTS.prometheus}/metrics/detailed?vhost=orders&family=queue_coarse_metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('rabbitmq_detailed_queue_messages{') && l.includes('queue="orders.dead"'));
      return line?.endsWith(' 2') ? line : undefined;
    });
    expect(metric).toBe('rabbitmq_detailed_queue_messages{vhost="orders",queue="orders.dead"} 2');
    expect(alertRulesOf(cluster).find((r) => r.name === 'RabbitmqDeadLetterQueueNotEmpty')?.expr).toContain('rabbitmq_detailed_queue_messages{vhost="orders",queue="orders.dead"}');
    const channel = await connection!.createChannel();
    const dead = await drain(channel, 'orders.dead');
    expect(dead).toHaveLength(2);
    expect(dead).toEqual(
      expect.arrayContaining([
        { key: 'expired', death: { reason: 'expired', queue: 'orders.reminders' } },
        { key: 'order.created', death: { reason: 'rejected', queue: 'orders.created' } },
      ]),
    );
    expect(await drain(channel, 'orders.reminders')).toEqual([]);
    await channel.close();
  });

  it('the shovel moves messages from the outbox queue into the topic exchange', async () => {
    const channel = await connection!.createConfirmChannel();
    channel.sendToQueue('orders.outbox', Buffer.from('from the outbox'));
    await channel.waitForConfirms();
    const moved = await waitFor('the shovelled message', 20_000, async () => {
      const message = await channel.get('orders.created', { noAck: true });
      return message ? message.content.toString() : undefined;
    });
    expect(moved).toBe('from the outbox');
    await channel.close();
  });
});
