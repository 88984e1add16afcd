/**
 * warren's client with the PostgreSQL store, on a real RabbitMQ node of each line (lab: 4.3.6 from the root, Debian's
 * 3.10.8, which retries through delay queues) and a real PostgreSQL server:
 * orders written with their messages in one PostgreSQL transaction are relayed with confirms; the consumer,
 * SIGKILLed between its handler's commit and its ack, finds the id in its PostgreSQL inbox on redelivery.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_APP, ordersSpec, startBrokerLab, TSX, type BrokerLab } from '../reliability/broker-lab';
import { startPostgres, type PostgresServer } from '../support/postgres';

const query = async (url: string, sql: string): Promise<any[]> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

describe.each(['4.3', '3.10'])('the client with the PostgreSQL store on a real RabbitMQ %s node', (line) => {
  const spec = ordersSpec(line);
  let broker: BrokerLab | undefined;
  let postgres: PostgresServer | undefined;

  beforeAll(async () => {
    postgres = startPostgres();
    broker = await startBrokerLab(spec);
  }, 300_000);

  afterAll(async () => {
    await broker?.lab.destroy();
    postgres?.stop();
  });

  it('outbox relayed from PostgreSQL; consumer SIGKILLed between commit and ack: every order has exactly one effect', async () => {
    const { lab } = broker!;
    const total = 300;
    const [producer, consumer] = [`producer_${line.replace('.', '_')}`, `consumer_${line.replace('.', '_')}`];
    postgres!.createDatabase(producer);
    postgres!.createDatabase(consumer);
    const producerUrl = postgres!.url(producer);
    const consumerUrl = postgres!.url(consumer);
    const produced = await broker!.app({ MODE: 'produce', STORE: producerUrl, FROM: '0', TO: String(total), RATE: '1000' });
    expect(produced).toMatchObject({ sent: total, failed: 0 });
    expect(await query(producerUrl, 'SELECT count(*)::int AS n FROM warren_outbox')).toEqual([{ n: 0 }]);
    const killed = await lab.run('client', [TSX, LAB_APP], {
      env: { MODE: 'consume', URL: broker!.url, SPEC: JSON.stringify(spec), QUEUE: 'orders.created', STORE: consumerUrl, ATTEMPTS_LOG: join(lab.tempDir, 'pg.jsonl'), EFFECTS: String(total), KILL_AFTER_COMMITS: '120' },
      timeoutMs: 120_000,
    });
    expect(killed.code).not.toBe(0);
    const [{ n: afterKill }] = await query(consumerUrl, 'SELECT count(*)::int AS n FROM effects');
    const resumed = await broker!.app({ MODE: 'consume', QUEUE: 'orders.created', STORE: consumerUrl, ATTEMPTS_LOG: join(lab.tempDir, 'pg.jsonl'), EFFECTS: String(total), QUIET_MS: '2000' });
    const effects = await query(consumerUrl, 'SELECT message_id, count(*)::int AS n FROM effects GROUP BY message_id');
    console.log(
      `${line}, PostgreSQL store: ${produced.sent} orders relayed from the outbox in ${produced.ms} ms; consumer SIGKILLed after its 120th commit, before the ack ` +
        `(exit ${killed.code}): ${afterKill} effects; restart: ${resumed.handled} handled, ${resumed.duplicates} redelivered duplicates skipped; ` +
        `effects ${effects.length} of ${total}, ids with more than one effect: ${effects.filter((r) => r.n > 1).length}`,
    );
    expect(afterKill).toBe(120);
    expect(resumed.duplicates).toBeGreaterThanOrEqual(1);
    expect(effects.length).toBe(total);
    expect(effects.every((r) => r.n === 1)).toBe(true);
  }, 300_000);
});
