/**
 * The relay's own bookkeeping over a real SQLite store, with a stand-in publisher whose confirms the test releases
 * by hand (the real broker runs in crash-real, kills-real and postgres-real): what it sends, when it reads, what it
 * deletes and when a failed row is due again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLostError, openSqliteDatabase, OutboxRelay, PublishNackedError, PublishTimeoutError, SqliteStore, type OutgoingMessage, type Publisher } from '../../client';

interface Held {
  readonly message: OutgoingMessage;
  readonly confirm: () => void;
  readonly fail: (error: Error) => void;
}

/** Publishes are held until the test confirms or fails them. */
function standInPublisher() {
  const held: Held[] = [];
  const publisher = {
    publish: (message: OutgoingMessage) => new Promise<void>((resolve, reject) => void held.push({ message, confirm: resolve, fail: reject })),
  } as unknown as Publisher;
  return { publisher, held };
}

const until = async (condition: () => boolean, what: string, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = '';
let relay: OutboxRelay | undefined;
afterEach(() => {
  relay?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function storeWith(rows: number) {
  dir = mkdtempSync(join(tmpdir(), 'relay-'));
  const store = new SqliteStore(openSqliteDatabase(join(dir, 'outbox.db')));
  store.db.transaction(() => {
    for (let i = 0; i < rows; i++) store.addToOutbox({ exchange: 'events', routingKey: 'order.created', messageId: `m${i}`, body: Buffer.from(`order ${i}`) });
  })();
  let settles = 0;
  const settle = store.settle.bind(store);
  store.settle = (confirmed, failures) => {
    settles++;
    settle(confirmed, failures);
  };
  return { store, settles: () => settles };
}

describe('OutboxRelay', () => {
  it('fills the window at once, never resends a row awaiting its confirm, refills at half, deletes only confirmed rows, in batches', async () => {
    const { store, settles } = storeWith(500);
    const { publisher, held } = standInPublisher();
    relay = new OutboxRelay(store, publisher, { window: 100, pollMs: 5 });
    relay.start();
    await until(() => held.length === 100, 'the first window sent');
    await pause(100); // 20 polls while every publish awaits its confirm
    expect(held.length).toBe(100);
    expect(store.pending()).toBe(500);

    for (const h of held.slice(0, 49)) h.confirm();
    await until(() => store.pending() === 451, 'the 49 confirmed rows deleted');
    await pause(50);
    expect(held.length).toBe(100); // 51 in flight: more than half the window still busy, no read
    held[49]!.confirm();
    await until(() => held.length === 150, 'the refill');

    for (let next = 50; next < 500; next++) {
      await until(() => held.length > next, `publish ${next}`);
      held[next]!.confirm();
    }
    await relay.drained(5000);
    expect(held.map((h) => h.message.messageId)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect(relay.stats).toEqual({ sent: 500, failed: 0, lastFailure: '' });
    expect(settles()).toBeLessThanOrEqual(60);
  });

  it('a row whose path to the broker failed is due again within the transient cap; a nacked row backs off as before', async () => {
    const { store } = storeWith(3);
    const { publisher, held } = standInPublisher();
    relay = new OutboxRelay(store, publisher, { window: 10, pollMs: 5, retryDelayMs: 1000, transientRetryMaxMs: 1000 });
    store.db.prepare("UPDATE warren_outbox SET attempts = 5 WHERE message_id IN ('m0', 'm1', 'm2')").run();
    relay.start();
    await until(() => held.length === 3, 'three rows sent');
    const failedAt = Date.now();
    held[0]!.fail(new ConnectionLostError('m0', 'channel closed'));
    held[1]!.fail(new PublishTimeoutError('m1', 5000));
    held[2]!.fail(new PublishNackedError('m2'));
    await until(() => store.due(Number.MAX_SAFE_INTEGER, 10).every((r) => r.attempts === 6), 'the failures written');
    const dueAt = Object.fromEntries((store.db.prepare('SELECT message_id, next_attempt_at FROM warren_outbox').all() as { message_id: string; next_attempt_at: number }[]).map((r) => [r.message_id, r.next_attempt_at - failedAt]));
    expect(dueAt.m0).toBeLessThanOrEqual(1000 + 100);
    expect(dueAt.m1).toBeLessThanOrEqual(1000 + 100);
    expect(dueAt.m2).toBeGreaterThanOrEqual(30_000 - 100); // 1 s doubled 5 times, capped at 30 s
    await until(() => held.length === 5, 'the two transient failures sent again', 3000);
    expect(held.slice(3).map((h) => h.message.messageId).sort()).toEqual(['m0', 'm1']);
    expect(relay.stats.failed).toBe(3);
    expect(relay.stats.lastFailure).toMatch(/^PublishNackedError: /);
  });
});
