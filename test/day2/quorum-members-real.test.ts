/**
 * Quorum queue membership on real nodes booted from VM bundles (issue 14).
 * 4.3: a node replaced the way an operator does it (the dead node forgotten, a blank node of the same name booted)
 * gets a member of every quorum queue back from RabbitMQ's continuous membership reconciliation (rabbitmq.conf), with
 * no CLI call after the replacement. The queues lacking a member in between are asserted, so the test fails if
 * nothing grows them.
 * 3.10 (no reconciliation): after each boot, with the bundle's quorum-members unit run as systemd runs it after every
 * start of rabbitmq-server, every quorum queue of the definitions has a member on each of the 3 nodes; and a member
 * deleted on purpose comes back when its node restarts. WARREN_MEMBER_BOOTS boots (default 1, for CI), each in a new
 * lab, while WARREN_MEMBER_BUDGET_S (default 300) lasts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqCli, rabbitmqctl } from '../lab';
import { REPO_ROOT, specVariant, synthVmBundles } from '../e2e/bundles';
import { sleep, WarrenLab } from '../e2e/warren-lab';
import { ordersSpec } from '../reliability/broker-lab';

const REPLACED = 'rabbit-3';

interface QueueMembers {
  readonly name: string;
  readonly type: string;
  readonly members: readonly string[];
}

/** Every quorum queue of the cluster with its members (sorted), as `list_queues` on `host` reports them. */
async function quorumQueues(warren: WarrenLab, host: string): Promise<QueueMembers[]> {
  const out = await rabbitmqctl(warren.lab, warren.node(host), ['list_queues', 'name', 'type', 'members', '--formatter', 'json']);
  if (out.code !== 0) throw new Error(`list_queues on ${host}: ${out.stderr}`);
  return (JSON.parse(out.stdout) as QueueMembers[]).filter((q) => q.type === 'quorum').map((q) => ({ ...q, members: [...q.members].sort() }));
}

/** Polls until every quorum queue has exactly `members`; the ms it took, or a throw naming the queues short of it. */
async function waitForMembers(warren: WarrenLab, host: string, members: readonly string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  const want = JSON.stringify([...members].sort());
  for (;;) {
    const queues = await quorumQueues(warren, host).catch(() => []);
    if (queues.length > 0 && queues.every((q) => JSON.stringify(q.members) === want)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`quorum queues without members ${want} after ${timeoutMs} ms: ${JSON.stringify(queues)}`);
    await sleep(500);
  }
}

const BOOTS = Number(process.env.WARREN_MEMBER_BOOTS ?? '1');
const BUDGET_MS = Number(process.env.WARREN_MEMBER_BUDGET_S ?? '300') * 1000;

describe('3.10 nodes booted from VM bundles: every quorum queue has a member on each node', () => {
  const work = mkdtempSync(join(tmpdir(), 'warren-members-3.10-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(`after every boot (up to ${BOOTS}), and again after a member was deleted and its node restarted`, async () => {
    const spec = specVariant(join(REPO_ROOT, 'examples', 'e2e-3.10.yaml'), work, 'members', (s) => {
      s.topology = ordersSpec('3.10').topology;
    });
    const bundles = synthVmBundles(spec, join(work, 'out'));
    const all = bundles.cluster.nodes.map((n) => n.nodeName);
    const started = Date.now();
    const boots: { bootS: string; shortRightAfterBoot: string[]; programsS: string }[] = [];
    for (let boot = 1; boot <= BOOTS && (boot === 1 || Date.now() - started < BUDGET_MS); boot++) {
      const lab = await WarrenLab.create(bundles);
      try {
        const bootMs = await lab.startCluster(300_000);
        // Read as the programs run: a queue short of a member here may be grown a moment later (a lower bound).
        const rightAfterBoot = await quorumQueues(lab, 'rabbit-1');
        const exits = await lab.quorumMembers.exits(300_000);
        expect(exits.map((e) => [e.host, e.code]).sort(), exits.map((e) => e.log).join('\n')).toEqual(bundles.cluster.nodes.map((n) => [n.host, 0]));
        await waitForMembers(lab, 'rabbit-1', all, 10_000);
        boots.push({
          bootS: (bootMs / 1000).toFixed(1),
          shortRightAfterBoot: rightAfterBoot.filter((q) => q.members.length < all.length).map((q) => `${q.name}: ${q.members.join(' ')}`),
          programsS: ((Date.now() - started) / 1000).toFixed(1),
        });
        if (boot === 1) {
          const lost = 'rabbit@rabbit-2';
          const deleted = await rabbitmqCli(lab.lab, lab.node('rabbit-1'), 'rabbitmq-queues', ['delete_member', 'orders.created', lost]);
          expect(deleted.code, deleted.stderr).toBe(0);
          expect((await quorumQueues(lab, 'rabbit-1')).find((q) => q.name === 'orders.created')?.members).toEqual(all.filter((n) => n !== lost));
          await lab.killNode('rabbit-2');
          await lab.startNode('rabbit-2');
          await lab.waitForClusterSize('rabbit-1', 3, 180_000);
          await lab.quorumMembers.exits(300_000);
          await waitForMembers(lab, 'rabbit-1', all, 10_000);
        }
      } finally {
        await lab.destroy();
      }
    }
    console.log(`3.10: ${boots.length} boots in ${((Date.now() - started) / 1000).toFixed(0)} s, every quorum queue on all 3 nodes after each: ${JSON.stringify(boots)}`);
    expect(boots.length).toBeGreaterThan(0);
  }, BUDGET_MS + 600_000);
});

describe('a replaced 4.3 node gets its quorum queue members back from RabbitMQ itself', () => {
  const work = mkdtempSync(join(tmpdir(), 'warren-members-4.3-'));
  let warren: WarrenLab | undefined;

  beforeAll(async () => {
    const spec = specVariant(join(REPO_ROOT, 'examples', 'e2e-4.3.yaml'), work, 'members', (s) => {
      s.topology = ordersSpec('4.3').topology;
    });
    warren = await WarrenLab.create(synthVmBundles(spec, join(work, 'out')));
    await warren.startCluster(300_000);
  }, 360_000);

  afterAll(async () => {
    await warren?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('forgotten and booted blank, rabbit-3 is a member of every quorum queue again without any CLI call', async () => {
    const lab = warren!;
    const all = lab.cluster.nodes.map((n) => n.nodeName);
    const node3 = lab.cluster.nodes.find((n) => n.host === REPLACED)!.nodeName;
    await waitForMembers(lab, 'rabbit-1', all, 120_000);

    // The replacement, as an operator does it: the dead node is forgotten, a new host of the same name boots empty.
    await lab.killNode(REPLACED);
    const forgot = await rabbitmqctl(lab.lab, lab.node('rabbit-1'), ['forget_cluster_node', node3], 120_000);
    expect(forgot.code, forgot.stderr).toBe(0);
    await waitForMembers(lab, 'rabbit-1', all.filter((n) => n !== node3), 60_000);
    const dataDir = lab.node(REPLACED).dataDir;
    for (const entry of readdirSync(dataDir).filter((e) => e !== '.erlang.cookie')) rmSync(join(dataDir, entry), { recursive: true, force: true });

    const booted = Date.now();
    await lab.startNode(REPLACED);
    await lab.waitForClusterSize('rabbit-1', 3, 180_000);
    const joinedMs = Date.now() - booted;
    // From here on only list_queues (read-only) is called: the member must come from the reconciliation.
    const grownMs = await waitForMembers(lab, 'rabbit-1', all, 120_000);
    console.log(`rabbit-3 booted blank and joined in ${(joinedMs / 1000).toFixed(1)} s; every quorum queue had a member on it ${(grownMs / 1000).toFixed(1)} s later`);
    expect((await quorumQueues(lab, REPLACED)).map((q) => q.members)).toEqual((await quorumQueues(lab, 'rabbit-1')).map(() => [...all].sort()));
  }, 600_000);
});
