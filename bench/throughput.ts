/**
 * Publish throughput through HAProxy against direct to a node, for the lab bench (bench/lab-bench.ts).
 *
 * Why it is measured this way: one client process per run (Node start-up, a cold JIT, a new connection and a
 * new quorum queue before ~1.7 s of publishing) gave pair ratios from 0.71 to 1.16, and the connection through
 * HAProxy landed on whichever node `leastconn` chose while the direct one always went to the first node. Now one
 * process (test/e2e/clients/throughput.cjs) holds both connections, to the same node, publishing to one quorum
 * queue led by that node (purged before each window), in many short interleaved windows; the first pairs warm up
 * and are discarded, and the figure is the median of the per-pair ratios with half their interquartile range.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { WarrenLab } from '../test/e2e/warren-lab';
import { CLIENT_HOST } from '../test/e2e/warren-lab';
import { runCommand } from '../test/lab/commands';
import { figure, log, type Figure } from './figures';

/** The CPU the load generator gets; brokers, HAProxy and the rest of their hosts get the other one(s). */
const CLIENT_CPU = 1;
/** Messages per window: 0.3 to 1 s at this machine's 1000 to 3000 msg/s; short, so both sides of a pair see the same load. */
const MESSAGES_PER_WINDOW = 1000;
/** Pairs run first and discarded (JIT, the queue's first segments, Erlang's allocators). */
const WARMUP_PAIRS = 3;

export interface ThroughputFigures {
  /** Where the processes ran: the load generator apart from the brokers and HAProxy. */
  readonly placement: string;
  /** How: window size, warm-up, what the ratio is. */
  readonly method: string;
  readonly pairs: number;
  readonly directPerSecond: Figure;
  readonly throughHaproxyPerSecond: Figure;
  /** Through HAProxy / direct, per interleaved pair (median and half the interquartile range). */
  readonly ratio: Figure;
  /** Where the median ratio lies with 95 % confidence (order statistics of the pairs, no distribution assumed). */
  readonly ratioMedianInterval95: readonly [number, number];
}

interface Window {
  readonly pair: number;
  readonly side: 'direct' | 'haproxy';
  readonly ms: number;
  readonly perSecond: number;
  readonly warmup: boolean;
}

/**
 * The distribution-free 95 % confidence interval of a median: the k-th smallest and k-th largest of n runs, with
 * k the largest rank such that P(Binomial(n, 1/2) < k) <= 2.5 %. Too few runs (n < 6) give the whole range.
 */
export function medianInterval95(runs: readonly number[]): [number, number] {
  const sorted = [...runs].sort((a, b) => a - b);
  const n = sorted.length;
  let k = 0;
  let below = 0; // P(X < k+1) as k grows
  let term = 0.5 ** n; // P(X = k)
  for (let i = 0; i < n; i++) {
    below += term;
    if (below > 0.025) break;
    k = i + 1;
    term = (term * (n - i)) / (i + 1);
  }
  const rank = Math.max(k, 1);
  return [sorted[rank - 1]!, sorted[n - rank]!];
}

/** Per-pair rates and ratios (HAProxy / direct) of the measured (not warm-up) pairs, in pair order. */
export function pairRatios(windows: readonly Window[]): { direct: number[]; haproxy: number[]; ratios: number[] } {
  const bySide = new Map<number, Partial<Record<Window['side'], Window>>>();
  for (const w of windows.filter((w) => !w.warmup)) bySide.set(w.pair, { ...bySide.get(w.pair), [w.side]: w });
  const pairs = [...bySide.entries()].sort(([a], [b]) => a - b);
  if (pairs.length === 0) throw new Error('throughput: no measured pairs (every window was a warm-up)');
  for (const [pair, sides] of pairs) if (!sides.direct || !sides.haproxy) throw new Error(`throughput pair ${pair} lacks a ${sides.direct ? 'haproxy' : 'direct'} window`);
  return {
    direct: pairs.map(([, s]) => s.direct!.perSecond),
    haproxy: pairs.map(([, s]) => s.haproxy!.perSecond),
    // Same message count on both sides, so HAProxy's rate / the direct rate = direct time / HAProxy time.
    ratios: pairs.map(([, s]) => s.direct!.ms / s.haproxy!.ms),
  };
}

export async function measureThroughput(warren: WarrenLab, lbAddress: string, pairs: number): Promise<ThroughputFigures> {
  const cpus = availableParallelism();
  const clientCpu = cpus > 1 ? CLIENT_CPU : 0;
  const clusterCpus = cpus > 1 ? [...Array(cpus).keys()].filter((cpu) => cpu !== CLIENT_CPU).join(',') : '0';
  const servers = [...warren.cluster.nodes.map((n) => n.host), 'lb-1'];
  const name = `bench-throughput-${Date.now()}`;
  const controlFile = join(warren.lab.tempDir, `${name}.host`);
  const resultFile = join(warren.lab.tempDir, `${name}.json`);
  const nodeUrls = Object.fromEntries(warren.cluster.nodes.map((n) => [n.host, warren.amqpUrl(n.address!)]));
  await pinHosts(warren, servers, clusterCpus);
  try {
    const client = warren.lab.spawn(CLIENT_HOST, ['taskset', '-c', String(clientCpu), 'node', join(__dirname, '..', 'test', 'e2e', 'clients', 'throughput.cjs')], {
      env: {
        HAPROXY_URL: warren.amqpUrl(lbAddress),
        NODE_URLS: JSON.stringify(nodeUrls),
        NAME: name,
        CONTROL_FILE: controlFile,
        RESULT_FILE: resultFile,
        QUEUE: name,
        PAIRS: String(pairs),
        WARMUP: String(WARMUP_PAIRS),
        COUNT: String(MESSAGES_PER_WINDOW),
      },
    });
    const host = await warren.hostOfConnection(name, 60_000);
    writeFileSync(controlFile, host);
    log(`throughput: ${WARMUP_PAIRS} warm-up + ${pairs} pairs of ${MESSAGES_PER_WINDOW}-message windows, HAProxy and direct both to ${host}`);
    const code = await client.exited();
    if (code !== 0) throw new Error(`throughput client exited with ${code}: ${readFileSync(client.logFile, 'utf8').slice(-1500)}`);
  } finally {
    await pinHosts(warren, servers, `0-${cpus - 1}`);
  }
  const { windows } = JSON.parse(readFileSync(resultFile, 'utf8')) as { windows: Window[] };
  const { direct, haproxy, ratios } = pairRatios(windows);
  const ratio = figure(ratios, { digits: 3 });
  const interval = medianInterval95(ratio.runs);
  log(`throughput: ratio ${ratio.median} ± ${ratio.spread} over ${ratios.length} pairs (per pair ${ratio.min} to ${ratio.max}; median's 95 % interval ${interval.join(' to ')})`);
  return {
    placement: `load generator pinned to CPU ${clientCpu}; brokers, HAProxy and their hosts' other processes to CPU ${clusterCpus} (taskset)`,
    method: `one client process, both connections to the same node and quorum queue (purged before each window); ${MESSAGES_PER_WINDOW} messages of 1 KiB per window, confirms, 256 in flight; ${WARMUP_PAIRS} warm-up pairs discarded; ratio per pair of direct time / HAProxy time`,
    pairs,
    directPerSecond: figure(direct),
    throughHaproxyPerSecond: figure(haproxy),
    ratio,
    ratioMedianInterval95: interval,
  };
}

/** Sets the CPU affinity of every thread of every process in these hosts' network namespaces. */
async function pinHosts(warren: WarrenLab, hosts: readonly string[], cpuList: string): Promise<void> {
  for (const host of hosts) {
    const pids = (await runCommand(['ip', 'netns', 'pids', warren.lab.netnsOf(host)])).stdout.split('\n').filter((p) => p.trim() !== '');
    for (const pid of pids) await runCommand(['taskset', '-a', '-p', '-c', cpuList, pid]);
  }
}
