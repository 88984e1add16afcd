/**
 * The VM bundle's quorum-members program (vm/quorum-members.ts, RabbitMQ before 3.13) in a lab host, started as its
 * systemd unit starts it: after each start of rabbitmq-server (WantedBy), as root with the node's cookie, the unit's
 * ExecStart from the path the bundle installs. The program waits for the node's boot and its peers by itself.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { QUORUM_MEMBERS_UNIT_PATH } from '../../vm/quorum-members';
import type { Lab, LabProcess } from './lab';

const RABBITMQ_PATH = '/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Starts the program of the bundle folder `hostDir` in `host`; undefined when the bundle has none (3.13+). */
export function startBundleQuorumMembers(lab: Lab, host: string, hostDir: string, options: { root?: string; dataDir: string; logFile: string }): LabProcess | undefined {
  const unit = join(hostDir, QUORUM_MEMBERS_UNIT_PATH);
  if (!existsSync(unit)) return undefined;
  const program = /^ExecStart=(\S+)$/m.exec(readFileSync(unit, 'utf8'))?.[1];
  if (!program) throw new Error(`${unit}: no ExecStart with one program`);
  mkdirSync(`${options.root ?? ''}${dirname(program)}`, { recursive: true });
  return lab.spawn(host, [program], {
    env: { HOME: '/var/lib/rabbitmq', PATH: RABBITMQ_PATH },
    bindMounts: [
      { source: join(hostDir, dirname(program)), target: dirname(program) },
      { source: options.dataDir, target: '/var/lib/rabbitmq' },
    ],
    root: options.root,
    logFile: options.logFile,
  });
}

/** Waits for each run to exit; per host, its exit code and log. Throws naming a run still going after `timeoutMs`. */
export function awaitQuorumMembersExits(runs: ReadonlyMap<string, LabProcess>, timeoutMs: number): Promise<{ host: string; code: number | null; log: string }[]> {
  return Promise.all(
    [...runs].map(async ([host, run]) => {
      const code = await Promise.race([run.exited(), sleep(timeoutMs).then(() => 'timeout' as const)]);
      if (code === 'timeout') throw new Error(`quorum-members on ${host} still runs after ${timeoutMs} ms; its log:\n${readFileSync(run.logFile, 'utf8')}`);
      return { host, code, log: readFileSync(run.logFile, 'utf8') };
    }),
  );
}

/** The unit on every RabbitMQ host of a lab: started with each start of the node, stopped with it. */
export class QuorumMembersUnits {
  private readonly runs = new Map<string, LabProcess>();

  constructor(
    private readonly lab: Lab,
    private readonly root: string | undefined,
  ) {}

  /** After a start of the node of `host`, whose bundle folder is `hostDir` (WantedBy=rabbitmq-server). */
  started(host: string, hostDir: string, logDir: string): void {
    const run = startBundleQuorumMembers(this.lab, host, hostDir, { root: this.root, dataDir: join(hostDir, 'var', 'lib', 'rabbitmq'), logFile: join(logDir, 'quorum-members.log') });
    if (run) this.runs.set(host, run);
  }

  /** PartOf=rabbitmq-server: stopping the node stops the unit. */
  async stopped(host: string): Promise<void> {
    await this.runs.get(host)?.kill('SIGKILL');
    this.runs.delete(host);
  }

  /** Each node's latest run, once exited; none from 3.13. */
  exits(timeoutMs: number) {
    return awaitQuorumMembersExits(this.runs, timeoutMs);
  }
}
