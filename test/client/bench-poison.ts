/**
 * MODE=poison-pairs of bench-app.ts: how fast healthy messages flow while a poison message is retried, with
 * warren's consumer (QUEUE, a reliable queue: the broker holds the retries) and with the guide's loop
 * (GUIDE_QUEUE: the consumer sleeps the same delays in its one processing line, then basic.nack with requeue,
 * and basic.reject without requeue into the queue's dead-letter exchange after the last attempt).
 *
 * One run: the queue is purged, filled with a backlog of healthy messages (after one poison message at its
 * head, in a poison run), and consumed for WINDOW_MS; the figure is the healthy messages committed in that
 * window. A poison run then goes on until the poison message was dead-lettered, and its dead letter is read
 * back. Runs go in interleaved pairs (clean, poison; the order flips every pair, so does the mechanism's);
 * WARMUP pairs are discarded and size the backlog (1.6 × the highest rate seen × the window) so that no run drains it.
 * Both consumers do the same work per healthy message: WORK_MS of the handler's own CPU work (a busy wait; 0 by
 * default), inbox look-up, one SQLite transaction (effect + inbox), ack.
 */
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { resolveCluster, type ClusterSpec } from '../../model';
import { openSqliteDatabase, ReliableConnection, ReliableConsumer, reliableQueueOf, SqliteStore, type ClientQueue } from '../../client';
import { env, num, sleep } from './app-env';

type Mechanism = 'warren' | 'guide';

export interface PoisonRun {
  readonly pair: number;
  readonly mechanism: Mechanism;
  readonly poison: boolean;
  readonly warmup: boolean;
  readonly windowMs: number;
  /** Healthy messages committed within the window. */
  readonly healthy: number;
  readonly backlog: number;
  /** Poison runs: from the start of consuming to the dead-lettering (the consumer's forward, the guide's reject). */
  readonly deadLetteredAfterMs?: number;
  /** Poison runs: deliveries of the poison message. */
  readonly poisonDeliveries?: number;
  /** Poison runs: what the dead-letter queue held afterwards. */
  readonly deadLetters?: { messageId: string; headers: Record<string, unknown> }[];
}

interface Consuming {
  readonly commits: number[];
  readonly poisonDeliveries: number[];
  deadAt?: number;
  stop: () => Promise<void>;
}

export async function poisonPairs(): Promise<void> {
  const cluster = resolveCluster(JSON.parse(env('SPEC')) as ClusterSpec);
  const reliable = reliableQueueOf(cluster, env('QUEUE'));
  const guide = { name: env('GUIDE_QUEUE'), deadLetterQueue: env('GUIDE_DEAD_QUEUE') };
  const [pairs, warmup, windowMs, prefetch] = [num('PAIRS'), num('WARMUP'), num('WINDOW_MS'), num('PREFETCH')];
  const url = env('URL');
  const db = openSqliteDatabase(join(env('STORE_DIR'), `poison-${Date.now()}.db`));
  db.exec('CREATE TABLE IF NOT EXISTS effects (message_id TEXT NOT NULL, at_ms INTEGER NOT NULL)');
  const store = new SqliteStore(db);
  const insertEffect = db.prepare('INSERT INTO effects (message_id, at_ms) VALUES (?, ?)');
  const admin = await amqp.connect(url);
  const channel = await admin.createConfirmChannel();
  const isPoison = (body: Buffer) => body.toString().startsWith('poison');
  const workMs = Number(env('WORK_MS', '0'));
  /** The application's own work per healthy message: synchronous, as a SQLite handler must be. */
  const work = () => {
    const until = performance.now() + workMs;
    while (performance.now() < until);
  };

  const fill = async (queue: string, tag: string, poison: boolean, backlog: number) => {
    if (poison) channel.publish('events', queue, Buffer.from(`poison ${tag}`), { persistent: true, messageId: `${tag}-poison` });
    for (let i = 0; i < backlog; i++) {
      channel.publish('events', queue, Buffer.from(`order ${tag}-${i}`), { persistent: true, messageId: `${tag}-${i}` });
      if (i % 500 === 499) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
  };

  const startWarren = async (queue: ClientQueue): Promise<Consuming> => {
    const connection = new ReliableConnection({ urls: [url], name: 'bench-poison-warren' });
    const state: Consuming = { commits: [], poisonDeliveries: [], stop: () => connection.close() };
    const consumer = new ReliableConsumer(
      connection,
      store,
      queue,
      (message) => {
        if (isPoison(message.body)) {
          state.poisonDeliveries.push(Date.now());
          throw new Error(`cannot parse ${message.body.toString()}`);
        }
        work();
        insertEffect.run(message.messageId, Date.now());
      },
      { prefetch, onCommitted: () => state.commits.push(Date.now()) },
    );
    await consumer.start();
    await connection.start();
    const watch = setInterval(() => {
      if (consumer.stats.deadLettered > 0 && state.deadAt === undefined) state.deadAt = Date.now();
    }, 5);
    state.stop = async () => {
      clearInterval(watch);
      await connection.close();
    };
    return state;
  };

  // The guide's loop: a delivery count kept by the consumer (its database row), a sleep in the consumer's only
  // line of processing, then nack with requeue; reject without requeue (to the dead-letter exchange) at the last.
  const startGuide = async (): Promise<Consuming> => {
    const connection = await amqp.connect(url);
    const ch = await connection.createChannel();
    await ch.prefetch(prefetch);
    const state: Consuming = { commits: [], poisonDeliveries: [], stop: async () => void (await connection.close().catch(() => undefined)) };
    const attempts = new Map<string, number>();
    let chain = Promise.resolve();
    const handle = async (message: amqp.ConsumeMessage) => {
      const id = String(message.properties.messageId);
      if (isPoison(message.content)) {
        state.poisonDeliveries.push(Date.now());
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        if (attempt >= reliable.attempts) {
          ch.reject(message, false);
          state.deadAt = Date.now();
          return;
        }
        await sleep(reliable.retryDelaysMs[attempt - 1]!);
        ch.nack(message, false, true);
        return;
      }
      if (store.processed('guide', id)) return ch.ack(message);
      work();
      store.transaction(() => {
        insertEffect.run(id, Date.now());
        store.markProcessed('guide', id, Date.now());
      });
      state.commits.push(Date.now());
      ch.ack(message);
    };
    await ch.consume(guide.name, (message) => {
      if (message) chain = chain.then(() => handle(message)).catch(() => undefined);
    });
    return state;
  };

  const drainDeadLetters = async (queue: string) => {
    const letters: { messageId: string; headers: Record<string, unknown> }[] = [];
    for (let m = await channel.get(queue, { noAck: true }); m; m = await channel.get(queue, { noAck: true })) {
      letters.push({ messageId: String(m.properties.messageId), headers: m.properties.headers ?? {} });
    }
    return letters;
  };

  const oneRun = async (pair: number, mechanism: Mechanism, poison: boolean, backlog: number): Promise<PoisonRun> => {
    const queue = mechanism === 'warren' ? reliable.name : guide.name;
    const deadLetterQueue = mechanism === 'warren' ? reliable.deadLetterQueue : guide.deadLetterQueue;
    const extra = mechanism === 'warren' && reliable.retry.kind === 'delay-queues' ? reliable.retry.queueForRetry : [];
    for (const q of [queue, deadLetterQueue, ...extra]) await channel.purgeQueue(q);
    const tag = `${mechanism}-${pair}-${poison ? 'p' : 'c'}`;
    await fill(queue, tag, poison, backlog);
    const consuming = mechanism === 'warren' ? await startWarren(reliable) : await startGuide();
    const started = Date.now();
    await sleep(windowMs);
    const healthy = consuming.commits.filter((at) => at <= started + windowMs).length;
    if (healthy >= backlog && pair >= warmup) throw new Error(`run ${tag}: the backlog of ${backlog} ran out within the window; raise WARMUP or PREFILL`);
    const deadline = Date.now() + 120_000;
    while (poison && consuming.deadAt === undefined) {
      if (Date.now() > deadline) throw new Error(`run ${tag}: the poison message was not dead-lettered within 120 s after the window`);
      await sleep(20);
    }
    const deadAt = consuming.deadAt;
    await consuming.stop();
    await sleep(200); // the dead letter's enqueue (the guide's goes through the dead-letter exchange after the reject)
    const deadLetters = await drainDeadLetters(deadLetterQueue);
    if (deadLetters.length !== (poison ? 1 : 0)) throw new Error(`run ${tag}: ${deadLetters.length} dead letters (${deadLetters.map((l) => l.messageId).join(', ')}), expected ${poison ? 1 : 0}`);
    return {
      pair,
      mechanism,
      poison,
      warmup: pair < warmup,
      windowMs,
      healthy,
      backlog,
      ...(poison && { deadLetteredAfterMs: deadAt! - started, poisonDeliveries: consuming.poisonDeliveries.length, deadLetters }),
    };
  };

  const runs: PoisonRun[] = [];
  const backlog: Record<Mechanism, number> = { warren: Number(env('PREFILL', '3000')), guide: Number(env('PREFILL', '3000')) };
  for (let pair = 0; pair < warmup + pairs; pair++) {
    const mechanisms: Mechanism[] = pair % 2 === 0 ? ['warren', 'guide'] : ['guide', 'warren'];
    for (const mechanism of mechanisms) {
      for (const poison of pair % 2 === 0 ? [false, true] : [true, false]) {
        const run = await oneRun(pair, mechanism, poison, backlog[mechanism]);
        // A warm-up run (clean or poison) that drained its backlog says only that the rate is higher: triple it and measure again.
        if (run.warmup) backlog[mechanism] = run.healthy >= run.backlog ? run.backlog * 3 : Math.max(backlog[mechanism], Math.ceil(run.healthy * 1.6));
        console.error(`poison-pairs: ${JSON.stringify({ ...run, deadLetters: undefined })}`);
        runs.push(run);
      }
    }
  }
  console.log(JSON.stringify({ event: 'done', runs }));
  await admin.close();
}
