/**
 * The benchmark's lab figures for one broker line, measured on the hosts of its e2e example (examples/e2e-4.3.yaml
 * or e2e-3.10.yaml): warren's settings and the guide's (HAProxy `inter 5000 rise 2 fall 3`, Keepalived VRRPv2
 * `advert_int 1`) side by side. HAProxy with the guide's checks runs on an extra host `lb-guide` next to warren's
 * lb-1, both checking the same nodes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPublisher, outageAround } from '../test/e2e/amqp-clients';
import { REPO_ROOT, specVariant, synthVmBundles, type VmBundles } from '../test/e2e/bundles';
import type { LoadBalancerBuild } from '../test/lab';
import { runCommand } from '../test/lab/commands';
import { CLIENT_HOST, sleep, WarrenLab } from '../test/e2e/warren-lab';
import { serverDownDetectionMs } from '../haproxy';
import { figure, log, type Figure } from './figures';

const GUIDE_LB = 'lb-guide';
/** Probe resolutions: test/e2e/clients/haproxy-watch.cjs polls the stats every 100 ms. */
const HAPROXY_WATCH_RESOLUTION_MS = 100;
/** WarrenLab.waitForVipHolder reads the addresses every 50 ms (plus one `ip` call, ~5 ms). */
const VIP_POLL_RESOLUTION_MS = 55;
/** The kill scenarios' publishers send one message every 5 ms. */
const PUBLISH_INTERVAL_MS = 5;
/** Cluster formation is polled with rabbitmqctl, one call taking 1.5 to 4.5 s on 2 busy cores. */
const CLI_POLL_RESOLUTION_MS = 4500;
const LBS = ['lb-1', 'lb-2'] as const;

export interface LabFigures {
  /** Package versions the lab ran: rabbitmq-server, erlang-base, haproxy, keepalived. */
  readonly versions: Readonly<Record<string, string>>;
  readonly clusterFormationMs: Figure;
  readonly nodeDeathDetectionMs: Record<'warren' | 'guide', Figure & { readonly settings: string; readonly worstCaseMs: number }>;
  readonly clientVisibleOutageMs: Record<'warren' | 'guide', Figure>;
  readonly vipFailoverMs: Record<string, { readonly settings: string; readonly haproxyStopped: Figure; readonly linkCut: Figure }>;
  readonly publishThroughput: {
    /** Where the processes ran: the load generator apart from the brokers and HAProxy. */
    readonly placement: string;
    readonly pairs: number;
    readonly directPerSecond: Figure;
    readonly throughHaproxyPerSecond: Figure;
    /** Through HAProxy / direct, per interleaved pair. */
    readonly ratio: Figure;
  };
}

export interface LabBenchOptions {
  /** A file under examples/, e.g. "e2e-4.3.yaml": its version picks the broker line. */
  readonly example: string;
  readonly loadBalancer: LoadBalancerBuild;
  readonly killRuns: number;
  readonly vipRuns: number;
  /** Interleaved pairs of throughput runs (direct, through HAProxy). */
  readonly throughputPairs: number;
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

    const throughput = await measureThroughput(warren, lb1, options.throughputPairs);
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
      clusterFormationMs: figure([formationMs], { resolutionMs: CLI_POLL_RESOLUTION_MS }),
      nodeDeathDetectionMs: {
        warren: { settings: settings(warrenBundles), worstCaseMs: serverDownDetectionMs(warrenBundles.cluster.loadBalancer!.haproxy).refusedMs, ...figure(kills.detection.warren, { resolutionMs: HAPROXY_WATCH_RESOLUTION_MS }) },
        guide: { settings: settings(guideBundles), worstCaseMs: serverDownDetectionMs(guideBundles.cluster.loadBalancer!.haproxy).refusedMs, ...figure(kills.detection.guide, { resolutionMs: HAPROXY_WATCH_RESOLUTION_MS }) },
      },
      clientVisibleOutageMs: { warren: figure(kills.outage.warren, { resolutionMs: PUBLISH_INTERVAL_MS }), guide: figure(kills.outage.guide, { resolutionMs: PUBLISH_INTERVAL_MS }) },
      vipFailoverMs: vip,
      publishThroughput: throughput,
    };
  } finally {
    await warren.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The CPU the load generator gets during the throughput pairs; brokers, HAProxy and the rest get the other one(s). */
const CLIENT_CPU = 1;

/**
 * Publish rate with confirms (window 256, 1 KiB, a fresh quorum queue led by the connected node), direct to a
 * node and through lb-1's HAProxy, measured in interleaved pairs (direct first in odd pairs, HAProxy first in
 * even ones, so a drift in what else runs lands on both sides). The load generator is pinned to its own CPU and
 * every process of the cluster and load-balancer hosts to the others, so the client never steals the brokers' time.
 */
async function measureThroughput(warren: WarrenLab, lbAddress: string, pairs: number): Promise<LabFigures['publishThroughput']> {
  const cpus = availableParallelism();
  const clusterCpus = cpus > 1 ? [...Array(cpus).keys()].filter((cpu) => cpu !== CLIENT_CPU).join(',') : '0';
  const rate = async (address: string, queue: string): Promise<number> => {
    const client = ['taskset', '-c', String(cpus > 1 ? CLIENT_CPU : 0), 'node', join(__dirname, '..', 'test', 'e2e', 'clients', 'throughput.cjs')];
    const result = await warren.lab.run(CLIENT_HOST, client, { env: { AMQP_URL: warren.amqpUrl(address), QUEUE: queue, COUNT: '5000' }, timeoutMs: 180_000 });
    if (result.code !== 0) throw new Error(`throughput client failed: ${result.stderr}`);
    return (JSON.parse(result.stdout) as { perSecond: number }).perSecond;
  };
  const servers = [...warren.cluster.nodes.map((n) => n.host), 'lb-1'];
  await pinHosts(warren, servers, clusterCpus);
  const direct: number[] = [];
  const haproxy: number[] = [];
  const ratios: number[] = [];
  const nodeAddress = warren.cluster.nodes[0]!.address!;
  try {
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? (['direct', 'haproxy'] as const) : (['haproxy', 'direct'] as const);
      const pair: Record<string, number> = {};
      for (const side of order) pair[side] = await rate(side === 'direct' ? nodeAddress : lbAddress, `bench-${side}-${i}`);
      direct.push(pair.direct!);
      haproxy.push(pair.haproxy!);
      ratios.push(pair.haproxy! / pair.direct!);
      log(`throughput pair ${i + 1}/${pairs}: direct ${pair.direct} msg/s, through HAProxy ${pair.haproxy} msg/s, ratio ${ratios.at(-1)!.toFixed(3)}`);
    }
  } finally {
    await pinHosts(warren, servers, `0-${cpus - 1}`);
  }
  return {
    placement: `load generator pinned to CPU ${cpus > 1 ? CLIENT_CPU : 0}; brokers, HAProxy and their hosts' other processes to CPU ${clusterCpus} (taskset)`,
    pairs,
    directPerSecond: figure(direct),
    throughHaproxyPerSecond: figure(haproxy),
    ratio: figure(ratios, { digits: 3 }),
  };
}

/** Sets the CPU affinity of every thread of every process in these hosts' network namespaces. */
async function pinHosts(warren: WarrenLab, hosts: readonly string[], cpuList: string): Promise<void> {
  for (const host of hosts) {
    const pids = (await runCommand(['ip', 'netns', 'pids', warren.lab.netnsOf(host)])).stdout.split('\n').filter((p) => p.trim() !== '');
    for (const pid of pids) await runCommand(['taskset', '-a', '-p', '-c', cpuList, pid]);
  }
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
      warren: startPublisher(warren, { queue: `bench-kill-${i}-warren`, url: warren.amqpUrl(via.warren), intervalMs: PUBLISH_INTERVAL_MS }),
      guide: startPublisher(warren, { queue: `bench-kill-${i}-guide`, url: warren.amqpUrl(via.guide), intervalMs: PUBLISH_INTERVAL_MS }),
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

/** A failover that did not happen is a finding: throw with what both Keepalived logged last. */
function failWithKeepalivedLogs(warren: WarrenLab, error: Error): never {
  const tails = LBS.map((lb) => `--- keepalived on ${lb} (tail)\n${readFileSync(warren.keepalivedLogFile(lb), 'utf8').split('\n').slice(-25).join('\n')}`);
  throw new Error(`${error.message}\n${tails.join('\n')}`);
}

/** Keepalived from `bundles` on both LB hosts; the VIP holder loses HAProxy (SIGKILL), then its link, `runs` times each. */
async function measureVipFailover(warren: WarrenLab, bundles: VmBundles, runs: number): Promise<{ haproxyStopped: Figure; linkCut: Figure }> {
  for (const lb of LBS) await warren.stopKeepalived(lb);
  // One after the other, as the e2e suite does: started together, two BACKUPs time out in the same instant.
  warren.startKeepalived('lb-1', join(bundles.hostDir('lb-1'), 'etc', 'keepalived'));
  let holder = (await warren.waitForVipHolder((h) => h === 'lb-1', 30_000)).host;
  warren.startKeepalived('lb-2', join(bundles.hostDir('lb-2'), 'etc', 'keepalived'));
  await sleep(3_000);
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
    const moved = await warren.waitForVipHolder((h) => h === other(holder), 30_000).catch((error: Error) => failWithKeepalivedLogs(warren, error));
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
      const moved = await warren.waitForVipHolder((h) => h === other(holder), 30_000).catch((error: Error) => failWithKeepalivedLogs(warren, error));
      linkCut.push(moved.atMs - cutAt);
    } finally {
      await warren.lab.restoreLink(holder);
    }
    await waitForBackup(holder, before);
    holder = other(holder);
  }
  return { haproxyStopped: figure(haproxyStopped, { resolutionMs: VIP_POLL_RESOLUTION_MS }), linkCut: figure(linkCut, { resolutionMs: VIP_POLL_RESOLUTION_MS }) };
}
