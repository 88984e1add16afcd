/**
 * The lab's WARREN_REMOTE: the admin scripts run on this machine (the admin host) and reach each lab host through
 * lab-remote.cjs, which hands the command line to this server in the test process. A command line runs inside the
 * host as root, as `ssh HOST "..."` would: RabbitMQ hosts with the node's programs (root file system of its line) and
 * /var/lib/rabbitmq (the cookie), load balancers with their HAProxy's /run/haproxy (the runtime API socket). The lab's
 * hosts have no systemd, so `systemctl stop|start rabbitmq-server` (and `disable --now`) do what the Debian unit does:
 * SIGTERM and wait for the exit; start, and return once the node has booted (Type=notify).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rabbitmqctl } from '../lab';
import { sleep, type WarrenLab } from '../e2e/warren-lab';

export const LAB_REMOTE = join(__dirname, 'lab-remote.cjs');

export interface RemoteCall {
  readonly atMs: number;
  readonly host: string;
  readonly command: string;
  readonly code: number;
}

export interface LabRemote {
  /** For the scripts' environment: WARREN_REMOTE, WARREN_SUDO and LAB_REMOTE_URL. */
  readonly env: Record<string, string>;
  readonly calls: RemoteCall[];
  close(): Promise<void>;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const RABBITMQ_PATH = '/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const COMMAND_TIMEOUT_MS = 400_000;

/** The newest /run/haproxy folder of the host's HAProxy (test/lab/haproxy-run.ts numbers them per start). */
function haproxyRunDir(warren: WarrenLab, host: string): string {
  const dir = join(warren.lab.tempDir, 'run');
  const pattern = new RegExp(`^${host}-haproxy-\\d+$`);
  const starts = existsSync(dir) ? readdirSync(dir).filter((d) => pattern.test(d)) : [];
  const newest = starts.sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop())).pop();
  if (!newest) throw new Error(`HAProxy on ${host} was never started`);
  return join(dir, newest);
}

async function stopNode(warren: WarrenLab, host: string): Promise<Result> {
  const node = warren.node(host);
  await node.server.kill('SIGTERM');
  const exited = await Promise.race([node.server.exited().then(() => true), sleep(120_000).then(() => false)]);
  if (!exited) {
    await node.server.kill('SIGKILL');
    return { code: 1, stdout: '', stderr: `rabbitmq-server on ${host} did not stop within 120 s of SIGTERM; killed` };
  }
  // systemd returns once every process of the unit is gone. 3.10's rabbitmq-server script exits when `rabbitmqctl stop`
  // answers, while the runtime may still hold the distribution port for a moment: a start then fails with
  // dist_port_already_used (seen in the lab). Wait for the port, as the unit's stop waits for its processes.
  const port = warren.cluster.ports.distribution;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
    const listening = await warren.lab.run(host, ['ss', '-Hltn', `sport = :${port}`]);
    if (listening.code === 0 && listening.stdout.trim() === '') return { code: 0, stdout: '', stderr: '' };
  }
  return { code: 1, stdout: '', stderr: `rabbitmq-server on ${host} exited but port ${port} was still in use 60 s later` };
}

/** Starts the host's node and returns once it has booted, as `systemctl start` of the Debian unit (Type=notify) does. */
export async function bootNode(warren: WarrenLab, host: string): Promise<Result> {
  const node = await warren.startNode(host);
  const deadline = Date.now() + 300_000;
  let last = '';
  while (Date.now() < deadline) {
    const booted = await rabbitmqctl(warren.lab, node, ['await_startup', '--timeout', '60'], 90_000);
    if (booted.code === 0) return { code: 0, stdout: '', stderr: '' };
    last = booted.stderr.trim();
    await sleep(1000);
  }
  return { code: 1, stdout: '', stderr: `rabbitmq-server on ${host} did not boot within 300 s: ${last}\n${warren.nodeLogTail(host)}` };
}

/** Whether RabbitMQ on this host was started, whichever bundles (spec) are in use now. */
function isStartedNode(warren: WarrenLab, host: string): boolean {
  try {
    warren.node(host);
    return true;
  } catch {
    return false;
  }
}

async function runCommand(warren: WarrenLab, host: string, command: string): Promise<Result> {
  // A node the spec no longer lists (scale in) is still a running node until the script stops it.
  if (isStartedNode(warren, host)) {
    if (command === 'systemctl stop rabbitmq-server' || command === 'systemctl disable --now rabbitmq-server') return stopNode(warren, host);
    if (command === 'systemctl start rabbitmq-server') return bootNode(warren, host);
    const node = warren.node(host);
    return warren.lab.run(host, ['sh', '-c', command], {
      env: { HOME: '/var/lib/rabbitmq', PATH: RABBITMQ_PATH },
      bindMounts: [{ source: node.dataDir, target: '/var/lib/rabbitmq' }],
      root: warren.rabbitmq.root,
      timeoutMs: COMMAND_TIMEOUT_MS,
    });
  }
  if (warren.cluster.loadBalancer?.hosts.some((h) => h.host === host)) {
    return warren.lab.run(host, ['sh', '-c', command], {
      bindMounts: [{ source: haproxyRunDir(warren, host), target: '/run/haproxy' }],
      root: warren.loadBalancer.root,
      timeoutMs: COMMAND_TIMEOUT_MS,
    });
  }
  return { code: 255, stdout: '', stderr: `lab-remote: ${host}: no such host in the lab\n` };
}

export async function startLabRemote(warren: WarrenLab): Promise<LabRemote> {
  const calls: RemoteCall[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { host, command } = JSON.parse(body) as { host: string; command: string };
      runCommand(warren, host, command)
        .catch((error: Error): Result => ({ code: 255, stdout: '', stderr: `lab-remote: ${error.message}\n` }))
        .then((result) => {
          calls.push({ atMs: Date.now(), host, command, code: result.code });
          response.end(JSON.stringify(result));
        });
    });
  });
  // The scripts wait long (await_online_quorum_plus_one, await_startup): no request timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('lab-remote: the server has no TCP port');
  return {
    env: { WARREN_REMOTE: `node ${LAB_REMOTE}`, WARREN_SUDO: '', LAB_REMOTE_URL: `http://127.0.0.1:${address.port}/` },
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
