/**
 * A small application on warren's client, run inside a lab host by the real-broker tests (tsx). MODE:
 * - produce: writes orders [FROM, TO) at RATE per second, each row and its message in one SQLite
 *   transaction (outbox), relayed with confirms; resumes after the last order in STORE; prints a JSON summary.
 * - consume: a ReliableConsumer on QUEUE with an inbox in STORE; bodies starting with "poison" always fail;
 *   every attempt is logged to ATTEMPTS_LOG; KILL_AFTER_COMMITS=k SIGKILLs itself after the k-th commit,
 *   before its ack; stops once EFFECTS (distinct effects) and DEAD (dead letters) are reached and it is quiet.
 * - raw-reject: a plain amqplib consumer that basic.rejects (requeue) every delivery of QUEUE until DEAD
 *   messages reached the dead-letter queue; prints each delivery's time and x-delivery-count.
 * - take: prints every message of QUEUE (headers included) as JSON and acks it.
 * SPEC (JSON) is the cluster spec, URL the broker.
 */
import { appendFileSync } from 'node:fs';
import * as amqp from 'amqplib';
import { resolveCluster, type ClusterSpec } from '../../model';
import { openSqliteDatabase, OutboxRelay, Publisher, ReliableConnection, ReliableConsumer, reliableQueueOf, SqliteStore } from '../../client';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function produce(): Promise<void> {
  const db = openSqliteDatabase(env('STORE'));
  const store = new SqliteStore(db);
  db.exec('CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'lab-producer' });
  const publisher = new Publisher(connection, { timeoutMs: 5000 });
  await publisher.start();
  await connection.start();
  const relay = new OutboxRelay(store, publisher, { window: Number(env('WINDOW', '50')) });
  relay.start();
  const last = (db.prepare('SELECT max(id) AS id FROM orders').get() as { id: number | null }).id;
  const from = last === null ? Number(env('FROM', '0')) : last + 1;
  const to = Number(env('TO'));
  const rate = Number(env('RATE', '500'));
  const poisonEvery = Number(env('POISON_EVERY', '0'));
  const order = db.prepare('INSERT INTO orders (id, body) VALUES (?, ?)');
  const started = Date.now();
  console.log(JSON.stringify({ event: 'resume', from, pendingInOutbox: store.pending() }));
  for (let id = from; id < to; id++) {
    const body = poisonEvery > 0 && id % poisonEvery === 0 ? `poison ${id}` : `order ${id}`;
    db.transaction(() => {
      order.run(id, body);
      store.addToOutbox({ exchange: 'events', routingKey: 'order.created', messageId: `order-${id}`, body: Buffer.from(body) });
    })();
    const ahead = started + ((id - from + 1) * 1000) / rate - Date.now();
    if (ahead > 0) await sleep(ahead);
  }
  await relay.drained(60_000);
  relay.stop();
  console.log(JSON.stringify({ event: 'done', from, to, sent: relay.stats.sent, failed: relay.stats.failed, ms: Date.now() - started }));
  await connection.close();
}

async function consume(): Promise<void> {
  const cluster = resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec);
  const queue = reliableQueueOf(cluster, env('QUEUE'), env('VHOST', '/'));
  const db = openSqliteDatabase(env('STORE'));
  const store = new SqliteStore(db);
  db.exec('CREATE TABLE IF NOT EXISTS effects (message_id TEXT NOT NULL, at_ms INTEGER NOT NULL)');
  const log = env('ATTEMPTS_LOG');
  const killAfter = Number(env('KILL_AFTER_COMMITS', '0'));
  let commits = 0;
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'lab-consumer' });
  const consumer = new ReliableConsumer(
    connection,
    store,
    queue,
    (message, tx) => {
      appendFileSync(log, `${JSON.stringify({ id: message.messageId, attempt: message.attempt, at: Date.now() })}\n`);
      if (message.body.toString().startsWith('poison')) throw new Error(`cannot parse ${message.body.toString()}`);
      tx.prepare('INSERT INTO effects (message_id, at_ms) VALUES (?, ?)').run(message.messageId, Date.now());
    },
    {
      prefetch: Number(env('PREFETCH', '20')),
      onCommitted: () => {
        commits++;
        if (killAfter > 0 && commits === killAfter) process.kill(process.pid, 'SIGKILL');
      },
    },
  );
  await consumer.start();
  await connection.start();
  const effects = Number(env('EFFECTS', '0'));
  const dead = Number(env('DEAD', '0'));
  const distinct = db.prepare('SELECT count(DISTINCT message_id) AS n FROM effects');
  let quietSince = Date.now();
  let lastSeen = -1;
  for (;;) {
    const seen = consumer.stats.handled + consumer.stats.duplicates + consumer.stats.retried + consumer.stats.deadLettered;
    if (seen !== lastSeen) [lastSeen, quietSince] = [seen, Date.now()];
    const done = (distinct.get() as { n: number }).n >= effects && consumer.stats.deadLettered >= dead;
    if (done && Date.now() - quietSince > Number(env('QUIET_MS', '1500'))) break;
    await sleep(100);
  }
  console.log(JSON.stringify({ event: 'done', ...consumer.stats, connects: connection.connects }));
  await connection.close();
}

async function rawReject(): Promise<void> {
  const connection = await amqp.connect(env('URL'));
  const channel = await connection.createChannel();
  const dead = Number(env('DEAD'));
  const deliveries: { id: string; at: number; deliveryCount: unknown }[] = [];
  await channel.prefetch(10);
  await channel.consume(env('QUEUE'), (message) => {
    if (!message) return;
    deliveries.push({ id: String(message.properties.messageId), at: Date.now(), deliveryCount: message.properties.headers?.['x-delivery-count'] ?? null });
    channel.reject(message, true);
  });
  const deadLetterQueue = env('DEAD_LETTER_QUEUE');
  for (;;) {
    const { messageCount } = await channel.checkQueue(deadLetterQueue);
    if (messageCount >= dead) break;
    await sleep(100);
  }
  console.log(JSON.stringify({ event: 'done', deliveries }));
  await connection.close();
}

async function take(): Promise<void> {
  const connection = await amqp.connect(env('URL'));
  const channel = await connection.createChannel();
  const messages: unknown[] = [];
  for (;;) {
    const message = await channel.get(env('QUEUE'), { noAck: false });
    if (!message) break;
    messages.push({ messageId: message.properties.messageId, body: message.content.toString(), routingKey: message.fields.routingKey, headers: message.properties.headers });
    channel.ack(message);
  }
  console.log(JSON.stringify({ event: 'done', messages }));
  await connection.close();
}

const modes: Record<string, () => Promise<void>> = { produce, consume, 'raw-reject': rawReject, take };
modes[env('MODE')]!().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
