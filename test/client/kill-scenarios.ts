/**
 * The kill proofs on a cluster booted from VM bundles (WarrenLab): three RabbitMQ nodes, two load balancers
 * holding the virtual IP, and in the client host two applications on warren's client (lab-app.ts) that both go
 * through the VIP: a producer writing orders with their messages into its SQLite outbox at a steady rate, relayed
 * with a window of confirms in flight, and a consumer with an inbox in its own SQLite store. One fault per run:
 * - `leader-node`: SIGKILL of the node holding the quorum queue's leader;
 * - `publisher`: SIGKILL of the producer process, restarted at once (it resends what its outbox still holds);
 * - `consumer`: the consumer SIGKILLs itself after a handler's commit and before its ack, and is restarted.
 * Counted afterwards from the stores: orders written, confirmed (left the outbox), handled (distinct effects),
 * lost, handled twice. Shared by test/client/kills-real.test.ts (correctness, few messages) and
 * bench/reliability-kills.ts (10,000 messages at 1,000/s, the figures).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rabbitmqctl, type LabProcess, type LoadBalancerBuild } from '../lab';
import { REPO_ROOT, specVariant, synthVmBundles } from '../e2e/bundles';
import { CLIENT_HOST, sleep, WarrenLab } from '../e2e/warren-lab';
import { LAB_APP, ordersSpec, TSX } from '../reliability/broker-lab';

export const FAULTS = ['publisher', 'consumer', 'leader-node'] as const;
export type Fault = (typeof FAULTS)[number];

const QUEUE = 'orders.created';

/** Each broker line with its e2e example and the load-balancer build it runs behind (as bench/run.ts). */
export const KILL_LINES = {
  '4.3': { example: 'e2e-4.3.yaml', loadBalancer: 'sid' },
  '3.10': { example: 'e2e-3.10.yaml', loadBalancer: 'bookworm' },
} as const satisfies Record<string, { example: string; loadBalancer: LoadBalancerBuild }>;
export type KillLine = keyof typeof KILL_LINES;

export interface KillRunOptions {
  readonly total: number;
  readonly ratePerSecond: number;
  /** Messages awaiting a confirm at once (the outbox relay's window). */
  readonly window: number;
  /**
   * Where the applications' SQLite stores live (they commit with synchronous = FULL: one fsync per transaction).
   * @default - the lab's temporary folder, on disk
   */
  readonly storeDir?: string;
}

export interface FaultFigures {
  readonly fault: Fault;
  /** Orders written, each with its message in the outbox in one transaction. */
  readonly sent: number;
  /** Messages the broker confirmed (and routed): they left the outbox. */
  readonly confirmed: number;
  /** Distinct orders whose handler committed its effect. */
  readonly handled: number;
  readonly lost: number;
  readonly handledTwice: number;
  /** Deliveries the consumer found in its inbox and acked without running the handler (the restarted consumer's count). */
  readonly duplicatesSkipped: number;
  /** Confirmed messages per second, first confirm to last. */
  readonly publishRatePerSecond: number;
  /** Handled messages per second, first commit to last. */
  readonly handleRatePerSecond: number;
  /**
   * From the fault until messages flow again: the end of the longest pause after the fault in the producer's confirms
   * (publisher, leader-node: polled every 20 ms) or in the consumer's commits (consumer: from its last commit).
   */
  readonly recoverMs: number;
  /** The state at the fault: orders written, messages unconfirmed in the outbox (publisher), the leader before and after (leader-node). */
  readonly atFault: { readonly written: number; readonly consumerHost: string; readonly inOutbox?: number; readonly leader?: string; readonly newLeader?: string };
  /** What happened, in words. */
  readonly note: string;
}

/** The end of the longest pause after `faultAt` among sorted event times, minus `faultAt`. */
export function recoveryMs(times: readonly number[], faultAt: number): number {
  let previous = faultAt;
  let worst = { gap: -1, end: faultAt };
  for (const at of times.filter((t) => t > faultAt)) {
    if (at - previous > worst.gap) worst = { gap: at - previous, end: at };
    previous = at;
  }
  if (worst.gap < 0) throw new Error(`no event after the fault at ${faultAt}: nothing recovered`);
  return worst.end - faultAt;
}

const perSecond = (count: number, times: readonly number[]) => (times.length < 2 ? 0 : Math.round((count * 1000) / (times.at(-1)! - times[0]!)));

function query<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

function countOf(file: string, sql: string): number {
  try {
    return (query<{ n: number }>(file, sql)[0]?.n ?? 0);
  } catch {
    return 0; // the application has not created its tables yet
  }
}

function summaryOf(app: LabProcess): { [key: string]: number } {
  const line = readFileSync(app.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{"event":"done"')).pop();
  if (!line) throw new Error(`lab-app printed no summary; its log ends:\n${readFileSync(app.logFile, 'utf8').slice(-1500)}`);
  return JSON.parse(line);
}

async function exitedWithin(app: LabProcess, what: string, timeoutMs: number): Promise<number | null> {
  const timeout = sleep(timeoutMs).then(() => 'timeout' as const);
  const code = await Promise.race([app.exited(), timeout]);
  if (code === 'timeout') {
    await app.kill('SIGKILL');
    throw new Error(`${what} did not finish within ${timeoutMs} ms; its log ends:\n${readFileSync(app.logFile, 'utf8').slice(-1500)}`);
  }
  return code;
}

export class KillLab {
  private runs = 0;
  /** A node killed by a leader-node run, started again before the next run. */
  private down: string | undefined;

  private constructor(
    readonly warren: WarrenLab,
    readonly line: KillLine,
    private readonly spec: Record<string, unknown>,
    private readonly work: string,
  ) {}

  /** The line's e2e cluster with the orders topology: nodes, both HAProxies, Keepalived on both, VIP on lb-1. */
  static async boot(line: KillLine): Promise<KillLab> {
    const work = mkdtempSync(join(tmpdir(), `warren-kills-${line}-`));
    let spec: Record<string, unknown> = {};
    const specPath = specVariant(join(REPO_ROOT, 'examples', KILL_LINES[line].example), work, 'kills', (s) => {
      s.topology = ordersSpec(line).topology;
      spec = s;
    });
    const warren = await WarrenLab.create(synthVmBundles(specPath, join(work, 'out')), { loadBalancer: KILL_LINES[line].loadBalancer });
    const lab = new KillLab(warren, line, spec, work);
    try {
      for (const lb of ['lb-1', 'lb-2']) await warren.startHaproxy(lb);
      await warren.startCluster();
      warren.startKeepalived('lb-1');
      await warren.waitForVipHolder((h) => h === 'lb-1', 30_000);
      warren.startKeepalived('lb-2');
      // The product gives the queue a member on every node: the bundles' quorum-members unit on 3.10 (WarrenLab runs it
      // with each node), membership reconciliation on 4.3.
      await lab.waitForMembers(180_000);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  get versions(): Record<string, string> {
    return { ...this.warren.rabbitmq.versions, ...this.warren.loadBalancer.versions };
  }

  async destroy(): Promise<void> {
    await this.warren.destroy();
    rmSync(this.work, { recursive: true, force: true });
  }

  private liveNode() {
    const host = this.warren.cluster.nodes.map((n) => n.host).find((h) => h !== this.down)!;
    return this.warren.node(host);
  }

  private async queueInfo(): Promise<{ leader: string; members: string[] } | undefined> {
    const out = await rabbitmqctl(this.warren.lab, this.liveNode(), ['list_queues', 'name', 'leader', 'members', '--formatter', 'json']);
    if (out.code !== 0) return undefined;
    return (JSON.parse(out.stdout) as { name: string; leader: string; members: string[] }[]).find((q) => q.name === QUEUE);
  }

  /** Until the queue has a leader and a member on every node (the definitions are imported once all nodes run). */
  private async waitForMembers(timeoutMs: number): Promise<string> {
    const all = this.warren.cluster.nodes.map((n) => n.nodeName).sort();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.queueInfo();
      if (info && /@/.test(info.leader ?? '') && JSON.stringify([...info.members].sort()) === JSON.stringify(all)) return info.leader;
      if (Date.now() > deadline) throw new Error(`${QUEUE} has no leader or not a member on every node (${all.join(', ')}) within ${timeoutMs} ms: ${JSON.stringify(info)}`);
      await sleep(500);
    }
  }

  private app(env: Record<string, string>): LabProcess {
    return this.warren.lab.spawn(CLIENT_HOST, [TSX, LAB_APP], { env: { URL: this.warren.amqpUrl(), SPEC: JSON.stringify(this.spec), ...env } });
  }

  /** One run: consumer, then producer, both through the VIP; the fault once a third of the orders are written. */
  async run(fault: Fault, options: KillRunOptions): Promise<FaultFigures> {
    const { total } = options;
    if (this.down) {
      await this.warren.startNode(this.down);
      await this.warren.waitForClusterSize(this.down, this.warren.cluster.nodes.length, 120_000);
      this.down = undefined;
    }
    await this.waitForMembers(120_000);
    const purged = await rabbitmqctl(this.warren.lab, this.liveNode(), ['purge_queue', QUEUE]);
    if (purged.code !== 0) throw new Error(`purge_queue ${QUEUE}: ${purged.stderr}`);
    const run = ++this.runs;
    const from = run * 1_000_000;
    const dir = this.warren.lab.tempDir;
    const stores = options.storeDir ?? dir;
    const files = { producer: join(stores, `kill-${run}-producer.db`), consumer: join(stores, `kill-${run}-consumer.db`), progress: join(dir, `kill-${run}-confirms.jsonl`), attempts: join(dir, `kill-${run}-attempts.jsonl`) };
    const consumerEnv = { MODE: 'consume', QUEUE, STORE: files.consumer, ATTEMPTS_LOG: files.attempts, EFFECTS: String(total), QUIET_MS: '3000', PREFETCH: '50' };
    let consumer = this.app({ ...consumerEnv, KILL_AFTER_COMMITS: fault === 'consumer' ? String(Math.round(total / 3)) : '0' });
    const consumerHost = await this.warren.hostOfConnection('lab-consumer', 90_000);
    const producerEnv = { MODE: 'produce', STORE: files.producer, FROM: String(from), TO: String(from + total), RATE: String(options.ratePerSecond), WINDOW: String(options.window), PROGRESS_LOG: files.progress, DRAIN_MS: '180000' };
    // Asked before the producer starts: on a loaded 3.10 machine list_queues takes seconds, during which a 1,500-message
    // run finished before its leader was killed (no confirm after the fault, twice in a row).
    const leader = fault === 'leader-node' ? ((await this.queueInfo())?.leader ?? '') : '';
    let producer = this.app(producerEnv);
    const written = () => (existsSync(files.producer) ? countOf(files.producer, 'SELECT count(*) AS n FROM orders') : 0);
    let faultAt: number;
    let note: string;
    let atFault: FaultFigures['atFault'];
    if (fault === 'consumer') {
      const code = await exitedWithin(consumer, 'the consumer (until it killed itself)', 300_000);
      if (code === 0) throw new Error(`the consumer exited 0 instead of SIGKILLing itself after ${Math.round(total / 3)} commits`);
      faultAt = Math.max(...query<{ at: number }>(files.consumer, 'SELECT at_ms AS at FROM effects').map((e) => e.at));
      atFault = { written: written(), consumerHost };
      note = `consumer (on ${consumerHost}) SIGKILLed itself after its commit ${Math.round(total / 3)}, before the ack; ${written()} orders written then`;
      consumer = this.app(consumerEnv);
    } else {
      const deadline = Date.now() + 120_000;
      while (written() < total / 3) {
        if (Date.now() > deadline) throw new Error(`the producer wrote ${written()} of ${total / 3} orders within 120 s; its log ends:\n${readFileSync(producer.logFile, 'utf8').slice(-1500)}`);
        await sleep(50);
      }
      if (fault === 'publisher') {
        // Killed while messages await their confirms (5 or more in the outbox), unless that never happens within 10 s.
        const unconfirmed = () => countOf(files.producer, 'SELECT count(*) AS n FROM warren_outbox');
        for (const until = Date.now() + 10_000; unconfirmed() < 5 && Date.now() < until; ) await sleep(5);
        await producer.kill('SIGKILL');
        await producer.exited();
        faultAt = Date.now();
        atFault = { written: written(), consumerHost, inOutbox: unconfirmed() };
        note = `producer SIGKILLed with ${atFault.written} orders written, ${atFault.inOutbox} of them still in its outbox; restarted at once`;
        producer = this.app(producerEnv);
      } else {
        const victim = this.warren.cluster.nodes.find((n) => n.nodeName === leader)?.host;
        if (!victim) throw new Error(`no node holds ${QUEUE}'s leader ("${leader}")`);
        await this.warren.killNode(victim);
        faultAt = Date.now();
        this.down = victim;
        atFault = { written: written(), consumerHost, leader };
        note = `${victim} (the leader) SIGKILLed with ${atFault.written} orders written; consumer on ${consumerHost}`;
      }
    }
    const producerCode = await exitedWithin(producer, 'the producer', 300_000);
    if (producerCode !== 0) throw new Error(`the producer exited ${producerCode}; its log ends:\n${readFileSync(producer.logFile, 'utf8').slice(-1500)}`);
    const consumerCode = await exitedWithin(consumer, 'the consumer', 300_000);
    if (consumerCode !== 0) throw new Error(`the consumer exited ${consumerCode}; its log ends:\n${readFileSync(consumer.logFile, 'utf8').slice(-1500)}`);
    if (fault === 'leader-node') {
      atFault = { ...atFault, newLeader: (await this.queueInfo())?.leader ?? '' };
      note += `; new leader ${atFault.newLeader}`;
    }
    const effects = query<{ id: string; n: number; at: number }>(files.consumer, 'SELECT message_id AS id, count(*) AS n, min(at_ms) AS at FROM effects GROUP BY message_id');
    const ours = new Set(Array.from({ length: total }, (_, i) => `order-${from + i}`));
    const handled = effects.filter((e) => ours.has(e.id));
    const confirms = readFileSync(files.progress, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { at: number }).at).sort((a, b) => a - b);
    const commits = effects.map((e) => e.at).sort((a, b) => a - b);
    const sent = countOf(files.producer, 'SELECT count(*) AS n FROM orders');
    const confirmed = sent - countOf(files.producer, 'SELECT count(*) AS n FROM warren_outbox');
    const strays = effects.length - handled.length;
    return {
      fault,
      sent,
      confirmed,
      handled: handled.length,
      lost: total - handled.length,
      handledTwice: effects.filter((e) => e.n > 1).length,
      duplicatesSkipped: summaryOf(consumer).duplicates ?? 0,
      publishRatePerSecond: perSecond(confirmed, confirms),
      handleRatePerSecond: perSecond(handled.length, commits),
      recoverMs: recoveryMs(fault === 'consumer' ? commits : confirms, faultAt),
      atFault,
      note: strays > 0 ? `${note}; ${strays} effects of ids outside this run` : note,
    };
  }
}
