/**
 * Issue 13's headline proof as figures: on one broker line, 3 nodes + 2 load balancers + the VIP (WarrenLab, the
 * line's e2e example), 10,000 messages at about 1,000/s published through the VIP from an outbox with a window of
 * confirms in flight, and three faults, one per run (test/client/kill-scenarios.ts): SIGKILL of the publisher, of
 * the consumer between its handler's commit and its ack, of the node holding the queue's leader. Per fault: sent,
 * confirmed, handled, lost and handled twice (both must be 0), the achieved rates and the time to recover.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { FAULTS, KillLab, type Fault, type FaultFigures, type KillLine, type KillRunOptions } from '../test/client/kill-scenarios';
import { log } from './figures';

export interface ReliabilityKillFigures {
  /** Package versions the lab ran: rabbitmq-server, erlang-base, haproxy, keepalived. */
  readonly versions: Readonly<Record<string, string>>;
  /** Messages per run, the rate the producer writes them at, and its window of unconfirmed messages. */
  readonly run: KillRunOptions;
  /** How the figures are counted. */
  readonly method: string;
  readonly faults: Readonly<Record<Fault, FaultFigures>>;
  /** Every fault lost 0 messages and handled none twice. */
  readonly met: boolean;
  /** Set when a `BENCH_ONLY=reliability-kills` run replaced a full run's figures in bench/results.json. */
  readonly measuredAt?: string;
}

/** The issue's load: 10,000 messages at 1,000/s; 200 unconfirmed in flight (research/reliability.md, goal 1). */
export const RELIABILITY_KILL_RUN: KillRunOptions = { total: 10_000, ratePerSecond: 1000, window: 200 };

/**
 * The stores go on tmpfs: this machine's disk commits about 250 SQLite transactions a second with synchronous = FULL
 * (measured 2026-12-02 under the shared load), and a relayed message costs the producer one commit of its own (the
 * order with its outbox row; the relay deletes confirmed rows in one commit per batch) and the consumer one, which caps
 * a disk-backed run near 250 messages a second whatever the broker does. A SIGKILL of a process leaves tmpfs as it leaves a disk; power loss is not a fault here.
 */
const STORE_PARENT = '/dev/shm';

export async function measureReliabilityKills(line: KillLine, run: KillRunOptions = RELIABILITY_KILL_RUN): Promise<ReliabilityKillFigures> {
  log(`reliability kills on RabbitMQ ${line}: booting 3 nodes, 2 load balancers and the VIP`);
  const lab = await KillLab.boot(line);
  const storeDir = mkdtempSync(`${STORE_PARENT}/warren-kills-`);
  try {
    const faults = {} as Record<Fault, FaultFigures>;
    for (const fault of FAULTS) {
      log(`reliability kills on ${line}: ${fault} (${run.total} messages at ${run.ratePerSecond}/s, window ${run.window})`);
      const figures = await lab.run(fault, { ...run, storeDir });
      faults[fault] = figures;
      log(`  ${figures.note}: sent ${figures.sent}, confirmed ${figures.confirmed}, handled ${figures.handled}, lost ${figures.lost}, twice ${figures.handledTwice}; ${figures.publishRatePerSecond} confirmed/s, ${figures.handleRatePerSecond} handled/s; recovered in ${figures.recoverMs} ms`);
    }
    return {
      versions: lab.versions,
      run: { ...run, storeDir: STORE_PARENT },
      method:
        'applications on warren\'s client (test/client/lab-app.ts) in the client host, both through the VIP: a producer writing each order and its message in one SQLite transaction, its outbox relayed with confirms; a consumer with an inbox in its own SQLite store. ' +
        `The stores on tmpfs (${STORE_PARENT}): this disk's fsync caps SQLite at ~250 commits/s, and each application commits once per message (the relay's deletes are batched), ~250 msg/s end to end. ` +
        'confirmed = messages that left the outbox; handled = distinct orders whose effect committed; rates from the first to the last confirm (commit); ' +
        'recoverMs = from the fault to the end of the longest pause after it in the confirms (publisher, leader-node; 20 ms polls) or in the commits (consumer, from its last commit before the kill)',
      faults,
      met: FAULTS.every((f) => faults[f].lost === 0 && faults[f].handledTwice === 0 && faults[f].sent === run.total),
    };
  } finally {
    await lab.destroy();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

const FAULT_LABELS: Record<Fault, string> = {
  publisher: 'SIGKILL of the publisher (restarted, resends its outbox)',
  consumer: "SIGKILL of the consumer between its handler's commit and its ack",
  'leader-node': "SIGKILL of the node holding the queue's leader",
};

/** The README table's rows for these figures (bench/readme-table.ts), one line heading each broker line. */
export function reliabilityKillRows(lines: Readonly<Record<string, ReliabilityKillFigures>>): string[] {
  return Object.entries(lines).flatMap(([line, figures]) => {
    const { run, versions } = figures;
    return [
      `| **reliable messaging on ${line}** (RabbitMQ ${versions['rabbitmq-server']}; 3 nodes, 2 load balancers, VIP): ${run.total.toLocaleString('en')} messages paced at up to ${run.ratePerSecond.toLocaleString('en')}/s (achieved rates per row) through the VIP, outbox + inbox${run.storeDir ? ` (SQLite on ${run.storeDir})` : ''}, window ${run.window}${figures.measuredAt ? `; run of ${figures.measuredAt.slice(0, 10)}` : ''} | | | |`,
      ...FAULTS.map((fault) => {
        const f = figures.faults[fault];
        const ok = f.lost === 0 && f.handledTwice === 0 && f.sent === run.total;
        return `| ${FAULT_LABELS[fault]} | sent ${f.sent}, confirmed ${f.confirmed}, handled ${f.handled}, lost ${f.lost}, handled twice ${f.handledTwice} (duplicates skipped by the inbox: ${f.duplicatesSkipped}); ${f.publishRatePerSecond} confirmed/s, ${f.handleRatePerSecond} handled/s; recovered in ${(f.recoverMs / 1000).toFixed(2)} s (one run; the longest pause after the kill in confirms, polled every 20 ms, or in commits) | - | 0 lost, 0 handled twice: ${ok ? 'met' : 'NOT met'} |`;
      }),
    ];
  });
}
