/**
 * The nemesis: injects and heals the schedule's faults on a running WarrenLab, and waits for the cluster to
 * recover between rounds. SIGKILL / SIGSTOP hit a process's whole group (the Erlang VM, HAProxy, Keepalived
 * with its children); heal restarts what was killed from the same bundles, SIGCONTs what was stopped, restores
 * links and flushes the packet filters it added.
 */
import { rabbitmqctl, type LabProcess } from '../../test/lab';
import { sleep, type WarrenLab } from '../../test/e2e/warren-lab';
import type { FaultRecord, RoundRecord } from './checker';
import type { Fault, Round } from './schedule';

/** How long the cluster may take to run every node again with one VIP holder after a round's heal. */
const RECOVERY_TIMEOUT_MS = 180_000;

export class Nemesis {
  private readonly keepaliveds = new Map<string, LabProcess>();
  readonly faults: FaultRecord[] = [];
  readonly rounds: RoundRecord[] = [];

  constructor(private readonly warren: WarrenLab, private readonly log: (line: string) => void) {}

  /** Keepalived on every load balancer, the first holding the VIP before the others start (as the e2e suite does). */
  async startKeepaliveds(): Promise<void> {
    const [first, ...others] = this.warren.cluster.loadBalancer!.hosts.map((h) => h.host);
    this.keepaliveds.set(first!, this.warren.startKeepalived(first!));
    await this.warren.waitForVipHolder((h) => h === first, 30_000);
    for (const lb of others) this.keepaliveds.set(lb, this.warren.startKeepalived(lb));
  }

  /** Runs one round: each fault at its offset, healed after its duration; then waits for recovery, then the pause (cut at `deadlineMs`). */
  async runRound(round: Round, deadlineMs: number): Promise<void> {
    const startedAtMs = Date.now();
    await Promise.all(
      round.faults.map(async (fault) => {
        await sleep(Math.max(0, startedAtMs + fault.startMs - Date.now()));
        await this.inject(fault);
        const injectedAtMs = Date.now();
        this.log(`round ${round.index}: ${fault.kind} ${fault.targets.join('+')}`);
        await sleep(fault.durationMs);
        let healedAtMs: number | undefined;
        try {
          await this.heal(fault);
          healedAtMs = Date.now();
        } catch (error) {
          this.log(`round ${round.index}: healing ${fault.kind} ${fault.targets.join('+')} failed: ${(error as Error).message}`);
        }
        this.faults.push({ round: round.index, kind: fault.kind, targets: fault.targets, injectedAtMs, ...(healedAtMs !== undefined && { healedAtMs }) });
      }),
    );
    const recoveredAtMs = await this.awaitRecovery();
    this.log(`round ${round.index}: ${recoveredAtMs === null ? `NOT recovered within ${RECOVERY_TIMEOUT_MS / 1000} s` : `recovered ${recoveredAtMs - startedAtMs} ms after its start`}`);
    this.rounds.push({ index: round.index, exceedsTolerance: round.exceedsTolerance, startedAtMs, recoveredAtMs });
    await sleep(Math.max(0, Math.min(round.pauseAfterMs, deadlineMs - Date.now())));
  }

  private async inject(fault: Fault): Promise<void> {
    const w = this.warren;
    const [target] = fault.targets as [string];
    switch (fault.kind) {
      case 'broker-kill':
        return w.killNode(target);
      case 'broker-pause':
        return w.node(target).server.kill('SIGSTOP');
      case 'node-link-cut':
      case 'lb-link-cut':
        return w.lab.cutLink(target);
      case 'node-partition':
        return w.isolateFromPeers(target);
      case 'haproxy-kill':
        return w.stopHaproxy(target);
      case 'haproxy-pause':
        return w.pauseHaproxy(target, true);
      case 'keepalived-kill':
        return this.keepalived(target).kill('SIGKILL');
      case 'keepalived-pause':
        return this.keepalived(target).kill('SIGSTOP');
      case 'minority-partition':
        return this.partition(fault.targets);
      default:
        return assertNever(fault.kind);
    }
  }

  private async heal(fault: Fault): Promise<void> {
    const w = this.warren;
    const [target] = fault.targets as [string];
    switch (fault.kind) {
      case 'broker-kill':
        return void (await w.startNode(target));
      case 'broker-pause':
        return w.node(target).server.kill('SIGCONT');
      case 'node-link-cut':
      case 'lb-link-cut':
        return w.lab.restoreLink(target);
      case 'node-partition':
        return w.rejoinPeers(target);
      case 'haproxy-kill':
        return void (await w.startHaproxy(target));
      case 'haproxy-pause':
        return w.pauseHaproxy(target, false);
      case 'keepalived-kill':
        // stopKeepalived also stops the bundle's HAProxy checker beside it, which the restart starts again.
        await w.stopKeepalived(target);
        this.keepaliveds.set(target, w.startKeepalived(target));
        return;
      case 'keepalived-pause':
        return this.keepalived(target).kill('SIGCONT');
      case 'minority-partition':
        for (const host of fault.targets) await this.mustRun(host, ['iptables', '-F']);
        return;
      default:
        return assertNever(fault.kind);
    }
  }

  /** Drops every packet between the `minority` hosts and the other nodes and load balancers (the client reaches both sides). */
  private async partition(minority: readonly string[]): Promise<void> {
    const cluster = this.warren.cluster;
    const majority = [...cluster.nodes.map((n) => ({ host: n.host, address: n.address! })), ...cluster.loadBalancer!.hosts].filter((h) => !minority.includes(h.host));
    for (const host of minority) {
      for (const other of majority) {
        await this.mustRun(host, ['iptables', '-A', 'INPUT', '-s', other.address, '-j', 'DROP']);
        await this.mustRun(host, ['iptables', '-A', 'OUTPUT', '-d', other.address, '-j', 'DROP']);
      }
    }
  }

  /** Every node runs in one cluster (asked of each node in turn) and exactly one load balancer holds the VIP; null on timeout. */
  async awaitRecovery(): Promise<number | null> {
    const w = this.warren;
    const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
    const nodes = w.cluster.nodes.map((n) => n.host);
    while (Date.now() < deadline) {
      let running = 0;
      for (const host of nodes) {
        const status = await rabbitmqctl(w.lab, w.node(host), ['cluster_status', '--formatter', 'json'], 20_000);
        if (status.code === 0 && runningNodes(status.stdout) === nodes.length) running++;
      }
      if (running === nodes.length && (await w.vipHolders()).length === 1) return Date.now();
      await sleep(1_000);
    }
    return null;
  }

  private keepalived(host: string): LabProcess {
    const process = this.keepaliveds.get(host);
    if (!process) throw new Error(`Keepalived on ${host} was not started by the nemesis`);
    return process;
  }

  private async mustRun(host: string, argv: string[]): Promise<void> {
    const result = await this.warren.lab.run(host, argv);
    if (result.code !== 0) throw new Error(`${host}: ${argv.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  }
}

function runningNodes(json: string): number {
  try {
    return (JSON.parse(json) as { running_nodes: string[] }).running_nodes.length;
  } catch {
    return 0;
  }
}

function assertNever(kind: never): never {
  throw new Error(`unknown fault kind "${String(kind)}"`);
}
