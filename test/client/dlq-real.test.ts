/**
 * `warren dlq` on a real RabbitMQ node of each line whose retries differ (lab: 4.3.6 and 4.0.5 from the roots,
 * Debian's 3.10.8): four poison messages reach the dead-letter queue through the client's retries; list and
 * inspect read them without removing any, even read 25 times (4.0-4.2 count a message given back toward the
 * quorum queue's delivery limit, 20 by default); replay sends them back to their origin,
 * confirmed, rate-limited, attempts afresh. Bad input: an unknown queue, an unreachable broker, an unknown id.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../model';
import { runCliAsync } from '../../cli/main';
import { ordersSpec, queueLengthOnceSettled, startBrokerLab, TSX, type BrokerLab } from '../reliability/broker-lab';

const CLI = join(__dirname, '../../cli/main.ts');
const PASSWORD_ENV = { SHOP_RABBITMQ_PASSWORD: 'fake-default-user-password' };

describe.each(['4.3', '4.0', '3.10'])('warren dlq on a real RabbitMQ %s node', (line) => {
  const spec: ClusterSpec = { ...ordersSpec(line), defaultUser: { password: 'env:SHOP_RABBITMQ_PASSWORD' } };
  let broker: BrokerLab | undefined;
  let specFile = '';
  const dlq = async (...args: string[]) => {
    const result = await broker!.lab.run('client', [TSX, CLI, 'dlq', ...args, '--spec', specFile], { env: PASSWORD_ENV, timeoutMs: 60_000 });
    return { ...result, lines: result.stdout.trim().split('\n') };
  };

  beforeAll(async () => {
    broker = await startBrokerLab(spec);
    specFile = join(broker.lab.tempDir, 'shop.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const { lab } = broker;
    await broker.app({ MODE: 'produce', STORE: join(lab.tempDir, 'producer.db'), FROM: '0', TO: '20', POISON_EVERY: '5', RATE: '200' });
    await broker.app({ MODE: 'consume', QUEUE: 'orders.created', STORE: join(lab.tempDir, 'consumer.db'), ATTEMPTS_LOG: join(lab.tempDir, 'a.jsonl'), EFFECTS: '16', DEAD: '4' });
  }, 300_000);

  afterAll(async () => {
    await broker?.lab.destroy();
  });

  it('list shows each dead letter with its attempts, error and origin, and removes none', async () => {
    const first = await dlq('list', '--queue', 'orders.created');
    const second = await dlq('list', '--queue', 'orders.created', '--limit', '2');
    console.log(first.stdout);
    expect(first.code).toBe(0);
    expect(first.lines).toEqual([
      'orders.created.dead: 4 dead letters',
      ...[0, 5, 10, 15].map((id) => `order-${id}  attempts 3  origin events -> order.created  error: cannot parse poison ${id}`),
    ]);
    expect(second.lines).toEqual(['orders.created.dead: 4 dead letters (the first 2)', first.lines[1], first.lines[2]]);
    const inspected = await dlq('inspect', '--queue', 'orders.created', '--id', 'order-5');
    expect(inspected.code).toBe(0);
    expect(inspected.lines.slice(0, 4)).toEqual(['message id: order-5', 'attempts:   3', 'error:      cannot parse poison 5', 'origin:     queue orders.created, exchange "events", routing key "order.created"']);
    expect(inspected.lines.slice(-2)).toEqual(['body (8 bytes):', 'poison 5']);
    expect(await queueLengthOnceSettled(broker!, 'orders.created.dead', 4)).toBe(4);
  }, 120_000);

  it('reading the dead letters 25 times removes none (more than the default delivery limit of 4.0+)', async () => {
    const { seen } = await broker!.app({ MODE: 'browse', QUEUE: 'orders.created', ROUNDS: '25' });
    console.log(`${line}: dead letters seen in each of 25 reads: ${seen.join(' ')}`);
    expect(seen).toEqual(Array(25).fill(4));
    expect(await queueLengthOnceSettled(broker!, 'orders.created.dead', 4)).toBe(4);
  }, 120_000);

  it('replay sends each back to its origin, confirmed, at most --rate a second, with its attempts reset', async () => {
    const one = await dlq('replay', '--queue', 'orders.created', '--id', 'order-5');
    expect(one.code).toBe(0);
    expect(one.lines).toEqual(['replayed order-5  attempts 3  origin events -> order.created  error: cannot parse poison 5', '1 replayed (each confirmed), 3 left in orders.created.dead']);
    const started = Date.now();
    const rest = await dlq('replay', '--queue', 'orders.created', '--rate', '4');
    const elapsedMs = Date.now() - started;
    expect(rest.lines.at(-1)).toBe('3 replayed (each confirmed), 0 left in orders.created.dead');
    const taken = await broker!.app({ MODE: 'take', QUEUE: 'orders.created' });
    console.log(`replayed 1, then 3 at --rate 4 in ${elapsedMs} ms (the CLI's start included); orders.created now holds ${taken.messages.length}`);
    expect(await queueLengthOnceSettled(broker!, 'orders.created.dead', 0)).toBe(0);
    // A quorum queue does not keep the order of messages given back (basic.nack requeue): compare as a set.
    expect(taken.messages.map((m: any) => m.messageId).sort()).toEqual(['order-0', 'order-10', 'order-15', 'order-5']);
    expect(taken.messages[0].messageId).toBe('order-5');
    for (const m of taken.messages) {
      expect(m.routingKey).toBe('order.created');
      expect(m.headers['x-warren-error']).toBeUndefined();
      expect(m.headers['x-warren-attempts']).toBeUndefined();
      expect(m.headers['x-warren-origin-exchange']).toBe('events');
    }
    // Three replays at 4 a second: the second and third each 250 ms after the one before.
    const replayedAt = taken.messages.slice(1).map((m: any) => Number(m.headers['x-warren-replayed-at'])).sort((a: number, b: number) => a - b);
    const gaps = replayedAt.slice(1).map((at: number, i: number) => at - replayedAt[i]);
    console.log(`gaps between rate-limited replays: ${gaps.join(', ')} ms`);
    expect(gaps.every((gap: number) => gap >= 240)).toBe(true);
  }, 120_000);

  it('bad input: an unknown queue, an unknown id, an unreachable broker; clear errors', async () => {
    const typo = await dlq('list', '--queue', 'orders.creatd');
    expect([typo.code, typo.stderr.trim()]).toEqual([1, 'warren: queue "orders.creatd" in vhost "/" is not a reliable queue of cluster shop; did you mean "orders.created"?\nnothing was written']);
    const unknownId = await dlq('inspect', '--queue', 'orders.created', '--id', 'order-999');
    expect([unknownId.code, unknownId.stderr.trim()]).toEqual([2, 'warren: --id "order-999" is not in orders.created.dead (0 dead letters); take one from warren dlq list']);
    // From outside the lab the node's name does not resolve: the broker is unreachable.
    const stderr: string[] = [];
    const code = await runCliAsync(['dlq', 'list', '--spec', specFile, '--queue', 'orders.created'], { stdout: () => undefined, stderr: (t) => stderr.push(t), env: PASSWORD_ENV, cwd: broker!.lab.tempDir });
    expect([code, stderr.join('')]).toEqual([2, expect.stringMatching(/^warren: broker: cannot connect to amqp:\/\/shop-1:5672\/%2F \(getaddrinfo E\w+ shop-1\); start the cluster, or check the addresses and the default user's password in the spec\n$/)]);
    expect(stderr.join('')).not.toContain('fake-default-user-password');
  }, 120_000);
});
