/**
 * The application side of bench/reliability-figures.ts, run inside a lab host (tsx) on warren's client; prints
 * one JSON line of raw samples, the bench turns them into figures. MODE:
 * - retry-delays: per level of LEVELS (JSON [{ queue, delayMs }]), N messages published SPACING_MS apart (all
 *   levels at once), each failing its first attempt; prints per level the lateness of every second attempt:
 *   (second attempt - first attempt) - delayMs, i.e. delivered - due.
 * - poison-pairs: see bench-poison.ts.
 * - publish-pairs: PAIRS interleaved windows of COUNT messages with WINDOW in flight, a raw amqplib confirm
 *   channel against warren's Publisher (same connection options, queue, properties and driver loop), then the
 *   outbox (SQLite in STORE_DIR, and PostgreSQL when POSTGRES_URL is set) in the warm-up pairs and the first OUTBOX_PAIRS
 *   measured ones: OUTBOX_COUNT rows each written in its own transaction while the relay sends them with WINDOW in
 *   flight, timed until the outbox is drained.
 * - publish-timeout (for test/client/publisher-timeout-real.test.ts): connects, writes READY_FILE, waits for GO_FILE
 *   (the test has frozen the broker meanwhile), then publishes one message every GAP_MS, COUNT in all, with
 *   TIMEOUT_MS; prints each one's outcome and how long after its own publish it settled.
 * URL is the broker, SPEC (JSON) the cluster spec.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { resolveCluster, type ClusterSpec } from '../../model';
import { openPostgresStore, openSqliteDatabase, OutboxRelay, Publisher, ReliableConnection, ReliableConsumer, reliableQueueOf, SqliteStore } from '../../client';
import type { MessageStore, OutgoingMessage } from '../../client';
import { env, num, sleep } from './app-env';
import { poisonPairs } from './bench-poison';

async function retryDelays(): Promise<void> {
  const cluster = resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec);
  const levels = JSON.parse(env('LEVELS')) as { queue: string; delayMs: number }[];
  const perLevel = Number(env('N'));
  const spacingMs = Number(env('SPACING_MS'));
  const store = new SqliteStore(openSqliteDatabase(join(env('STORE_DIR'), `retry-delays-${Date.now()}.db`)));
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'bench-retry-delays' });
  const firstAt = new Map<string, number>();
  const lateness: Record<string, number[]> = Object.fromEntries(levels.map((l) => [l.queue, []]));
  for (const level of levels) {
    const consumer = new ReliableConsumer(connection, store, reliableQueueOf(cluster, level.queue), (message) => {
      const at = Date.now();
      if (message.attempt === 1) {
        firstAt.set(message.messageId, at);
        throw new Error('first attempt fails');
      }
      lateness[level.queue]!.push(at - firstAt.get(message.messageId)! - level.delayMs);
    }, { prefetch: 50 });
    await consumer.start();
  }
  const publisher = new Publisher(connection);
  await publisher.start();
  await connection.start();
  const started = Date.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < perLevel; i++) {
    for (const level of levels) sends.push(publisher.publish({ exchange: 'events', routingKey: level.queue, messageId: `${level.queue}-${i}`, body: Buffer.from(`retry ${i}`) }));
    await sleep(started + (i + 1) * spacingMs - Date.now());
  }
  await Promise.all(sends);
  const deadline = Date.now() + Math.max(...levels.map((l) => l.delayMs)) + 60_000;
  while (levels.some((l) => lateness[l.queue]!.length < perLevel)) {
    if (Date.now() > deadline) throw new Error(`second attempts missing: ${levels.map((l) => `${l.queue} ${lateness[l.queue]!.length}/${perLevel}`).join(', ')}`);
    await sleep(200);
  }
  console.log(JSON.stringify({ event: 'done', lateness, publishedOverMs: Date.now() - started }));
  await connection.close();
}

/** Sends `count` messages through `send`, never more than `window` awaiting their confirm; the elapsed ms. */
async function windowed(count: number, window: number, send: (i: number) => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  const lane = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: window }, lane));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function publishPairs(): Promise<void> {
  const queue = env('QUEUE');
  const [pairs, warmup, count, window, outboxCount, outboxPairs] = [num('PAIRS'), num('WARMUP'), num('COUNT'), num('WINDOW'), num('OUTBOX_COUNT'), num('OUTBOX_PAIRS')];
  const body = Buffer.alloc(Number(env('BODY_BYTES', '1024')), 'x');
  const message = (side: string, pair: number, i: number): OutgoingMessage => ({ exchange: 'events', routingKey: queue, messageId: `${side}-${pair}-${i}`, body });
  const rawConnection = await amqp.connect(env('URL'));
  const raw = await rawConnection.createConfirmChannel();
  const admin = await rawConnection.createChannel();
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'bench-publisher' });
  const publisher = new Publisher(connection);
  await publisher.start();
  await connection.start();
  // Same properties as Publisher.publish sets: the difference measured is warren's bookkeeping, not the frame.
  const rawSend = (m: OutgoingMessage) =>
    new Promise<void>((resolve, reject) =>
      raw.publish(m.exchange, m.routingKey, m.body, { persistent: true, mandatory: true, messageId: m.messageId, headers: {}, contentType: 'application/octet-stream' }, (error: unknown) =>
        error ? reject(new Error('nacked')) : resolve(),
      ),
    );
  const outboxes: { name: string; store: MessageStore<any>; close: () => Promise<void> }[] = [];
  const sqlite = openSqliteDatabase(join(env('STORE_DIR'), `outbox-${Date.now()}.db`));
  outboxes.push({ name: 'sqlite', store: new SqliteStore(sqlite), close: async () => void sqlite.close() });
  if (process.env.POSTGRES_URL) {
    const postgres = await openPostgresStore(process.env.POSTGRES_URL);
    outboxes.push({ name: 'postgres', store: postgres, close: () => postgres.pool.end() });
  }
  const outboxWindow = async (store: MessageStore<any>, side: string, pair: number): Promise<number> => {
    const relay = new OutboxRelay(store, publisher, { window, pollMs: 10 });
    const started = process.hrtime.bigint();
    relay.start();
    for (let i = 0; i < outboxCount; i++) {
      // One business transaction per message, as an application writes them; yield so the relay runs meanwhile.
      await store.transaction((tx) => store.addToOutbox(message(side, pair, i), tx));
      if (i % 50 === 49) await sleep(0);
    }
    await relay.drained(120_000);
    relay.stop();
    if (relay.stats.failed > 0) throw new Error(`outbox ${side}: ${relay.stats.failed} publishes failed`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const windows: { pair: number; side: string; ms: number; count: number; warmup: boolean }[] = [];
  for (let pair = 0; pair < warmup + pairs; pair++) {
    const sides = pair % 2 === 0 ? ['raw', 'warren'] : ['warren', 'raw'];
    const withOutbox = pair < warmup + outboxPairs;
    for (const side of [...sides, ...(withOutbox ? outboxes.map((o) => `outbox-${o.name}`) : [])]) {
      await admin.purgeQueue(queue);
      const ms =
        side === 'raw'
          ? await windowed(count, window, (i) => rawSend(message(side, pair, i)))
          : side === 'warren'
            ? await windowed(count, window, (i) => publisher.publish(message(side, pair, i)))
            : await outboxWindow(outboxes.find((o) => `outbox-${o.name}` === side)!.store, side, pair);
      windows.push({ pair, side, ms, count: side.startsWith('outbox') ? outboxCount : count, warmup: pair < warmup });
    }
  }
  await admin.purgeQueue(queue);
  console.log(JSON.stringify({ event: 'done', windows }));
  for (const outbox of outboxes) await outbox.close();
  await connection.close();
  await rawConnection.close();
}

async function publishTimeout(): Promise<void> {
  const connection = new ReliableConnection({ urls: [env('URL')], name: 'publish-timeout' });
  const publisher = new Publisher(connection, { timeoutMs: num('TIMEOUT_MS') });
  await publisher.start();
  await connection.start();
  writeFileSync(env('READY_FILE'), 'ready');
  while (!existsSync(env('GO_FILE'))) await sleep(20);
  const outcomes: Promise<{ id: string; settledAfterMs: number; error: string | null }>[] = [];
  for (let i = 0; i < num('COUNT'); i++) {
    const id = `timeout-${i}`;
    const sentAt = Date.now();
    outcomes.push(
      publisher.publish({ exchange: 'events', routingKey: 'order.created', messageId: id, body: Buffer.from(id) }).then(
        () => ({ id, settledAfterMs: Date.now() - sentAt, error: null }),
        (error: Error) => ({ id, settledAfterMs: Date.now() - sentAt, error: `${error.name}: ${error.message}` }),
      ),
    );
    await sleep(num('GAP_MS'));
  }
  console.log(JSON.stringify({ event: 'done', outcomes: await Promise.all(outcomes), inFlight: publisher.inFlight }));
  process.exit(0);
}

const modes: Record<string, () => Promise<void>> = { 'retry-delays': retryDelays, 'poison-pairs': poisonPairs, 'publish-pairs': publishPairs, 'publish-timeout': publishTimeout };
modes[env('MODE')]!().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
