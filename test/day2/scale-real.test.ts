/**
 * Scale 3 -> 5 -> 3 on real RabbitMQ clusters booted from VM bundles (lab: two HAProxy + Keepalived hosts holding the
 * VIP, as the e2e suite), under confirmed publishing through the VIP, driven by the generated admin scripts
 * vm/admin/warren-scale-out.sh and warren-scale-in.sh, over the lab's WARREN_REMOTE (lab-remote.ts: the command line
 * runs in the host's namespaces with the node's programs and cookie; `systemctl disable --now rabbitmq-server` stops
 * the node as the Debian unit would). A new host's node is booted before its script runs, as install.sh's
 * `systemctl start` (Type=notify) returns only once the node has booted. Proves: the 3 first nodes keep their OS pids, 0 messages lost or handled twice,
 * every quorum queue with a member on each node of the spec after each step (members listed), none on a removed node.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqctl } from '../lab';
import { REPO_ROOT, specVariant, synthVmBundles, type VmBundles } from '../e2e/bundles';
import { CLIENT_HOST, WarrenLab } from '../e2e/warren-lab';
import { LAB_APP, ordersSpec, TSX } from '../reliability/broker-lab';
import { bootNode, startLabRemote, type LabRemote } from './lab-remote';

const FIRST = ['rabbit-1', 'rabbit-2', 'rabbit-3'];
const ADDED = ['rabbit-4', 'rabbit-5'];
/** Orders per producer run; runs follow each other until a step ends, so the publishing spans the whole step. */
const BATCH = 300;
const RATE = '25';

/** Runs a generated admin script on this machine (the admin host) with the lab's WARREN_REMOTE. */
function runAdminScript(path: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path, ...args], {
      env: { PATH: process.env.PATH, ...env, WARREN_TIMEOUT_SECONDS: '300' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

for (const line of ['4.3', '3.10'] as const) {
  describe(`scale 3 -> 5 -> 3 on real RabbitMQ ${line} under confirmed publishing through the VIP`, () => {
    const work = mkdtempSync(join(tmpdir(), `warren-scale-${line}-`));
    let warren: WarrenLab | undefined;
    let three: VmBundles;
    let five: VmBundles;
    let spec: Record<string, unknown> = {};
    let remote: LabRemote | undefined;

    beforeAll(async () => {
      const example = join(REPO_ROOT, 'examples', `e2e-${line}.yaml`);
      const path3 = specVariant(example, work, 'three', (s) => {
        s.topology = ordersSpec(line).topology;
        spec = s;
      });
      const path5 = specVariant(example, work, 'five', (s) => {
        s.topology = ordersSpec(line).topology;
        s.nodes = [...(s.nodes as unknown[]), { host: 'rabbit-4', address: '10.231.206.14' }, { host: 'rabbit-5', address: '10.231.206.15' }];
      });
      three = synthVmBundles(path3, join(work, 'out3'));
      five = synthVmBundles(path5, join(work, 'out5'));
      warren = await WarrenLab.create(three, {
        loadBalancer: line === '4.3' ? 'sid' : 'bookworm',
        extraHosts: five.cluster.nodes.filter((n) => ADDED.includes(n.host)).map((n) => ({ name: n.host, address: n.address! })),
      });
      for (const lb of ['lb-1', 'lb-2']) await warren.startHaproxy(lb);
      // 120 s (the default) was not enough for 4.3 at load average 28.
      await warren.startCluster(300_000);
      warren.startKeepalived('lb-1');
      await warren.waitForVipHolder((h) => h === 'lb-1', 30_000);
      warren.startKeepalived('lb-2');
      remote = await startLabRemote(warren);
    }, 600_000);

    afterAll(async () => {
      await remote?.close();
      await warren?.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    it('keeps the first 3 nodes running (same OS pids), loses no message, and every quorum queue has a member on each node after each step', async () => {
      const lab = warren!;
      const osPid = async (host: string) => (await rabbitmqctl(lab.lab, lab.node(host), ['eval', 'os:getpid().'])).stdout.trim();
      const pidsBefore = await Promise.all(FIRST.map(osPid));
      expect(pidsBefore.every((p) => /^"\d+"$/.test(p)), pidsBefore.join(' ')).toBe(true);
      const members = async (host = 'rabbit-1') => {
        const out = await rabbitmqctl(lab.lab, lab.node(host), ['list_queues', 'name', 'type', 'members', '--formatter', 'json']);
        return (JSON.parse(out.stdout) as { name: string; type: string; members: string[] }[]).filter((q) => q.type === 'quorum').map((q) => ({ name: q.name, members: [...q.members].sort() }));
      };
      const nodesOf = (hosts: readonly string[]) => hosts.map((h) => `rabbit@${h}`).sort();
      const before = await members();
      expect(before.length).toBeGreaterThan(0);
      expect(before.every((q) => JSON.stringify(q.members) === JSON.stringify(nodesOf(FIRST))), JSON.stringify(before)).toBe(true);

      const env = { URL: lab.amqpUrl(), SPEC: JSON.stringify(spec) };
      let published = 0;
      /** Publishes through the VIP, batch after batch, until `step` resolves; each batch must end with every order confirmed. */
      const underLoad = async <T>(step: () => Promise<T>): Promise<{ result: T; batches: number }> => {
        let done = false;
        let batches = 0;
        let failed: Error | undefined;
        const load = (async () => {
          while (!done) {
            const from = published;
            const producer = lab.lab.spawn(CLIENT_HOST, [TSX, LAB_APP], {
              env: { ...env, MODE: 'produce', STORE: join(lab.lab.tempDir, `producer-${from}.db`), FROM: String(from), TO: String(from + BATCH), RATE, WINDOW: '100' },
            });
            const code = await producer.exited();
            if (code !== 0) throw new Error(`producer of orders ${from}..${from + BATCH} exited ${code}: see ${producer.logFile}`);
            published += BATCH;
            batches += 1;
          }
        })().catch((error: Error) => {
          failed = error;
        });
        let result: T;
        try {
          result = await step();
        } finally {
          done = true;
          await load;
        }
        if (failed) throw failed;
        return { result, batches };
      };
      const runScript = async (script: string, host: string) => {
        const run = await runAdminScript(script, [host], remote!.env);
        console.log(run.output);
        expect(run.code, run.output).toBe(0);
      };

      // Scale out: install.sh on the new hosts starts RabbitMQ there (here: the lab, from the 5-node bundles), then the script per host.
      const outStarted = Date.now();
      const out = await underLoad(async () => {
        lab.useBundles(five);
        for (const booted of await Promise.all(ADDED.map((h) => bootNode(lab, h)))) expect(booted.code, booted.stderr).toBe(0);
        for (const host of ADDED) await runScript(join(five.vmDir, 'admin', 'warren-scale-out.sh'), host);
        return members();
      });
      expect(out.result.filter((q) => JSON.stringify(q.members) !== JSON.stringify(nodesOf([...FIRST, ...ADDED]))), JSON.stringify(out.result)).toEqual([]);
      console.log(`scale out took ${Date.now() - outStarted} ms under ${out.batches} producer batches; ${published} orders confirmed so far; members: ${JSON.stringify(out.result)}`);

      // Scale in: the spec is back at 3 nodes; the script per leaving host, one at a time.
      const inStarted = Date.now();
      const back = await underLoad(async () => {
        lab.useBundles(three);
        for (const host of [...ADDED].reverse()) await runScript(join(three.vmDir, 'admin', 'warren-scale-in.sh'), host);
        return members();
      });
      expect(back.result.filter((q) => JSON.stringify(q.members) !== JSON.stringify(nodesOf(FIRST))), JSON.stringify(back.result)).toEqual([]);
      const status = JSON.parse((await rabbitmqctl(lab.lab, lab.node('rabbit-1'), ['cluster_status', '--formatter', 'json'])).stdout) as { disk_nodes: string[]; running_nodes: string[] };
      expect([...status.running_nodes].sort()).toEqual(nodesOf(FIRST));
      expect([...status.disk_nodes].sort()).toEqual(nodesOf(FIRST));
      console.log(`scale in took ${Date.now() - inStarted} ms under ${back.batches} producer batches; ${published} orders confirmed in all; members: ${JSON.stringify(back.result)}`);

      expect(await Promise.all(FIRST.map(osPid))).toEqual(pidsBefore);

      const consumerStore = join(lab.lab.tempDir, 'consumer.db');
      const consumed = await lab.lab.run(CLIENT_HOST, [TSX, LAB_APP], {
        env: { ...env, MODE: 'consume', QUEUE: 'orders.created', STORE: consumerStore, ATTEMPTS_LOG: join(lab.lab.tempDir, 'attempts.jsonl'), EFFECTS: String(published), QUIET_MS: '3000' },
        timeoutMs: 300_000,
      });
      expect(consumed.code, consumed.stderr).toBe(0);
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(consumerStore, { readonly: true });
      const effects = db.prepare('SELECT message_id AS id, count(*) AS n FROM effects GROUP BY message_id').all() as { id: string; n: number }[];
      db.close();
      console.log(`RabbitMQ ${line}: ${effects.length} of ${published} orders handled, ${effects.filter((e) => e.n > 1).length} more than once; pids ${pidsBefore.join(' ')} unchanged; ${remote!.calls.length} remote calls`);
      expect(effects.length).toBe(published);
      expect(effects.every((e) => e.n === 1)).toBe(true);
    }, 1_800_000);
  });
}
