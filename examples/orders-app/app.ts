/**
 * An orders service on warren's reliable client, with PostgreSQL as its store. Copy this folder; in your own
 * project import from 'warren/client' and 'warren/model' instead of the relative paths below.
 *
 *   place N   writes N orders, each with its order.created message in the same transaction (the outbox), then
 *             relays the outbox with publisher confirms and exits once every message is confirmed and routed
 *   ship      consumes orders.created: each order gets one shipment row, written in the same transaction as
 *             the message id (the inbox), so a redelivered message never ships twice; an order with quantity 0
 *             fails, is retried by the broker and ends in orders.created.dead (see `warren dlq list`)
 *
 * Environment: DATABASE_URL (postgres://...), RABBITMQ_PASSWORD (the spec's default user), SPEC (default:
 * warren.yaml beside this file); ship: IDLE_EXIT_MS to exit after that long without a message (default: run until SIGTERM).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { amqpUrlsOf, openPostgresStore, OutboxRelay, Publisher, ReliableConnection, ReliableConsumer, reliableQueueOf, type PostgresStore } from '../../client';
import { resolveCluster } from '../../model';

interface Order {
  readonly id: string;
  readonly sku: string;
  readonly quantity: number;
}

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; see the comment at the top of app.ts`);
  return value;
};

const cluster = resolveCluster(parse(readFileSync(process.env.SPEC ?? join(__dirname, 'warren.yaml'), 'utf8')));
const connection = new ReliableConnection({ urls: amqpUrlsOf(cluster, { user: cluster.defaultUser.name, password: required('RABBITMQ_PASSWORD') }), name: 'orders-app' });

async function openStore(): Promise<PostgresStore> {
  const store = await openPostgresStore(required('DATABASE_URL'));
  await store.pool.query(`
    CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, sku TEXT NOT NULL, quantity INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS shipments (order_id TEXT PRIMARY KEY, shipped_at TIMESTAMPTZ NOT NULL DEFAULT now());`);
  return store;
}

async function place(count: number): Promise<void> {
  const store = await openStore();
  const publisher = new Publisher(connection);
  await publisher.start();
  await connection.start();
  const relay = new OutboxRelay(store, publisher);
  relay.start();
  for (let i = 0; i < count; i++) {
    const order: Order = { id: `${Date.now().toString(36)}-${i}`, sku: `sku-${i % 7}`, quantity: i % 10 === 9 ? 0 : 1 + (i % 3) };
    // The order and its message commit together, or neither does.
    await store.transaction(async (tx) => {
      await tx.query('INSERT INTO orders (id, sku, quantity) VALUES ($1, $2, $3)', [order.id, order.sku, order.quantity]);
      await store.addToOutbox({ exchange: 'events', routingKey: 'order.created', messageId: `order-${order.id}`, body: Buffer.from(JSON.stringify(order)), contentType: 'application/json' }, tx);
    });
  }
  await relay.drained(60_000);
  relay.stop();
  console.log(JSON.stringify({ placed: count, sent: relay.stats.sent }));
  await connection.close();
  await store.close();
}

async function ship(): Promise<void> {
  const store = await openStore();
  let lastMessageAt = Date.now();
  const consumer = new ReliableConsumer(connection, store, reliableQueueOf(cluster, 'orders.created'), async (message, tx) => {
    lastMessageAt = Date.now();
    const order = JSON.parse(message.body.toString()) as Order;
    if (order.quantity <= 0) throw new Error(`order ${order.id}: quantity ${order.quantity} cannot be shipped`);
    await tx.query('INSERT INTO shipments (order_id) VALUES ($1)', [order.id]);
  });
  await consumer.start();
  await connection.start();
  const stop = async () => {
    console.log(JSON.stringify(consumer.stats));
    await connection.close();
    await store.close();
  };
  const idleExitMs = Number(process.env.IDLE_EXIT_MS ?? 0);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve).once('SIGINT', resolve);
    if (idleExitMs > 0) {
      const timer = setInterval(() => Date.now() - lastMessageAt > idleExitMs && (clearInterval(timer), resolve()), 200);
    }
  });
  await stop();
}

const [command, argument] = process.argv.slice(2);
const run = command === 'place' ? place(Number(argument ?? 10)) : command === 'ship' ? ship() : Promise.reject(new Error('usage: app.ts place N | ship'));
run.catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
