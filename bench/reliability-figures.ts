/**
 * Issue 13's figures for warren's client on one real node per broker line (`BENCH_ONLY=reliability-figures`):
 * - retry delays: per level (1 s, 10 s, 60 s), `n` messages published 50 ms apart (all levels at once, so every
 *   level is in flight together and the 60 s level costs about 70 s), each failing its first attempt; the figure is
 *   delivered - due of the second attempt, due = first attempt + the configured delay (test/client/bench-app.ts);
 * - a poison message among healthy ones, warren's consumer against the guide's sleep-and-requeue loop
 *   (test/client/bench-poison.ts): healthy messages committed in a window with / without the poison message,
 *   per interleaved pair;
 * - publishing: warren's Publisher against a raw amqplib confirm channel at the same window of in-flight
 *   messages, per interleaved pair; the outbox (SQLite, PostgreSQL) timed in the same runs, reported apart.
 * The applications run in a client host of the lab, the node in another (test/reliability/broker-lab.ts), each
 * pinned to its own CPU (bench/placement.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterSpec } from '../model';
import { startBrokerLab, TSX, type BrokerLab } from '../test/reliability/broker-lab';
import { startPostgres } from '../test/support/postgres';
import { figure, log, medianInterval95, ratioText, type Figure } from './figures';
import { placement, type Placement } from './placement';
import type { PoisonRun } from '../test/client/bench-poison';

const BENCH_APP = join(__dirname, '..', 'test', 'client', 'bench-app.ts');
/** Retry levels of the issue; one queue each, a single retry (attempts 2), so every sample waits exactly the level. */
const RETRY_LEVELS_MS = [1000, 10_000, 60_000];
/** The poison message's policy: 3 deliveries, waiting 0.5 s then 1 s (the guide's loop sleeps the same). */
const POISON_RETRY = { attempts: 3, delayMs: 500, maxDelayMs: 1000 };
const POISON_WINDOW_MS = 4000;
/**
 * The handler's own work per healthy message, in ms of CPU (the client has its CPU to itself): with none, the
 * consumer ran at the node's limit (about 8,500 msg/s on one CPU) and the figure measured the node, not whether a
 * poison message holds the consumer up; with 1 ms the consumer sets the rate, as an application's work does.
 */
const POISON_WORK_MS = 1;
const PREFETCH = 20;
/** Publishing: messages per window and how many await their confirm at once (as bench/throughput.ts). */
const PUBLISH_COUNT = 2000;
const PUBLISH_WINDOW = 256;
/** The outbox commits twice per message (insert, delete after the confirm): far slower, so fewer per window, in the first pairs only. */
const OUTBOX_COUNT = 300;
const OUTBOX_PAIRS = 10;
/**
 * The poison runs' SQLite store (inbox and effects) lives in tmpfs: on this machine's disk one fsync per message
 * made the clean rate alone vary 44 to 145 msg/s between windows, drowning the ratio; both sides use the same store.
 */
const POISON_STORE_PARENT = '/dev/shm';

export const reliabilitySpec = (version: string): ClusterSpec => {
  const retryQueues = RETRY_LEVELS_MS.map((delayMs) => ({ name: `retry.${delayMs / 1000}s`, type: 'quorum' as const, retry: { attempts: 2, delayMs } }));
  const queues = [
    ...retryQueues,
    { name: 'orders', type: 'quorum' as const, retry: POISON_RETRY },
    // The guide's queue: classic dead-lettering of rejected messages, no delivery limit of its own.
    { name: 'guide.orders', type: 'quorum' as const, deadLetterExchange: '', deadLetterRoutingKey: 'guide.orders.dead' },
    { name: 'guide.orders.dead', type: 'quorum' as const },
    { name: 'publish', type: 'quorum' as const },
  ];
  return {
    name: 'bench',
    rabbitmq: { version },
    nodes: 1,
    topology: {
      exchanges: [{ name: 'events', type: 'topic' }],
      queues,
      bindings: queues.filter((q) => !q.name.endsWith('.dead')).map((q) => ({ source: 'events', destination: q.name, routingKey: q.name })),
    },
  } as ClusterSpec;
};

/** Nearest-rank percentiles: p99 of 100 samples is the 99th smallest. */
export interface Lateness {
  readonly configuredMs: number;
  readonly n: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface PoisonFigures {
  readonly settings: string;
  readonly pairs: number;
  readonly cleanPerSecond: Figure;
  readonly poisonPerSecond: Figure;
  /** Healthy rate with the poison message / without, per pair. */
  readonly ratio: Figure;
  readonly deadLetteredAfterMs: Figure;
  readonly poisonDeliveries: readonly number[];
  /** The first poison run's dead letter: its headers as the dead-letter queue holds them. */
  readonly deadLetterHeaders: Readonly<Record<string, unknown>>;
}

export interface ReliabilityFigures {
  readonly versions: Readonly<Record<string, string>>;
  readonly retryLatenessMs: Readonly<Record<string, Lateness>>;
  readonly poison: { readonly method: string; readonly warren: PoisonFigures; readonly guide: PoisonFigures };
  readonly publish: {
    readonly method: string;
    readonly pairs: number;
    readonly rawPerSecond: Figure;
    readonly warrenPerSecond: Figure;
    /** warren / raw per pair. */
    readonly ratio: Figure;
    readonly ratioMedianInterval95: readonly [number, number];
    /** Per store: messages per second through the outbox, and its time per message / the Publisher's in the same pair. */
    readonly outbox: Readonly<Record<string, { readonly perSecond: Figure; readonly costRatio: Figure }>>;
  };
}

/** Issue 13's bounds. */
export const RELIABILITY_TARGETS = { retryLatenessP99MaxMs: 500, poisonHealthyRatioMin: 0.9, publishRatioMin: 0.9 } as const;

export function reliabilityMet(f: ReliabilityFigures): Record<'retryDelays' | 'poisonHealthyRate' | 'poisonDeadLetter' | 'publishOverhead', boolean> {
  const letter = f.poison.warren.deadLetterHeaders;
  return {
    retryDelays: Object.values(f.retryLatenessMs).every((l) => l.p99Ms <= RELIABILITY_TARGETS.retryLatenessP99MaxMs && l.minMs >= 0),
    poisonHealthyRate: f.poison.warren.ratio.median >= RELIABILITY_TARGETS.poisonHealthyRatioMin,
    // Every poison run delivered it as often as its dead letter says, and the dead letter names the error and the origin.
    poisonDeadLetter:
      f.poison.warren.poisonDeliveries.every((d) => d === letter['x-warren-attempts']) &&
      typeof letter['x-warren-error'] === 'string' &&
      typeof letter['x-warren-origin-queue'] === 'string' &&
      typeof letter['x-warren-origin-exchange'] === 'string',
    publishOverhead: f.publish.ratio.median >= RELIABILITY_TARGETS.publishRatioMin,
  };
}

export function percentileOf(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function app(broker: BrokerLab, place: Placement, spec: ClusterSpec, env: Record<string, string>, timeoutMs: number): Promise<any> {
  const result = await broker.lab.run('client', place.client([TSX, BENCH_APP]), { env: { URL: broker.url, SPEC: JSON.stringify(spec), STORE_DIR: broker.lab.tempDir, ...env }, timeoutMs });
  if (result.code !== 0) throw new Error(`bench-app ${env.MODE} exited ${result.code}:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

export async function measureReliability(line: string, options: { retryPerLevel: number; poisonPairs: number; publishPairs: number }): Promise<ReliabilityFigures> {
  const spec = reliabilitySpec(line);
  const postgres = startPostgres();
  const broker = await startBrokerLab(spec);
  const place = placement();
  const poisonStore = mkdtempSync(join(POISON_STORE_PARENT, 'warren-bench-poison-'));
  try {
    await place.pinServers(broker.lab, [broker.cluster.nodes[0]!.host]);
    log(`${line}: ${place.description}`);
    const versions = (await broker.api('/overview')) as { rabbitmq_version: string; erlang_version: string };
    log(`${line}: retry delays, ${options.retryPerLevel} messages per level (${RETRY_LEVELS_MS.join(' / ')} ms)`);
    const levels = RETRY_LEVELS_MS.map((delayMs) => ({ queue: `retry.${delayMs / 1000}s`, delayMs }));
    const retry = await app(broker, place, spec, { MODE: 'retry-delays', LEVELS: JSON.stringify(levels), N: String(options.retryPerLevel), SPACING_MS: '50' }, 600_000);
    const retryLatenessMs = Object.fromEntries(
      levels.map(({ queue, delayMs }) => {
        const samples = retry.lateness[queue] as number[];
        const lateness: Lateness = { configuredMs: delayMs, n: samples.length, minMs: Math.min(...samples), p50Ms: percentileOf(samples, 50), p99Ms: percentileOf(samples, 99), maxMs: Math.max(...samples) };
        log(`${line}: ${delayMs} ms level: ${JSON.stringify(lateness)}`);
        return [`${delayMs / 1000}s`, lateness];
      }),
    );

    log(`${line}: poison message, ${options.poisonPairs} pairs per mechanism of ${POISON_WINDOW_MS} ms windows`);
    const poisonRuns = (await app(broker, place, spec, { STORE_DIR: poisonStore, MODE: 'poison-pairs', QUEUE: 'orders', GUIDE_QUEUE: 'guide.orders', GUIDE_DEAD_QUEUE: 'guide.orders.dead', PAIRS: String(options.poisonPairs), WARMUP: '2', WINDOW_MS: String(POISON_WINDOW_MS), PREFETCH: String(PREFETCH), WORK_MS: String(POISON_WORK_MS) }, 1_800_000)).runs as PoisonRun[];
    const reliable = broker.cluster.topology.reliableQueues.find((q) => q.name === 'orders')!;
    const poisonOf = (mechanism: PoisonRun['mechanism']): PoisonFigures => {
      const measured = poisonRuns.filter((r) => !r.warmup && r.mechanism === mechanism);
      const pairs = [...new Set(measured.map((r) => r.pair))].map((pair) => ({ clean: measured.find((r) => r.pair === pair && !r.poison)!, poison: measured.find((r) => r.pair === pair && r.poison)! }));
      const perSecond = (r: PoisonRun) => (r.healthy * 1000) / r.windowMs;
      const f: PoisonFigures = {
        settings:
          mechanism === 'warren'
            ? `warren's consumer, ${reliable.retry.kind}: ${reliable.attempts} attempts, waits ${reliable.retryDelaysMs.join(' / ')} ms in the broker`
            : `the guide's loop: sleeps ${reliable.retryDelaysMs.join(' / ')} ms in the consumer, basic.nack requeue; basic.reject to the DLX after attempt ${reliable.attempts}`,
        pairs: pairs.length,
        cleanPerSecond: figure(pairs.map((p) => perSecond(p.clean))),
        poisonPerSecond: figure(pairs.map((p) => perSecond(p.poison))),
        ratio: figure(pairs.map((p) => p.poison.healthy / p.clean.healthy), { digits: 3 }),
        deadLetteredAfterMs: figure(pairs.map((p) => p.poison.deadLetteredAfterMs!), { resolutionMs: 5 }),
        poisonDeliveries: pairs.map((p) => p.poison.poisonDeliveries!),
        deadLetterHeaders: pairs[0]!.poison.deadLetters![0]!.headers,
      };
      log(`${line}: poison, ${mechanism}: ratio ${ratioText(f.ratio)} (${f.poisonPerSecond.median} / ${f.cleanPerSecond.median} msg/s); dead-lettered after ${f.deadLetteredAfterMs.median} ms, deliveries ${f.poisonDeliveries.join(',')}`);
      return f;
    };
    const poison = {
      method: `${PREFETCH} prefetch, one message processed at a time, per healthy message ${POISON_WORK_MS} ms of the handler's own CPU work, an inbox look-up, one SQLite transaction (in tmpfs) and an ack; healthy messages committed in ${POISON_WINDOW_MS} ms from a backlog (1.6 × the warm-up's count), with the poison message at its head or not; two warm-up pairs discarded`,
      warren: poisonOf('warren'),
      guide: poisonOf('guide'),
    };

    log(`${line}: publishing, ${options.publishPairs} pairs of ${PUBLISH_COUNT} messages, ${PUBLISH_WINDOW} in flight`);
    postgres.createDatabase('outbox');
    const published = await app(broker, place, spec, { MODE: 'publish-pairs', QUEUE: 'publish', PAIRS: String(options.publishPairs), WARMUP: '2', COUNT: String(PUBLISH_COUNT), OUTBOX_COUNT: String(OUTBOX_COUNT), OUTBOX_PAIRS: String(OUTBOX_PAIRS), WINDOW: String(PUBLISH_WINDOW), POSTGRES_URL: postgres.url('outbox') }, 1_800_000);
    const windows = (published.windows as { pair: number; side: string; ms: number; count: number; warmup: boolean }[]).filter((w) => !w.warmup);
    const pairs = [...new Set(windows.map((w) => w.pair))];
    const msPerMessage = (pair: number, side: string) => {
      const w = windows.find((w) => w.pair === pair && w.side === side)!;
      return w.ms / w.count;
    };
    const pairsWith = (side: string) => pairs.filter((p) => windows.some((w) => w.pair === p && w.side === side));
    const rate = (side: string) => figure(pairsWith(side).map((p) => 1000 / msPerMessage(p, side)));
    const ratio = figure(pairs.map((p) => msPerMessage(p, 'raw') / msPerMessage(p, 'warren')), { digits: 3 });
    const outbox = Object.fromEntries(
      ['sqlite', 'postgres'].map((store) => {
        const side = `outbox-${store}`;
        return [store, { perSecond: rate(side), costRatio: figure(pairsWith(side).map((p) => msPerMessage(p, side) / msPerMessage(p, 'warren')), { digits: 1 }) }];
      }),
    );
    log(`${line}: publish ratio warren / raw ${ratioText(ratio)}; outbox sqlite ${outbox.sqlite!.perSecond.median} msg/s, postgres ${outbox.postgres!.perSecond.median} msg/s`);
    return {
      versions: { 'rabbitmq-server': versions.rabbitmq_version, erlang: versions.erlang_version },
      retryLatenessMs,
      poison,
      publish: {
        method: `one client process, a raw amqplib confirm channel and warren's Publisher on two connections to the node, one quorum queue purged before each window; ${PUBLISH_COUNT} messages of 1 KiB per window, ${PUBLISH_WINDOW} in flight, persistent + mandatory on both; raw and warren alternate order per pair, 2 warm-up pairs discarded; the outbox in the first ${OUTBOX_PAIRS} measured pairs: ${OUTBOX_COUNT} messages per window, one transaction each, relayed with the same window, timed until drained (its store polled every 50 ms); SQLite synchronous=FULL, PostgreSQL (fsync off) on a unix socket`,
        pairs: pairs.length,
        rawPerSecond: rate('raw'),
        warrenPerSecond: rate('warren'),
        ratio,
        ratioMedianInterval95: medianInterval95(ratio.runs),
        outbox,
      },
    };
  } finally {
    await broker.lab.destroy();
    postgres.stop();
    rmSync(poisonStore, { recursive: true, force: true });
  }
}

/** Env overrides of the run counts: BENCH_RETRY_PER_LEVEL (100), BENCH_POISON_PAIRS (8), BENCH_PUBLISH_PAIRS (400). */
export async function measureReliabilityLines(lines: readonly string[]): Promise<Record<string, ReliabilityFigures>> {
  const runs = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const figures: Record<string, ReliabilityFigures> = {};
  for (const line of lines) {
    log(`reliability figures for RabbitMQ ${line} (one node; about 7 minutes)`);
    figures[line] = await measureReliability(line, { retryPerLevel: runs('BENCH_RETRY_PER_LEVEL', 100), poisonPairs: runs('BENCH_POISON_PAIRS', 8), publishPairs: runs('BENCH_PUBLISH_PAIRS', 400) });
  }
  return figures;
}
