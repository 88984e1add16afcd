/**
 * End to end: examples/e2e-3.10.yaml synthesised into VM bundles (`warren synth --target vm`) and booted for
 * real: three RabbitMQ 3.10 hosts, two HAProxy + Keepalived hosts holding the virtual IP, one client host,
 * each its own network namespace (and PID namespace) on one bridge. Every client goes through the VIP.
 * One lab, scenarios in order. The partition scenarios each re-synthesise the spec (no plugins; autoheal for 5b)
 * and boot a fresh cluster from it (see freshClusterFor).
 */
import { readdirSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverDownDetectionMs } from '../../haproxy';
import { rabbitmqctl } from '../lab';
import { drain, lostMessages, outageAround, publish, startPublisher } from './amqp-clients';
import { E2E_SPEC, specVariant, synthVmBundles, type VmBundles } from './bundles';
import { sleep, WarrenLab } from './warren-lab';

/** Polling HAProxy's stats every 100 ms and scheduling on 2 busy cores: the margin on measured times. */
const MEASUREMENT_SLACK_MS = 500;
const NODES = ['rabbit-1', 'rabbit-2', 'rabbit-3'];
const LBS = ['lb-1', 'lb-2'];

const work = mkdtempSync(join(tmpdir(), 'warren-e2e-'));
let bundles: VmBundles;
let warren: WarrenLab | undefined;

beforeAll(async () => {
  bundles = synthVmBundles(E2E_SPEC, join(work, 'pause-minority'));
  warren = await WarrenLab.create(bundles);
  for (const lb of LBS) {
    warren.startHaproxy(lb);
    warren.watchHaproxy(lb);
  }
  const formationMs = await warren.startCluster();
  console.log(`e2e: 3 RabbitMQ 3.10 nodes from the VM bundles formed one cluster ${formationMs} ms after start`);
  // One after the other: with nopreempt both start as BACKUP, and started together the priorities (100, 90)
  // separate their first election by only ~20 ms of skew, less than the scheduling jitter on 2 busy cores.
  warren.startKeepalived('lb-1');
  await warren.waitForVipHolder((h) => h === 'lb-1', 30_000);
  warren.startKeepalived('lb-2');
});

afterAll(async () => {
  await warren?.destroy();
  if (process.env.WARREN_LAB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
});

function lab(): WarrenLab {
  if (!warren) throw new Error('the lab did not boot; see the beforeAll error');
  return warren;
}

/** Waits until the rabbit app runs again on a node that partition handling stopped (pause) or restarted (autoheal). */
async function awaitRabbitRunning(host: string, timeoutMs: number): Promise<void> {
  const node = lab().node(host);
  const isRunning = async () =>
    (await rabbitmqctl(lab().lab, node, ['eval', 'rabbit:is_running().'], 20_000)).stdout.trim() === 'true';
  const deadline = Date.now() + timeoutMs;
  while (!(await isRunning()) && Date.now() < deadline) await sleep(1_000);
  expect(await isRunning(), `rabbit on ${host} runs again within ${timeoutMs} ms\n${lab().nodeLogTail(host)}`).toBe(true);
}

/**
 * The partition scenarios' own starting point, whatever an earlier scenario left behind: no packet filter on any
 * node, every node stopped, then a fresh cluster (new data folders) from `spec` changed by `change`, both
 * HAProxies restarted from the new bundles, every node up behind both, one VIP holder.
 *
 * The nodes enable no plugin: on Debian 12's RabbitMQ 3.10.8 with Erlang 25, rabbitmq_management_agent (pulled
 * in by rabbitmq_management and rabbitmq_prometheus) makes the in-place restart that pause_minority and
 * autoheal do fail: its rabbit_mgmt_external_stats:init calls rabbit_net:dist_info/0, which crashes with
 * {case_clause,[Port1,Port2]} when two tcp_inet ports have the same peer address. After a cut that can be
 * the case: the old outbound connection to the peer's port 25672 still holds unsent data (FIN-WAIT-1 in `ss`)
 * next to the new one. The node then stays stopped ("BOOT FAILED"). rabbitmq-server#5534 (for #5496) only
 * handles zero matches. Partition handling itself depends on no plugin.
 */
async function freshClusterFor(scenario: string, change: (spec: Record<string, any>) => void): Promise<VmBundles> {
  const variant = specVariant(E2E_SPEC, work, `e2e-${scenario}`, (spec) => {
    spec.plugins = [];
    change(spec);
  });
  const fresh = synthVmBundles(variant, join(work, scenario));
  expect(readFileSync(join(fresh.hostDir('rabbit-1'), 'etc/rabbitmq/enabled_plugins'), 'utf8')).toBe('[].\n');
  expect(readFileSync(join(fresh.hostDir('lb-1'), 'etc/haproxy/haproxy.cfg'), 'utf8')).not.toContain('listen management');
  for (const host of NODES) await lab().rejoinPeers(host);
  await lab().stopAllNodes();
  lab().useBundles(fresh);
  for (const lb of LBS) {
    await lab().stopHaproxy(lb);
    lab().startHaproxy(lb);
  }
  const formationMs = await lab().startCluster();
  console.log(`e2e: ${scenario}: a fresh cluster without plugins formed ${formationMs} ms after start`);
  // A restarted HAProxy assumes its servers up until the first checks fail: wait for UP after the cluster formed.
  for (const lb of LBS) for (const node of NODES) await waitForCurrentStatus(lb, node, 'UP', 60_000);
  await lab().waitForVipHolder(() => true, 30_000);
  return fresh;
}

async function waitForCurrentStatus(lb: string, server: string, status: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (lab().haproxyStatus(lb, server) !== status && Date.now() < deadline) await sleep(100);
  expect(lab().haproxyStatus(lb, server), `${server} in HAProxy on ${lb}`).toBe(status);
}

function keepalivedLogCount(host: string, text: string): number {
  return readFileSync(lab().keepalivedLogFile(host), 'utf8').split(text).length - 1;
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

async function nodeLogs(host: string): Promise<string> {
  const dir = join(lab().lab.tempDir, 'log', host);
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

describe('VM bundles of examples/e2e-3.10.yaml on real hosts', () => {
  it('1. form one cluster of three nodes, every node up behind both HAProxies, the VIP stays on the highest priority', async () => {
    for (const host of NODES) {
      const status = await lab().waitForClusterSize(host, 3, 60_000);
      expect([...status.running_nodes].sort()).toEqual(NODES.map((h) => `rabbit@${h}`));
      expect(status.partitions).toEqual({});
    }
    for (const lb of LBS) for (const node of NODES) await lab().waitForHaproxyStatus(lb, node, 'UP', 0, 30_000);
    const holder = await lab().waitForVipHolder((h) => h === 'lb-1', 30_000);
    expect(holder.host).toBe('lb-1');
    expect(keepalivedLogCount('lb-2', 'Entering BACKUP STATE')).toBeGreaterThan(0);
    expect(keepalivedLogCount('lb-2', 'Entering MASTER STATE')).toBe(0);
  });

  it('2. publish with confirms to a quorum queue through the VIP, and consume every message', async () => {
    const published = await publish(lab(), { queue: 'e2e-basic', url: lab().amqpUrl(), count: 200, connectDeadlineMs: 10_000 });
    expect(published.confirmed).toHaveLength(200);
    expect(published.failures).toEqual([]);
    const node = lab().node('rabbit-2');
    const queues = await rabbitmqctl(lab().lab, node, ['list_queues', 'name', 'type', 'messages', '--formatter', 'json']);
    expect(JSON.parse(queues.stdout)).toContainEqual(expect.objectContaining({ name: 'e2e-basic', type: 'quorum' }));
    const received = await drain(lab(), 'e2e-basic', lab().amqpUrl());
    expect(lostMessages(published, received)).toEqual([]);
    expect(new Set(received).size).toBe(200);
  });

  it('3. SIGKILL of the node serving a steady publisher: HAProxy marks it down in time, the client reconnects, no confirmed message is lost', async () => {
    const detection = serverDownDetectionMs(bundles.cluster.loadBalancer!.haproxy);
    const publisher = startPublisher(lab(), { queue: 'e2e-kill', url: lab().amqpUrl(), intervalMs: 5, connectDeadlineMs: 30_000 });
    const victim = await lab().hostOfConnection(publisher.name, 60_000);
    await sleep(3_000);
    const killedAt = Date.now();
    await lab().killNode(victim);
    const downs = await Promise.all(LBS.map((lb) => lab().waitForHaproxyStatus(lb, victim, 'DOWN', killedAt, 30_000)));
    const detectedMs = downs.map((d) => d.atMs - killedAt);
    console.log(`e2e: ${victim} SIGKILLed; HAProxy marked it down after ${detectedMs.join(' / ')} ms (configured bound ${detection.refusedMs} ms)`);
    for (const ms of detectedMs) expect(ms).toBeLessThanOrEqual(detection.refusedMs + MEASUREMENT_SLACK_MS);
    await sleep(5_000);
    await publisher.stop();
    const published = await publisher.result();
    const outageMs = outageAround(published, killedAt);
    console.log(`e2e: client-visible outage ${outageMs} ms, ${published.connects.length - 1} reconnection(s), ${published.confirmed.length} confirmed`);
    expect(published.connects.length).toBeGreaterThanOrEqual(2);
    expect(published.confirmed.filter(([, t]) => t > killedAt).length).toBeGreaterThan(0);
    const received = await drain(lab(), 'e2e-kill', lab().amqpUrl());
    expect(lostMessages(published, received)).toEqual([]);

    await lab().startNode(victim);
    await lab().waitForClusterSize(victim, 3, 120_000);
    for (const lb of LBS) await lab().waitForHaproxyStatus(lb, victim, 'UP', killedAt, 60_000);
  });

  it('4. the VIP moves when HAProxy stops and when the link is cut; the old holder does not take it back (nopreempt)', async () => {
    const k = bundles.cluster.loadBalancer!.keepalived;
    const failoverBoundMs = k.check.fall * k.check.intervalSeconds * 1000 + 3 * k.advertIntervalMs + MEASUREMENT_SLACK_MS;
    expect(k.nopreempt).toBe(true);
    expect((await lab().vipHolders())).toEqual(['lb-1']);

    const stoppedAt = Date.now();
    await lab().stopHaproxy('lb-1');
    const moved = await lab().waitForVipHolder((h) => h === 'lb-2', 30_000);
    console.log(`e2e: HAProxy on lb-1 stopped; VIP on lb-2 after ${moved.atMs - stoppedAt} ms`);
    expect(moved.atMs - stoppedAt).toBeLessThanOrEqual(failoverBoundMs);
    expect((await publish(lab(), { queue: 'e2e-vip', url: lab().amqpUrl(), count: 1, connectDeadlineMs: 10_000 })).confirmed).toHaveLength(1);

    const backupsBefore = keepalivedLogCount('lb-1', 'Entering BACKUP STATE');
    lab().startHaproxy('lb-1');
    for (let i = 0; i < 300 && (keepalivedLogCount('lb-1', 'Entering BACKUP STATE')) === backupsBefore; i++) await sleep(100);
    expect(keepalivedLogCount('lb-1', 'Entering BACKUP STATE')).toBeGreaterThan(backupsBefore);
    // lb-1 (priority 100) is healthy again next to lb-2 (90): with nopreempt the VIP stays for good.
    for (let i = 0; i < 10; i++) {
      expect(await lab().vipHolders()).toEqual(['lb-2']);
      await sleep(500);
    }

    const cutAt = Date.now();
    await lab().lab.cutLink('lb-2');
    try {
      const back = await lab().waitForVipHolder((h) => h === 'lb-1', 30_000);
      console.log(`e2e: lb-2's link cut; VIP on lb-1 after ${back.atMs - cutAt} ms`);
      expect(back.atMs - cutAt).toBeLessThanOrEqual(failoverBoundMs);
      expect((await publish(lab(), { queue: 'e2e-vip', url: lab().amqpUrl(), count: 1, connectDeadlineMs: 10_000 })).confirmed).toHaveLength(1);
    } finally {
      await lab().lab.restoreLink('lb-2');
    }
    await sleep(5_000);
    expect(await lab().vipHolders()).toEqual(['lb-1']);
    expect(await drain(lab(), 'e2e-vip', lab().amqpUrl())).toHaveLength(2);
  });

  it('5a. pause_minority: a node cut off from its peers pauses, HAProxy stops sending to it, no confirmed message is lost', async () => {
    const fresh = await freshClusterFor('pause-minority', () => undefined);
    expect(readFileSync(join(fresh.hostDir('rabbit-3'), 'etc/rabbitmq/rabbitmq.conf'), 'utf8')).toContain('cluster_partition_handling = pause_minority\n');
    const publisher = startPublisher(lab(), { queue: 'e2e-pause', url: lab().amqpUrl(), intervalMs: 20, connectDeadlineMs: 30_000 });
    try {
      await sleep(2_000);
      const minorityLines = count(await nodeLogs('rabbit-3'), 'minority');
      const bootFailures = count(await nodeLogs('rabbit-3'), 'BOOT FAILED');
      const cutAt = Date.now();
      await lab().isolateFromPeers('rabbit-3');
      try {
        // Erlang notices lost peers after net_ticktime (60 s, 45-75 s); the paused node then closes its listeners.
        const downs = await Promise.all(LBS.map((lb) => lab().waitForHaproxyStatus(lb, 'rabbit-3', 'DOWN', cutAt, 150_000)));
        console.log(`e2e: rabbit-3 cut off from its peers; both HAProxies marked it down after ${downs.map((d) => d.atMs - cutAt).join(' / ')} ms`);
        const majority = await lab().waitForClusterSize('rabbit-1', 2, 30_000);
        expect([...majority.running_nodes].sort()).toEqual(['rabbit@rabbit-1', 'rabbit@rabbit-2']);
        const node = lab().node('rabbit-3');
        const running = await rabbitmqctl(lab().lab, node, ['eval', 'rabbit:is_running().']);
        expect(running.stdout.trim()).toBe('false');
        expect(count(await nodeLogs('rabbit-3'), 'minority')).toBeGreaterThan(minorityLines);
        // The AMQP check keeps failing while paused: HAProxy sends nothing there.
        for (const lb of LBS) expect(lab().haproxyStatus(lb, 'rabbit-3')).toBe('DOWN');
      } finally {
        await lab().rejoinPeers('rabbit-3');
      }
      const healedAt = Date.now();
      await awaitRabbitRunning('rabbit-3', 120_000);
      const ups = await Promise.all(LBS.map((lb) => lab().waitForHaproxyStatus(lb, 'rabbit-3', 'UP', healedAt, 120_000)));
      console.log(`e2e: link back; rabbit-3 serving and up in both HAProxies after ${ups.map((u) => u.atMs - healedAt).join(' / ')} ms`);
      for (const host of NODES) {
        const status = await lab().waitForClusterSize(host, 3, 60_000);
        expect(status.partitions).toEqual({});
      }
      expect(count(await nodeLogs('rabbit-3'), 'BOOT FAILED')).toBe(bootFailures);
      await publisher.stop();
      const published = await publisher.result();
      console.log(`e2e: pause_minority: ${published.confirmed.length} confirmed, ${published.connects.length - 1} reconnection(s)`);
      expect(published.confirmed.filter(([, t]) => t > cutAt).length).toBeGreaterThan(0);
      expect(lostMessages(published, await drain(lab(), 'e2e-pause', lab().amqpUrl()))).toEqual([]);
    } finally {
      await publisher.stop();
    }
  });

  it('5b. autoheal (the same spec re-synthesised): both sides keep running during the partition, the cluster heals after, no confirmed message is lost', async () => {
    const fresh = await freshClusterFor('autoheal', (spec) => {
      spec.partitionHandling = { mode: 'autoheal' };
    });
    expect(readFileSync(join(fresh.hostDir('rabbit-1'), 'etc/rabbitmq/rabbitmq.conf'), 'utf8')).toContain('cluster_partition_handling = autoheal\n');
    const publisher = startPublisher(lab(), { queue: 'e2e-heal', url: lab().amqpUrl(), intervalMs: 20, connectDeadlineMs: 30_000 });
    try {
      await sleep(2_000);
      const autohealLines = count(await nodeLogs('rabbit-3'), 'Autoheal');
      const bootFailures = count(await nodeLogs('rabbit-3'), 'BOOT FAILED');
      const cutAt = Date.now();
      await lab().isolateFromPeers('rabbit-3');
      try {
        const majority = await lab().waitForClusterSize('rabbit-1', 2, 150_000);
        expect([...majority.running_nodes].sort()).toEqual(['rabbit@rabbit-1', 'rabbit@rabbit-2']);
        const minority = await lab().waitForClusterSize('rabbit-3', 1, 60_000);
        expect(minority.running_nodes).toEqual(['rabbit@rabbit-3']);
        // autoheal does not pause: the cut-off node still serves, so HAProxy keeps it.
        for (const lb of LBS) expect(lab().haproxyStatus(lb, 'rabbit-3')).toBe('UP');
      } finally {
        await lab().rejoinPeers('rabbit-3');
      }
      // The winner (rabbit-1 or rabbit-2 side) restarts the loser once the peers see each other again.
      const healedAt = Date.now();
      for (const host of NODES) {
        const status = await lab().waitForClusterSize(host, 3, 180_000);
        expect(status.partitions).toEqual({});
      }
      await awaitRabbitRunning('rabbit-3', 120_000);
      console.log(`e2e: autoheal: one cluster of 3 without partitions ${Date.now() - healedAt} ms after the link came back`);
      const logs = await nodeLogs('rabbit-3');
      expect(count(logs, 'Autoheal')).toBeGreaterThan(autohealLines);
      expect(count(logs, 'BOOT FAILED')).toBe(bootFailures);
      await sleep(3_000);
      await publisher.stop();
      const published = await publisher.result();
      console.log(`e2e: autoheal: ${published.confirmed.length} confirmed, ${published.connects.length - 1} reconnection(s)`);
      expect(published.confirmed.filter(([, t]) => t > cutAt).length).toBeGreaterThan(0);
      expect(lostMessages(published, await drain(lab(), 'e2e-heal', lab().amqpUrl()))).toEqual([]);
    } finally {
      await publisher.stop();
    }
  });
});
