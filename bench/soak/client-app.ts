/**
 * The soak's clients, run inside the lab's client host (tsx) on warren's client, each logging one JSON line per
 * event (see ClientEvent in checker.ts) to LOG, synchronously so that a line is on disk before the next step.
 * MODE=produce: writes a row and its outbox message in one SQLite transaction (STORE) every 1/RATE s, relayed
 * through the VIP with confirms; once STOP_FILE exists it stops writing, drains the outbox (DRAIN_MS) and exits.
 * MODE=consume: a ReliableConsumer on QUEUE with its inbox in STORE (consumers of one service share it) until
 * STOP_FILE exists. NAME names the client in its log lines; URL is the VIP's AMQP URL; SPEC the cluster spec.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { resolveCluster, type ClusterSpec } from '../../model';
import { openSqliteDatabase, OutboxRelay, Publisher, ReliableConnection, ReliableConsumer, reliableQueueOf, SqliteStore, type OutgoingMessage, type SqliteDatabase } from '../../client';
import { env, sleep } from '../../test/client/app-env';

const NAME = env('NAME');
const LOG = env('LOG');
const STOP_FILE = env('STOP_FILE');

function log(e: string, id: string, extra: Record<string, unknown> = {}): void {
  appendFileSync(LOG, `${JSON.stringify({ e, id, t: Date.now(), c: NAME, ...extra })}\n`);
}

/** Logs every attempt and its outcome around warren's Publisher (client/ is left as it is). */
class LoggingPublisher extends Publisher {
  override async publish(message: OutgoingMessage): Promise<void> {
    log('attempt', message.messageId);
    try {
      await super.publish(message);
    } catch (error) {
      log('fail', message.messageId, { error: `${(error as Error).name}: ${(error as Error).message}` });
      throw error;
    }
    log('confirm', message.messageId);
  }
}

/** The connection through the VIP, its (re)connections and losses logged (id: the client's name). */
function connect(): ReliableConnection {
  const connection = new ReliableConnection({ urls: [env('URL')], name: NAME });
  connection.on('connected', () => log('connected', NAME));
  connection.on('disconnected', (reason: string) => log('disconnected', NAME, { error: reason }));
  connection.on('retrying', ({ attempt, delayMs, reason }: { attempt: number; delayMs: number; reason: string }) => log('retrying', NAME, { attempt, delayMs, error: reason }));
  return connection;
}

function openStore(): { db: SqliteDatabase; store: SqliteStore } {
  const db = openSqliteDatabase(env('STORE'));
  db.exec('CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS effects (message_id TEXT NOT NULL, at_ms INTEGER NOT NULL)');
  return { db, store: new SqliteStore(db) };
}

async function produce(): Promise<void> {
  const { store } = openStore();
  const connection = connect();
  const publisher = new LoggingPublisher(connection, { timeoutMs: 5000 });
  await publisher.start();
  await connection.start();
  // Failed rows back off from 500 ms, doubling up to 30 s (the relay's rule): the soak sees what an app would.
  const relay = new OutboxRelay(store, publisher, { window: 50, retryDelayMs: 500 });
  relay.start();
  const rate = Number(env('RATE', '40'));
  const started = Date.now();
  let n = 0;
  while (!existsSync(STOP_FILE)) {
    const id = `${NAME}-${n}`;
    store.transaction((tx) => {
      tx.prepare('INSERT INTO orders (id, at_ms) VALUES (?, ?)').run(id, Date.now());
      store.addToOutbox({ exchange: 'events', routingKey: 'order.created', messageId: id, body: Buffer.from(`order ${id}`) });
    });
    log('write', id);
    n++;
    await sleep(Math.max(0, started + (n * 1000) / rate - Date.now()));
  }
  let drained = true;
  await relay.drained(Number(env('DRAIN_MS', '120000'))).catch(() => (drained = false));
  relay.stop();
  console.log(JSON.stringify({ event: 'done', written: n, sent: relay.stats.sent, failed: relay.stats.failed, drained, connects: connection.connects }));
  await connection.close();
}

async function consume(): Promise<void> {
  const cluster = resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec);
  const queue = reliableQueueOf(cluster, env('QUEUE'));
  const { store } = openStore();
  const connection = connect();
  const consumer = new ReliableConsumer(
    connection,
    store,
    queue,
    (message, tx) => {
      log('deliver', message.messageId, { attempt: message.attempt });
      tx.prepare('INSERT INTO effects (message_id, at_ms) VALUES (?, ?)').run(message.messageId, Date.now());
    },
    { prefetch: 20, onCommitted: (message) => log('handled', message.messageId) },
  );
  await consumer.start();
  await connection.start();
  while (!existsSync(STOP_FILE)) await sleep(200);
  console.log(JSON.stringify({ event: 'done', ...consumer.stats, connects: connection.connects }));
  await connection.close();
}

const modes: Record<string, () => Promise<void>> = { produce, consume };
modes[env('MODE')]!().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
