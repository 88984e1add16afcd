/**
 * End to end: an example spec synthesised into VM bundles (`warren synth --target vm`) and booted for real:
 * three RabbitMQ hosts of the spec's line (this machine's 3.10, or 4.3 from a Debian root), two HAProxy +
 * Keepalived hosts holding the virtual IP, one client host, each its own network namespace (and PID namespace)
 * on one bridge. Every client goes through the VIP. One lab per line, scenarios in order: describeE2e holds
 * the scenarios every line shares (1-4); each line's file adds its partition scenarios.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverDownDetectionMs } from '../../haproxy';
import { vipFailoverBoundsMs } from '../../keepalived';
import { rabbitmqctl, type LoadBalancerBuild } from '../lab';
import { drain, lostMessages, outageAround, publish, startPublisher } from './amqp-clients';
import { REPO_ROOT, specVariant, synthVmBundles, type VmBundles } from './bundles';
import { sleep, WarrenLab } from './warren-lab';

/** Polling HAProxy's stats every 100 ms and scheduling on 2 busy cores: the margin on measured times. */
export const MEASUREMENT_SLACK_MS = 500;
export const NODES = ['rabbit-1', 'rabbit-2', 'rabbit-3'];
export const LBS = ['lb-1', 'lb-2'];

export interface E2eOptions {
  /** A file under examples/, e.g. "e2e-4.3.yaml". */
  readonly example: string;
  readonly loadBalancer: LoadBalancerBuild;
  /** More hosts on the example's /24, e.g. a load balancer with other settings. @default [] */
  readonly extraHosts?: readonly { name: string; address: string }[];
}

/** What a line's partition scenarios get: the running lab and helpers bound to it. */
export interface E2e {
  lab(): WarrenLab;
  /** The bundles the lab booted first (from the example itself). */
  bundles(): VmBundles;
  /**
   * A scenario's own starting point, whatever an earlier scenario left behind: no packet filter on any node,
   * every node stopped, then a fresh cluster (new data folders) from the example changed by `change`, both
   * HAProxies restarted from the new bundles, every node up behind both, one VIP holder.
   */
  freshClusterFor(scenario: string, change: (spec: Record<string, any>) => void): Promise<VmBundles>;
  /** Waits until the rabbit app runs on a node that partition handling stopped (pause) or restarted (autoheal). */
  awaitRabbitRunning(host: string, timeoutMs: number): Promise<void>;
  /** Every log file of a node, joined. */
  nodeLogs(host: string): string;
}

export function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

/** One lab for `options.example`: the scenarios 1-4 every line shares, then `partitions`, the line's own. */
export function describeE2e(title: string, options: E2eOptions, partitions: (e2e: E2e) => void): void {
  const specPath = join(REPO_ROOT, 'examples', options.example);
  const work = mkdtempSync(join(tmpdir(), 'warren-e2e-'));
  let bundles: VmBundles;
  let warren: WarrenLab | undefined;

  function lab(): WarrenLab {
    if (!warren) throw new Error('the lab did not boot; see the beforeAll error');
    return warren;
  }

  async function waitForCurrentStatus(lb: string, server: string, status: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (lab().haproxyStatus(lb, server) !== status && Date.now() < deadline) await sleep(100);
    expect(lab().haproxyStatus(lb, server), `${server} in HAProxy on ${lb}`).toBe(status);
  }

  /** Until the last line Keepalived on `host` logged says BACKUP (at most 10 s). */
  async function waitForBackup(host: string): Promise<void> {
    for (let i = 0; i < 100 && !readFileSync(lab().keepalivedLogFile(host), 'utf8').trimEnd().split('\n').at(-1)!.includes('BACKUP'); i++) await sleep(100);
  }

  function keepalivedLogCount(host: string, text: string): number {
    return count(readFileSync(lab().keepalivedLogFile(host), 'utf8'), text);
  }

  const e2e: E2e = {
    lab,
    bundles: () => bundles,
    async freshClusterFor(scenario, change) {
      const fresh = synthVmBundles(specVariant(specPath, work, `e2e-${scenario}`, change), join(work, scenario));
      for (const host of NODES) await lab().rejoinPeers(host);
      await lab().stopAllNodes();
      lab().useBundles(fresh);
      for (const lb of LBS) {
        await lab().stopHaproxy(lb);
        await lab().startHaproxy(lb);
      }
      const formationMs = await lab().startCluster();
      console.log(`e2e: ${scenario}: a fresh cluster formed ${formationMs} ms after start`);
      // A restarted HAProxy assumes its servers up until the first checks fail: wait for UP after the cluster formed.
      for (const lb of LBS) for (const node of NODES) await waitForCurrentStatus(lb, node, 'UP', 60_000);
      await lab().waitForVipHolder(() => true, 30_000);
      return fresh;
    },
    async awaitRabbitRunning(host, timeoutMs) {
      const node = lab().node(host);
      const isRunning = async () => (await rabbitmqctl(lab().lab, node, ['eval', 'rabbit:is_running().'], 20_000)).stdout.trim() === 'true';
      const deadline = Date.now() + timeoutMs;
      while (!(await isRunning()) && Date.now() < deadline) await sleep(1_000);
      expect(await isRunning(), `rabbit on ${host} runs again within ${timeoutMs} ms\n${lab().nodeLogTail(host)}`).toBe(true);
    },
    nodeLogs(host) {
      const dir = join(lab().lab.tempDir, 'log', host);
      return readdirSync(dir)
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
    },
  };

  describe(title, () => {
    beforeAll(async () => {
      bundles = synthVmBundles(specPath, join(work, 'first'));
      warren = await WarrenLab.create(bundles, { loadBalancer: options.loadBalancer, extraHosts: options.extraHosts });
      for (const lb of LBS) {
        await warren.startHaproxy(lb);
        warren.watchHaproxy(lb);
      }
      const formationMs = await warren.startCluster();
      const v = { ...warren.rabbitmq.versions, ...warren.loadBalancer.versions };
      console.log(`e2e: 3 RabbitMQ ${v['rabbitmq-server']} nodes (Erlang ${v['erlang-base']}) from the VM bundles formed one cluster ${formationMs} ms after start; HAProxy ${v.haproxy}, keepalived ${v.keepalived}`);
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

    it('1. form one cluster of three nodes, every node up behind both HAProxies, the VIP stays on the highest priority', async () => {
      for (const host of NODES) {
        const status = await lab().waitForClusterSize(host, 3, 60_000);
        expect([...status.running_nodes].sort()).toEqual(NODES.map((h) => `rabbit@${h}`));
        expect(status.partitions).toEqual({});
      }
      for (const lb of LBS) for (const node of NODES) await lab().waitForHaproxyStatus(lb, node, 'UP', 0, 30_000);
      const holder = await lab().waitForVipHolder((h) => h === 'lb-1', 30_000);
      expect(holder.host).toBe('lb-1');
      // lb-2 starts in FAULT until its checker has seen HAProxy serve for checkRise x interval (2 s), then BACKUP.
      await waitForBackup('lb-2');
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
      // One peer down while a majority remains takes no other node out of rotation (the majority check included).
      for (const lb of LBS) for (const other of NODES.filter((n) => n !== victim)) expect(lab().haproxyStatus(lb, other), `${other} in HAProxy on ${lb}`).toBe('UP');
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
      const bounds = vipFailoverBoundsMs(bundles.cluster);
      expect(k.nopreempt).toBe(true);
      expect((await lab().vipHolders())).toEqual(['lb-1']);
      // A real failover needs somewhere to go: lb-2 out of its start-up FAULT (its checker wants 2 s of 200s first).
      await waitForBackup('lb-2');

      const stoppedAt = Date.now();
      await lab().stopHaproxy('lb-1');
      const moved = await lab().waitForVipHolder((h) => h === 'lb-2', 30_000);
      console.log(`e2e: HAProxy on lb-1 stopped; VIP on lb-2 after ${moved.atMs - stoppedAt} ms`);
      expect(moved.atMs - stoppedAt).toBeLessThanOrEqual(bounds.haproxyDeadMs + MEASUREMENT_SLACK_MS);
      expect((await publish(lab(), { queue: 'e2e-vip', url: lab().amqpUrl(), count: 1, connectDeadlineMs: 10_000 })).confirmed).toHaveLength(1);

      const backupsBefore = keepalivedLogCount('lb-1', 'Entering BACKUP STATE');
      await lab().startHaproxy('lb-1');
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
        expect(back.atMs - cutAt).toBeLessThanOrEqual(bounds.linkCutMs + MEASUREMENT_SLACK_MS);
        expect((await publish(lab(), { queue: 'e2e-vip', url: lab().amqpUrl(), count: 1, connectDeadlineMs: 10_000 })).confirmed).toHaveLength(1);
      } finally {
        await lab().lab.restoreLink('lb-2');
      }
      await sleep(5_000);
      expect(await lab().vipHolders()).toEqual(['lb-1']);
      expect(await drain(lab(), 'e2e-vip', lab().amqpUrl())).toHaveLength(2);
    });

    it('4b. no flapping: 300 ms stalls of the holder\'s HAProxy move nothing; a hung HAProxy (SIGSTOP) moves the VIP in time, and the old holder does not take it back', async () => {
      const bounds = vipFailoverBoundsMs(bundles.cluster);
      expect(await lab().vipHolders()).toEqual(['lb-1']);
      // lb-2 is back in BACKUP after scenario 4's cut link, so a real failover has somewhere to go.
      await waitForBackup('lb-2');
      const faultsBefore = keepalivedLogCount('lb-1', 'Entering FAULT STATE');
      // Three stalls 1.3 s apart, each shorter than checkFailAfterMs (500 ms): the checker keeps writing 0.
      for (let i = 0; i < 3; i++) {
        await lab().pauseHaproxy('lb-1', true);
        await sleep(300);
        await lab().pauseHaproxy('lb-1', false);
        for (let j = 0; j < 10; j++) {
          expect(await lab().vipHolders(), `after stall ${i + 1}`).toEqual(['lb-1']);
          await sleep(100);
        }
      }
      expect(keepalivedLogCount('lb-1', 'Entering FAULT STATE')).toBe(faultsBefore);
      console.log(`e2e: three 300 ms stalls of HAProxy on lb-1 moved nothing`);

      const hungAt = Date.now();
      await lab().pauseHaproxy('lb-1', true);
      try {
        const moved = await lab().waitForVipHolder((h) => h === 'lb-2', 30_000);
        console.log(`e2e: HAProxy on lb-1 hung (SIGSTOP); VIP on lb-2 after ${moved.atMs - hungAt} ms (bound ${bounds.haproxyHungMs} ms)`);
        expect(moved.atMs - hungAt).toBeLessThanOrEqual(bounds.haproxyHungMs + MEASUREMENT_SLACK_MS);
        expect((await publish(lab(), { queue: 'e2e-hung', url: lab().amqpUrl(), count: 1, connectDeadlineMs: 10_000 })).confirmed).toHaveLength(1);
      } finally {
        await lab().pauseHaproxy('lb-1', false);
      }
      const backupsBefore = keepalivedLogCount('lb-1', 'Entering BACKUP STATE');
      for (let i = 0; i < 300 && keepalivedLogCount('lb-1', 'Entering BACKUP STATE') === backupsBefore; i++) await sleep(100);
      for (let i = 0; i < 6; i++) {
        expect(await lab().vipHolders()).toEqual(['lb-2']);
        await sleep(500);
      }
      expect(await drain(lab(), 'e2e-hung', lab().amqpUrl())).toHaveLength(1);
    });

    partitions(e2e);
  });
}
