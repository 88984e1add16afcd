/**
 * The host firewall on real clusters of both lines: 4.3 and 3.10 (3 nodes, 2 HAProxy + Keepalived hosts with the VIP)
 * booted from VM bundles of examples/e2e-4.3.yaml and e2e-3.10.yaml with `firewall` on, every host's bundle rules loaded by the real `nft -f` in its
 * own network namespace before anything starts. The cluster forms, HAProxy sees every server UP, the CLI reaches a
 * peer, one load balancer holds the VIP (VRRP passes), and TCP scans from each kind of source (a stranger: every port
 * 1-65535; clients, admins, monitoring, a peer, a load balancer: every port anything listens on plus a sample) find
 * exactly the ports the model declares for that source: accepted where something listens, refused where nothing
 * does, every other port silently dropped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostFirewallsOf, type HostFirewall } from '../../model';
import { tcpPortsOpenTo } from '../../model/internal';
import { FIREWALL_RULES_PATH } from '../../vm';
import { REPO_ROOT, specVariant, synthVmBundles, type VmBundles } from '../e2e/bundles';
import { CLIENT_HOST, sleep, WarrenLab } from '../e2e/warren-lab';
import { rabbitmqctl } from '../lab';

const SCAN = join(__dirname, 'firewall-scan.cjs');

const LINES = [
  { line: '4.3', example: 'e2e-4.3.yaml', loadBalancer: 'sid' },
  { line: '3.10', example: 'e2e-3.10.yaml', loadBalancer: 'bookworm' },
] as const;

describe.each(LINES)('host firewall on a real RabbitMQ $line cluster with two load balancers and a VIP', ({ example, loadBalancer }) => {
  const work = mkdtempSync(join(tmpdir(), 'warren-firewall-real-'));
  let warren: WarrenLab | undefined;
  let bundles: VmBundles;
  let firewalls: HostFirewall[] = [];
  const address: Record<string, string> = {};

  beforeAll(async () => {
    const base = '10.231.206';
    Object.assign(address, { client: `${base}.50`, admin: `${base}.60`, monitor: `${base}.61`, stranger: `${base}.70` });
    const specPath = specVariant(join(REPO_ROOT, 'examples', example), work, 'firewall', (s) => {
      s.firewall = { enabled: true, clients: [`${address.client}/32`], admins: [`${address.admin}/32`], monitoring: [`${address.monitor}/32`] };
    });
    bundles = synthVmBundles(specPath, join(work, 'out'));
    firewalls = hostFirewallsOf(bundles.cluster);
    for (const n of bundles.cluster.nodes) address[n.host] = n.address!;
    for (const h of bundles.cluster.loadBalancer!.hosts) address[h.host] = h.address;
    expect(address.client, 'the lab puts its client host at .50 of the load balancers\' /24').toBe(`${bundles.cluster.loadBalancer!.hosts[0]!.address.split('.').slice(0, 3).join('.')}.50`);
    warren = await WarrenLab.create(bundles, {
      loadBalancer,
      extraHosts: ['admin', 'monitor', 'stranger'].map((name) => ({ name, address: address[name]! })),
    });
    for (const fw of firewalls) {
      const rules = join(bundles.hostDir(fw.host), FIREWALL_RULES_PATH.slice(1));
      for (const round of [1, 2]) {
        const loaded = await warren.lab.run(fw.host, ['nft', '-f', rules]);
        expect(loaded.code, `${fw.host}: nft -f (round ${round}): ${loaded.stderr}`).toBe(0);
      }
    }
    for (const lb of ['lb-1', 'lb-2']) await warren.startHaproxy(lb);
    const formationMs = await warren.startCluster(240_000);
    warren.startKeepalived('lb-1');
    await warren.waitForVipHolder((h) => h === 'lb-1', 30_000);
    warren.startKeepalived('lb-2');
    console.log(`firewall on: 3 nodes of RabbitMQ ${warren.rabbitmq.versions['rabbitmq-server']} formed in ${formationMs} ms`);
  }, 480_000);

  afterAll(async () => {
    await warren?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('loads table inet warren with a drop policy on every host', async () => {
    for (const fw of firewalls) {
      const listed = await warren!.lab.run(fw.host, ['nft', 'list', 'table', 'inet', 'warren']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('policy drop;');
      expect(listed.stdout.match(/accept comment/g)).toHaveLength(fw.allows.length);
    }
  });

  it('HAProxy sees every server of every backend UP, and VRRP keeps the VIP on lb-1 alone', async () => {
    const lab = warren!;
    const h = lab.cluster.loadBalancer!.haproxy;
    for (const lb of ['lb-1', 'lb-2']) {
      let down: string[] = ['not asked yet'];
      const deadline = Date.now() + 60_000;
      while (down.length > 0 && Date.now() < deadline) {
        const stats = await lab.lab.run(lb, ['curl', '-sf', '-u', `${h.statsUser}:${bundles.secrets.statsPassword}`, `http://127.0.0.1:${h.statsPort}/;csv`]);
        const [header, ...rows] = stats.stdout.split('\n');
        const status = header!.replace(/^# /, '').split(',').indexOf('status');
        const servers = rows.map((r) => r.split(',')).filter((f) => f.length > status && f[1] !== 'FRONTEND' && f[1] !== 'BACKEND' && f[0] !== 'stats');
        down = servers.length === 0 ? ['no servers'] : servers.filter((f) => !f[status]!.startsWith('UP')).map((f) => `${f[0]}/${f[1]} ${f[status]}`);
        if (down.length > 0) await sleep(500);
      }
      expect(down, `${lb}: servers not UP`).toEqual([]);
    }
    // Without VRRP between them, lb-2 would hear no advert and take the VIP as well.
    await sleep(3000);
    expect(await lab.vipHolders()).toEqual(['lb-1']);
  });

  it('the CLI works: cluster_status on a node, and status of a peer over epmd and distribution', async () => {
    const lab = warren!;
    const local = await rabbitmqctl(lab.lab, lab.node('rabbit-1'), ['cluster_status', '--formatter', 'json']);
    expect(local.code, local.stderr).toBe(0);
    expect((JSON.parse(local.stdout) as { running_nodes: string[] }).running_nodes.sort()).toEqual(['rabbit@rabbit-1', 'rabbit@rabbit-2', 'rabbit@rabbit-3']);
    // From rabbit-1 to rabbit-2's node: the CLI's own ports (distribution + 10000..10010) need no inbound rule.
    const peer = await rabbitmqctl(lab.lab, { ...lab.node('rabbit-1'), nodeName: 'rabbit@rabbit-2' }, ['status']);
    expect(peer.code, peer.stderr).toBe(0);
    expect(peer.stdout).toContain('rabbit@rabbit-2');
  });

  /** TCP ports bound on all addresses (or the host's own) inside a lab host. */
  async function listening(host: string): Promise<number[]> {
    const ss = await warren!.lab.run(host, ['ss', '-Htln']);
    expect(ss.code, ss.stderr).toBe(0);
    const ports = ss.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3])
      .filter((local): local is string => local !== undefined && !/^(127\.|\[::1\]|\[::ffff:127\.)/.test(local))
      .map((local) => Number(local.slice(local.lastIndexOf(':') + 1)));
    return [...new Set(ports)].sort((a, b) => a - b);
  }

  async function scan(source: string, target: string, ports: string, timeoutMs: number): Promise<{ open: number[]; refused: number[] }> {
    const run = await warren!.lab.run(source, ['node', SCAN], { env: { TARGET: address[target]!, PORTS: ports, TIMEOUT_MS: String(timeoutMs), CONCURRENCY: '500' }, timeoutMs: 300_000 });
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { open: number[]; refused: number[] };
  }

  const SAMPLE = [1, 21, 23, 25, 80, 443, 1024, 3306, 5551, 5553, 5671, 6000, 6500, 8080, 9090, 9100, 15671, 15691, 25673, 35672, 35682, 60000, 65535];

  /**
   * `source` scans `target`: declared ports answer (open where something listens, refused where nothing does), every
   * other port is dropped. A declared port that seemed dropped in the fast pass is asked again with a 3 s timeout.
   */
  async function expectExactly(source: string, target: string, allPorts: boolean): Promise<void> {
    const fw = firewalls.find((f) => f.host === target)!;
    const declared = tcpPortsOpenTo(fw, address[source]!);
    const listens = await listening(target);
    const ports = allPorts ? '1-65535' : [...new Set([...listens, ...declared, ...SAMPLE])].sort((a, b) => a - b).join(',');
    const fast = await scan(source, target, ports, 400);
    const answered = new Set([...fast.open, ...fast.refused]);
    const unsure = declared.filter((p) => !answered.has(p));
    const slow = unsure.length > 0 ? await scan(source, target, unsure.join(','), 3000) : { open: [], refused: [] };
    const open = [...fast.open, ...slow.open].sort((a, b) => a - b);
    const refused = [...fast.refused, ...slow.refused].sort((a, b) => a - b);
    console.log(`${source} -> ${target}: ${open.length} open [${open.join(',')}], ${refused.length} refused [${refused.join(',')}], declared ${declared.length} [${declared.join(',')}], ${ports === '1-65535' ? 65535 : ports.split(',').length} ports scanned`);
    expect({ open, refused }, `${source} -> ${target} (declared ${declared.join(',') || 'none'}; listening ${listens.join(',')})`).toEqual({
      open: declared.filter((p) => listens.includes(p)),
      refused: declared.filter((p) => !listens.includes(p)),
    });
  }

  it('a stranger finds every port 1-65535 of a node and a load balancer dropped', async () => {
    // Both at once: a full scan is bound by the 400 ms wait on each of 65,535 dropped ports, not by the CPU.
    await Promise.all([expectExactly('stranger', 'rabbit-1', true), expectExactly('stranger', 'lb-1', true)]);
    expect(tcpPortsOpenTo(firewalls.find((f) => f.host === 'rabbit-1')!, address.stranger!)).toEqual([]);
  }, 600_000);

  it('each declared source finds exactly its ports open', async () => {
    const pairs: [string, string][] = [
      [CLIENT_HOST, 'rabbit-1'],
      [CLIENT_HOST, 'lb-1'],
      ['admin', 'rabbit-1'],
      ['admin', 'lb-2'],
      ['monitor', 'rabbit-2'],
      ['monitor', 'lb-1'],
      ['rabbit-2', 'rabbit-1'],
      ['lb-1', 'rabbit-3'],
      ['lb-2', 'lb-1'],
    ];
    for (const [source, target] of pairs) await expectExactly(source, target, false);
    // What the scans prove, in numbers: the peer reaches epmd and distribution, the client AMQP only.
    const node = firewalls.find((f) => f.host === 'rabbit-1')!;
    expect(tcpPortsOpenTo(node, address['rabbit-2']!)).toEqual([4369, 25672]);
    expect(tcpPortsOpenTo(node, address.client!)).toEqual([5672]);
    const agent = bundles.cluster.majorityCheck ? [bundles.cluster.majorityCheck.agentPort] : [];
    expect(await listening('rabbit-1')).toEqual(expect.arrayContaining([4369, 5672, 15672, 15692, 25672, ...agent]));
  }, 600_000);
});
