/**
 * Issue 22: warren's alerts fire on real faults. Per line (RabbitMQ 4.3.6 from its Debian root, 3.10.8 from this
 * machine): three nodes and two HAProxies booted from the VM bundles of examples/e2e-<line>.yaml (plus a queue whose
 * expired messages are dead-lettered; 3.10 with partition handling ignore, where a cut-off node keeps running), and a real Prometheus
 * in its own host loading the bundle's rules file and scrape jobs, with short `for` windows and scrape intervals
 * (prometheus-lab.ts; the shipped defaults stay). Every rule evaluates without error and reads only metrics the
 * line exposes; a dead-lettered message, a killed node and a node cut off from its peers each fire their alert
 * within the delay the physics allows (the signal's own delay + `for` + two scrape intervals), no other alert
 * fires meanwhile, and all of them resolve afterwards. Delays are read from /api/v1/alerts polled every 250 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { majorityLossDetectionMs } from '../../haproxy';
import { rabbitmqctl } from '../lab';
import { REPO_ROOT, specVariant, synthVmBundles, type VmBundles } from '../e2e/bundles';
import { CLIENT_HOST, WarrenLab } from '../e2e/warren-lab';
import { LabPrometheus, metricsOf, type AlertState } from './prometheus-lab';

const TIMINGS = { forSeconds: 10, scrapeSeconds: 5 };
/** Polling every 250 ms, curl inside a namespace and two busy cores. */
const SLACK_MS = 1_500;
const FIRE_BOUND_MS = (TIMINGS.forSeconds + 2 * TIMINGS.scrapeSeconds) * 1000 + SLACK_MS;
const PROMETHEUS_HOST = { name: 'prometheus', address: '10.231.206.60' };
const LBS = ['lb-1', 'lb-2'];
/** Expired after 1 s, dead-lettered into `orders.dead`. */
const TTL_MS = 1_000;
/**
 * A quorum queue expires the message at its head on its tick (5 s), and the dead-letter queue reports its new depth on
 * its own next tick (classic queues: every collect_statistics_interval, 5 s).
 */
const QUEUE_STATS_MS = 2 * 5_000;
/** A node notices a silent peer between 0.75 and 1.25 net_ticktime (60 s by default). */
const NET_TICK_BOUND_MS = 75_000;
const CUT_OFF = 'rabbit-3';

const LINES = [
  { line: '4.3', example: 'e2e-4.3.yaml', change: (_: Record<string, any>) => undefined },
  // ignore: the cut-off node keeps running (pause_minority would stop it: RabbitmqNodeDown) and nothing restarts after.
  { line: '3.10', example: 'e2e-3.10.yaml', change: (spec: Record<string, any>) => void (spec.partitionHandling = { mode: 'ignore' }) },
] as const;

const names = (alerts: readonly AlertState[]) => alerts.map((a) => `${a.labels.alertname}(${a.state})`).sort();

for (const { line, example, change } of LINES) {
  describe(`RabbitMQ ${line}: a real Prometheus fires warren's alerts on real faults and resolves them`, () => {
    let work = '';
    let warren: WarrenLab | undefined;
    let prometheus: LabPrometheus | undefined;
    let bundles: VmBundles;
    const lab = () => warren ?? expect.fail('the lab did not boot; see the beforeAll error');
    const prom = () => prometheus ?? expect.fail('Prometheus did not start; see the beforeAll error');
    const node = (host: string) => bundles.cluster.nodes.find((n) => n.host === host)!;

    /** Alerts active while a fault lasts, other than those it should raise: none may fire. */
    async function othersFiring(expected: readonly string[]): Promise<string[]> {
      return names((await prom().alerts()).filter((a) => a.state === 'firing' && !expected.includes(a.labels.alertname!)));
    }

    beforeAll(async () => {
      // Made here, not when the file is collected: a line left out by -t would leave its folder behind.
      work = mkdtempSync(join(tmpdir(), `warren-alerts-${line}-`));
      const spec = specVariant(join(REPO_ROOT, 'examples', example), work, `alerts-${line}`, (s) => {
        change(s);
        s.topology = {
          queues: [
            { name: 'orders', vhost: '/', messageTtlMs: TTL_MS, deadLetterExchange: '', deadLetterRoutingKey: 'orders.dead' },
            { name: 'orders.dead', vhost: '/' },
          ],
        };
      });
      bundles = synthVmBundles(spec, join(work, 'out'));
      warren = await WarrenLab.create(bundles, { extraHosts: [PROMETHEUS_HOST] });
      // Together, as on real hosts booting at once: each lab start waits until HAProxy listens (or fails with its log).
      await Promise.all(LBS.map((lb) => warren!.startHaproxy(lb)));
      const formedMs = await warren.startCluster();
      prometheus = await LabPrometheus.start(warren, PROMETHEUS_HOST.name, bundles, TIMINGS);
      const v = warren.rabbitmq.versions;
      console.log(`alerts ${line}: RabbitMQ ${v['rabbitmq-server']} cluster formed in ${formedMs} ms; Prometheus ${PROMETHEUS_HOST.address} scrapes it`);
    });

    afterAll(async () => {
      await warren?.destroy();
      if (work !== '') rmSync(work, { recursive: true, force: true });
    });

    it('every target is scraped, every rule evaluates without error and reads only metrics this line exposes, nothing fires on the healthy cluster', async () => {
      const expectedTargets = bundles.cluster.nodes.length * 2 + LBS.length;
      await prom().waitFor('every target up', async () => {
        const targets = await prom().targets();
        return targets.length === expectedTargets && targets.every((t) => t.health === 'up');
      }, 60_000).catch(async (error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(await prom().targets())}\n${lab().haproxyFailures().join('\n')}`);
      });
      await prom().waitFor('every rule evaluated', async () => (await prom().rules()).every((r) => r.health !== 'unknown'), 30_000);
      const rules = await prom().rules();
      expect(rules.map((r) => r.name).sort()).toEqual(prom().shippedGroups.flatMap((g) => g.rules.map((r) => r.alert)).sort());
      expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
      const absent: string[] = [];
      for (const metric of new Set(rules.flatMap((r) => metricsOf(r.query)))) {
        if ((await prom().count(`count({__name__="${metric}"})`)) === 0) absent.push(metric);
      }
      expect(absent, `metrics the rules read that RabbitMQ ${line} or HAProxy do not expose`).toEqual([]);
      console.log(`alerts ${line}: ${rules.length} rules (${rules.map((r) => r.name).join(', ')}), all healthy`);
      await prom().whenQuiet(60_000);
    }, 180_000);

    it('a dead-lettered message fires RabbitmqDeadLetterQueueNotEmpty; purging the dead-letter queue resolves it', async () => {
      const publishedAt = Date.now();
      const run = await lab().lab.run(CLIENT_HOST, ['node', join(__dirname, 'clients', 'dead-letter.cjs')], {
        env: { AMQP_URL: lab().amqpUrl(node('rabbit-1').address), QUEUE: 'orders', COUNT: '1' },
        timeoutMs: 30_000,
      });
      expect(run.code, run.stderr).toBe(0);
      const bound = TTL_MS + QUEUE_STATS_MS + FIRE_BOUND_MS;
      const fired = await prom().whenFiring('RabbitmqDeadLetterQueueNotEmpty', bound + 30_000);
      console.log(`alerts ${line}: dead letter: fired ${fired.atMs - publishedAt} ms after the publish (bound ${bound} ms)`);
      expect(fired.alerts.map((a) => a.labels)).toEqual([expect.objectContaining({ vhost: '/', queue: 'orders.dead' })]);
      expect(fired.atMs - publishedAt).toBeLessThanOrEqual(bound);
      expect(await othersFiring(['RabbitmqDeadLetterQueueNotEmpty'])).toEqual([]);
      const purged = await rabbitmqctl(lab().lab, lab().node('rabbit-1'), ['purge_queue', '-p', '/', 'orders.dead']);
      expect(purged.code, purged.stderr).toBe(0);
      const purgedAt = Date.now();
      console.log(`alerts ${line}: dead letter: resolved ${(await prom().whenQuiet(60_000)) - purgedAt} ms after the purge`);
    }, 180_000);

    it('a killed node fires RabbitmqNodeDown (no partition, no cut-off); restarted, it resolves', async () => {
      const killedAt = Date.now();
      await lab().killNode(CUT_OFF);
      const fired = await prom().whenFiring('RabbitmqNodeDown', FIRE_BOUND_MS + 30_000);
      console.log(`alerts ${line}: node killed: RabbitmqNodeDown fired after ${fired.atMs - killedAt} ms (bound ${FIRE_BOUND_MS} ms)`);
      expect(fired.atMs - killedAt).toBeLessThanOrEqual(FIRE_BOUND_MS);
      // Past every other alert's `for` plus two scrapes: a dead node is neither a partition nor a node cut off.
      const until = Date.now() + FIRE_BOUND_MS;
      while (Date.now() < until) {
        expect(await othersFiring(['RabbitmqNodeDown'])).toEqual([]);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      await lab().startNode(CUT_OFF);
      await lab().waitForClusterSize(CUT_OFF, 3, 120_000);
      const startedAt = Date.now();
      console.log(`alerts ${line}: node killed: resolved ${(await prom().whenQuiet(120_000)) - startedAt} ms after the node rejoined`);
    }, 420_000);

    it('a node cut off from its peers fires RabbitmqNodeCutOff (HAProxy, seconds) and RabbitmqNetworkPartition (the nodes, after the Erlang tick); rejoined, both resolve', async () => {
      const cutOffBound = majorityLossDetectionMs(bundles.cluster)! + FIRE_BOUND_MS;
      const partitionBound = NET_TICK_BOUND_MS + FIRE_BOUND_MS;
      const cutAt = Date.now();
      await lab().isolateFromPeers(CUT_OFF);
      try {
        const cutOff = await prom().whenFiring('RabbitmqNodeCutOff', cutOffBound + 30_000);
        console.log(`alerts ${line}: node cut off: RabbitmqNodeCutOff fired after ${cutOff.atMs - cutAt} ms (bound ${cutOffBound} ms)`);
        expect(cutOff.alerts.map((a) => a.labels.server)).toEqual([CUT_OFF]);
        expect(cutOff.atMs - cutAt).toBeLessThanOrEqual(cutOffBound);
        const partition = await prom().whenFiring('RabbitmqNetworkPartition', partitionBound + 30_000);
        console.log(`alerts ${line}: node cut off: RabbitmqNetworkPartition fired after ${partition.atMs - cutAt} ms (bound ${partitionBound} ms) on ${partition.alerts.map((a) => a.labels.rabbitmq_node).sort().join(', ')}`);
        expect(partition.atMs - cutAt).toBeLessThanOrEqual(partitionBound);
        expect(await othersFiring(['RabbitmqNodeCutOff', 'RabbitmqNetworkPartition'])).toEqual([]);
      } finally {
        await lab().rejoinPeers(CUT_OFF);
      }
      const rejoinedAt = Date.now();
      console.log(`alerts ${line}: node cut off: resolved ${(await prom().whenQuiet(240_000)) - rejoinedAt} ms after the link came back`);
    }, 480_000);
  });
}
