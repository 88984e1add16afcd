/**
 * warren's client on a real three-node RabbitMQ 4.3.6 cluster booted from VM bundles (lab: two HAProxy 3.2 and
 * Keepalived 2.3 hosts holding the virtual IP, as in the e2e suite): while the publisher relays its outbox through
 * the VIP, the node holding the quorum queue's leader is SIGKILLed. Counted afterwards by a consumer with an inbox:
 * 0 orders lost, 0 handled twice. Modest counts (1,500 at 150/s); the 10,000 at 1,000/s is for `npm run bench`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqctl } from '../lab';
import { REPO_ROOT, specVariant, synthVmBundles } from '../e2e/bundles';
import { CLIENT_HOST, sleep, WarrenLab } from '../e2e/warren-lab';
import { LAB_APP, ordersSpec, TSX } from '../reliability/broker-lab';

const TOTAL = 1500;

const count = (file: string, sql: string): number => {
  const db = new Database(file, { readonly: true });
  const n = (db.prepare(sql).get() as { n: number }).n;
  db.close();
  return n;
};

describe('the client on a real 3-node RabbitMQ 4.3 cluster through the VIP: SIGKILL of the queue leader\'s node', () => {
  const work = mkdtempSync(join(tmpdir(), 'warren-leader-kill-'));
  let warren: WarrenLab | undefined;
  let spec: Record<string, unknown> = {};

  beforeAll(async () => {
    const specPath = specVariant(join(REPO_ROOT, 'examples', 'e2e-4.3.yaml'), work, 'leader-kill', (s) => {
      s.topology = ordersSpec('4.3').topology;
      spec = s;
    });
    const bundles = synthVmBundles(specPath, join(work, 'out'));
    warren = await WarrenLab.create(bundles, { loadBalancer: 'sid' });
    for (const lb of ['lb-1', 'lb-2']) await warren.startHaproxy(lb);
    const formationMs = await warren.startCluster();
    warren.startKeepalived('lb-1');
    await warren.waitForVipHolder((h) => h === 'lb-1', 30_000);
    warren.startKeepalived('lb-2');
    console.log(`3 nodes of RabbitMQ ${warren.rabbitmq.versions['rabbitmq-server']} formed in ${formationMs} ms`);
  }, 400_000);

  afterAll(async () => {
    await warren?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it(`${TOTAL} orders through the outbox while the leader's node is SIGKILLed: none lost, none handled twice`, async () => {
    const lab = warren!;
    const node = lab.node('rabbit-1');
    const leaderOf = async (asked = node) => {
      const out = await rabbitmqctl(lab.lab, asked, ['list_queues', 'name', 'leader', '--formatter', 'json']);
      const row = (JSON.parse(out.stdout) as { name: string; leader: string }[]).find((q) => q.name === 'orders.created');
      return row?.leader;
    };
    let leader: string | undefined;
    for (let i = 0; i < 120 && !leader; i++) (leader = await leaderOf()) ?? (await sleep(500));
    expect(leader, 'the definitions declared orders.created').toMatch(/^rabbit@rabbit-\d$/);
    const members = async () => {
      const out = await rabbitmqctl(lab.lab, node, ['list_queues', 'name', 'members', '--formatter', 'json']);
      return (JSON.parse(out.stdout) as { name: string; members: string[] }[]).find((q) => q.name === 'orders.created')!.members;
    };
    // rabbitmq.conf's target_cluster_size_hint: the definitions are imported once every node runs, so the queue has a
    // member on each (before it, the first node to boot declared it alone: one replica, no leader once that node died).
    expect((await members()).sort()).toEqual(['rabbit@rabbit-1', 'rabbit@rabbit-2', 'rabbit@rabbit-3']);
    leader = await leaderOf();
    const victim = leader!.slice('rabbit@'.length);
    const store = join(lab.lab.tempDir, 'producer.db');
    const env = { URL: lab.amqpUrl(), SPEC: JSON.stringify(spec) };
    const producer = lab.lab.spawn(CLIENT_HOST, [TSX, LAB_APP], { env: { ...env, MODE: 'produce', STORE: store, FROM: '0', TO: String(TOTAL), RATE: '150', WINDOW: '100' } });
    const deadline = Date.now() + 60_000;
    const written = () => {
      try {
        return count(store, 'SELECT count(*) AS n FROM orders');
      } catch {
        return 0; // the producer has not created its tables yet
      }
    };
    while (!existsSync(store) || written() < TOTAL / 3) {
      if (Date.now() > deadline) throw new Error('the producer wrote too few orders within 60 s');
      await sleep(100);
    }
    const ordersAtKill = count(store, 'SELECT count(*) AS n FROM orders');
    await lab.killNode(victim);
    const killedAt = Date.now();
    const code = await producer.exited();
    const output = readFileSync(producer.logFile, 'utf8');
    const outboxDb = new Database(store, { readonly: true });
    const errors = outboxDb.prepare('SELECT attempts, last_error AS error, count(*) AS n FROM warren_outbox GROUP BY attempts, last_error').all();
    outboxDb.close();
    expect(code, `${output}\nrows left in the outbox by attempts and last error: ${JSON.stringify(errors)}`).toBe(0);
    const summary = JSON.parse(output.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
    const newLeader = await leaderOf(lab.node(['rabbit-1', 'rabbit-2', 'rabbit-3'].find((h) => h !== victim)!));
    const consumerStore = join(lab.lab.tempDir, 'consumer.db');
    const consumed = await lab.lab.run(CLIENT_HOST, [TSX, LAB_APP], {
      env: { ...env, MODE: 'consume', QUEUE: 'orders.created', STORE: consumerStore, ATTEMPTS_LOG: join(lab.lab.tempDir, 'attempts.jsonl'), EFFECTS: String(TOTAL), QUIET_MS: '3000' },
      timeoutMs: 180_000,
    });
    expect(consumed.code, consumed.stderr).toBe(0);
    const stats = JSON.parse(consumed.stdout.trim().split('\n').pop()!);
    const db = new Database(consumerStore, { readonly: true });
    const effects = db.prepare('SELECT message_id AS id, count(*) AS n FROM effects GROUP BY message_id').all() as { id: string; n: number }[];
    db.close();
    console.log(
      `leader ${leader} SIGKILLed after ${ordersAtKill} of ${TOTAL} orders; the publisher finished ${Date.now() - killedAt} ms later or less: sent ${summary.sent}, ` +
        `${summary.failed} publish attempts failed and were retried from the outbox; new leader ${newLeader}; consumer: ${stats.handled} handled, ` +
        `${stats.duplicates} duplicates skipped by the inbox; effects ${effects.length}, ids with more than one: ${effects.filter((e) => e.n > 1).length}`,
    );
    expect(count(store, 'SELECT count(*) AS n FROM warren_outbox')).toBe(0);
    expect(effects.length).toBe(TOTAL);
    expect(effects.every((e) => e.n === 1)).toBe(true);
    expect(newLeader).not.toBe(leader);
  }, 400_000);
});
