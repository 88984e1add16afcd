/** The README table's rows for issue 13's figures (bench/reliability-figures.ts), per broker line. */
import { ratioText } from './figures';
import { reliabilityMet, RELIABILITY_TARGETS, type ReliabilityFigures } from './reliability-figures';

export interface ReliabilityResult {
  readonly startedAt: string;
  readonly lines: Readonly<Record<string, ReliabilityFigures>>;
}

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

export function reliabilityRows(result: ReliabilityResult | undefined): string[] {
  if (!result) return [];
  const rows: string[] = [];
  for (const f of Object.values(result.lines)) {
    const ok = reliabilityMet(f);
    const { warren, guide } = f.poison;
    const poisonCell = (p: typeof warren) =>
      `${ratioText(p.ratio)}; ${p.poisonPerSecond.median} / ${p.cleanPerSecond.median} msg/s; dead letter after ${(p.deadLetteredAfterMs.median / 1000).toFixed(2)} s (probe ${p.deadLetteredAfterMs.resolutionMs} ms), ${p.poisonDeliveries[0]} deliveries`;
    const p = f.publish;
    rows.push(
      `| **reliable messaging, RabbitMQ ${f.versions['rabbitmq-server']} (one node; run of ${result.startedAt.slice(0, 10)})** | | | |`,
      ...Object.values(f.retryLatenessMs).map(
        (l) => `| retry after ${l.configuredMs / 1000} s: delivered - due (n ${l.n}; Date.now() of the consumer, 1 ms) | p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (min ${l.minMs}) | - | p99 <= ${RELIABILITY_TARGETS.retryLatenessP99MaxMs} ms: ${met(l.p99Ms <= RELIABILITY_TARGETS.retryLatenessP99MaxMs && l.minMs >= 0)} |`,
      ),
      `| healthy messages with a poison message / without (interleaved pairs) | ${poisonCell(warren)} | ${poisonCell(guide)} | warren >= ${RELIABILITY_TARGETS.poisonHealthyRatioMin}: ${met(ok.poisonHealthyRate)}; dead letter after ${warren.deadLetterHeaders['x-warren-attempts']} attempts with error and origin: ${met(ok.poisonDeadLetter)} |`,
      `| Publisher / raw amqplib confirm channel, same window (interleaved pairs) | ${ratioText(p.ratio)}; ${p.warrenPerSecond.median} / ${p.rawPerSecond.median} msg/s | - | >= ${RELIABILITY_TARGETS.publishRatioMin}: ${met(ok.publishOverhead)} |`,
      `| outbox (a transaction per message, relayed): ${Object.keys(p.outbox).join(' / ')} | ${Object.values(p.outbox).map((o) => `${o.perSecond.median} msg/s (${o.costRatio.median.toFixed(1)} × the Publisher's time)`).join(' / ')} | - | - |`,
    );
  }
  return rows;
}
