/**
 * Bad input to warren's client on a real RabbitMQ node of each line (lab: 4.3.6 from the root, Debian's 3.10.8):
 * a queue the spec does not know, a queue the spec knows and the broker does not, a store that cannot be opened,
 * a queue another application declared first with other arguments (406). A service (test/client/lab-app.ts,
 * consume with RELAY=on) with 40 orders waiting in its SQLite outbox fails each time with one clear error, and
 * the outbox keeps all 40; run with the right input, it relays them all and handles each once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../model';
import { LAB_APP, ordersSpec, startBrokerLab, TSX, type BrokerLab } from '../reliability/broker-lab';

const ORDERS = 40;

const outboxIds = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  const ids = (db.prepare('SELECT message_id AS id FROM warren_outbox ORDER BY seq').all() as { id: string }[]).map((r) => r.id);
  db.close();
  return ids;
};

describe.each(['4.3', '3.10'])('bad input to the client on a real RabbitMQ %s node: clear errors, nothing lost from the outbox', (line) => {
  const spec = ordersSpec(line);
  // The spec as a newer version of the service reads it: two more reliable queues the running broker's definitions lack.
  const retry = { attempts: 3, delayMs: 1000, maxDelayMs: 2000 };
  const newerSpec: ClusterSpec = {
    ...spec,
    topology: { ...spec.topology, queues: [...spec.topology!.queues!, { name: 'refunds', type: 'quorum', retry }, { name: 'invoices', type: 'quorum', retry }] },
  };
  let broker: BrokerLab | undefined;
  let store = '';
  const waiting = Array.from({ length: ORDERS }, (_, i) => `order-${i}`);
  const service = async (env: Record<string, string>) => {
    const { lab, url } = broker!;
    const result = await lab.run('client', [TSX, LAB_APP], {
      env: { MODE: 'consume', RELAY: 'on', URL: url, SPEC: JSON.stringify(spec), QUEUE: 'orders.created', STORE: store, ATTEMPTS_LOG: join(lab.tempDir, 'attempts.jsonl'), EFFECTS: String(ORDERS), ...env },
      timeoutMs: 120_000,
    });
    return { ...result, error: result.stderr.trim() };
  };

  beforeAll(async () => {
    broker = await startBrokerLab(spec);
    store = join(broker.lab.tempDir, 'service.db');
    // Orders written with their messages in one transaction, not relayed yet.
    await broker.app({ MODE: 'produce', STORE: store, FROM: '0', TO: String(ORDERS), RELAY: 'off' });
    expect(outboxIds(store)).toEqual(waiting);
  }, 300_000);

  afterAll(async () => {
    await broker?.lab.destroy();
  });

  it('a queue the spec does not have: the error names it and the closest queue', async () => {
    const run = await service({ QUEUE: 'orders.creatd' });
    expect([run.code, run.error]).toEqual([1, 'WarrenUserError: queue "orders.creatd" in vhost "/" is not a reliable queue of cluster shop; did you mean "orders.created"?']);
    expect(outboxIds(store)).toEqual(waiting);
  }, 120_000);

  it('a queue of the spec missing from the broker: each missing queue named, with the fix', async () => {
    const run = await service({ SPEC: JSON.stringify(newerSpec), QUEUE: 'invoices' });
    const missing = ['invoices', 'invoices.dead', ...(line === '3.10' ? ['invoices.retry.1s', 'invoices.retry.2s'] : [])];
    console.log(`${line}: ${run.error}`);
    expect([run.code, run.error]).toEqual([
      1,
      [
        "TopologyMismatchError: the broker's queues differ from the spec:",
        ...missing.map((q) => `  queue "${q}" in vhost "/" does not exist on the broker (NOT_FOUND - no queue '${q}' in vhost '/'); load the spec's definitions (warren synth, then deploy) before starting the client`),
      ].join('\n'),
    ]);
    expect(outboxIds(store)).toEqual(waiting);
  }, 120_000);

  it('a store that cannot be opened: the error names the file, the cause and the fix; the file is left as it was', async () => {
    const notAStore = join(broker!.lab.tempDir, 'orders-export.db');
    writeFileSync(notAStore, 'id,total\n1,20\n');
    const run = await service({ STORE: notAStore });
    expect([run.code, run.error]).toEqual([
      1,
      `WarrenUserError: store: "${notAStore}" cannot be opened as a SQLite database (file is not a database); it holds something else or is damaged, and was left as it is: restore the store from a backup, or give the path of the application's store`,
    ]);
    expect(readFileSync(notAStore, 'utf8')).toBe('id,total\n1,20\n');
    expect(outboxIds(store)).toEqual(waiting);
  }, 120_000);

  it('a queue declared first with other arguments: the broker refuses the spec\'s (406), the error names the queue, the arguments and the fix', async () => {
    // Another application declared "refunds" as a classic queue, with its dead-letter and delay queues as the spec has them.
    const { cluster } = broker!;
    await broker!.app({ MODE: 'declare', QUEUE: 'refunds', ARGUMENTS: JSON.stringify({ 'x-queue-type': 'classic' }) });
    const derived = ['refunds.dead', ...(line === '3.10' ? ['refunds.retry.1s', 'refunds.retry.2s'] : [])];
    for (const name of derived) {
      const twin = cluster.topology.queues.find((q) => q.name === name.replace('refunds', 'orders.created'))!;
      const args = Object.fromEntries(Object.entries(twin.arguments).map(([k, v]) => [k, v === 'orders.created' ? 'refunds' : v]));
      await broker!.app({ MODE: 'declare', QUEUE: name, ARGUMENTS: JSON.stringify(args) });
    }
    const run = await service({ SPEC: JSON.stringify(newerSpec), QUEUE: 'refunds' });
    console.log(`${line}: ${run.error}`);
    expect([run.code, run.error]).toEqual([
      1,
      `TopologyMismatchError: queue "refunds" in vhost "/" exists on the broker with other arguments than the spec's: the broker refused x-dead-letter-exchange="" ` +
        `(PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-exchange' for queue 'refunds' in vhost '/': received the value '' of type 'longstr' but current is none); ` +
        `move its messages to a new queue (a shovel) and delete it so the spec's definitions declare it again, or change the spec to match the queue`,
    ]);
    expect(outboxIds(store)).toEqual(waiting);
  }, 120_000);

  it('with the right input the same outbox is relayed in full and each order handled once', async () => {
    const run = await service({});
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    const db = new Database(store, { readonly: true });
    const effects = db.prepare('SELECT message_id AS id, count(*) AS n FROM effects GROUP BY message_id ORDER BY message_id').all() as { id: string; n: number }[];
    db.close();
    console.log(`${line}: after four refused starts, the service relayed ${summary.relayed} of ${ORDERS} waiting orders and handled ${summary.handled}; effects ${effects.length}`);
    expect(summary).toMatchObject({ relayed: ORDERS, handled: ORDERS, duplicates: 0 });
    expect(effects.map((e) => e.id).sort()).toEqual([...waiting].sort());
    expect(effects.every((e) => e.n === 1)).toBe(true);
    expect(outboxIds(store)).toEqual([]);
  }, 120_000);
});
