/** The client's pieces that need no broker: queue lookup from the resolved spec, the SQLite outbox and inbox. */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveCluster, WarrenUserError } from '../../model';
import { openSqliteDatabase, reliableQueueOf, SqliteStore } from '../../client';

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

describe('the SQLite store', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-store-'));
    return new SqliteStore(openSqliteDatabase(join(dir, 'app.db')));
  };
  const message = (id: string) => ({ exchange: 'events', routingKey: 'order.created', messageId: id, body: Buffer.from(id), headers: { tenant: 'eu' } });

  it('an outbox row commits or rolls back with the caller\'s transaction', () => {
    const store = fresh();
    store.db.exec('CREATE TABLE orders (id TEXT PRIMARY KEY)');
    store.db.transaction(() => {
      store.db.prepare('INSERT INTO orders VALUES (?)').run('o1');
      store.addToOutbox(message('m1'));
    })();
    expect(() =>
      store.db.transaction(() => {
        store.addToOutbox(message('m2'));
        store.db.prepare('INSERT INTO orders VALUES (?)').run('o1'); // duplicate key: the business write fails
      })(),
    ).toThrow(/UNIQUE/);
    expect(store.due(Date.now(), 10)).toEqual([{ seq: 1, attempts: 0, ...message('m1') }]);
  });

  it('keeps a failed row with its id until it is due again, deletes it once sent', () => {
    const store = fresh();
    store.addToOutbox(message('m1'));
    store.failed('m1', 'PublishReturnedError: no queue', 5000);
    expect(store.due(4999, 10)).toEqual([]);
    expect(store.due(5000, 10).map((r) => [r.messageId, r.attempts])).toEqual([['m1', 1]]);
    store.sent('m1');
    expect(store.pending()).toBe(0);
  });

  it('the inbox tells a processed id per consumer', () => {
    const store = fresh();
    store.markProcessed('billing', 'm1', 1);
    expect([store.processed('billing', 'm1'), store.processed('shipping', 'm1'), store.processed('billing', 'm2')]).toEqual([true, false, false]);
    expect(() => store.markProcessed('billing', 'm1', 2)).toThrow(/UNIQUE/);
  });

  it('a store that cannot be opened is a user error naming the file and the fix', () => {
    expect(() => openSqliteDatabase('/nonexistent-folder/app.db')).toThrow(
      new WarrenUserError('store: "/nonexistent-folder/app.db" cannot be opened as a SQLite database (Cannot open database because the directory does not exist); give a writable file path in an existing folder', 2),
    );
  });
});
