/**
 * Publish throughput through HAProxy against direct to a node, for the lab bench (bench/lab-bench.ts).
 *
 * Why it is measured this way: one client process per run (Node start-up, a cold JIT, a new connection and a
 * new quorum queue before ~1.7 s of publishing) gave pair ratios from 0.71 to 1.16, and the connection through
 * HAProxy landed on whichever node `leastconn` chose while the direct one always went to the first node. Now one
 * process (test/e2e/clients/throughput.cjs) holds both connections, to the same node, publishing to one quorum
 * queue led by that node (purged before each window), in many short interleaved windows; the first pairs warm up
 * and are discarded, and the figure is the median of the per-pair ratios with its 95 % interval (and the pairs' own
 * half interquartile range): 400 pairs hold that median within about ±0.02 from run to run (README, issue 20).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WarrenLab } from '../test/e2e/warren-lab';
import { CLIENT_HOST } from '../test/e2e/warren-lab';
import { figure, log, medianInterval95, ratioText, type Figure } from './figures';
import { placement } from './placement';

/** Messages per window: 0.12 to 0.2 s at this machine's 5,000 to 8,000 msg/s; short, so both sides of a pair see the same load. */
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
  /** Set when a `BENCH_ONLY=throughput` run replaced the figures of a full run in bench/results.json. */
  readonly measuredAt?: string;
}

interface Window {
  readonly pair: number;
  readonly side: 'direct' | 'haproxy';
  readonly ms: number;
  readonly perSecond: number;
  readonly warmup: boolean;
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
  const place = placement();
  const servers = [...warren.cluster.nodes.map((n) => n.host), 'lb-1'];
  const name = `bench-throughput-${Date.now()}`;
  const controlFile = join(warren.lab.tempDir, `${name}.host`);
  const resultFile = join(warren.lab.tempDir, `${name}.json`);
  const nodeUrls = Object.fromEntries(warren.cluster.nodes.map((n) => [n.host, warren.amqpUrl(n.address!)]));
  const unpin = await place.pinServers(warren.lab, servers);
  try {
    const client = warren.lab.spawn(CLIENT_HOST, place.client(['node', join(__dirname, '..', 'test', 'e2e', 'clients', 'throughput.cjs')]), {
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
    await unpin();
  }
  const { windows } = JSON.parse(readFileSync(resultFile, 'utf8')) as { windows: Window[] };
  const { direct, haproxy, ratios } = pairRatios(windows);
  const ratio = figure(ratios, { digits: 3 });
  const interval = medianInterval95(ratio.runs);
  log(`throughput: ratio ${ratioText(ratio)}`);
  return {
    placement: place.description,
    method: `one client process, both connections to the same node and quorum queue (purged before each window); ${MESSAGES_PER_WINDOW} messages of 1 KiB per window, confirms, 256 in flight; ${WARMUP_PAIRS} warm-up pairs discarded; ratio per pair of direct time / HAProxy time`,
    pairs,
    directPerSecond: figure(direct),
    throughHaproxyPerSecond: figure(haproxy),
    ratio,
    ratioMedianInterval95: interval,
  };
}
