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
import { sleep, WarrenLab } from '../test/e2e/warren-lab';
import { serverDownDetectionMs } from '../haproxy';
import { figure, log, type Figure } from './figures';
import { measureThroughput, type ThroughputFigures } from './throughput';
import type { TimelinePlot } from './timeline-svg';
import { nodeKillPlot, sampleVipHolder, vipPlot, type KillView, type ScenarioEvent, type VipView } from './timelines';

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
  readonly vipFailoverMs: Record<string, { readonly settings: string; readonly haproxyStopped: Figure; readonly haproxyHung?: Figure; readonly linkCut: Figure }>;
  readonly publishThroughput: ThroughputFigures;
}

export interface LabBenchOptions {
  /** A file under examples/, e.g. "e2e-4.3.yaml": its version picks the broker line. */
  readonly example: string;
  readonly loadBalancer: LoadBalancerBuild;
  readonly killRuns: number;
  readonly vipRuns: number;
  /** Interleaved pairs of throughput runs (direct, through HAProxy). */
  readonly throughputPairs: number;
  /** Receives each failover scenario's timeline (warren's settings and the guide's side by side). */
  readonly onPlot?: (name: string, plot: TimelinePlot) => void;
}

/** The lab booted as for measureLab, then only the throughput pairs (`BENCH_ONLY=throughput`). */
export async function measureLabThroughput(options: Pick<LabBenchOptions, 'example' | 'loadBalancer' | 'throughputPairs'>): Promise<ThroughputFigures> {
  const work = mkdtempSync(join(tmpdir(), 'warren-bench-'));
  const bundles = synthVmBundles(join(REPO_ROOT, 'examples', options.example), join(work, 'warren'));
  const warren = await WarrenLab.create(bundles, { loadBalancer: options.loadBalancer });
  try {
    await warren.startHaproxy('lb-1');
    warren.watchHaproxy('lb-1');
    await warren.startCluster();
    for (const node of bundles.cluster.nodes) await warren.waitForHaproxyStatus('lb-1', node.host, 'UP', 0, 60_000);
    return await measureThroughput(warren, bundles.cluster.loadBalancer!.hosts[0]!.address, options.throughputPairs);
  } finally {
    await warren.destroy();
    rmSync(work, { recursive: true, force: true });
  }
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
  // The documented sub-second option: 100 ms VRRPv3 adverts, nothing else changed.
  const subSecondBundles = synthVmBundles(
    specVariant(spec, work, 'sub-second', (spec) => {
      spec.loadBalancer.keepalived = { ...spec.loadBalancer.keepalived, advertIntervalMs: 100 };
    }),
    join(work, 'sub-second'),
  );
  const lb1 = warrenBundles.cluster.loadBalancer!.hosts[0]!.address;
  const guideAddress = lb1.replace(/\.\d+$/, '.23');
  const warren = await WarrenLab.create(warrenBundles, { loadBalancer: options.loadBalancer, extraHosts: [{ name: GUIDE_LB, address: guideAddress }] });
  try {
    for (const lb of LBS) await warren.startHaproxy(lb);
    await warren.startHaproxy(GUIDE_LB, join(guideBundles.hostDir('lb-1'), 'etc', 'haproxy'));
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
    const h = (b: VmBundles) => b.cluster.loadBalancer!.haproxy.check;
    const settings = (b: VmBundles) => `inter ${h(b).intervalMs}ms fastinter ${h(b).fastIntervalMs}ms rise ${h(b).rise} fall ${h(b).fall}`;
    const line = warrenBundles.cluster.version.text;
    const killViews = kills.views.map((v) => ({ ...v, title: `${v.side === 'warren' ? "warren's" : "guide's"} checks: ${settings(v.side === 'warren' ? warrenBundles : guideBundles)}` }));
    options.onPlot?.('node-kill', nodeKillPlot(line, killViews, Math.ceil(Math.max(...kills.detection.guide.slice(0, 2), ...kills.detection.warren.slice(0, 2)) / 1000) + 3));
    const vipViews: VipView[] = [];
    const vip: LabFigures['vipFailoverMs'] = {};
    // Read from the resolved bundles, so the labels always say what was measured.
    const vrrp = (b: VmBundles) => {
      const k = b.cluster.loadBalancer!.keepalived;
      return `VRRPv${k.vrrpVersion} advert ${k.advertIntervalMs} ms, check fails after ${k.check.failAfterMs} ms`;
    };
    for (const [name, bundles] of [
      ['warren', warrenBundles],
      ['guide', guideBundles],
      ['subSecond', subSecondBundles],
    ] as const) {
      // warren's and the guide's runs are recorded for the timelines: a publisher through the VIP, the holder sampled.
      const recorded = name !== 'subSecond' && options.onPlot !== undefined;
      const events: ScenarioEvent[] = [];
      const publisher = recorded ? startPublisher(warren, { queue: `bench-vip-${name}`, url: warren.amqpUrl(), intervalMs: PUBLISH_INTERVAL_MS, connectDeadlineMs: 300_000 }) : undefined;
      const sampler = recorded ? sampleVipHolder(warren) : undefined;
      vip[name] = { settings: `${vrrp(bundles)}${name === 'warren' ? ' (defaults)' : ''}`, ...(await measureVipFailover(warren, bundles, options.vipRuns, events)) };
      if (publisher && sampler) {
        await sleep(4_000);
        const holder = await sampler.stop();
        await publisher.stop();
        const recordedUntilMs = Date.now();
        vipViews.push({ title: `${name === 'warren' ? "warren's" : "guide's"} Keepalived: ${vrrp(bundles)}`, published: await publisher.result(), holder, events, lbs: LBS, recordedUntilMs });
      }
      log(`VIP failover (${name}): HAProxy stopped ${vip[name]!.haproxyStopped.median} ms, hung ${vip[name]!.haproxyHung?.median} ms, link cut ${vip[name]!.linkCut.median} ms (medians)`);
    }
    for (const kind of ['haproxy stopped', 'link cut'] as const) {
      const plot = vipViews.length === 2 ? vipPlot(line, kind, vipViews, 8) : undefined;
      if (plot) options.onPlot?.(kind === 'link cut' ? 'vip-link-cut' : 'vip-haproxy-stopped', plot);
    }
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

/**
 * SIGKILL of the node that serves a steady publisher (one through warren's HAProxy, one through the guide's),
 * alternating whose node dies. Both HAProxies check every node, so each kill gives both detection times.
 */
async function measureNodeDeaths(warren: WarrenLab, via: Record<'warren' | 'guide', string>, runs: number) {
  const detection = { warren: [] as number[], guide: [] as number[] };
  const outage = { warren: [] as number[], guide: [] as number[] };
  const views: (Omit<KillView, 'title'> & { side: 'warren' | 'guide' })[] = [];
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
    if (i < 2) {
      const lb = target === 'warren' ? 'lb-1' : GUIDE_LB;
      const history: Record<string, { atMs: number; state: string }[]> = {};
      for (const c of warren.haproxyChanges(lb)) (history[c.server] ??= []).push({ atMs: c.atMs, state: c.status });
      views.push({ side: target, victim, killedAt, published, serverHistory: history, lbLabel: lb });
    }
    const gap = outageAround(published, killedAt);
    if (gap === undefined) throw new Error(`the ${target} publisher confirmed nothing after ${victim} died: ${JSON.stringify(published.failures.slice(-5))}`);
    outage[target].push(gap);
    log(`kill ${i + 1} (${victim}, ${target} client): detection warren ${detection.warren.at(-1)} ms, guide ${detection.guide.at(-1)} ms; ${target} outage ${gap} ms`);
    await warren.startNode(victim);
    await warren.waitForClusterSize(victim, 3, 120_000);
    await warren.waitForHaproxyStatus('lb-1', victim, 'UP', killedAt, 60_000);
    await warren.waitForHaproxyStatus(GUIDE_LB, victim, 'UP', killedAt, 60_000);
  }
  return { detection, outage, views };
}

/** A failover that did not happen is a finding: throw with what both Keepalived logged last. */
function failWithKeepalivedLogs(warren: WarrenLab, error: Error): never {
  const tails = LBS.map((lb) => `--- keepalived on ${lb} (tail)\n${readFileSync(warren.keepalivedLogFile(lb), 'utf8').split('\n').slice(-25).join('\n')}`);
  throw new Error(`${error.message}\n${tails.join('\n')}`);
}

/** Keepalived from `bundles` on both LB hosts; the VIP holder loses HAProxy (SIGKILL), then it hangs (SIGSTOP), then its link, `runs` times each. */
async function measureVipFailover(warren: WarrenLab, bundles: VmBundles, runs: number, events: ScenarioEvent[] = []): Promise<{ haproxyStopped: Figure; haproxyHung: Figure; linkCut: Figure }> {
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
    events.push({ kind: 'haproxy stopped', host: holder, atMs: stoppedAt });
    const moved = await warren.waitForVipHolder((h) => h === other(holder), 30_000).catch((error: Error) => failWithKeepalivedLogs(warren, error));
    haproxyStopped.push(moved.atMs - stoppedAt);
    const startedAt = Date.now();
    await warren.startHaproxy(holder);
    events.push({ kind: 'haproxy started', host: holder, atMs: startedAt });
    await waitForBackup(holder, before);
    holder = moved.host;
  }
  const haproxyHung: number[] = [];
  for (let i = 0; i < runs; i++) {
    const before = backups(holder);
    const hungAt = Date.now();
    await warren.pauseHaproxy(holder, true);
    try {
      const moved = await warren.waitForVipHolder((h) => h === other(holder), 30_000).catch((error: Error) => failWithKeepalivedLogs(warren, error));
      haproxyHung.push(moved.atMs - hungAt);
    } finally {
      await warren.pauseHaproxy(holder, false);
    }
    await waitForBackup(holder, before);
    holder = other(holder);
  }
  for (let i = 0; i < runs; i++) {
    const before = backups(holder);
    const cutAt = Date.now();
    await warren.lab.cutLink(holder);
    events.push({ kind: 'link cut', host: holder, atMs: cutAt });
    try {
      const moved = await warren.waitForVipHolder((h) => h === other(holder), 30_000).catch((error: Error) => failWithKeepalivedLogs(warren, error));
      linkCut.push(moved.atMs - cutAt);
    } finally {
      await warren.lab.restoreLink(holder);
      events.push({ kind: 'link restored', host: holder, atMs: Date.now() });
    }
    await waitForBackup(holder, before);
    holder = other(holder);
  }
  return { haproxyStopped: figure(haproxyStopped, { resolutionMs: VIP_POLL_RESOLUTION_MS }), haproxyHung: figure(haproxyHung, { resolutionMs: VIP_POLL_RESOLUTION_MS }), linkCut: figure(linkCut, { resolutionMs: VIP_POLL_RESOLUTION_MS }) };
}
