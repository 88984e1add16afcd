/**
 * End to end: examples/e2e-3.10.yaml synthesised into VM bundles (`warren synth --target vm`) and booted for
 * real: three RabbitMQ 3.10 hosts, two HAProxy + Keepalived hosts holding the virtual IP, one client host,
 * each its own network namespace (and PID namespace) on one bridge. Every client goes through the VIP.
 * One lab, scenarios in order; the last one re-synthesises the spec with autoheal and boots a new cluster.
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
  for (const lb of LBS) warren.startKeepalived(lb);
});

afterAll(async () => {
  await warren?.destroy();
  if (process.env.WARREN_LAB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
});

function lab(): WarrenLab {
  if (!warren) throw new Error('the lab did not boot; see the beforeAll error');
  return warren;
}

/** The RabbitMQ host that holds the client connection with this connection_name (its name reads "client -> node:port"). */
async function hostOfConnection(connectionName: string): Promise<string> {
  const node = lab().node('rabbit-1');
  for (let attempt = 0; attempt < 40; attempt++) {
    const result = await rabbitmqctl(lab().lab, 'rabbit-1', node.nodeName, node.dataDir, ['list_connections', 'name', 'client_properties', '--formatter', 'json']);
    const connections = result.code === 0 ? (JSON.parse(result.stdout) as { name: string; client_properties: unknown }[]) : [];
    const match = connections.find((c) => JSON.stringify(c.client_properties).includes(`"${connectionName}"`));
    const address = match?.name.split(' -> ')[1]?.split(':')[0];
    const host = lab().cluster.nodes.find((n) => n.address === address)?.host;
    if (host) return host;
    await sleep(250);
  }
  throw new Error(`no connection named ${connectionName} appeared in list_connections`);
}

/**
 * Waits until the rabbit app runs again on a node that partition handling restarted. Debian 12's RabbitMQ
 * 3.10.8 on Erlang 25 fails that in-place restart ("BOOT FAILED", rabbit_net:dist_info case_clause in the
 * management agent) and the node then stays stopped; `rabbitmqctl start_app` hits the same crash, so the
 * operator's remedy is a restart of the service (here: of the node's process, from the same files).
 */
async function awaitRabbitRunning(host: string, bootFailuresBefore: number): Promise<void> {
  const node = lab().node(host);
  const isRunning = async () =>
    (await rabbitmqctl(lab().lab, host, node.nodeName, node.dataDir, ['eval', 'rabbit:is_running().'], 20_000)).stdout.trim() === 'true';
  for (let i = 0; i < 60; i++) {
    if (await isRunning()) return;
    const logs = await nodeLogs(host);
    if (count(logs, 'BOOT FAILED') > bootFailuresBefore && /rabbit_net,dist_info/.test(logs)) {
      console.log(`e2e: ${host} hit RabbitMQ 3.10.8's dist_info crash when partition handling restarted it; restarting the node`);
      await lab().restartNode(host);
      await lab().waitForClusterSize(host, 3, 120_000);
      break;
    }
    await sleep(1_000);
  }
  expect(await isRunning()).toBe(true);
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
  it('1. form one cluster of three nodes, every node up behind both HAProxies, the VIP on the highest priority', async () => {
    for (const host of NODES) {
      const status = await lab().waitForClusterSize(host, 3, 60_000);
      expect([...status.running_nodes].sort()).toEqual(NODES.map((h) => `rabbit@${h}`));
      expect(status.partitions).toEqual({});
    }
    for (const lb of LBS) for (const node of NODES) await lab().waitForHaproxyStatus(lb, node, 'UP', 0, 30_000);
    const holder = await lab().waitForVipHolder((h) => h === 'lb-1', 30_000);
    expect(holder.host).toBe('lb-1');
  });

  it('2. publish with confirms to a quorum queue through the VIP, and consume every message', async () => {
    const published = await publish(lab(), { queue: 'e2e-basic', url: lab().amqpUrl(), count: 200, connectDeadlineMs: 10_000 });
    expect(published.confirmed).toHaveLength(200);
    expect(published.failures).toEqual([]);
    const node = lab().node('rabbit-2');
    const queues = await rabbitmqctl(lab().lab, 'rabbit-2', node.nodeName, node.dataDir, ['list_queues', 'name', 'type', 'messages', '--formatter', 'json']);
    expect(JSON.parse(queues.stdout)).toContainEqual(expect.objectContaining({ name: 'e2e-basic', type: 'quorum' }));
    const received = await drain(lab(), 'e2e-basic', lab().amqpUrl());
    expect(lostMessages(published, received)).toEqual([]);
    expect(new Set(received).size).toBe(200);
  });

  it('3. SIGKILL of the node serving a steady publisher: HAProxy marks it down in time, the client reconnects, no confirmed message is lost', async () => {
    const detection = serverDownDetectionMs(bundles.cluster.loadBalancer!.haproxy);
    const publisher = startPublisher(lab(), { queue: 'e2e-kill', url: lab().amqpUrl(), intervalMs: 5, connectDeadlineMs: 30_000 });
    const victim = await hostOfConnection(publisher.name);
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
    const publisher = startPublisher(lab(), { queue: 'e2e-pause', url: lab().amqpUrl(), intervalMs: 20, connectDeadlineMs: 30_000 });
    await sleep(2_000);
    const bootFailures = count(await nodeLogs('rabbit-3'), 'BOOT FAILED');
    const cutAt = Date.now();
    await lab().isolateFromPeers('rabbit-3');
    try {
      // Erlang notices lost peers after net_ticktime (60 s, 45-75 s); the paused node then closes its listeners.
      for (const lb of LBS) await lab().waitForHaproxyStatus(lb, 'rabbit-3', 'DOWN', cutAt, 150_000);
      const majority = await lab().waitForClusterSize('rabbit-1', 2, 30_000);
      expect([...majority.running_nodes].sort()).toEqual(['rabbit@rabbit-1', 'rabbit@rabbit-2']);
      const node = lab().node('rabbit-3');
      const running = await rabbitmqctl(lab().lab, 'rabbit-3', node.nodeName, node.dataDir, ['eval', 'rabbit:is_running().']);
      expect(running.stdout.trim()).toBe('false');
      expect(await nodeLogs('rabbit-3')).toMatch(/pause_minority|minority/i);
    } finally {
      await lab().rejoinPeers('rabbit-3');
    }
    const healedAt = Date.now();
    await awaitRabbitRunning('rabbit-3', bootFailures);
    for (const lb of LBS) await lab().waitForHaproxyStatus(lb, 'rabbit-3', 'UP', healedAt, 120_000);
    for (const host of NODES) {
      const status = await lab().waitForClusterSize(host, 3, 60_000);
      expect(status.partitions).toEqual({});
    }
    await publisher.stop();
    const published = await publisher.result();
    expect(published.confirmed.filter(([, t]) => t > cutAt).length).toBeGreaterThan(0);
    expect(lostMessages(published, await drain(lab(), 'e2e-pause', lab().amqpUrl()))).toEqual([]);
  });

  it('5b. autoheal (the same spec re-synthesised): both sides keep running during the partition, the cluster heals after, no confirmed message is lost', async () => {
    const autoheal = specVariant(E2E_SPEC, work, 'e2e-autoheal', (spec) => {
      spec.partitionHandling = { mode: 'autoheal' };
    });
    const healBundles = synthVmBundles(autoheal, join(work, 'autoheal'));
    expect(readFileSync(join(healBundles.hostDir('rabbit-1'), 'etc/rabbitmq/rabbitmq.conf'), 'utf8')).toContain('cluster_partition_handling = autoheal\n');
    await lab().stopAllNodes();
    lab().useBundles(healBundles);
    await lab().startCluster();
    for (const lb of LBS) for (const node of NODES) await lab().waitForHaproxyStatus(lb, node, 'UP', 0, 60_000);

    const publisher = startPublisher(lab(), { queue: 'e2e-heal', url: lab().amqpUrl(), intervalMs: 20, connectDeadlineMs: 30_000 });
    await sleep(2_000);
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
    await sleep(10_000);
    await awaitRabbitRunning('rabbit-3', bootFailures);
    for (const host of NODES) {
      const status = await lab().waitForClusterSize(host, 3, 180_000);
      expect(status.partitions).toEqual({});
    }
    expect(await nodeLogs('rabbit-3')).toMatch(/Autoheal/);
    await sleep(3_000);
    await publisher.stop();
    const published = await publisher.result();
    expect(published.confirmed.filter(([, t]) => t > cutAt).length).toBeGreaterThan(0);
    expect(lostMessages(published, await drain(lab(), 'e2e-heal', lab().amqpUrl()))).toEqual([]);
  });
});
