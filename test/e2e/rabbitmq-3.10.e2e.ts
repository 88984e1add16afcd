/**
 * The end-to-end suite on RabbitMQ 3.10.8 (this machine's Debian 12 package) behind HAProxy 2.6 and
 * keepalived 2.2.7: scenarios 1-4 (see e2e-suite.ts), then Mnesia's partition handling for real.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { rabbitmqctl } from '../lab';
import { drain, lostMessages, startPublisher } from './amqp-clients';
import { count, describeE2e, LBS, NODES } from './e2e-suite';
import { sleep } from './warren-lab';

/**
 * The partition scenarios' nodes enable no plugin: on Debian 12's RabbitMQ 3.10.8 with Erlang 25,
 * rabbitmq_management_agent (pulled in by rabbitmq_management and rabbitmq_prometheus) makes the in-place restart
 * that pause_minority and autoheal do fail: its rabbit_mgmt_external_stats:init calls rabbit_net:dist_info/0,
 * which crashes with {case_clause,[Port1,Port2]} when two tcp_inet ports have the same peer address. After a cut
 * that can be the case: the old outbound connection to the peer's port 25672 still holds unsent data (FIN-WAIT-1
 * in `ss`) next to the new one. The node then stays stopped ("BOOT FAILED"). rabbitmq-server#5534 (for #5496)
 * only handles zero matches. Partition handling itself depends on no plugin.
 */
function withoutPlugins(spec: Record<string, any>): void {
  spec.plugins = [];
}

describeE2e('VM bundles of examples/e2e-3.10.yaml on real hosts (RabbitMQ 3.10, HAProxy 2.6, keepalived 2.2.7)', { example: 'e2e-3.10.yaml', loadBalancer: 'bookworm' }, (e2e) => {
  it('5a. pause_minority: a node cut off from its peers pauses, HAProxy stops sending to it, no confirmed message is lost', async () => {
    const fresh = await e2e.freshClusterFor('pause-minority', withoutPlugins);
    expect(readFileSync(join(fresh.hostDir('rabbit-3'), 'etc/rabbitmq/enabled_plugins'), 'utf8')).toBe('[].\n');
    expect(readFileSync(join(fresh.hostDir('lb-1'), 'etc/haproxy/haproxy.cfg'), 'utf8')).not.toContain('listen management');
    expect(readFileSync(join(fresh.hostDir('rabbit-3'), 'etc/rabbitmq/rabbitmq.conf'), 'utf8')).toContain('cluster_partition_handling = pause_minority\n');
    const publisher = startPublisher(e2e.lab(), { queue: 'e2e-pause', url: e2e.lab().amqpUrl(), intervalMs: 20, connectDeadlineMs: 30_000 });
    try {
      await sleep(2_000);
      const minorityLines = count(e2e.nodeLogs('rabbit-3'), 'minority');
      const bootFailures = count(e2e.nodeLogs('rabbit-3'), 'BOOT FAILED');
      const cutAt = Date.now();
      await e2e.lab().isolateFromPeers('rabbit-3');
      try {
        // Erlang notices lost peers after net_ticktime (60 s, 45-75 s); the paused node then closes its listeners.
        const downs = await Promise.all(LBS.map((lb) => e2e.lab().waitForHaproxyStatus(lb, 'rabbit-3', 'DOWN', cutAt, 150_000)));
        console.log(`e2e: rabbit-3 cut off from its peers; both HAProxies marked it down after ${downs.map((d) => d.atMs - cutAt).join(' / ')} ms`);
        const majority = await e2e.lab().waitForClusterSize('rabbit-1', 2, 30_000);
        expect([...majority.running_nodes].sort()).toEqual(['rabbit@rabbit-1', 'rabbit@rabbit-2']);
        const node = e2e.lab().node('rabbit-3');
        const running = await rabbitmqctl(e2e.lab().lab, node, ['eval', 'rabbit:is_running().']);
        expect(running.stdout.trim()).toBe('false');
        expect(count(e2e.nodeLogs('rabbit-3'), 'minority')).toBeGreaterThan(minorityLines);
        // The AMQP check keeps failing while paused: HAProxy sends nothing there.
        for (const lb of LBS) expect(e2e.lab().haproxyStatus(lb, 'rabbit-3')).toBe('DOWN');
      } finally {
        await e2e.lab().rejoinPeers('rabbit-3');
      }
      const healedAt = Date.now();
      await e2e.awaitRabbitRunning('rabbit-3', 120_000);
      const ups = await Promise.all(LBS.map((lb) => e2e.lab().waitForHaproxyStatus(lb, 'rabbit-3', 'UP', healedAt, 120_000)));
      console.log(`e2e: link back; rabbit-3 serving and up in both HAProxies after ${ups.map((u) => u.atMs - healedAt).join(' / ')} ms`);
      for (const host of NODES) {
        const status = await e2e.lab().waitForClusterSize(host, 3, 60_000);
        expect(status.partitions).toEqual({});
      }
      expect(count(e2e.nodeLogs('rabbit-3'), 'BOOT FAILED')).toBe(bootFailures);
      await publisher.stop();
      const published = await publisher.result();
      console.log(`e2e: pause_minority: ${published.confirmed.length} confirmed, ${published.connects.length - 1} reconnection(s)`);
      expect(published.confirmed.filter(([, t]) => t > cutAt).length).toBeGreaterThan(0);
      expect(lostMessages(published, await drain(e2e.lab(), 'e2e-pause', e2e.lab().amqpUrl()))).toEqual([]);
    } finally {
      await publisher.stop();
    }
  });

  it('5b. autoheal (the same spec re-synthesised): both sides keep running during the partition, the majority check takes the cut-off node out of rotation within 5 s, the cluster heals after, no confirmed message is lost', async () => {
    const fresh = await e2e.freshClusterFor('autoheal', (spec) => {
      withoutPlugins(spec);
      spec.partitionHandling = { mode: 'autoheal' };
    });
    expect(readFileSync(join(fresh.hostDir('rabbit-1'), 'etc/rabbitmq/rabbitmq.conf'), 'utf8')).toContain('cluster_partition_handling = autoheal\n');
    const publisher = startPublisher(e2e.lab(), { queue: 'e2e-heal', url: e2e.lab().amqpUrl(), intervalMs: 20, connectDeadlineMs: 30_000 });
    try {
      await sleep(2_000);
      const autohealLines = count(e2e.nodeLogs('rabbit-3'), 'Autoheal');
      const bootFailures = count(e2e.nodeLogs('rabbit-3'), 'BOOT FAILED');
      const cutAt = Date.now();
      await e2e.lab().isolateFromPeers('rabbit-3');
      try {
        // autoheal does not pause: the cut-off node still serves, and the majority check takes it out.
        const downs = await Promise.all(LBS.map((lb) => e2e.lab().waitForHaproxyStatus(lb, 'rabbit-3', 'DOWN', cutAt, 15_000)));
        console.log(`e2e: autoheal: rabbit-3 cut off; the majority check marked it down in both HAProxies after ${downs.map((d) => d.atMs - cutAt).join(' / ')} ms`);
        for (const down of downs) expect(down.atMs - cutAt).toBeLessThanOrEqual(5_000);
        const majority = await e2e.lab().waitForClusterSize('rabbit-1', 2, 150_000);
        expect([...majority.running_nodes].sort()).toEqual(['rabbit@rabbit-1', 'rabbit@rabbit-2']);
        const minority = await e2e.lab().waitForClusterSize('rabbit-3', 1, 60_000);
        expect(minority.running_nodes).toEqual(['rabbit@rabbit-3']);
        for (const lb of LBS) expect(e2e.lab().haproxyStatus(lb, 'rabbit-3')).toBe('DOWN');
      } finally {
        await e2e.lab().rejoinPeers('rabbit-3');
      }
      // The winner (rabbit-1 or rabbit-2 side) restarts the loser once the peers see each other again.
      const healedAt = Date.now();
      // Reconnected nodes list each other as running before autoheal has decided and restarted the loser, so
      // a size of 3 alone is not healed yet: wait until no node reports a partition.
      for (const host of NODES) {
        let status = await e2e.lab().waitForClusterSize(host, 3, 180_000);
        while (Object.keys(status.partitions).length > 0 && Date.now() - healedAt < 180_000) {
          await sleep(1_000);
          status = await e2e.lab().waitForClusterSize(host, 3, 180_000);
        }
        expect(status.partitions).toEqual({});
      }
      await e2e.awaitRabbitRunning('rabbit-3', 120_000);
      console.log(`e2e: autoheal: one cluster of 3 without partitions ${Date.now() - healedAt} ms after the link came back`);
      for (const lb of LBS) await e2e.lab().waitForHaproxyStatus(lb, 'rabbit-3', 'UP', healedAt, 60_000);
      const logs = e2e.nodeLogs('rabbit-3');
      expect(count(logs, 'Autoheal')).toBeGreaterThan(autohealLines);
      expect(count(logs, 'BOOT FAILED')).toBe(bootFailures);
      await sleep(3_000);
      await publisher.stop();
      const published = await publisher.result();
      console.log(`e2e: autoheal: ${published.confirmed.length} confirmed, ${published.connects.length - 1} reconnection(s)`);
      expect(published.confirmed.filter(([, t]) => t > cutAt).length).toBeGreaterThan(0);
      expect(lostMessages(published, await drain(e2e.lab(), 'e2e-heal', e2e.lab().amqpUrl()))).toEqual([]);
    } finally {
      await publisher.stop();
    }
  });
});
