/**
 * createLab: several hosts on this one machine, each in its own network namespace with its own IPv4
 * address and host name, cabled to one bridge that lives in a "switch" namespace of its own.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { delay, isAlive, killGroup, mustRun, runCommand, type CommandResult } from './commands';
import { buildNetwork, hostCommand, startHolder, type BindMount, type Holder } from './host-namespaces';
import { planLab, type LabHost, type LabLayout, type LabOptions } from './lab-spec';
import { registerLab, removeNamespaces, removeStaleLabs, unregisterLab } from './registry';

export interface LabProcess {
  /** Process id (and process group id) of the launcher in the root PID namespace. */
  readonly pid: number;
  /** Where the process's stdout and stderr go. */
  readonly logFile: string;
  /** Signals the whole process group; resolves at once. @default 'SIGTERM' */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves with the exit code, or null when a signal ended it. */
  exited(): Promise<number | null>;
}

/** Where a command's files come from: this machine's, or a root file system built by test/roots. */
export interface RootOption {
  /**
   * A root file system to run the command in (chroot), with the bind mounts' targets inside it.
   * @default - this machine's own files
   */
  readonly root?: string;
}

export interface SpawnOptions extends RootOption {
  readonly env?: Record<string, string>;
  readonly bindMounts?: readonly BindMount[];
  /** @default - a file in the lab's temp dir, named after the host and the program */
  readonly logFile?: string;
}

export interface RunOptions extends RootOption {
  readonly env?: Record<string, string>;
  readonly bindMounts?: readonly BindMount[];
  /** @default 60_000 */
  readonly timeoutMs?: number;
  readonly input?: string;
}

export interface Lab {
  /** Six hex digits, part of every namespace and link name of this lab. */
  readonly id: string;
  /** IPv4 CIDR every host address is inside, e.g. "10.231.17.0/24". */
  readonly subnet: string;
  /** A folder for the test's files; removed by destroy() (kept when WARREN_LAB_KEEP=1). */
  readonly tempDir: string;
  hostNames(): string[];
  addressOf(host: string): string;
  /** Name of the host's network namespace, for `ip -n <ns> ...` checks. */
  netnsOf(host: string): string;
  /** Starts a long-running process inside a host, in its own process group. destroy() kills it. */
  spawn(host: string, argv: readonly string[], options?: SpawnOptions): LabProcess;
  /** Runs a command to completion inside a host; never rejects on a non-zero exit (124 on timeout). */
  run(host: string, argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Pulls the host's cable at the switch: its eth0 loses carrier, its processes keep running. */
  cutLink(host: string): Promise<void>;
  restoreLink(host: string): Promise<void>;
  /** Kills every process (whole groups, then whatever is left in the namespaces), removes everything. */
  destroy(): Promise<void>;
}

const DEFAULT_RUN_TIMEOUT_MS = 60_000;
const KILL_GRACE_MS = 5_000;
const liveLabs = new Set<LabImpl>();
let exitHandlerInstalled = false;

export async function createLab(options: LabOptions): Promise<Lab> {
  const layout = planLab(options);
  removeStaleLabs();
  const tempDir = mkdtempSync(join(tmpdir(), `warren-lab-${layout.id}-`));
  registerLab(layout.id, tempDir);
  const lab = new LabImpl(layout, tempDir);
  liveLabs.add(lab);
  installExitHandler();
  try {
    await buildNetwork(layout);
    for (const host of layout.hosts) {
      lab.holders.set(host.name, await startHolder(layout, host, join(tempDir, `holder-${host.name}.log`)));
    }
  } catch (error) {
    await lab.destroy();
    throw error;
  }
  return lab;
}

class LabImpl implements Lab {
  readonly id: string;
  readonly subnet: string;
  readonly holders = new Map<string, Holder>();
  /** Process groups started by spawn() or run() that have not ended yet. */
  private readonly groups = new Map<number, Promise<unknown>>();
  private destroying: Promise<void> | undefined;
  private logCounter = 0;

  constructor(
    private readonly layout: LabLayout,
    readonly tempDir: string,
  ) {
    this.id = layout.id;
    this.subnet = layout.subnet;
  }

  hostNames(): string[] {
    return this.layout.hosts.map((h) => h.name);
  }

  addressOf(host: string): string {
    return this.host(host).address;
  }

  netnsOf(host: string): string {
    return this.host(host).netns;
  }

  spawn(host: string, argv: readonly string[], options: SpawnOptions = {}): LabProcess {
    const command = this.command(host, argv, options.bindMounts, options.root);
    const logFile = options.logFile ?? join(this.tempDir, `${host}-${++this.logCounter}-${basename(argv[0] ?? 'process')}.log`);
    const log = openSync(logFile, 'a');
    const child = spawn(command[0]!, command.slice(1), { env: this.env(options.env), detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`lab: could not start ${argv.join(' ')} in host ${host}`);
    const exit = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.on('error', () => resolve(127));
    });
    this.groups.set(pid, exit);
    void exit.then(() => this.groups.delete(pid));
    return {
      pid,
      logFile,
      kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
        if (this.groups.has(pid)) killGroup(pid, signal);
      },
      exited: () => exit,
    };
  }

  async run(host: string, argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const command = this.command(host, argv, options.bindMounts, options.root);
    let settle: () => void = () => undefined;
    let pgid: number | undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const result = runCommand(command, {
      env: this.env(options.env),
      input: options.input,
      timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
      track: (id) => {
        if (id !== undefined) {
          pgid = id;
          this.groups.set(id, done);
        } else if (pgid !== undefined) {
          this.groups.delete(pgid);
          settle();
        }
      },
    });
    return result;
  }

  async cutLink(host: string): Promise<void> {
    await mustRun(['ip', '-n', this.layout.switchNetns, 'link', 'set', this.host(host).switchPort, 'down']);
  }

  async restoreLink(host: string): Promise<void> {
    await mustRun(['ip', '-n', this.layout.switchNetns, 'link', 'set', this.host(host).switchPort, 'up']);
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  /** Last resort when the test process exits without destroy(): synchronous, SIGKILL only. */
  destroyNow(): void {
    for (const pgid of this.groups.keys()) killGroup(pgid, 'SIGKILL');
    for (const holder of this.holders.values()) killGroup(holder.leaderPid, 'SIGKILL');
    this.removeEverything();
  }

  private async teardown(): Promise<void> {
    const pending = [...this.groups.entries()];
    for (const [pgid] of pending) killGroup(pgid, 'SIGTERM');
    const allEnded = Promise.all(pending.map(([, ended]) => ended));
    if ((await Promise.race([allEnded.then(() => true), delay(KILL_GRACE_MS).then(() => false)])) === false) {
      for (const [pgid] of pending) killGroup(pgid, 'SIGKILL');
      await Promise.race([allEnded, delay(KILL_GRACE_MS)]);
    }
    for (const holder of this.holders.values()) killGroup(holder.leaderPid, 'SIGKILL');
    for (let i = 0; i < 100 && [...this.holders.values()].some((h) => isAlive(h.leaderPid)); i++) await delay(20);
    this.removeEverything();
  }

  private removeEverything(): void {
    removeNamespaces([...this.layout.hosts.map((h) => h.netns), this.layout.switchNetns]);
    if (process.env.WARREN_LAB_KEEP !== '1') rmSync(this.tempDir, { recursive: true, force: true });
    unregisterLab(this.id);
    liveLabs.delete(this);
  }

  private host(name: string): LabHost {
    const host = this.layout.hosts.find((h) => h.name === name);
    if (host === undefined) throw new Error(`lab ${this.id}: host "${name}" is not in this lab; use one of ${this.hostNames().join(', ')}`);
    return host;
  }

  private command(host: string, argv: readonly string[], bindMounts: readonly BindMount[] = [], root?: string): string[] {
    if (this.destroying !== undefined) throw new Error(`lab ${this.id}: already destroyed; create a new lab`);
    const holder = this.holders.get(this.host(host).name);
    if (holder === undefined) throw new Error(`lab ${this.id}: host "${host}" is not up yet`);
    return hostCommand(holder, this.layout.ownPidNamespaces, bindMounts, argv, root);
  }

  private env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...extra };
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.destroyNow();
  });
}
