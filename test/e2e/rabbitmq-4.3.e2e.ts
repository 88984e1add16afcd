/**
 * The end-to-end suite on RabbitMQ 4.3 (Debian forky's package, in a root) behind HAProxy 3.2 and keepalived 2.3
 * (Debian sid): scenarios 1-4 (see e2e-suite.ts), then what the Khepri metadata store really does to a node cut
 * off from its peers, measured.
 */
import { expect, it } from 'vitest';
import { rabbitmqctl } from '../lab';
import { drain, lostMessages, startPublisher, type PublisherResult } from './amqp-clients';
import { describeE2e, LBS, NODES } from './e2e-suite';
import { sleep, type WarrenLab } from './warren-lab';

/** How long the scenario keeps the node cut off: shorter than Erlang's net tick (60 s), as most real blips are. */
const CUT_MS = 30_000;

/** The longest time without a confirm between two instants (from `fromMs`, or the last confirm before it). */
function longestStall(published: PublisherResult, fromMs: number, toMs: number): number {
  const times = [fromMs, ...published.confirmed.map(([, t]) => t).filter((t) => t > fromMs && t < toMs), toMs];
  return Math.max(...times.slice(1).map((t, i) => t - times[i]!));
}

/**
 * The nodes `host` itself sees running (`rabbit_nodes:list_running()`, what cluster_status reports as running),
 * or the CLI's error. cluster_status itself waits for every member and times out during a partition.
 */
async function runningNodes(warren: WarrenLab, host: string): Promise<string[] | string> {
  const result = await rabbitmqctl(warren.lab, warren.node(host), ['eval', 'rabbit_nodes:list_running().'], 20_000);
  if (result.code !== 0) return `exit ${result.code}: ${(result.stderr || result.stdout).trim().slice(0, 300)}`;
  return [...result.stdout.matchAll(/rabbit@[\w.-]+/g)].map((m) => m[0]).sort();
}

/** Polls until `host` sees exactly `expected` running; returns ms since `sinceMs`. */
async function whenRunning(warren: WarrenLab, host: string, expected: readonly string[], sinceMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] | string = 'no answer yet';
  while (Date.now() < deadline) {
    last = await runningNodes(warren, host);
    if (JSON.stringify(last) === JSON.stringify([...expected].sort())) return Date.now() - sinceMs;
    await sleep(250);
  }
  throw new Error(`${host} did not see exactly ${expected.join(', ')} running within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

describeE2e('VM bundles of examples/e2e-4.3.yaml on real hosts (RabbitMQ 4.3, HAProxy 3.2, keepalived 2.3)', { example: 'e2e-4.3.yaml', loadBalancer: 'sid' }, (e2e) => {
  it('5. Khepri, a node cut off from its peers only (the load balancers still reach it): it keeps running, its clients get no confirms, the majority serves, the cluster heals, no confirmed message is lost', async () => {
    const warren = e2e.lab();
    expect(e2e.bundles().cluster.version.line).toBe('4.3');
    for (const host of NODES) await warren.rejoinPeers(host);
    const viaVip = startPublisher(warren, { queue: 'e2e-khepri', url: warren.amqpUrl(), intervalMs: 20, connectDeadlineMs: 30_000 });
    const onCutNode = startPublisher(warren, { queue: 'e2e-khepri', url: warren.amqpUrl(warren.cluster.nodes[2]!.address!), intervalMs: 20, connectDeadlineMs: 30_000 });
    try {
      await sleep(3_000);
      const cutAt = Date.now();
      await warren.isolateFromPeers('rabbit-3');
      let restoredAt: number;
      try {
        const majorityMs = await whenRunning(warren, 'rabbit-1', ['rabbit@rabbit-1', 'rabbit@rabbit-2'], cutAt, CUT_MS);
        const minorityMs = await whenRunning(warren, 'rabbit-3', ['rabbit@rabbit-3'], cutAt, CUT_MS);
        console.log(`e2e: Khepri: rabbit-3 cut off from its peers; rabbit-1 saw 2 running after ${majorityMs} ms, rabbit-3 saw only itself after ${minorityMs} ms`);
        const stillRunning = await rabbitmqctl(warren.lab, warren.node('rabbit-3'), ['eval', 'rabbit:is_running().']);
        // No pause_minority on Khepri: the cut-off node keeps its listeners and its rabbit app.
        expect(stillRunning.stdout.trim()).toBe('true');
        const statuses = LBS.map((lb) => `${lb}: ${warren.haproxyStatus(lb, 'rabbit-3')}`);
        console.log(`e2e: Khepri: during the cut HAProxy sees rabbit-3 as ${statuses.join(', ')}`);
        await sleep(Math.max(0, cutAt + CUT_MS - Date.now()));
      } finally {
        await warren.rejoinPeers('rabbit-3');
        restoredAt = Date.now();
      }
      const healedMs = await whenRunning(warren, 'rabbit-3', NODES.map((h) => `rabbit@${h}`), restoredAt, 120_000);
      console.log(`e2e: Khepri: link back; rabbit-3 sees all 3 running after ${healedMs} ms`);
      for (const host of NODES) expect((await warren.waitForClusterSize(host, 3, 60_000)).partitions).toEqual({});
      await sleep(3_000);
      await Promise.all([viaVip.stop(), onCutNode.stop()]);
      const [vip, direct] = [await viaVip.result(), await onCutNode.result()];
      const directDuringCut = direct.confirmed.filter(([, t]) => t > cutAt + 2_000 && t < restoredAt);
      console.log(
        `e2e: Khepri: publisher on rabbit-3 itself: ${directDuringCut.length} confirms during the cut, longest stall ${longestStall(direct, cutAt, Date.now())} ms; ` +
          `publisher through the VIP: longest stall ${longestStall(vip, cutAt, Date.now())} ms, ${vip.connects.length - 1} reconnection(s), ${vip.confirmed.length} confirmed`,
      );
      // The minority cannot commit: a quorum queue publish through the cut-off node is never confirmed there.
      expect(directDuringCut).toEqual([]);
      expect(vip.confirmed.filter(([, t]) => t > restoredAt).length).toBeGreaterThan(0);
      const received = await drain(warren, 'e2e-khepri', warren.amqpUrl());
      expect(lostMessages(vip, received)).toEqual([]);
      expect(lostMessages(direct, received)).toEqual([]);
    } finally {
      await Promise.all([viaVip.stop(), onCutNode.stop()]);
    }
  });
});
