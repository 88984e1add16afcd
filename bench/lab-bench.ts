/**
 * The benchmark's lab figures for one broker line, measured on the hosts of its e2e example (examples/e2e-4.3.yaml
 * or e2e-3.10.yaml): warren's settings and the guide's (HAProxy `inter 5000 rise 2 fall 3`, Keepalived VRRPv2
 * `advert_int 1`) side by side. HAProxy with the guide's checks runs on an extra host `lb-guide` next to warren's
 * lb-1, both checking the same nodes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPublisher, outageAround } from '../test/e2e/amqp-clients';
import { REPO_ROOT, specVariant, synthVmBundles, type VmBundles } from '../test/e2e/bundles';
import type { LoadBalancerBuild } from '../test/lab';
import { CLIENT_HOST, sleep, WarrenLab } from '../test/e2e/warren-lab';
import { serverDownDetectionMs } from '../haproxy';
import { figure, log, type Figure } from './figures';

const GUIDE_LB = 'lb-guide';
const LBS = ['lb-1', 'lb-2'] as const;

export interface LabFigures {
  /** Package versions the lab ran: rabbitmq-server, erlang-base, haproxy, keepalived. */
  readonly versions: Readonly<Record<string, string>>;
  readonly clusterFormationMs: Figure;
  readonly nodeDeathDetectionMs: Record<'warren' | 'guide', Figure & { readonly settings: string; readonly worstCaseMs: number }>;
  readonly clientVisibleOutageMs: Record<'warren' | 'guide', Figure>;
  readonly vipFailoverMs: Record<string, { readonly settings: string; readonly haproxyStopped: Figure; readonly linkCut: Figure }>;
  readonly publishThroughput: { readonly directPerSecond: Figure; readonly throughHaproxyPerSecond: Figure; readonly ratio: number };
}

export interface LabBenchOptions {
  /** A file under examples/, e.g. "e2e-4.3.yaml": its version picks the broker line. */
  readonly example: string;
  readonly loadBalancer: LoadBalancerBuild;
  readonly killRuns: number;
  readonly vipRuns: number;
  readonly throughputRuns: number;
}

export async function measureLab(options: LabBenchOptions): Promise<LabFigures> {
  const work = mkdtempSync(join(tmpdir(), 'warren-bench-'));
  const spec = join(REPO_ROOT, 'examples', options.example);
  const warrenBundles = synthVmBundles(spec, join(work, 'warren'));
  const guideBundles = synthVmBundles(
    specVariant(spec, work, 'guide', (spec) => {
      spec.loadBalancer.haproxy = { checkIntervalMs: 5000, checkFastIntervalMs: 5000, rise: 2, fall: 3 };
      spec.loadBalancer.keepalived = { ...spec.loadBalancer.keepalived, vrrpVersion: 2, advertIntervalMs: 1000 };
    }),
    join(work, 'guide'),
  );
  const subSecondBundles = synthVmBundles(
    specVariant(spec, work, 'sub-second', (spec) => {
      spec.loadBalancer.keepalived = { ...spec.loadBalancer.keepalived, vrrpVersion: 3, advertIntervalMs: 100, checkFall: 1 };
    }),
    join(work, 'sub-second'),
  );
  const lb1 = warrenBundles.cluster.loadBalancer!.hosts[0]!.address;
  const guideAddress = lb1.replace(/\.\d+$/, '.23');
  const warren = await WarrenLab.create(warrenBundles, { loadBalancer: options.loadBalancer, extraHosts: [{ name: GUIDE_LB, address: guideAddress }] });
  try {
    for (const lb of LBS) warren.startHaproxy(lb);
    warren.startHaproxy(GUIDE_LB, join(guideBundles.hostDir('lb-1'), 'etc', 'haproxy'));
    warren.watchHaproxy('lb-1');
    warren.watchHaproxy(GUIDE_LB);
    const formationMs = await warren.startCluster();
    log(`cluster formed in ${formationMs} ms`);
    for (const node of warrenBundles.cluster.nodes) {
      await warren.waitForHaproxyStatus('lb-1', node.host, 'UP', 0, 60_000);
      await warren.waitForHaproxyStatus(GUIDE_LB, node.host, 'UP', 0, 60_000);
    }

    const throughput = await measureThroughput(warren, lb1, options.throughputRuns);
    const kills = await measureNodeDeaths(warren, { warren: lb1, guide: guideAddress }, options.killRuns);
    const vip: LabFigures['vipFailoverMs'] = {};
    // Read from the resolved bundles, so the labels always say what was measured.
    const vrrp = (b: VmBundles) => {
      const k = b.cluster.loadBalancer!.keepalived;
      return `VRRPv${k.vrrpVersion} advert ${k.advertIntervalMs} ms, check every ${k.check.intervalSeconds} s, fall ${k.check.fall}`;
    };
    for (const [name, bundles] of [
      ['warren', warrenBundles],
      ['guide', guideBundles],
      ['vrrp3SubSecond', subSecondBundles],
    ] as const) {
      vip[name] = { settings: `${vrrp(bundles)}${name === 'warren' ? ' (defaults)' : ''}`, ...(await measureVipFailover(warren, bundles, options.vipRuns)) };
      log(`VIP failover (${name}): HAProxy stopped ${vip[name]!.haproxyStopped.median} ms, link cut ${vip[name]!.linkCut.median} ms (medians)`);
    }
    const h = (b: VmBundles) => b.cluster.loadBalancer!.haproxy.check;
    const settings = (b: VmBundles) => `inter ${h(b).intervalMs}ms fastinter ${h(b).fastIntervalMs}ms rise ${h(b).rise} fall ${h(b).fall}`;
    return {
      versions: { ...warren.rabbitmq.versions, ...warren.loadBalancer.versions },
      clusterFormationMs: figure([formationMs]),
      nodeDeathDetectionMs: {
        warren: { settings: settings(warrenBundles), worstCaseMs: serverDownDetectionMs(warrenBundles.cluster.loadBalancer!.haproxy).refusedMs, ...figure(kills.detection.warren) },
        guide: { settings: settings(guideBundles), worstCaseMs: serverDownDetectionMs(guideBundles.cluster.loadBalancer!.haproxy).refusedMs, ...figure(kills.detection.guide) },
      },
      clientVisibleOutageMs: { warren: figure(kills.outage.warren), guide: figure(kills.outage.guide) },
      vipFailoverMs: vip,
      publishThroughput: throughput,
    };
  } finally {
    await warren.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Publish rate with confirms (window 256, 1 KiB, fresh quorum queue led by the connected node): direct vs through lb-1. */
async function measureThroughput(warren: WarrenLab, lbAddress: string, runs: number): Promise<LabFigures['publishThroughput']> {
  const rate = async (address: string, queue: string): Promise<number> => {
    const result = await warren.lab.run(CLIENT_HOST, ['node', join(__dirname, '..', 'test', 'e2e', 'clients', 'throughput.cjs')], {
      env: { AMQP_URL: warren.amqpUrl(address), QUEUE: queue, COUNT: '10000' },
      timeoutMs: 180_000,
    });
    if (result.code !== 0) throw new Error(`throughput client failed: ${result.stderr}`);
    return (JSON.parse(result.stdout) as { perSecond: number }).perSecond;
  };
  const direct: number[] = [];
  const haproxy: number[] = [];
  const nodeAddress = warren.cluster.nodes[0]!.address!;
  for (let i = 0; i < runs; i++) {
    direct.push(await rate(nodeAddress, `bench-direct-${i}`));
    haproxy.push(await rate(lbAddress, `bench-haproxy-${i}`));
    log(`throughput run ${i + 1}: direct ${direct.at(-1)} msg/s, through HAProxy ${haproxy.at(-1)} msg/s`);
  }
  const directPerSecond = figure(direct);
  const throughHaproxyPerSecond = figure(haproxy);
  return { directPerSecond, throughHaproxyPerSecond, ratio: Math.round((throughHaproxyPerSecond.median / directPerSecond.median) * 1000) / 1000 };
}

/**
 * SIGKILL of the node that serves a steady publisher (one through warren's HAProxy, one through the guide's),
 * alternating whose node dies. Both HAProxies check every node, so each kill gives both detection times.
 */
async function measureNodeDeaths(warren: WarrenLab, via: Record<'warren' | 'guide', string>, runs: number) {
  const detection = { warren: [] as number[], guide: [] as number[] };
  const outage = { warren: [] as number[], guide: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const target = i % 2 === 0 ? 'warren' : 'guide';
    const publishers = {
      warren: startPublisher(warren, { queue: `bench-kill-${i}-warren`, url: warren.amqpUrl(via.warren), intervalMs: 5 }),
      guide: startPublisher(warren, { queue: `bench-kill-${i}-guide`, url: warren.amqpUrl(via.guide), intervalMs: 5 }),
    };
    const victim = await warren.hostOfConnection(publishers[target].name);
    await sleep(3_000);
    const killedAt = Date.now();
    await warren.killNode(victim);
    const warrenDown = await warren.waitForHaproxyStatus('lb-1', victim, 'DOWN', killedAt, 30_000);
    const guideDown = await warren.waitForHaproxyStatus(GUIDE_LB, victim, 'DOWN', killedAt, 60_000);
    detection.warren.push(warrenDown.atMs - killedAt);
    detection.guide.push(guideDown.atMs - killedAt);
    await sleep(3_000);
    await Promise.all(Object.values(publishers).map((p) => p.stop()));
    const published = await publishers[target].result();
    await publishers[target === 'warren' ? 'guide' : 'warren'].result();
    const gap = outageAround(published, killedAt);
    if (gap === undefined) throw new Error(`the ${target} publisher confirmed nothing after ${victim} died: ${JSON.stringify(published.failures.slice(-5))}`);
    outage[target].push(gap);
    log(`kill ${i + 1} (${victim}, ${target} client): detection warren ${detection.warren.at(-1)} ms, guide ${detection.guide.at(-1)} ms; ${target} outage ${gap} ms`);
    await warren.startNode(victim);
    await warren.waitForClusterSize(victim, 3, 120_000);
    await warren.waitForHaproxyStatus('lb-1', victim, 'UP', killedAt, 60_000);
    await warren.waitForHaproxyStatus(GUIDE_LB, victim, 'UP', killedAt, 60_000);
  }
  return { detection, outage };
}

/** Keepalived from `bundles` on both LB hosts; the VIP holder loses HAProxy (SIGKILL), then its link, `runs` times each. */
async function measureVipFailover(warren: WarrenLab, bundles: VmBundles, runs: number): Promise<{ haproxyStopped: Figure; linkCut: Figure }> {
  for (const lb of LBS) await warren.stopKeepalived(lb);
  for (const lb of LBS) warren.startKeepalived(lb, join(bundles.hostDir(lb), 'etc', 'keepalived'));
  let holder = (await warren.waitForVipHolder(() => true, 30_000)).host;
  const other = (host: string) => (host === 'lb-1' ? 'lb-2' : 'lb-1');
  const backups = (host: string) => readFileSync(warren.keepalivedLogFile(host), 'utf8').split('Entering BACKUP STATE').length - 1;
  const waitForBackup = async (host: string, before: number) => {
    for (let i = 0; i < 300 && backups(host) === before; i++) await sleep(100);
    if (backups(host) === before) throw new Error(`Keepalived on ${host} did not return to BACKUP`);
  };
  const haproxyStopped: number[] = [];
  const linkCut: number[] = [];
  for (let i = 0; i < runs; i++) {
    const before = backups(holder);
    const stoppedAt = Date.now();
    await warren.stopHaproxy(holder);
    const moved = await warren.waitForVipHolder((h) => h === other(holder), 30_000);
    haproxyStopped.push(moved.atMs - stoppedAt);
    warren.startHaproxy(holder);
    await waitForBackup(holder, before);
    holder = moved.host;
  }
  for (let i = 0; i < runs; i++) {
    const before = backups(holder);
    const cutAt = Date.now();
    await warren.lab.cutLink(holder);
    try {
      const moved = await warren.waitForVipHolder((h) => h === other(holder), 30_000);
      linkCut.push(moved.atMs - cutAt);
    } finally {
      await warren.lab.restoreLink(holder);
    }
    await waitForBackup(holder, before);
    holder = other(holder);
  }
  return { haproxyStopped: figure(haproxyStopped), linkCut: figure(linkCut) };
}
