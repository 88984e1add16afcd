/**
 * Real RabbitMQ nodes inside lab hosts, from files on disk laid out exactly as a container or VM has them:
 * etcDir on /etc/rabbitmq, dataDir on /var/lib/rabbitmq (cookie and Mnesia), logDir on /var/log/rabbitmq.
 */
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { delay, type CommandResult } from './commands';
import type { BindMount } from './host-namespaces';
import type { Lab, LabProcess } from './lab';

const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
const RABBITMQ_HOME = '/var/lib/rabbitmq';

export interface RabbitmqNodeOptions {
  /** e.g. "rabbit@rabbit-1"; the part after @ must be the lab host's name. */
  readonly nodeName: string;
  /** Mounted on /etc/rabbitmq: rabbitmq.conf, conf.d/*.conf, enabled_plugins, definitions. */
  readonly etcDir: string;
  /** Mounted on /var/lib/rabbitmq: must hold .erlang.cookie (mode 0400, owner root). */
  readonly dataDir: string;
  /** Mounted on /var/log/rabbitmq; the console output goes to console.log there too. */
  readonly logDir: string;
  /** Extra RABBITMQ_* variables, e.g. RABBITMQ_USE_LONGNAME. */
  readonly env?: Record<string, string>;
  /**
   * A root file system holding another RabbitMQ line (see runtimes.ts); the node, its epmd and the CLI run in it.
   * @default - this machine's rabbitmq-server
   */
  readonly root?: string;
}

/** What the CLI needs to reach a node: the lab host it runs in, its name, its cookie, its programs. */
export interface RabbitmqNodeRef {
  readonly host: string;
  readonly nodeName: string;
  /** Holds the .erlang.cookie the CLI authenticates with. */
  readonly dataDir: string;
  readonly root?: string;
  /**
   * Mounted on /etc/rabbitmq for the CLI too, so it reads the node's rabbitmq-env.conf (CTL_ERL_ARGS: inter-node TLS)
   * as on a real host. @default - the CLI sees this machine's /etc/rabbitmq
   */
  readonly etcDir?: string;
}

export interface RabbitmqNode extends RabbitmqNodeRef {
  /** The host's epmd, started in the foreground so that destroy() or kill() ends it. */
  readonly epmd: LabProcess;
  /** The Erlang VM: killing it (SIGKILL) is a node crash; epmd keeps running as on a real host. */
  readonly server: LabProcess;
}

/** Writes the Erlang cookie where a node run by root with HOME=/var/lib/rabbitmq reads it. */
export function writeErlangCookie(dataDir: string, cookie: string): void {
  const path = join(dataDir, '.erlang.cookie');
  writeFileSync(path, cookie, { mode: 0o400 });
  chmodSync(path, 0o400);
}

/** The node installed under `root` by a VM bundle's `install.sh --root ROOT`: its etc, data and log folders there. */
export function installedNodeOptions(root: string, nodeName: string, runtimeRoot: string | undefined): RabbitmqNodeOptions {
  return {
    nodeName,
    etcDir: join(root, 'etc', 'rabbitmq'),
    dataDir: join(root, 'var', 'lib', 'rabbitmq'),
    logDir: join(root, 'var', 'log', 'rabbitmq'),
    root: runtimeRoot,
  };
}

export async function startRabbitmqNode(lab: Lab, host: string, options: RabbitmqNodeOptions): Promise<RabbitmqNode> {
  const cookie = join(options.dataDir, '.erlang.cookie');
  let mode: number;
  try {
    mode = statSync(cookie).mode;
  } catch {
    throw new Error(`startRabbitmqNode: ${cookie} does not exist; write the cluster's cookie there (writeErlangCookie) before starting the node`);
  }
  if ((mode & 0o077) !== 0) {
    throw new Error(`startRabbitmqNode: ${cookie} has mode ${(mode & 0o777).toString(8)}; Erlang refuses a cookie others can read, use 0400`);
  }
  // epmd daemonises when Erlang starts it; one started here in the foreground stays a lab process.
  const root = options.root;
  const epmd = lab.spawn(host, ['epmd'], { logFile: join(options.logDir, 'epmd.log'), root });
  await waitFor(async () => (await lab.run(host, ['epmd', '-names'], { timeoutMs: 5_000, root })).code === 0, 10_000, `epmd in host ${host}`);
  const server = lab.spawn(host, [`${RABBITMQ_BIN}/rabbitmq-server`], {
    env: {
      RABBITMQ_NODENAME: options.nodeName,
      HOME: RABBITMQ_HOME,
      // A node that fails to boot leaves its crash dump with its logs, not in the test's working folder.
      ERL_CRASH_DUMP: '/var/log/rabbitmq/erl_crash.dump',
      RABBITMQ_ENABLED_PLUGINS_FILE: '/etc/rabbitmq/enabled_plugins',
      ...options.env,
    },
    bindMounts: [
      { source: options.etcDir, target: '/etc/rabbitmq' },
      { source: options.dataDir, target: RABBITMQ_HOME },
      { source: options.logDir, target: '/var/log/rabbitmq' },
    ],
    logFile: join(options.logDir, 'console.log'),
    root,
  });
  return { host, nodeName: options.nodeName, dataDir: options.dataDir, root, epmd, server };
}

/** Runs `rabbitmqctl -n <node> ...args` inside the node's host, with the node's cookie and programs. */
export function rabbitmqctl(lab: Lab, node: RabbitmqNodeRef, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  return rabbitmqCli(lab, node, 'rabbitmqctl', args, timeoutMs);
}

/** Runs one of RabbitMQ's CLI tools (`rabbitmq-diagnostics`, `rabbitmq-upgrade`, ...) against the node. */
export function rabbitmqCli(lab: Lab, node: RabbitmqNodeRef, tool: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  const bindMounts: BindMount[] = [{ source: node.dataDir, target: RABBITMQ_HOME }, ...(node.etcDir ? [{ source: node.etcDir, target: '/etc/rabbitmq' }] : [])];
  return lab.run(node.host, [`${RABBITMQ_BIN}/${tool}`, '-n', node.nodeName, ...args], { env: { HOME: RABBITMQ_HOME }, bindMounts, timeoutMs, root: node.root });
}

/** What `rabbitmqctl cluster_status --formatter json` reports (the fields the tests read). */
export interface ClusterStatus {
  readonly running_nodes: string[];
  readonly disk_nodes: string[];
  readonly partitions: Record<string, string[]>;
  readonly [key: string]: unknown;
}

/**
 * Polls cluster_status until exactly n nodes run; throws with the last output on timeout. `callTimeoutMs` bounds one
 * CLI call (a CLI speaking TLS distribution takes longer on a loaded machine).
 */
export async function waitForClusterSize(lab: Lab, node: RabbitmqNodeRef, n: number, timeoutMs: number, callTimeoutMs = 20_000): Promise<ClusterStatus> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const remainingMs = Math.max(1_000, deadline - Date.now());
    const result = await rabbitmqctl(lab, node, ['cluster_status', '--formatter', 'json'], Math.min(callTimeoutMs, remainingMs));
    if (result.code === 0) {
      try {
        const status = JSON.parse(result.stdout) as ClusterStatus;
        if (status.running_nodes.length === n) return status;
        last = `running_nodes = ${JSON.stringify(status.running_nodes)}`;
      } catch {
        last = `unparsable output: ${result.stdout.trim()}`;
      }
    } else {
      last = `exit ${result.code}: ${(result.stderr || result.stdout).trim()}`;
    }
    // The CLI itself takes 1.5-4.5 s per call on this 2-core machine: poll again soon.
    await delay(250);
  }
  throw new Error(`waitForClusterSize: ${node.nodeName} in host ${node.host} did not report ${n} running nodes within ${timeoutMs} ms; last: ${last}`);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(100);
  }
  throw new Error(`lab: ${what} did not come up within ${timeoutMs} ms`);
}
