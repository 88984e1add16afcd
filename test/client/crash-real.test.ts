/**
 * warren's client on a real RabbitMQ node of each line (lab: 4.3.6 from the root, Debian's 3.10.8, which retries
 * through delay queues): the publisher process SIGKILLed mid-stream resends its
 * outbox after a restart, the consumer SIGKILLed between its handler's commit and its ack finds the id in its
 * inbox on redelivery. Counted: every order reaches the consumer's effects exactly once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_APP, ordersSpec, startBrokerLab, TSX, type BrokerLab } from '../reliability/broker-lab';

const effectsOf = (file: string): Map<string, number> => {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT message_id AS id, count(*) AS n FROM effects GROUP BY message_id').all() as { id: string; n: number }[];
  db.close();
  return new Map(rows.map((r) => [r.id, r.n]));
};

const count = (file: string, sql: string): number => {
  const db = new Database(file, { readonly: true });
  const n = (db.prepare(sql).get() as { n: number }).n;
  db.close();
  return n;
};

describe.each(['4.3', '3.10'])('the client on a real RabbitMQ %s node, with processes killed', (line) => {
  const spec = ordersSpec(line);
  let broker: BrokerLab | undefined;

  beforeAll(async () => {
    broker = await startBrokerLab(spec);
  }, 300_000);

  afterAll(async () => {
    await broker?.lab.destroy();
  });

  it('SIGKILL of the publisher mid-stream: the outbox resends after the restart, nothing is lost, the inbox absorbs duplicates', async () => {
    const { lab, url } = broker!;
    const store = join(lab.tempDir, 'kill-producer.db');
    const total = 1000;
    const producer = lab.spawn('client', [TSX, LAB_APP], { env: { MODE: 'produce', URL: url, STORE: store, FROM: '0', TO: String(total), RATE: '400', WINDOW: '50' } });
    const deadline = Date.now() + 60_000;
    // Kill once a few hundred orders are written, with messages still in the outbox or awaiting confirms.
    // The file exists a moment before the producer creates its tables: no table yet is no order yet.
    const written = () => (existsSync(store) && count(store, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'orders'") === 1 ? count(store, 'SELECT count(*) AS n FROM orders') : 0);
    while (written() < 300) {
      if (Date.now() > deadline) throw new Error('the producer wrote no orders within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await producer.kill('SIGKILL');
    await producer.exited();
    const ordersAtKill = count(store, 'SELECT count(*) AS n FROM orders');
    const outboxAtKill = count(store, 'SELECT count(*) AS n FROM warren_outbox');
    const resumed = await broker!.app({ MODE: 'produce', STORE: store, TO: String(total), RATE: '400' });
    const consumerStore = join(lab.tempDir, 'kill-producer-consumer.db');
    const consumed = await broker!.app({ MODE: 'consume', QUEUE: 'orders.created', STORE: consumerStore, ATTEMPTS_LOG: join(lab.tempDir, 'kp.jsonl'), EFFECTS: String(total), QUIET_MS: '2000' });
    const effects = effectsOf(consumerStore);
    console.log(
      `publisher SIGKILLed after ${ordersAtKill} of ${total} orders with ${outboxAtKill} messages unconfirmed in its outbox; restart resumed at ${resumed.from} ` +
        `and sent ${resumed.sent}; consumer: ${consumed.handled} handled, ${consumed.duplicates} duplicates skipped by the inbox; effects ${effects.size}, ` +
        `ids with more than one effect: ${[...effects.values()].filter((n) => n > 1).length}`,
    );
    expect(effects.size).toBe(total);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
    expect(count(store, 'SELECT count(*) AS n FROM warren_outbox')).toBe(0);
  }, 300_000);

  it('SIGKILL of the consumer between its commit and its ack: the redelivered message finds its id in the inbox, the handler never runs twice', async () => {
    const { lab } = broker!;
    const total = 300;
    await broker!.app({ MODE: 'produce', STORE: join(lab.tempDir, 'kill-consumer-producer.db'), FROM: '5000', TO: String(5000 + total), RATE: '1000' });
    const consumerStore = join(lab.tempDir, 'kill-consumer.db');
    const killed = await lab.run('client', [TSX, LAB_APP], {
      env: { MODE: 'consume', URL: broker!.url, SPEC: JSON.stringify(spec), QUEUE: 'orders.created', STORE: consumerStore, ATTEMPTS_LOG: join(lab.tempDir, 'kc.jsonl'), EFFECTS: String(total), KILL_AFTER_COMMITS: '120' },
      timeoutMs: 120_000,
    });
    expect(killed.code).not.toBe(0);
    const afterKill = effectsOf(consumerStore).size;
    const inboxAfterKill = count(consumerStore, 'SELECT count(*) AS n FROM warren_inbox');
    const resumed = await broker!.app({ MODE: 'consume', QUEUE: 'orders.created', STORE: consumerStore, ATTEMPTS_LOG: join(lab.tempDir, 'kc.jsonl'), EFFECTS: String(total), QUIET_MS: '2000' });
    const effects = effectsOf(consumerStore);
    console.log(
      `consumer SIGKILLed after its 120th commit, before the ack (exit ${killed.code}): ${afterKill} effects committed, ${inboxAfterKill} ids in the inbox; ` +
        `restart: ${resumed.handled} handled, ${resumed.duplicates} redelivered duplicates skipped; effects ${effects.size} of ${total}, ids with more than one effect: ${[...effects.values()].filter((n) => n > 1).length}`,
    );
    expect(afterKill).toBe(120);
    expect(resumed.duplicates).toBeGreaterThanOrEqual(1);
    expect(effects.size).toBe(total);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  }, 300_000);
});
