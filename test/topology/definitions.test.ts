/**
 * definitions.json for every topology example: what the file must mean. Its golden copies are the
 * bundles' definitions.json under test/golden/ (test/golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { definitionsOf, renderDefinitions, resolveCluster, type ClusterSpec } from '../../model/internal';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';

const examples = exampleNames().filter((name) => name.startsWith('topology-'));

describe('definitions.json of the topology examples', () => {
  it('finds the examples', () => expect(examples).toEqual(['topology-3.10.yaml', 'topology-4.3.yaml']));

  for (const example of examples) {
    it(`${example}: renders byte-identically twice (golden copy: test/golden/${example.replace(/\.yaml$/, '')}/compose/secrets/definitions.json)`, () => {
      const cluster = resolveCluster(loadExample(example) as ClusterSpec);
      const text = renderDefinitions(cluster, fixtureSecrets(cluster));
      expect(renderDefinitions(cluster, fixtureSecrets(cluster))).toBe(text);
    });
  }

  it('3.10: every queue carries its type explicitly, vhosts carry no metadata, mirroring policies stay', () => {
    const cluster = resolveCluster(loadExample('topology-3.10.yaml') as ClusterSpec);
    const d = definitionsOf(cluster, fixtureSecrets(cluster));
    const queue = (name: string) => d.queues.find((q) => q.name === name)!;
    expect(queue('orders.created').arguments).toEqual({ 'x-dead-letter-exchange': 'dead-letters', 'x-delivery-limit': 5, 'x-queue-type': 'quorum' });
    expect(queue('orders.all').arguments).toEqual({ 'x-max-priority': 5, 'x-queue-type': 'classic' });
    expect(queue('orders.reminders').arguments).toEqual({
      'x-dead-letter-exchange': 'dead-letters', 'x-dead-letter-routing-key': 'expired', 'x-message-ttl': 300, 'x-queue-type': 'classic',
    });
    expect(d.vhosts).toEqual([{ name: '/' }, { name: 'orders', description: 'Order events' }]);
    expect(d.exchanges.find((e) => e.name === 'events')!.arguments).toEqual({ 'alternate-exchange': 'unrouted' });
    expect(d.users.map((u) => [u.name, u.tags])).toEqual([['admin', 'administrator'], ['order-service', ''], ['grafana', 'monitoring']]);
    expect(d.permissions).toContainEqual({ user: 'order-service', vhost: 'orders', configure: '^$', write: '^events$', read: '^orders\\.' });
    expect(d.policies.find((p) => p.name === 'mirror-classic')!.definition).toEqual({ 'ha-mode': 'exactly', 'ha-params': 2, 'ha-sync-mode': 'automatic' });
    expect(d.parameters.find((p) => p.component === 'shovel')!.value).toMatchObject({
      'src-uri': 'amqp:///orders', 'src-queue': 'orders.outbox', 'dest-uri': 'amqp:///orders', 'dest-exchange': 'events', 'dest-exchange-key': 'order.created',
    });
    expect(d.parameters.find((p) => p.component === 'federation-upstream')!.value).toMatchObject({ uri: 'fake-federation-upstream-eu-west-uri', exchange: 'events' });
  });

  it('every password and URI is a secret reference with a stable id, and the hash never contains the password', () => {
    const cluster = resolveCluster(loadExample('topology-4.3.yaml') as ClusterSpec);
    expect(cluster.secrets.map((s) => [s.id, s.source])).toEqual([
      ['erlang-cookie', { kind: 'generate', length: 48 }],
      ['default-user-password', { kind: 'generate', length: 32 }],
      ['user-payment-service-password', { kind: 'env', variable: 'PAYMENT_SERVICE_PASSWORD' }],
      ['user-analyst-password', { kind: 'file', path: 'secrets/analyst-password' }],
      ['federation-upstream-us-east-uri', { kind: 'env', variable: 'US_EAST_AMQP_URI' }],
      ['shovel-ledger-to-dr-destination-uri', { kind: 'file', path: 'secrets/dr-site-uri' }],
    ]);
    const text = renderDefinitions(cluster, fixtureSecrets(cluster));
    expect(text).not.toContain('fake-user-payment-service-password');
    expect(text).toContain('"dest-uri": "fake-shovel-ledger-to-dr-destination-uri"');
    expect(text).toContain('"src-uri": "amqp:///payments"');
  });

  it('4.3: vhost default queue types, streams and dead-letter queues are resolved', () => {
    const cluster = resolveCluster(loadExample('topology-4.3.yaml') as ClusterSpec);
    const d = definitionsOf(cluster, fixtureSecrets(cluster));
    expect(d.vhosts).toEqual([
      { name: '/', metadata: { default_queue_type: 'quorum' } },
      { name: 'analytics', metadata: { default_queue_type: 'stream' } },
      { name: 'payments', metadata: { default_queue_type: 'quorum' } },
    ]);
    expect(d.queues.find((q) => q.name === 'ledger')!.arguments).toEqual({ 'x-max-age': '30D', 'x-max-length-bytes': 20000000000, 'x-queue-type': 'stream' });
    expect(d.parameters.find((p) => p.component === 'operator_policy')).toEqual({
      vhost: 'payments', component: 'operator_policy', name: 'no-unbounded-queues',
      value: { pattern: '.*', 'apply-to': 'quorum_queues', priority: 0, definition: { 'max-length': 1000000, 'delivery-limit': 50 } },
    });
    expect(cluster.topology.deadLetterQueues).toEqual([{ vhost: 'payments', name: 'payments.authorise.dead' }]);
  });
});
