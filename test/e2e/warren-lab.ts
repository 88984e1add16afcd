/**
 * A lab booted from VM bundles: every host of the spec is a lab host with the spec's address, RabbitMQ
 * runs from the bundle's /etc/rabbitmq and /var/lib/rabbitmq, HAProxy and Keepalived from the bundle's
 * /etc/haproxy and /etc/keepalived. Each host has its own PID namespace, so a check on one load balancer
 * sees only its own HAProxy. A client host (and any extra host) runs the AMQP clients.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { delay as sleep, runCommand } from '../lab/commands';
export { sleep };
import { haproxyRunMount } from '../lab/haproxy-run';
import { QuorumMembersUnits } from '../lab/quorum-members';
import {
  createLab,
  loadBalancerRuntime,
  rabbitmqctl,
  rabbitmqLineOf,
  rabbitmqRuntime,
  startBundleMajorityAgent,
  startRabbitmqNode,
  waitForClusterSize,
  type Lab,
  type LabProcess,
  type LoadBalancerBuild,
  type RabbitmqNode,
  type Runtime,
} from '../lab';
import type { VmBundles } from './bundles';
import { describeExit, spawnKeepalived, waitUntilListening } from './lb-processes';

export { bindPortsOf } from './lb-processes';

export const CLIENT_HOST = 'client';

export interface HaproxyStatusChange {
  readonly atMs: number;
  readonly server: string;
  readonly status: string;
}

export interface WarrenLabOptions {
  /** HAProxy and Keepalived from this machine (2.6 / 2.2.7) or from Debian sid (3.2 / 2.3). @default 'bookworm' */
  readonly loadBalancer?: LoadBalancerBuild;
  /** More hosts on the same /24 (e.g. a second set of load balancers). @default [] */
  readonly extraHosts?: readonly { name: string; address: string }[];
}

export class WarrenLab {
  private readonly nodes = new Map<string, RabbitmqNode>();
  private readonly haproxies = new Map<string, LabProcess>();
  private readonly keepaliveds = new Map<string, LabProcess>();
  private readonly checkers = new Map<string, LabProcess>();
  private readonly watchers = new Map<string, LabProcess>();
  private readonly majorityAgents = new Map<string, LabProcess>();
  /** HAProxies that exited without stopHaproxy asking them to, with their log. */
  private readonly haproxyExits = new Map<string, string>();
  private bundles: VmBundles;
  readonly quorumMembers: QuorumMembersUnits; // the bundles' quorum-members unit (before 3.13), run with each start of a node
  private keepalivedStarts = 0;

  private constructor(
    readonly lab: Lab,
    bundles: VmBundles,
    /** RabbitMQ of the spec's line: this machine's 3.10, or a Debian root with 4.0 or 4.3. */
    readonly rabbitmq: Runtime,
    readonly loadBalancer: Runtime,
  ) {
    this.bundles = bundles;
    this.quorumMembers = new QuorumMembersUnits(lab, rabbitmq.root);
  }

  /**
   * The spec's hosts with the spec's addresses, plus `client` and `extraHosts` on the same /24. RabbitMQ hosts
   * run the line the spec's version names (see test/lab/runtimes.ts).
   */
  static async create(bundles: VmBundles, options: WarrenLabOptions = {}): Promise<WarrenLab> {
    const extraHosts = options.extraHosts ?? [];
    const { cluster } = bundles;
    const lb = cluster.loadBalancer;
    if (!lb) throw new Error(`cluster "${cluster.name}" has no loadBalancer section; the e2e lab needs load-balancer hosts`);
    const hosts = [
      ...cluster.nodes.map((n) => ({ name: n.host, address: n.address ?? '' })),
      ...lb.hosts.map((h) => ({ name: h.host, address: h.address })),
      { name: CLIENT_HOST, address: sameSubnet(lb.hosts[0]!.address, 50) },
      ...extraHosts,
    ];
    const missing = hosts.filter((h) => h.address === '').map((h) => h.name);
    if (missing.length > 0) throw new Error(`hosts ${missing.join(', ')} have no address in the spec; give every node an address`);
    const rabbitmq = rabbitmqRuntime(rabbitmqLineOf(cluster.version.text));
    const loadBalancer = loadBalancerRuntime(options.loadBalancer ?? 'bookworm');
    return new WarrenLab(await createLab({ hosts, ownPidNamespaces: true }), bundles, rabbitmq, loadBalancer);
  }

  get cluster() {
    return this.bundles.cluster;
  }

  get vip(): string {
    return this.cluster.loadBalancer!.virtualIp!.address;
  }

  /** amqp://user:password@<address>:5672 (the VIP by default). */
  amqpUrl(address = this.vip): string {
    const user = encodeURIComponent(this.cluster.defaultUser.name);
    return `amqp://${user}:${encodeURIComponent(this.bundles.secrets.defaultUserPassword)}@${address}:${this.cluster.ports.amqp}`;
  }

  /** Later starts of nodes, HAProxy or Keepalived use these bundles (same hosts, same secrets store). */
  useBundles(bundles: VmBundles): void {
    this.bundles = bundles;
  }

  // ---- RabbitMQ

  async startNode(host: string): Promise<RabbitmqNode> {
    const node = this.cluster.nodes.find((n) => n.host === host);
    if (!node) throw new Error(`"${host}" is not a RabbitMQ host of cluster "${this.cluster.name}"`);
    const root = this.bundles.hostDir(host);
    const logDir = join(this.lab.tempDir, 'log', host);
    mkdirSync(logDir, { recursive: true });
    const started = await startRabbitmqNode(this.lab, host, {
      nodeName: node.nodeName,
      etcDir: join(root, 'etc', 'rabbitmq'),
      dataDir: join(root, 'var', 'lib', 'rabbitmq'),
      logDir,
      root: this.rabbitmq.root,
    });
    this.nodes.set(host, started);
    this.quorumMembers.started(host, root, logDir);
    if (!this.majorityAgents.has(host)) {
      // A systemd unit of its own on a real host: it outlives a crash of the node.
      const agent = startBundleMajorityAgent(this.lab, host, this.bundles.hostDir(host), { root: this.rabbitmq.root, logFile: join(logDir, 'majority-agent.log') });
      if (agent) this.majorityAgents.set(host, agent);
    }
    return started;
  }

  /** Starts every node at once and waits until the first reports all of them running; returns the ms it took. */
  async startCluster(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    await Promise.all(this.cluster.nodes.map((n) => this.startNode(n.host)));
    await this.waitForClusterSize(this.cluster.nodes[0]!.host, this.cluster.nodes.length, timeoutMs);
    // The last node to join imports queues and bindings (target_cluster_size_hint) before its boot completes.
    for (const n of this.cluster.nodes) {
      const booted = await rabbitmqctl(this.lab, this.node(n.host), ['await_startup', '--timeout', String(Math.ceil(timeoutMs / 1000))]);
      if (booted.code !== 0) throw new Error(`${n.host} did not complete its boot: ${booted.stderr}\n${this.nodeLogTail(n.host)}`);
    }
    return Date.now() - started;
  }

  node(host: string): RabbitmqNode {
    const node = this.nodes.get(host);
    if (!node) throw new Error(`RabbitMQ on ${host} was not started`);
    return node;
  }

  waitForClusterSize(host: string, n: number, timeoutMs: number) {
    const node = this.node(host);
    return waitForClusterSize(this.lab, node, n, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.nodeLogTail(host)}`);
    });
  }

  /** SIGKILL of the Erlang VM (epmd stays, as on a real host); resolves once the process is gone. */
  async killNode(host: string): Promise<void> {
    const node = this.node(host);
    await node.server.kill('SIGKILL');
    await node.server.exited();
  }

  /** Stops every node (SIGTERM, then SIGKILL after 20 s) and their epmd. */
  async stopAllNodes(): Promise<void> {
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        await node.server.kill('SIGTERM');
        const timer = setTimeout(() => void node.server.kill('SIGKILL'), 20_000);
        await node.server.exited();
        clearTimeout(timer);
        await node.epmd.kill('SIGKILL');
        await node.epmd.exited();
        await this.killListeners(node.host, [this.cluster.ports.epmd, this.cluster.ports.distribution]);
        const agent = this.majorityAgents.get(node.host);
        await agent?.kill('SIGKILL');
        await agent?.exited();
        await this.quorumMembers.stopped(node.host);
      }),
    );
    this.nodes.clear();
    this.majorityAgents.clear();
  }

  /**
   * SIGKILLs, by pid, whatever still listens on these ports inside the host (an Erlang VM that outlived its
   * launcher would keep the node name registered), so that the next start begins from nothing.
   */
  private async killListeners(host: string, ports: readonly number[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const listening = (await this.lab.run(host, ['ss', '-ltnpH'])).stdout.split('\n');
      const pids = new Set(
        listening
          .filter((line) => ports.some((port) => new RegExp(`:${port}\\s`).test(line)))
          .flatMap((line) => [...line.matchAll(/pid=(\d+)/g)].map((m) => m[1]!)),
      );
      if (pids.size === 0) return;
      await this.lab.run(host, ['kill', '-KILL', ...pids]);
      await sleep(100);
    }
    throw new Error(`${host}: something still listens on port ${ports.join(' or ')} after SIGKILL`);
  }

  /** The RabbitMQ host holding the AMQP connection with this connection_name (its name reads "client -> node:port"). */
  async hostOfConnection(connectionName: string, timeoutMs = 10_000): Promise<string> {
    const [asker] = [...this.nodes.values()];
    if (!asker) throw new Error('no RabbitMQ node is running');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const result = await rabbitmqctl(this.lab, asker, ['list_connections', 'name', 'client_properties', '--formatter', 'json']);
      const connections = result.code === 0 ? (JSON.parse(result.stdout) as { name: string; client_properties: unknown }[]) : [];
      const match = connections.find((c) => JSON.stringify(c.client_properties).includes(`"${connectionName}"`));
      const address = match?.name.split(' -> ')[1]?.split(':')[0];
      const host = this.cluster.nodes.find((n) => n.address === address)?.host;
      if (host) return host;
      await sleep(250);
    }
    throw new Error(`no connection named ${connectionName} appeared in list_connections within ${timeoutMs} ms`);
  }

  nodeLogTail(host: string): string {
    try {
      return `--- ${host} console.log (tail)\n${readFileSync(join(this.lab.tempDir, 'log', host, 'console.log'), 'utf8').slice(-2000)}`;
    } catch {
      return `--- ${host}: no console.log`;
    }
  }

  /** Drops every packet between `host` and the other RabbitMQ hosts, inside `host`'s namespace; load balancers still reach it. */
  async isolateFromPeers(host: string): Promise<void> {
    for (const peer of this.cluster.nodes.filter((n) => n.host !== host)) {
      for (const chain of [['INPUT', '-s'], ['OUTPUT', '-d']] as const) {
        await this.mustRun(host, ['iptables', '-A', chain[0], chain[1], peer.address!, '-j', 'DROP']);
      }
    }
  }

  async rejoinPeers(host: string): Promise<void> {
    await this.mustRun(host, ['iptables', '-F']);
  }

  // ---- HAProxy and Keepalived

  /**
   * Starts HAProxy on `host` with its own /run/haproxy and resolves once it listens on every `bind` port of the
   * haproxy.cfg; throws with HAProxy's own log if it exits first or does not listen within 20 s.
   */
  async startHaproxy(host: string, etcDir = join(this.bundles.hostDir(host), 'etc', 'haproxy')): Promise<LabProcess> {
    const haproxy = this.lab.spawn(host, ['haproxy', '-db', '-f', '/etc/haproxy/haproxy.cfg'], {
      bindMounts: [{ source: etcDir, target: '/etc/haproxy' }, haproxyRunMount(this.lab, host, this.loadBalancer.root)],
      root: this.loadBalancer.root,
    });
    this.haproxies.set(host, haproxy);
    this.haproxyExits.delete(host);
    let exitCode: number | null | undefined;
    void haproxy.exited().then((code) => {
      exitCode = code;
      if (this.haproxies.get(host) === haproxy) this.haproxyExits.set(host, describeExit(`HAProxy on ${host}`, code, haproxy.logFile));
    });
    return waitUntilListening(this.lab, host, haproxy, readFileSync(join(etcDir, 'haproxy.cfg'), 'utf8'), () => exitCode);
  }

  /** One line per HAProxy that exited without stopHaproxy, with the end of its log; empty while all run. */
  haproxyFailures(): string[] {
    return [...this.haproxyExits.values()];
  }

  async stopHaproxy(host: string): Promise<void> {
    const haproxy = this.haproxies.get(host);
    if (!haproxy) return;
    this.haproxies.delete(host);
    await haproxy.kill('SIGKILL');
    await haproxy.exited();
  }

  /** SIGSTOP (`hung: true`) or SIGCONT of HAProxy's process group: a hung HAProxy is alive but answers nothing. */
  async pauseHaproxy(host: string, hung: boolean): Promise<void> {
    const haproxy = this.haproxies.get(host);
    if (!haproxy) throw new Error(`HAProxy on ${host} was not started`);
    await haproxy.kill(hung ? 'SIGSTOP' : 'SIGCONT');
  }

  /**
   * Keepalived in the foreground with its own pid files, and /etc/passwd knowing the check script's user; before it, the
   * bundle's HAProxy checker (warren-haproxy-check.service on a real host: its ExecStart, as root here) writing into a
   * state folder of the host that outlives restarts, as the unit's preserved RuntimeDirectory does.
   */
  startKeepalived(host: string, etcDir = join(this.bundles.hostDir(host), 'etc', 'keepalived')): LabProcess {
    const { checker, keepalived } = spawnKeepalived(this.lab, host, etcDir, this.loadBalancer.root ?? '', ++this.keepalivedStarts);
    this.checkers.set(host, checker);
    this.keepaliveds.set(host, keepalived);
    return keepalived;
  }

  keepalivedLogFile(host: string): string {
    const keepalived = this.keepaliveds.get(host);
    if (!keepalived) throw new Error(`Keepalived on ${host} is not running`);
    return keepalived.logFile;
  }

  async stopKeepalived(host: string): Promise<void> {
    const keepalived = this.keepaliveds.get(host);
    if (!keepalived) return;
    await keepalived.kill('SIGTERM');
    await keepalived.exited();
    this.keepaliveds.delete(host);
    const checker = this.checkers.get(host);
    await checker?.kill('SIGTERM');
    await checker?.exited();
    this.checkers.delete(host);
  }

  /** The load-balancer hosts whose eth0 carries the virtual IP right now (read from outside, no route needed). */
  async vipHolders(): Promise<string[]> {
    const holders: string[] = [];
    for (const lb of this.cluster.loadBalancer!.hosts) {
      const out = await runCommand(['ip', '-n', this.lab.netnsOf(lb.host), '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      if (out.stdout.includes(`inet ${this.vip}/`)) holders.push(lb.host);
    }
    return holders;
  }

  /** Polls every 50 ms until exactly one host holds the VIP and `accept` agrees; returns it and when it was seen. */
  async waitForVipHolder(accept: (host: string) => boolean, timeoutMs: number): Promise<{ host: string; atMs: number }> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    while (Date.now() < deadline) {
      last = await this.vipHolders();
      if (last.length === 1 && accept(last[0]!)) return { host: last[0]!, atMs: Date.now() };
      await sleep(50);
    }
    throw new Error(`the virtual IP ${this.vip} did not settle on the expected host within ${timeoutMs} ms; held by [${last.join(', ')}]`);
  }

  /** Watches the `amqp` servers of one HAProxy through its stats CSV (100 ms polls inside the host). */
  watchHaproxy(host: string): void {
    const h = this.cluster.loadBalancer!.haproxy;
    const watcher = this.lab.spawn(host, ['node', join(__dirname, 'clients', 'haproxy-watch.cjs')], {
      env: { STATS_URL: `http://127.0.0.1:${h.statsPort}/;csv`, STATS_USER: h.statsUser, STATS_PASSWORD: this.bundles.secrets.statsPassword },
    });
    this.watchers.set(host, watcher);
  }

  haproxyChanges(host: string): HaproxyStatusChange[] {
    const watcher = this.watchers.get(host);
    if (!watcher) throw new Error(`HAProxy on ${host} is not watched; call watchHaproxy first`);
    return readFileSync(watcher.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as HaproxyStatusChange);
  }

  /** How many sessions HAProxy on `host` has ever sent to `server` in its `amqp` listener (stats `stot`). */
  async haproxySessionsTotal(host: string, server: string): Promise<number> {
    const h = this.cluster.loadBalancer!.haproxy;
    const result = await this.lab.run(host, ['curl', '-sf', '-u', `${h.statsUser}:${this.bundles.secrets.statsPassword}`, `http://127.0.0.1:${h.statsPort}/;csv`]);
    if (result.code !== 0) throw new Error(`HAProxy stats on ${host}: curl exited with ${result.code}`);
    const [header, ...rows] = result.stdout.split('\n');
    const stot = header!.replace(/^# /, '').split(',').indexOf('stot');
    const row = rows.map((r) => r.split(',')).find((f) => f[0] === 'amqp' && f[1] === server);
    if (!row) throw new Error(`HAProxy on ${host} has no server ${server} in listen amqp`);
    return Number(row[stot]);
  }

  /** The latest status of a server as one HAProxy sees it (`UP`, `DOWN`, `no`...), or undefined before the first poll. */
  haproxyStatus(host: string, server: string): string | undefined {
    return this.haproxyChanges(host).filter((c) => c.server === server).at(-1)?.status;
  }

  /** Waits until HAProxy on `host` reports `status` for `server` at or after `sinceMs`; returns that change. */
  async waitForHaproxyStatus(host: string, server: string, status: string, sinceMs: number, timeoutMs: number): Promise<HaproxyStatusChange> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const change = this.haproxyChanges(host).find((c) => c.server === server && c.status === status && c.atMs >= sinceMs);
      if (change) return change;
      await sleep(50);
    }
    throw new Error(`HAProxy on ${host} did not report ${server} ${status} within ${timeoutMs} ms; changes: ${JSON.stringify(this.haproxyChanges(host).slice(-6))}`);
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
  }

  private async mustRun(host: string, argv: string[]): Promise<void> {
    const result = await this.lab.run(host, argv);
    if (result.code !== 0) throw new Error(`${host}: ${argv.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  }
}

function sameSubnet(address: string, last: number): string {
  return `${address.split('.').slice(0, 3).join('.')}.${last}`;
}
