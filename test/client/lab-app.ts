/**
 * A small application on warren's client, run inside a lab host by the real-broker tests (tsx). MODE:
 * - produce: writes orders [FROM, TO) at RATE per second, each row and its message in one SQLite
 *   transaction (outbox), relayed with confirms (RELAY=off: left in the outbox); resumes after the last order
 *   in STORE; prints a JSON summary.
 * - consume: a ReliableConsumer on QUEUE with an inbox in STORE; bodies starting with "poison" always fail;
 *   every attempt is logged to ATTEMPTS_LOG; KILL_AFTER_COMMITS=k SIGKILLs itself after the k-th commit,
 *   before its ack; stops once EFFECTS (distinct effects) and DEAD (dead letters) are reached and it is quiet.
 *   RELAY=on: also relays STORE's outbox once connected (a service that consumes and publishes).
 * - declare: declares QUEUE with ARGUMENTS (JSON), as another application might have before warren's client.
 * - raw-reject: a plain amqplib consumer that basic.rejects (requeue) every delivery of QUEUE until DEAD
 *   messages reached the dead-letter queue; prints each delivery's time and x-delivery-count.
 * - take: prints every message of QUEUE (headers included) as JSON and acks it.
 * - browse: reads QUEUE's dead letters ROUNDS times as `warren dlq list` does; prints the count each round saw.
 * - channel-error: ROUNDS times, a publish to the missing exchange MISSING (the broker closes the channel: 404), then
 *   COUNT publishes to `events` on the same connection; prints each failure, how many publishes were confirmed and
 *   the heartbeat the connection negotiated (seconds).
 * - setup-closed: the connection closes while its setups run (the last setup closes it, the first time only); then
 *   one publish through the publisher registered before it; prints whether it was confirmed, the setups run, the
 *   connections made and the reasons of the retries.
 * - nack-storm: fills the classic queue QUEUE (max length 1, overflow reject-publish), then COUNT publishes to it
 *   100 ms apart (each nacked), then purges it and publishes once more; prints the nacks, how many channels the
 *   publisher replaced for only nacking, and the last publish's outcome.
 * PROGRESS_LOG (produce): every 20 ms in which the relay's confirms grew, a line { at, sent } (the confirm timeline).
 * SPEC (JSON) is the cluster spec, URL the broker. STORE is a SQLite file, or a postgres:// URL (PostgresStore).
 */
import { appendFileSync } from 'node:fs';
import * as amqp from 'amqplib';
import { resolveCluster, WarrenUserError, type ClusterSpec } from '../../model';
import { andThen, openPostgresStore, openSqliteDatabase, OutboxRelay, Publisher, ReliableConnection, ReliableConsumer, reliableQueueOf, SqliteStore } from '../../client';
import type { Awaitable, MessageStore, PostgresTx, SqliteDatabase } from '../../client';
import { readDeadLetters } from '../../client/dead-letters';
import { env, sleep } from './app-env';


/** The application's tables in either store, each write in the dialect of its transaction. */
interface AppStore {
  readonly store: MessageStore<any>;
  lastOrder(): Promise<number | null>;
  insertOrder(tx: unknown, id: number, body: string): Awaitable<void>;
  insertEffect(tx: unknown, messageId: string): Awaitable<void>;
  distinctEffects(): Promise<number>;
}

async function openAppStore(location: string): Promise<AppStore> {
  const tables = ['CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, body TEXT NOT NULL)', 'CREATE TABLE IF NOT EXISTS effects (message_id TEXT NOT NULL, at_ms BIGINT NOT NULL)'];
  if (location.startsWith('postgres://')) {
    const store = await openPostgresStore(location);
    for (const table of tables) await store.pool.query(table);
    return {
      store,
      lastOrder: async () => (await store.pool.query('SELECT max(id) AS id FROM orders')).rows[0].id,
      insertOrder: async (tx, id, body) => void (await (tx as PostgresTx).query('INSERT INTO orders (id, body) VALUES ($1, $2)', [id, body])),
      insertEffect: async (tx, messageId) => void (await (tx as PostgresTx).query('INSERT INTO effects (message_id, at_ms) VALUES ($1, $2)', [messageId, Date.now()])),
      distinctEffects: async () => (await store.pool.query('SELECT count(DISTINCT message_id)::int AS n FROM effects')).rows[0].n,
    };
  }
  const db = openSqliteDatabase(location);
  for (const table of tables) db.exec(table);
  return {
    store: new SqliteStore(db),
    lastOrder: async () => (db.prepare('SELECT max(id) AS id FROM orders').get() as { id: number | null }).id,
    insertOrder: (tx, id, body) => void (tx as SqliteDatabase).prepare('INSERT INTO orders (id, body) VALUES (?, ?)').run(id, body),
    insertEffect: (tx, messageId) => void (tx as SqliteDatabase).prepare('INSERT INTO effects (message_id, at_ms) VALUES (?, ?)').run(messageId, Date.now()),
    distinctEffects: async () => (db.prepare('SELECT count(DISTINCT message_id) AS n FROM effects').get() as { n: number }).n,
  };
}

async function produce(): Promise<void> {
  const app = await openAppStore(env('STORE'));
  const { store } = app;
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'lab-producer' });
  const publisher = new Publisher(connection, { timeoutMs: 5000 });
  await publisher.start();
  await connection.start();
  const relay = new OutboxRelay(store, publisher, { window: Number(env('WINDOW', '50')) });
  const relaying = env('RELAY', 'on') === 'on';
  if (relaying) relay.start();
  const progressLog = env('PROGRESS_LOG', '');
  let logged = 0;
  // Failures as they happen (at most one line per second), so that a producer's log says why it stalled.
  let reportedFailures = 0;
  const failures = setInterval(() => {
    if (relay.stats.failed === reportedFailures) return;
    reportedFailures = relay.stats.failed;
    console.log(JSON.stringify({ event: 'failing', at: Date.now(), failed: relay.stats.failed, sent: relay.stats.sent, inFlight: publisher.inFlight, replacedChannels: publisher.replacedAfterNacks, last: relay.stats.lastFailure }));
  }, 1000);
  const progress = setInterval(() => {
    if (progressLog === '' || relay.stats.sent === logged) return;
    logged = relay.stats.sent;
    appendFileSync(progressLog, `${JSON.stringify({ at: Date.now(), sent: logged })}\n`);
  }, 20);
  const last = await app.lastOrder();
  const from = last === null ? Number(env('FROM', '0')) : last + 1;
  const to = Number(env('TO'));
  const rate = Number(env('RATE', '500'));
  const poisonEvery = Number(env('POISON_EVERY', '0'));
  const started = Date.now();
  console.log(JSON.stringify({ event: 'resume', from, pendingInOutbox: await store.pending() }));
  for (let id = from; id < to; id++) {
    const body = poisonEvery > 0 && id % poisonEvery === 0 ? `poison ${id}` : `order ${id}`;
    await store.transaction((tx) =>
      andThen(app.insertOrder(tx, id, body), () => store.addToOutbox({ exchange: 'events', routingKey: 'order.created', messageId: `order-${id}`, body: Buffer.from(body) }, tx)),
    );
    const ahead = started + ((id - from + 1) * 1000) / rate - Date.now();
    // Always yield: the relay runs on this event loop, and a commit slower than the rate would starve it. Behind the
    // rate, a turn of the loop (setImmediate) is enough: a timer costs at least 1 ms, which alone capped the rate
    // near 1,000/s, and at ~400/s on this loaded machine.
    await (ahead > 0 ? sleep(ahead) : new Promise((r) => setImmediate(r)));
  }
  if (relaying) await relay.drained(Number(env('DRAIN_MS', '60000')));
  relay.stop();
  clearInterval(progress);
  clearInterval(failures);
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ event: 'done', from, to, sent: relay.stats.sent, failed: relay.stats.failed, ms: Date.now() - started, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }));
  await connection.close();
}

async function consume(): Promise<void> {
  const cluster = resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec);
  const queue = reliableQueueOf(cluster, env('QUEUE'), env('VHOST', '/'));
  const app = await openAppStore(env('STORE'));
  const log = env('ATTEMPTS_LOG');
  const killAfter = Number(env('KILL_AFTER_COMMITS', '0'));
  let commits = 0;
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'lab-consumer' });
  const consumer = new ReliableConsumer(
    connection,
    app.store,
    queue,
    (message, tx) => {
      appendFileSync(log, `${JSON.stringify({ id: message.messageId, attempt: message.attempt, at: Date.now() })}\n`);
      if (message.body.toString().startsWith('poison')) throw new Error(`cannot parse ${message.body.toString()}`);
      return app.insertEffect(tx, message.messageId);
    },
    {
      prefetch: Number(env('PREFETCH', '20')),
      onCommitted: () => {
        commits++;
        if (killAfter > 0 && commits === killAfter) process.kill(process.pid, 'SIGKILL');
      },
    },
  );
  const publisher = new Publisher(connection, { timeoutMs: 5000 });
  await publisher.start();
  await consumer.start();
  await connection.start();
  const relay = new OutboxRelay(app.store, publisher);
  if (env('RELAY', 'off') === 'on') relay.start();
  const effects = Number(env('EFFECTS', '0'));
  const dead = Number(env('DEAD', '0'));
  let quietSince = Date.now();
  let lastSeen = -1;
  for (;;) {
    const seen = consumer.stats.handled + consumer.stats.duplicates + consumer.stats.retried + consumer.stats.deadLettered;
    if (seen !== lastSeen) [lastSeen, quietSince] = [seen, Date.now()];
    const done = (await app.distinctEffects()) >= effects && consumer.stats.deadLettered >= dead && (await app.store.pending()) === 0;
    if (done && Date.now() - quietSince > Number(env('QUIET_MS', '1500'))) break;
    await sleep(100);
  }
  relay.stop();
  console.log(JSON.stringify({ event: 'done', ...consumer.stats, relayed: relay.stats.sent, connects: connection.connects }));
  await connection.close();
}

async function declare(): Promise<void> {
  const connection = await amqp.connect(env('URL'));
  const channel = await connection.createChannel();
  await channel.assertQueue(env('QUEUE'), { durable: true, arguments: JSON.parse(env('ARGUMENTS', '{}')) });
  console.log(JSON.stringify({ event: 'done' }));
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

async function browse(): Promise<void> {
  const queue = reliableQueueOf(resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec), env('QUEUE'));
  const connection = await amqp.connect(env('URL'));
  const seen: number[] = [];
  for (let round = 0; round < Number(env('ROUNDS')); round++) seen.push((await readDeadLetters(connection, queue, Number.MAX_SAFE_INTEGER)).letters.length);
  console.log(JSON.stringify({ event: 'done', seen }));
  await connection.close();
}

async function channelError(): Promise<void> {
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'lab-channel-error' });
  const publisher = new Publisher(connection, { timeoutMs: 5000 });
  await publisher.start();
  await connection.start();
  const failures: { name: string; message: string }[] = [];
  let confirmed = 0;
  const unexpected: string[] = [];
  for (let round = 0; round < Number(env('ROUNDS', '3')); round++) {
    await publisher.publish({ exchange: env('MISSING'), routingKey: 'order.created', messageId: `missing-${round}`, body: Buffer.from('lost') }).then(
      () => unexpected.push(`missing-${round} was confirmed`),
      (error: Error) => failures.push({ name: error.name, message: error.message }),
    );
    const ids = Array.from({ length: Number(env('COUNT', '20')) }, (_, i) => `after-${round}-${i}`);
    await Promise.all(
      ids.map((id) =>
        publisher.publish({ exchange: 'events', routingKey: 'order.created', messageId: id, body: Buffer.from(id) }).then(
          () => void confirmed++,
          (error: Error) => unexpected.push(`${id}: ${error.name}: ${error.message}`),
        ),
      ),
    );
  }
  const heartbeat = (connection.connection as unknown as { connection: { heartbeat: number } }).connection.heartbeat;
  console.log(JSON.stringify({ event: 'done', failures, confirmed, unexpected, reopens: publisher.reopens, connects: connection.connects, heartbeat }));
  await connection.close();
}

async function setupClosed(): Promise<void> {
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'lab-setup-closed', initialBackoffMs: 50 });
  const retries: string[] = [];
  connection.on('retrying', ({ reason }: { reason: string }) => retries.push(reason));
  const publisher = new Publisher(connection, { timeoutMs: 5000 });
  await publisher.start();
  let setups = 0;
  await connection.register(async (opened) => {
    if (++setups === 1) await opened.close();
  });
  await connection.start();
  const confirmed = await publisher.publish({ exchange: 'events', routingKey: 'order.created', messageId: 'after-setup-closed', body: Buffer.from('x') }).then(
    () => 'confirmed',
    (error: Error) => `${error.name}: ${error.message}`,
  );
  console.log(JSON.stringify({ event: 'done', confirmed, setups, connects: connection.connects, retries }));
  await connection.close();
}

async function nackStorm(): Promise<void> {
  const queue = env('QUEUE');
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'lab-nack-storm' });
  const publisher = new Publisher(connection, { timeoutMs: 5000 });
  await publisher.start();
  await connection.start();
  const admin = await connection.connection!.createChannel();
  await admin.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic', 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
  await admin.purgeQueue(queue);
  const publish = (id: string) =>
    publisher.publish({ exchange: '', routingKey: queue, messageId: id, body: Buffer.from(id) }).then(
      () => 'confirmed',
      (error: Error) => error.name,
    );
  const outcomes: Record<string, number> = {};
  if ((await publish('fill')) !== 'confirmed') throw new Error(`the first publish to ${queue} was not confirmed`);
  for (let i = 0; i < Number(env('COUNT', '30')); i++) {
    const outcome = await publish(`storm-${i}`);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    await sleep(100);
  }
  await admin.purgeQueue(queue);
  const after = await publish('after-purge');
  console.log(JSON.stringify({ event: 'done', outcomes, replacedAfterNacks: publisher.replacedAfterNacks, reopens: publisher.reopens, connects: connection.connects, after }));
  await connection.close();
}

const modes: Record<string, () => Promise<void>> = {
  'nack-storm': nackStorm,
  produce,
  consume,
  'raw-reject': rawReject,
  take,
  declare,
  browse,
  'channel-error': channelError,
  'setup-closed': setupClosed,
};
modes[env('MODE')]!().then(
  () => process.exit(0),
  (error) => {
    // A user error as an application would show it; anything else with its stack.
    console.error(error instanceof WarrenUserError ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  },
);
