/**
 * A real RabbitMQ node of the line each topology example names (3.10.8 from this machine, 4.3 from the forky
 * root) boots in a lab host with the rabbitmq.conf, enabled_plugins and definitions.json warren renders for
 * it (one node, the example's first host). The test reads the topology back through the management HTTP
 * API, routes messages through the exchanges, and follows a rejected and an expired message into the
 * dead-letter queue. AMQP and HTTP clients run in a second lab host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRulesOf, resolveCluster, type ClusterSpec, type SecretValues } from '../../model';
import { createLab, type Lab } from '../lab';
import { fixtureSecrets, loadExample } from '../support/fixtures';
import { configKeyComplaints, runAmqpSteps, runtimeOf, startSingleNode, type AmqpStep, type SingleNode, type TakenMessage } from '../support/real-rabbitmq';

/** Nothing listens here: federation links and remote shovels stay down, their definitions must still load. */
const UNREACHABLE_URI = 'amqp://127.0.0.1:25799';

/** What each example's topology does with the messages the test sends, in the example's own names. */
interface Scenario {
  readonly example: string;
  /** Where the messages go. */
  readonly vhost: string;
  readonly publish: readonly AmqpStep[];
  /** Queue -> routing keys it receives from `publish`. */
  readonly routed: Readonly<Record<string, readonly string[]>>;
  /** Rejected (not requeued) when taken from its queue: dead-lettered. */
  readonly reject: { readonly queue: string; readonly key: string };
  /** Published after the routing check; expires (queue or message TTL) and is dead-lettered. */
  readonly expire: AmqpStep;
  readonly deadLetterQueue: string;
  readonly deadLetters: readonly TakenMessage[];
  /** A queue and what its effective policy (policy and operator policy merged) must include. */
  readonly effectivePolicy: { readonly queue: string; readonly includes: Record<string, unknown> };
  /** A shovel within the cluster: what it moves from where to where. @default - none (remote destination) */
  readonly localShovel?: { readonly from: string; readonly to: string };
}

const SCENARIOS: readonly Scenario[] = [
  {
    example: 'topology-3.10.yaml',
    vhost: 'orders',
    publish: ['order.created', 'order.paid', 'misc.thing'].map((routingKey) => ({ op: 'publish', exchange: 'events', routingKey })),
    routed: {
      'orders.created': ['order.created'],
      'orders.all': ['order.created', 'order.paid'],
      'orders.payments': ['order.paid'], // a quorum queue with a single active consumer
      'orders.audit': ['order.created', 'order.paid'], // through the internal exchange
      'orders.unrouted': ['misc.thing'], // through the alternate exchange
    },
    reject: { queue: 'orders.created', key: 'order.created' },
    expire: { op: 'publish', exchange: 'events', routingKey: 'reminder.sent' }, // orders.reminders has a 300 ms TTL
    deadLetterQueue: 'orders.dead',
    deadLetters: [
      { key: 'order.created', body: 'order.created 0', death: { reason: 'rejected', queue: 'orders.created' } },
      { key: 'expired', body: 'reminder.sent 0', death: { reason: 'expired', queue: 'orders.reminders' } },
    ],
    effectivePolicy: { queue: 'orders.all', includes: { 'ha-mode': 'exactly', 'max-length-bytes': 100000000 } },
    localShovel: { from: 'orders.outbox', to: 'orders.created' },
  },
  {
    example: 'topology-4.3.yaml',
    vhost: 'payments',
    publish: [
      { op: 'publish', exchange: 'payments', routingKey: 'payment.card.requested', headers: { region: 'eu' } },
      { op: 'publish', exchange: 'payments', routingKey: 'payment.card.refunded', headers: { country: 'de' } },
      { op: 'publish', exchange: 'payments', routingKey: 'payment.card.settled', headers: { region: 'us' } },
    ],
    routed: {
      'payments.authorise': ['payment.card.requested'], // a quorum queue, at-least-once dead lettering
      'payments.eu': ['payment.card.requested', 'payment.card.refunded'], // through the headers exchange (x-match any)
    },
    reject: { queue: 'payments.authorise', key: 'payment.card.requested' },
    // Per-message TTL on the quorum queue.
    expire: { op: 'publish', exchange: 'payments', routingKey: 'payment.sepa.requested', expiration: 300 },
    deadLetterQueue: 'payments.authorise.dead',
    deadLetters: [
      { key: 'authorise', body: 'payment.card.requested 0', death: { reason: 'rejected', queue: 'payments.authorise' } },
      { key: 'authorise', body: 'payment.sepa.requested 0', death: { reason: 'expired', queue: 'payments.authorise' } },
    ],
    // delivery-limit: the lower of the policy's 20 and the operator policy's 50.
    effectivePolicy: { queue: 'payments.authorise', includes: { 'dead-letter-exchange': 'payments.dlx', 'delivery-limit': 20, 'max-length': 1000000 } },
  },
];

const sorted = <T>(items: readonly T[]) => [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe.each(SCENARIOS)('a real RabbitMQ node of its line loads the topology of $example', (scenario) => {
  const spec = loadExample(scenario.example) as ClusterSpec;
  const cluster = resolveCluster({ ...spec, nodes: 1 });
  const node = cluster.nodes[0]!;
  const runtime = runtimeOf(cluster);
  const secrets: SecretValues = Object.fromEntries(Object.entries(fixtureSecrets(cluster)).map(([id, value]) => [id, id.endsWith('-uri') ? UNREACHABLE_URI : value]));
  const password = secrets['default-user-password']!;
  let lab: Lab | undefined;
  let single: SingleNode | undefined;

  const api = (path: string): Promise<any> => single!.api(path);
  const vhostPath = encodeURIComponent(scenario.vhost);
  const amqp = (steps: readonly AmqpStep[]) =>
    runAmqpSteps(lab!, 'client', `amqp://${encodeURIComponent(cluster.defaultUser.name)}:${encodeURIComponent(password)}@${node.host}/${encodeURIComponent(scenario.vhost)}`, steps);

  async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${String(last)})`);
  }

  beforeAll(async () => {
    lab = await createLab({ hosts: [{ name: node.host }, { name: 'client' }] });
    const started = Date.now();
    single = await startSingleNode(lab, cluster, secrets);
    const queues = cluster.topology.queues.length;
    console.log(`${scenario.example}: RabbitMQ ${runtime.versions['rabbitmq-server']} booted and imported ${queues} queues in ${Date.now() - started} ms`);
  }, 300_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it('boots without a complaint about any rabbitmq.conf key', () => {
    expect(configKeyComplaints(single!.logDir)).toEqual([]);
  });

  it('the management API lists every vhost, user, exchange, queue (with its type and arguments), binding, policy, upstream and shovel', async () => {
    const { topology } = cluster;
    expect((await api('/vhosts')).map((v: any) => v.name).sort()).toEqual([...new Set(['/', ...topology.vhosts.map((v) => v.name)])].sort());
    expect((await api('/users')).map((u: any) => u.name).sort()).toEqual([cluster.defaultUser.name, ...topology.users.map((u) => u.name)].sort());
    const exchanges = (await api('/exchanges')).filter((e: any) => e.name !== '' && !e.name.startsWith('amq.'));
    expect(sorted(exchanges.map((e: any) => [e.vhost, e.name, e.type, e.internal, e.arguments['alternate-exchange'] ?? null]))).toEqual(
      sorted(topology.exchanges.map((e) => [e.vhost, e.name, e.type, e.internal, e.alternateExchange ?? null])),
    );
    const queues = await api('/queues');
    expect(sorted(queues.map((q: any) => [q.vhost, q.name, q.type]))).toEqual(sorted(topology.queues.map((q) => [q.vhost, q.name, q.type])));
    for (const queue of topology.queues) {
      const { 'x-queue-type': _, ...declared } = queue.arguments;
      expect(queues.find((q: any) => q.vhost === queue.vhost && q.name === queue.name).arguments, queue.name).toMatchObject(declared);
    }
    const bindings = (await api('/bindings')).filter((b: any) => b.source !== '');
    expect(sorted(bindings.map((b: any) => `${b.vhost} ${b.source} -[${b.routing_key}]-> ${b.destination_type}:${b.destination}`))).toEqual(
      sorted(topology.bindings.map((b) => `${b.vhost} ${b.source} -[${b.routingKey}]-> ${b.destinationType}:${b.destination}`)),
    );
    expect(sorted((await api('/policies')).map((p: any) => [p.vhost, p.name, p['apply-to'], p.definition]))).toEqual(
      sorted(topology.policies.map((p) => [p.vhost, p.name, p.applyTo, p.definition])),
    );
    expect(sorted((await api('/operator-policies')).map((p: any) => [p.vhost, p.name, p.definition]))).toEqual(sorted(topology.operatorPolicies.map((p) => [p.vhost, p.name, p.definition])));
    expect(sorted((await api('/parameters/federation-upstream')).map((p: any) => [p.vhost, p.name, p.value.uri]))).toEqual(
      sorted(topology.federationUpstreams.map((u) => [u.vhost, u.name, UNREACHABLE_URI])),
    );
    expect(sorted((await api('/parameters/shovel')).map((p: any) => [p.vhost, p.name]))).toEqual(sorted(topology.shovels.map((s) => [s.vhost, s.name])));
    // Policies show on the queue once its statistics arrive (every 5 s).
    const { queue, includes } = scenario.effectivePolicy;
    const effective = await waitFor(`the policies on ${queue}`, 30_000, async () => (await api(`/queues/${vhostPath}/${encodeURIComponent(queue)}`)).effective_policy_definition);
    expect(effective).toMatchObject(includes);
  });

  it('the exchanges route by their bindings; the rejected message leaves its queue', async () => {
    await amqp(scenario.publish);
    const queues = Object.keys(scenario.routed);
    const taken = await amqp(queues.map((queue) => ({ op: 'take', queue, rejectKeys: queue === scenario.reject.queue ? [scenario.reject.key] : [] })));
    expect(Object.fromEntries(queues.map((queue, i) => [queue, (taken[i] as TakenMessage[]).map((m) => m.key)]))).toEqual(scenario.routed);
  });

  it('a rejected and an expired message arrive in the dead-letter queue, and its metric shows them', async () => {
    await amqp([scenario.expire]);
    const dlq = scenario.deadLetterQueue;
    // The DLQ alert reads this metric; per-queue series come from /metrics/detailed (stats every 5 s).
    const series = `rabbitmq_detailed_queue_messages{vhost="${scenario.vhost}",queue="${dlq}"}`;
    const metric = await waitFor('the dead-letter queue metric', 30_000, async () => {
      const text = await lab!.run('client', ['curl', '-sf', `http://${node.host}:${cluster.ports.prometheus}/metrics/detailed?vhost=${vhostPath}&family=queue_coarse_metrics`]);
      const line = text.stdout.split('\n').find((l) => l.startsWith(`${series} `));
      return line?.endsWith(` ${scenario.deadLetters.length}`) ? line : undefined;
    });
    expect(metric).toBe(`${series} ${scenario.deadLetters.length}`);
    expect(alertRulesOf(cluster).find((r) => r.name === 'RabbitmqDeadLetterQueueNotEmpty')?.expr).toContain(series);
    const [dead] = await amqp([{ op: 'take', queue: dlq }]);
    expect(sorted(dead as TakenMessage[])).toEqual(sorted(scenario.deadLetters));
    console.log(`${scenario.example}: dead-lettered into ${dlq}: ${(dead as TakenMessage[]).map((m) => `${m.death?.reason} from ${m.death?.queue}`).join(', ')}`);
  });

  if (scenario.localShovel) it('the shovel moves messages between queues of the cluster', async () => {
    const { from, to } = scenario.localShovel!;
    await amqp([{ op: 'publish', exchange: '', routingKey: from }]);
    const moved = await waitFor('the shovelled message', 20_000, async () => {
      const [taken] = await amqp([{ op: 'take', queue: to, quietMs: 500 }]);
      return (taken as TakenMessage[]).length > 0 ? (taken as TakenMessage[]) : undefined;
    });
    expect(moved.map((m) => m.body)).toEqual([`${from} 0`]);
  });
});
