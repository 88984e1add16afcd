/**
 * The client's pieces that need no broker: queue lookup from the resolved spec, and the store contract (outbox
 * and inbox) run against both stores, SQLite in a temp file and PostgreSQL on a private real server.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCluster, WarrenUserError } from '../../model';
import { andThen, openPostgresStore, openSqliteDatabase, reliableQueueOf, SqliteStore, type Awaitable, type MessageStore, type PostgresTx, type SqliteDatabase } from '../../client';
import { startPostgres, type PostgresServer } from '../support/postgres';

const cluster = resolveCluster({
  name: 'shop',
  topology: {
    queues: [{ name: 'orders.created', retry: { attempts: 3 } }, { name: 'orders.audit' }],
  },
});

describe('reliableQueueOf', () => {
  it('returns what the spec resolved', () => {
    expect(reliableQueueOf(cluster, 'orders.created')).toMatchObject({ attempts: 3, deadLetterQueue: 'orders.created.dead', retry: { kind: 'quorum-delayed-retry', minMs: 1000, maxMs: 1000 } });
  });

  it('names the fix for a queue without a retry policy, a typo, or an unknown queue', () => {
    expect(() => reliableQueueOf(cluster, 'orders.audit')).toThrow(new WarrenUserError('queue "orders.audit" in vhost "/" is not a reliable queue of cluster shop; give it a retry policy under topology.queues[].retry in the spec', 1));
    expect(() => reliableQueueOf(cluster, 'orders.creatd')).toThrow('queue "orders.creatd" in vhost "/" is not a reliable queue of cluster shop; did you mean "orders.created"?');
    expect(() => reliableQueueOf(cluster, 'payments', 'pay')).toThrow('queue "payments" in vhost "pay" is not a reliable queue of cluster shop; declare it under topology.queues with a retry policy');
  });
});

/** A store under test, with the business write of the contract cases in its own dialect. */
interface Subject {
  readonly store: MessageStore<any>;
  /** Inserts an order; fails on a duplicate id. */
  insertOrder(tx: unknown, id: string): Awaitable<void>;
  orders(): Promise<string[]>;
  close(): Promise<void>;
}

let postgres: PostgresServer | undefined;
let databases = 0;
const dirs: string[] = [];

beforeAll(() => {
  postgres = startPostgres();
}, 120_000);

afterAll(() => {
  postgres?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const stores: Record<string, () => Promise<Subject>> = {
  SQLite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-store-'));
    dirs.push(dir);
    const db = openSqliteDatabase(join(dir, 'app.db'));
    db.exec('CREATE TABLE orders (id TEXT PRIMARY KEY)');
    return {
      store: new SqliteStore(db),
      insertOrder: (tx, id) => void (tx as SqliteDatabase).prepare('INSERT INTO orders VALUES (?)').run(id),
      orders: async () => (db.prepare('SELECT id FROM orders ORDER BY id').all() as { id: string }[]).map((r) => r.id),
      close: async () => void db.close(),
    };
  },
  PostgreSQL: async () => {
    const database = `contract_${++databases}`;
    postgres!.createDatabase(database);
    const store = await openPostgresStore(postgres!.url(database));
    await store.pool.query('CREATE TABLE orders (id TEXT PRIMARY KEY)');
    return {
      store,
      insertOrder: async (tx, id) => void (await (tx as PostgresTx).query('INSERT INTO orders VALUES ($1)', [id])),
      orders: async () => (await store.pool.query('SELECT id FROM orders ORDER BY id')).rows.map((r) => r.id),
      close: () => store.close(),
    };
  },
};

const message = (id: string) => ({ exchange: 'events', routingKey: 'order.created', messageId: id, body: Buffer.from([0, 1, 2, 255, ...Buffer.from(id)]), headers: { tenant: 'eu', n: 2 } });

describe.each(Object.keys(stores))('the %s store contract', (name) => {
  const fresh = stores[name]!;

  it("an outbox row commits or rolls back with the caller's transaction", async () => {
    const { store, insertOrder, orders, close } = await fresh();
    await store.transaction((tx) => andThen(insertOrder(tx, 'o1'), () => store.addToOutbox(message('m1'), tx)));
    // The business write fails after the outbox row was added: the row goes with it.
    await expect(async () => store.transaction((tx) => andThen(store.addToOutbox(message('m2'), tx), () => insertOrder(tx, 'o1')))).rejects.toThrow(/UNIQUE|duplicate key/);
    expect(await orders()).toEqual(['o1']);
    expect(await store.due(Date.now(), 10)).toEqual([{ seq: 1, attempts: 0, ...message('m1') }]);
    expect(await store.pending()).toBe(1);
    await close();
  });

  it('keeps a failed row with its id until it is due again, deletes it once sent', async () => {
    const { store, close } = await fresh();
    await store.transaction((tx) => store.addToOutbox(message('m1'), tx));
    await store.transaction((tx) => store.addToOutbox({ ...message('m2'), contentType: 'application/json' }, tx));
    await store.settle([], [{ messageId: 'm1', error: 'PublishReturnedError: no queue', retryAtMs: 5000 }]);
    expect((await store.due(4999, 10)).map((r) => r.messageId)).toEqual(['m2']);
    expect((await store.due(5000, 10)).map((r) => [r.messageId, r.attempts, r.contentType])).toEqual([['m1', 1, undefined], ['m2', 0, 'application/json']]);
    expect((await store.due(5000, 1)).map((r) => r.messageId)).toEqual(['m1']);
    await store.settle(['m1', 'm2'], []);
    expect(await store.pending()).toBe(0);
    await close();
  });

  it('settles a batch at once: confirmed rows deleted, failed rows pushed back with one more attempt, the others untouched', async () => {
    const { store, close } = await fresh();
    for (const id of ['m1', 'm2', 'm3', 'm4', 'm5']) await store.transaction((tx) => store.addToOutbox(message(id), tx));
    await store.settle([], []);
    await store.settle(['m1', 'm3'], [
      { messageId: 'm2', error: 'ConnectionLostError: channel closed', retryAtMs: 2000 },
      { messageId: 'm4', error: 'PublishNackedError: refused', retryAtMs: 9000 },
    ]);
    expect((await store.due(1999, 10)).map((r) => [r.messageId, r.attempts])).toEqual([['m5', 0]]);
    expect((await store.due(9000, 10)).map((r) => [r.messageId, r.attempts])).toEqual([['m2', 1], ['m4', 1], ['m5', 0]]);
    await store.settle([], [{ messageId: 'm2', error: 'PublishTimeoutError: no confirm', retryAtMs: 3000 }]);
    expect((await store.due(3000, 10)).map((r) => [r.messageId, r.attempts])).toEqual([['m2', 2], ['m5', 0]]);
    expect(await store.pending()).toBe(3);
    await close();
  });

  it('the inbox tells a processed id per consumer; a second record of an id fails', async () => {
    const { store, close } = await fresh();
    await store.transaction((tx) => store.markProcessed('billing', 'm1', 1, tx));
    expect([await store.processed('billing', 'm1'), await store.processed('shipping', 'm1'), await store.processed('billing', 'm2')]).toEqual([true, false, false]);
    await expect(async () => store.transaction((tx) => store.markProcessed('billing', 'm1', 2, tx))).rejects.toThrow(/UNIQUE|duplicate key/);
    await close();
  });

  it("a failing handler rolls back its writes and its inbox record together", async () => {
    const { store, insertOrder, orders, close } = await fresh();
    const handler = (tx: unknown) =>
      andThen(insertOrder(tx, 'o7'), () =>
        andThen(store.markProcessed('billing', 'm7', 1, tx), () => {
          throw new Error('cannot parse');
        }),
      );
    await expect(async () => store.transaction(handler)).rejects.toThrow('cannot parse');
    expect([await orders(), await store.processed('billing', 'm7')]).toEqual([[], false]);
    await close();
  });
});

describe('stores that cannot be opened or used', () => {
  it('SQLite: a user error naming the file and the fix', () => {
    expect(() => openSqliteDatabase('/nonexistent-folder/app.db')).toThrow(
      new WarrenUserError('store: "/nonexistent-folder/app.db" cannot be opened as a SQLite database (Cannot open database because the directory does not exist); give a writable file path in an existing folder', 2),
    );
  });

  it('SQLite: an async handler is refused and its writes roll back (a transaction cannot span an await)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-store-'));
    dirs.push(dir);
    const store = new SqliteStore(openSqliteDatabase(join(dir, 'app.db')));
    expect(() => store.transaction(async () => store.markProcessed('billing', 'm1', 1))).toThrow(
      'a SQLite transaction (and a consumer handler on a SqliteStore) must be synchronous: better-sqlite3 cannot hold a transaction across an await; drop async, or use PostgresStore',
    );
    expect(store.processed('billing', 'm1')).toBe(false);
    store.db.close();
  });

  it('PostgreSQL: a database that does not exist, a server that is not running; the password never shown', async () => {
    await expect(openPostgresStore(postgres!.url('nowhere'))).rejects.toThrow(
      new WarrenUserError(`store: "${postgres!.url('nowhere')}" cannot be opened as a PostgreSQL database (database "nowhere" does not exist); start the server, create the database and check the connection string`, 2),
    );
    const down = 'postgres://shop:s3cret-value@127.0.0.1:1/shop';
    const error = await openPostgresStore(down).catch((e: Error) => e);
    expect(error).toBeInstanceOf(WarrenUserError);
    expect((error as Error).message).toBe('store: "postgres://shop:***@127.0.0.1:1/shop" cannot be opened as a PostgreSQL database (connect ECONNREFUSED 127.0.0.1:1); start the server, create the database and check the connection string');
  });
});
