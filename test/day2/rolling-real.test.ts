/**
 * warren-rolling-restart.sh on real clusters booted from VM bundles (3 RabbitMQ nodes, 2 HAProxy 2.6 + Keepalived 2.2.7
 * hosts holding the VIP), RabbitMQ 4.3 and 3.10: the spec's heartbeat changes 60 -> 30, the new rabbitmq.conf is put
 * on every node without a restart (as `install.sh --no-services` does), then the admin script, run on this machine with
 * the lab as its transport (lab-remote.ts), restarts the nodes one at a time while warren's client publishes orders
 * with confirms through the VIP. Afterwards: every node reads heartbeat 30; 0 orders lost (each consumed once); 0
 * producer runs failed (what the application sees; the outbox's internal retries are printed); each stop preceded by
 * a passing quorum-critical check; quorum queue leaders per node max - min <= 1; every stable feature flag enabled.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { rabbitmqctl } from '../lab';
import { REPO_ROOT, specVariant, synthVmBundles, type VmBundles } from '../e2e/bundles';
import { CLIENT_HOST, sleep, WarrenLab } from '../e2e/warren-lab';
import { LAB_APP, ordersSpec, TSX } from '../reliability/broker-lab';
import { renderUpgradeScript } from '../../vm/day2/rolling';
import { renderGateLibrary } from '../../vm/day2/gates';
import { startLabRemote, type LabRemote } from './lab-remote';

const HOSTS = ['rabbit-1', 'rabbit-2', 'rabbit-3'];
/** Quorum queues in all: the orders topology has 4 on 3.10 (retry delay queues) and 2 on 4.3 (retry in the queue). */
const QUORUM_QUEUES = 10;
const BATCH = 200;

/** Runs an admin script on this machine; its output also goes to `log` as it comes (to follow a long run). */
function runScript(path: string, env: Record<string, string>, log: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => ((stdout += chunk), appendFileSync(log, chunk)));
    child.stderr.on('data', (chunk) => ((stderr += chunk), appendFileSync(log, chunk)));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const count = (file: string, sql: string): number => {
  const db = new Database(file, { readonly: true });
  const n = (db.prepare(sql).get() as { n: number }).n;
  db.close();
  return n;
};

for (const line of ['4.3', '3.10'] as const) {
  describe(`warren-rolling-restart.sh on RabbitMQ ${line} (3 nodes, 2 load balancers, VIP) under confirmed publishing`, () => {
    // Made in beforeAll: a describe that -t filters out leaves no folder behind.
    let work = '';
    let warren: WarrenLab | undefined;
    let remote: LabRemote | undefined;
    let bundles: VmBundles;
    let changed: VmBundles;
    let spec: Record<string, any> = {};

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), `warren-rolling-${line}-`));
      const specPath = specVariant(join(REPO_ROOT, 'examples', `e2e-${line}.yaml`), work, 'rolling', (s) => {
        const topology = ordersSpec(line).topology!;
        const ordersQueues = resolveCluster(ordersSpec(line)).topology.queues.filter((q) => q.type === 'quorum').length;
        s.topology = { ...topology, queues: [...topology.queues!, ...Array.from({ length: QUORUM_QUEUES - ordersQueues }, (_, i) => ({ name: `spread.${i + 1}`, type: 'quorum' }))] };
        spec = s;
      });
      bundles = synthVmBundles(specPath, join(work, 'out'));
      const changedPath = specVariant(specPath, work, 'rolling-changed', (s) => void (s.heartbeatSeconds = 30));
      changed = synthVmBundles(changedPath, join(work, 'changed'));
      warren = await WarrenLab.create(bundles);
      for (const lb of ['lb-1', 'lb-2']) await warren.startHaproxy(lb);
      const formationMs = await warren.startCluster(240_000);
      warren.startKeepalived('lb-1');
      await warren.waitForVipHolder((h) => h === 'lb-1', 60_000);
      warren.startKeepalived('lb-2');
      remote = await startLabRemote(warren);
      console.log(`3 nodes of RabbitMQ ${warren.rabbitmq.versions['rabbitmq-server']} formed in ${formationMs} ms`);
    }, 600_000);

    afterAll(async () => {
      await remote?.close();
      await warren?.destroy();
      if (work !== '') rmSync(work, { recursive: true, force: true });
    });

    const heartbeatOf = async (host: string) =>
      (await rabbitmqctl(warren!.lab, warren!.node(host), ['eval', 'application:get_env(rabbit, heartbeat).'])).stdout.trim();

    it('restarts every node onto the new rabbitmq.conf: 0 lost, 0 failed to the app, quorum-critical before each stop, leaders spread', async () => {
      const lab = warren!;
      for (const host of HOSTS) expect(await heartbeatOf(host), host).toBe('{ok,60}');
      // What `install.sh --no-services` of the changed bundle does on each node: the new file in place, nothing restarted.
      for (const host of HOSTS) copyFileSync(join(changed.hostDir(host), 'etc/rabbitmq/rabbitmq.conf'), join(bundles.hostDir(host), 'etc/rabbitmq/rabbitmq.conf'));

      const store = join(lab.lab.tempDir, 'producer.db');
      const env = { URL: lab.amqpUrl(), SPEC: JSON.stringify(spec) };
      const batches: { code: number; sent: number; failed: number; output: string }[] = [];
      let rolling = true;
      const producing = (async () => {
        // Runs of the application, BATCH orders each, back to back for as long as the roll lasts (and once after).
        for (let to = BATCH; ; to += BATCH) {
          const run = await lab.lab.run(CLIENT_HOST, [TSX, LAB_APP], { env: { ...env, MODE: 'produce', STORE: store, FROM: '0', TO: String(to), RATE: '50', WINDOW: '50' }, timeoutMs: 240_000 });
          const summary = run.stdout.trim().split('\n').filter((l) => l.startsWith('{"event":"done"')).pop();
          const parsed = summary ? (JSON.parse(summary) as { sent: number; failed: number }) : { sent: 0, failed: 0 };
          batches.push({ code: run.code, ...parsed, output: `${run.stdout}\n${run.stderr}`.slice(-1500) });
          if (!rolling) return to;
        }
      })();
      while (batches.length === 0) await sleep(200);

      const started = Date.now();
      const script = join(changed.vmDir, 'admin', 'warren-rolling-restart.sh');
      const roll = await runScript(script, { ...remote!.env, WARREN_TIMEOUT_SECONDS: '240' }, join(work, 'roll.log'));
      const rollMs = Date.now() - started;
      rolling = false;
      const total = await producing;
      console.log(roll.stdout);
      expect(roll.code, `${roll.stdout}\n${roll.stderr}`).toBe(0);

      // Each stop preceded by a passing quorum-critical check of that node, after the previous node was done.
      const lines = roll.stdout.split('\n');
      const stops = lines.flatMap((l, i) => (l.endsWith(': stopping rabbitmq-server') ? [i] : []));
      expect(stops.map((i) => lines[i]!.split(': ')[1])).toEqual(HOSTS);
      for (const i of stops) {
        const host = lines[i]!.split(': ')[1]!;
        const since = lines.slice(0, i).map((l, j) => [l, j] as const).filter(([l]) => l.endsWith(': restarted')).pop()?.[1] ?? -1;
        expect(lines.slice(since + 1, i), `the gates of ${host}`).toContain(`warren-rolling-restart: ${host}: gate quorum-critical passed`);
      }
      const criticalChecks = remote!.calls.filter((c) => c.command.includes('check_if_node_is_quorum_critical'));
      const stopCalls = remote!.calls.filter((c) => c.command === 'systemctl stop rabbitmq-server');
      for (const stop of stopCalls) expect(criticalChecks.some((c) => c.host === stop.host && c.code === 0 && c.atMs <= stop.atMs)).toBe(true);

      for (const host of HOSTS) expect(await heartbeatOf(host), host).toBe('{ok,30}');

      const failedRuns = batches.filter((b) => b.code !== 0);
      expect(failedRuns.map((b) => b.output), 'producer runs that failed').toEqual([]);
      expect(count(store, 'SELECT count(*) AS n FROM warren_outbox')).toBe(0);
      expect(count(store, 'SELECT count(*) AS n FROM orders')).toBe(total);

      const consumerStore = join(lab.lab.tempDir, 'consumer.db');
      const consumed = await lab.lab.run(CLIENT_HOST, [TSX, LAB_APP], {
        env: { ...env, MODE: 'consume', QUEUE: 'orders.created', STORE: consumerStore, ATTEMPTS_LOG: join(lab.lab.tempDir, 'attempts.jsonl'), EFFECTS: String(total), QUIET_MS: '3000' },
        timeoutMs: 240_000,
      });
      expect(consumed.code, consumed.stderr).toBe(0);
      const effects = count(consumerStore, 'SELECT count(DISTINCT message_id) AS n FROM effects');
      expect(effects).toBe(total);

      const queues = JSON.parse((await rabbitmqctl(lab.lab, lab.node('rabbit-1'), ['list_queues', 'name', 'type', 'leader', '--formatter', 'json'])).stdout) as { name: string; type: string; leader: string }[];
      const quorum = queues.filter((q) => q.type === 'quorum');
      const perNode = HOSTS.map((h) => quorum.filter((q) => q.leader === `rabbit@${h}`).length);
      expect(quorum).toHaveLength(QUORUM_QUEUES);
      expect(Math.max(...perNode) - Math.min(...perNode), `leaders per node ${perNode.join('/')}`).toBeLessThanOrEqual(1);

      const flags = JSON.parse((await rabbitmqctl(lab.lab, lab.node('rabbit-2'), ['list_feature_flags', 'name', 'state', 'stability', '--formatter', 'json'])).stdout) as { name: string; state: string; stability: string }[];
      expect(flags.filter((f) => f.stability === 'stable' && f.state !== 'enabled').map((f) => f.name)).toEqual([]);

      console.log(
        `RabbitMQ ${line}: rolled 3 nodes in ${rollMs} ms; ${total} orders in ${batches.length} producer runs, 0 failed to the application, ` +
          `${batches.reduce((n, b) => n + b.failed, 0)} publish attempts retried inside the outbox relay; consumed ${effects} distinct; ` +
          `quorum leaders per node ${perNode.join('/')} over ${quorum.length} queues; quorum-critical checks ${criticalChecks.length}, stops ${stopCalls.length}`,
      );
    }, 1_500_000);

    // rabbitmq-queues rebalance stops once no node leads more than its rounded-up share: 4/4/2 over 10 queues passes.
    it(`rebalance_leaders narrows leaders skewed to 4/4/2 (which rebalance accepts) to max - min <= 1, moving them with ${line === '4.3' ? 'rabbitmq-queues transfer_leadership' : 'the function rebalance calls (no CLI command on 3.10)'}`, async () => {
      const lab = warren!;
      const leaders = async () =>
        (JSON.parse((await rabbitmqctl(lab.lab, lab.node('rabbit-1'), ['list_queues', 'name', 'type', 'leader', '--formatter', 'json'])).stdout) as { name: string; type: string; leader: string }[])
          .filter((q) => q.type === 'quorum')
          .sort((a, b) => a.name.localeCompare(b.name));
      const quorum = await leaders();
      expect(quorum).toHaveLength(QUORUM_QUEUES);
      // The first 4 queues to rabbit-1, the next 4 to rabbit-2, the last 2 to rabbit-3, with the script's own function.
      const skew = quorum.map((q, i) => [q.name, `rabbit@${HOSTS[i < 4 ? 0 : i < 8 ? 1 : 2]}`] as const).filter(([name, to]) => quorum.find((q) => q.name === name)!.leader !== to);
      const cluster = resolveCluster(spec as ClusterSpec);
      const script = join(work, 'leaders.sh');
      writeFileSync(
        script,
        [
          '#!/bin/bash',
          'set -euo pipefail',
          ...renderGateLibrary(cluster, { scriptName: 'warren-leaders' }),
          ...skew.map(([name, to]) => `transfer_leadership rabbit-1 / ${name} ${to} >/dev/null`),
          'sleep 2',
          'say "skewed: $(quorum_queues rabbit-1 | leader_spread | head -n 1)"',
          'rebalance_leaders rabbit-1',
        ].join('\n'),
        { mode: 0o755 },
      );
      const run = await runScript(script, { ...remote!.env, WARREN_TIMEOUT_SECONDS: '120' }, join(work, 'leaders.log'));
      console.log(run.stdout);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('warren-leaders: skewed: 4/4/2 2\n');
      const moves = Number(/leaders moved: (\d+)/.exec(run.stdout)?.[1]);
      expect(moves).toBeGreaterThanOrEqual(1);
      const perNode = HOSTS.map(() => 0);
      for (const q of await leaders()) perNode[HOSTS.indexOf(q.leader.replace('rabbit@', ''))]! += 1;
      console.log(`RabbitMQ ${line}: leaders skewed to 4/4/2 (${skew.length} transfers), then ${moves} moves: ${perNode.join('/')}`);
      expect(Math.max(...perNode) - Math.min(...perNode), `leaders per node ${perNode.join('/')}`).toBeLessThanOrEqual(1);
    }, 300_000);

    if (line === '3.10') {
      it('warren-upgrade.sh for 4.3 refuses these 3.10.8 nodes (the matrix: 3.10 upgrades to 3.11 only) and changes nothing', async () => {
        const target = resolveCluster({ ...(spec as ClusterSpec), rabbitmq: { version: '4.3' }, partitionHandling: undefined } as ClusterSpec);
        const script = join(work, 'warren-upgrade-4.3.sh');
        writeFileSync(script, renderUpgradeScript(target), { mode: 0o755 });
        const before = remote!.calls.length;
        const run = await runScript(script, { ...remote!.env, WARREN_UPGRADE_COMMAND: 'false' }, join(work, 'upgrade.log'));
        expect(run.code).toBe(1);
        expect(run.stderr).toContain('warren-upgrade: rabbit-1 runs RabbitMQ 3.10.8: upgrading it to 4.3 is refused: RabbitMQ cannot upgrade 3.10 to 4.3 in place');
        expect(remote!.calls.slice(before).map((c) => c.command.split(' ')[0])).toEqual(['rabbitmq-diagnostics']);
      }, 120_000);
    }
  });
}
