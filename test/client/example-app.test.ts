/**
 * examples/orders-app, run as a user would run it (tsx app.ts place / ship), against a real RabbitMQ node booted
 * from its own warren.yaml (lab: 4.3.6 as written; the same spec on Debian's 3.10.8, which retries through delay
 * queues) and a real PostgreSQL server: every valid order ships exactly once, each
 * order with quantity 0 ends in the dead-letter queue after its 3 attempts.
 */
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../model';
import { queueLengthOnceSettled, startBrokerLab, TSX, type BrokerLab } from '../reliability/broker-lab';
import { startPostgres, type PostgresServer } from '../support/postgres';

const APP_DIR = join(__dirname, '../../examples/orders-app');

describe.each(['4.3', '3.10'])('examples/orders-app on a real RabbitMQ %s node and PostgreSQL', (line) => {
  const written = parse(readFileSync(join(APP_DIR, 'warren.yaml'), 'utf8')) as ClusterSpec;
  const spec: ClusterSpec = { ...written, rabbitmq: { ...written.rabbitmq, version: line } };
  let broker: BrokerLab | undefined;
  let postgres: PostgresServer | undefined;

  beforeAll(async () => {
    postgres = startPostgres();
    postgres.createDatabase('orders');
    broker = await startBrokerLab(spec);
  }, 300_000);

  afterAll(async () => {
    await broker?.lab.destroy();
    postgres?.stop();
  });

  it('places 50 orders, ships the 45 valid ones exactly once, dead-letters the 5 with quantity 0', async () => {
    // 4.3: the app reads its own warren.yaml; 3.10: the same spec with the line changed, from a file given as SPEC.
    const specFile = join(broker!.lab.tempDir, 'warren.yaml');
    writeFileSync(specFile, JSON.stringify(spec));
    const env = { DATABASE_URL: postgres!.url('orders'), RABBITMQ_PASSWORD: 'fake-default-user-password', ...(line !== written.rabbitmq?.version && { SPEC: specFile }) };
    const app = (...args: string[]) => broker!.lab.run('client', [TSX, join(APP_DIR, 'app.ts'), ...args], { env: { ...env, IDLE_EXIT_MS: '4000' }, timeoutMs: 120_000 });
    const placed = await app('place', '50');
    expect(placed.code, placed.stderr).toBe(0);
    const shipped = await app('ship');
    expect(shipped.code, shipped.stderr).toBe(0);
    const client = new pg.Client(postgres!.config('orders'));
    await client.connect();
    const count = async (sql: string) => (await client.query(sql)).rows[0].n as number;
    const shipments = await count('SELECT count(*)::int AS n FROM shipments');
    const unshippable = await count('SELECT count(*)::int AS n FROM orders WHERE quantity = 0');
    const outbox = await count('SELECT count(*)::int AS n FROM warren_outbox');
    await client.end();
    const dead = await queueLengthOnceSettled(broker!, 'orders.created.dead', 5);
    console.log(`${line} orders-app: ${placed.stdout.trim()}; ship ${shipped.stdout.trim()}; ${shipments} shipments, ${dead} dead letters, ${outbox} rows left in the outbox`);
    expect(JSON.parse(placed.stdout.trim())).toEqual({ placed: 50, sent: 50 });
    expect(JSON.parse(shipped.stdout.trim())).toMatchObject({ handled: 45, deadLettered: 5, retried: 10 });
    expect([shipments, unshippable, dead, outbox]).toEqual([45, 5, 5, 0]);
  }, 300_000);
});
