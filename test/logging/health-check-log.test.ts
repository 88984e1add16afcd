/**
 * What HAProxy's AMQP health check writes to a real broker's log (issue 12). One RabbitMQ 4.3.6 and one 3.10.8
 * node, each booted from warren's files with its majority agent, checked every second by two real HAProxies
 * running warren's haproxy.cfg (Debian's 2.6 and sid's 3.2, one per load-balancer host, as two load balancers
 * would). The checks leave the log alone, while a real client's failed login and abrupt close through the load
 * balancer are still logged; the AMQP header probe warren used before writes its three lines per check (so the
 * count can fail); and a frozen broker is still marked down within serverDownDetectionMs' unreachable bound.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyConfigFromCluster, renderHaproxyConfig, serverDownDetectionMs } from '../../haproxy';
import { resolveCluster, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model';
import { vmBundleFiles } from '../../vm';
import { createLab, haproxyRunMount, loadBalancerRuntime, startBundleMajorityAgent, type Lab, type LabProcess, type LoadBalancerBuild } from '../lab';
import { fixtureSecrets } from '../support/fixtures';
import { LOAD_BALANCER_BUILDS } from '../support/load-balancer-programs';
import { runtimeOf, startSingleNode, type SingleNode } from '../support/real-rabbitmq';

const CLIENT = join(__dirname, 'clients', 'real-client.cjs');
const LINES = ['4.3', '3.10'] as const;
const QUIET_WINDOW_MS = 10_000;
const HEADER_PROBE_WINDOW_MS = 5_000;

interface Broker {
  readonly line: (typeof LINES)[number];
  readonly cluster: ResolvedCluster;
  readonly secrets: SecretValues;
  readonly node: SingleNode;
  /** Load-balancer host per HAProxy build, each running warren's haproxy.cfg. */
  readonly balancers: Record<LoadBalancerBuild, string>;
  /** A host for HAProxy with the AMQP header probe (what a cluster without the management plugin gets). */
  readonly headerProbeHost: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function clusterOf(line: (typeof LINES)[number], plugins?: string[]): ResolvedCluster {
  return resolveCluster({ name: `logs${line.replace('.', '')}`, rabbitmq: { version: line }, nodes: 1, loadBalancer: {}, ...(plugins && { plugins }) } as ClusterSpec);
}

/** Everything the node's logs hold, to diff before and after. */
function logText(node: SingleNode): string {
  return readdirSync(node.logDir)
    .filter((file) => file.endsWith('.log'))
    .sort()
    .map((file) => readFileSync(join(node.logDir, file), 'utf8'))
    .join('');
}

function linesSince(node: SingleNode, before: string): string[] {
  return logText(node).slice(before.length).split('\n').filter((line) => line !== '');
}

/** Process ids below `pid`: the node's Erlang VM (beam.smp) runs under the lab's launcher. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

describe('the AMQP health check and RabbitMQ\'s log, on real brokers behind real HAProxies', () => {
  let lab: Lab | undefined;
  let brokers: Broker[] = [];
  const frozen: number[] = [];

  function startHaproxy(host: string, build: LoadBalancerBuild, cluster: ResolvedCluster, secrets: SecretValues): LabProcess {
    const dir = join(lab!.tempDir, `haproxy-${host}`);
    mkdirSync(dir, { recursive: true });
    // The VM bundle's file but for the log target: stdout, into the process's log file.
    writeFileSync(join(dir, 'haproxy.cfg'), renderHaproxyConfig(haproxyConfigFromCluster(cluster, secrets, { target: 'vm', serverAddress: (n) => n.host, log: 'stdout' })));
    return lab!.spawn(host, ['haproxy', '-db', '-f', '/etc/haproxy/haproxy.cfg'], {
      bindMounts: [{ source: dir, target: '/etc/haproxy' }, haproxyRunMount(lab!, host, loadBalancerRuntime(build).root)],
      root: loadBalancerRuntime(build).root,
    });
  }

  /** HAProxy's view of the node from its Prometheus exporter: UP, DOWN, or undefined before it answers. */
  async function serverState(broker: Broker, lbHost: string): Promise<string | undefined> {
    const lb = broker.cluster.loadBalancer!;
    const credentials = `${lb.haproxy.statsUser}:${broker.secrets[lb.statsPassword.id]}`;
    const metrics = await lab!.run('client', ['curl', '-s', '--max-time', '2', '-u', credentials, `http://${lbHost}:${lb.haproxy.statsPort}${lb.haproxy.metricsPath}`]);
    return new RegExp(`^haproxy_server_status\\{proxy="amqp",server="${broker.cluster.nodes[0]!.host}",state="(\\w+)"\\} 1$`, 'm').exec(metrics.stdout)?.[1];
  }

  async function waitForState(broker: Broker, lbHost: string, state: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    let last: string | undefined;
    while (Date.now() - started < timeoutMs) {
      last = await serverState(broker, lbHost);
      if (last === state) return Date.now() - started;
      await sleep(100);
    }
    throw new Error(`RabbitMQ ${broker.line} in HAProxy on ${lbHost}: not ${state} within ${timeoutMs} ms (last ${last})`);
  }

  /** Connection attempts (SYN) to the node's AMQP port so far, from the accounting rule beforeAll adds to the node's firewall. */
  async function amqpConnectionAttempts(broker: Broker): Promise<number> {
    const rules = await lab!.run(broker.cluster.nodes[0]!.host, ['iptables', '-w', '-L', 'INPUT', '-n', '-v', '-x']);
    const rule = rules.stdout.split('\n').find((l) => l.includes(`dpt:${broker.cluster.ports.amqp}`));
    if (!rule) throw new Error(`no accounting rule for port ${broker.cluster.ports.amqp} in ${broker.cluster.nodes[0]!.host}:\n${rules.stdout}${rules.stderr}`);
    return Number(rule.trim().split(/\s+/)[0]);
  }

  async function runClient(broker: Broker, mode: 'failed-login' | 'abrupt-close') {
    const { cluster, secrets } = broker;
    const url = `amqp://${encodeURIComponent(cluster.defaultUser.name)}:${encodeURIComponent(secrets['default-user-password']!)}@${broker.balancers.bookworm}:${cluster.ports.amqp}/`;
    const result = await lab!.run('client', ['node', CLIENT], { env: { AMQP_URL: url, MODE: mode }, timeoutMs: 30_000 });
    if (result.code !== 0) throw new Error(`client ${mode} through HAProxy failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.trim()) as Record<string, boolean>;
  }

  beforeAll(async () => {
    const hosts = LINES.flatMap((line) => {
      const cluster = clusterOf(line);
      return [cluster.nodes[0]!.host, ...LOAD_BALANCER_BUILDS.map((build) => `${cluster.name}-lb-${build}`), `${cluster.name}-lb-header`];
    });
    lab = await createLab({ hosts: [...hosts, 'client'].map((name) => ({ name })) });
    brokers = await Promise.all(
      LINES.map(async (line): Promise<Broker> => {
        const cluster = clusterOf(line);
        const secrets = fixtureSecrets(cluster);
        const node = await startSingleNode(lab!, cluster, secrets);
        // The node's majority agent, as its VM bundle's systemd unit runs it (the check asks it last).
        const bundle = join(lab!.tempDir, `${cluster.name}-bundle`);
        for (const file of vmBundleFiles(cluster, secrets)) {
          mkdirSync(dirname(join(bundle, file.path)), { recursive: true });
          writeFileSync(join(bundle, file.path), file.content);
        }
        const host = cluster.nodes[0]!.host;
        // Counts, and lets through, every connection attempt to the AMQP port (the lab host's own network namespace).
        const rule = await lab!.run(host, ['iptables', '-w', '-I', 'INPUT', '-p', 'tcp', '--dport', String(cluster.ports.amqp), '--syn']);
        if (rule.code !== 0) throw new Error(`iptables in ${host}: ${rule.stderr}`);
        startBundleMajorityAgent(lab!, host, join(bundle, 'vm', host), { root: runtimeOf(cluster).root, logFile: join(lab!.tempDir, `${host}-majority-agent.txt`) });
        const balancers = Object.fromEntries(LOAD_BALANCER_BUILDS.map((build) => [build, `${cluster.name}-lb-${build}`])) as Record<LoadBalancerBuild, string>;
        for (const build of LOAD_BALANCER_BUILDS) startHaproxy(balancers[build], build, cluster, secrets);
        return { line, cluster, secrets, node, balancers, headerProbeHost: `${cluster.name}-lb-header` };
      }),
    );
    await Promise.all(brokers.flatMap((broker) => Object.values(broker.balancers).map((host) => waitForState(broker, host, 'UP', 60_000))));
  }, 240_000);

  afterAll(async () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await lab?.destroy();
  });

  it('checks every second from two HAProxies for 10 s, and the broker\'s log gains no line', async () => {
    const before = brokers.map((broker) => logText(broker.node));
    const synsBefore = await Promise.all(brokers.map(amqpConnectionAttempts));
    await sleep(QUIET_WINDOW_MS);
    const syns = await Promise.all(brokers.map(amqpConnectionAttempts));
    for (const [i, broker] of brokers.entries()) {
      const added = linesSince(broker.node, before[i]!);
      console.log(
        `RabbitMQ ${runtimeOf(broker.cluster).versions['rabbitmq-server']}: +${added.length} log lines for ${syns[i]! - synsBefore[i]!} checks in ` +
          `${QUIET_WINDOW_MS / 1000} s from HAProxy ${LOAD_BALANCER_BUILDS.map((b) => loadBalancerRuntime(b).versions.haproxy).join(' and ')}`,
      );
      expect(added, `RabbitMQ ${broker.line}`).toEqual([]);
      // The checks did open the AMQP port, about once a second per HAProxy.
      expect(syns[i]! - synsBefore[i]!, `RabbitMQ ${broker.line}: connection attempts to its AMQP port`).toBeGreaterThanOrEqual((LOAD_BALANCER_BUILDS.length * QUIET_WINDOW_MS) / 1000 - 2);
      for (const host of Object.values(broker.balancers)) expect(await serverState(broker, host), `RabbitMQ ${broker.line} in HAProxy on ${host}`).toBe('UP');
    }
  }, 60_000);

  it('still logs a real client\'s failed login and abrupt close through the load balancer', async () => {
    await Promise.all(
      brokers.map(async (broker) => {
        const before = logText(broker.node);
        expect(await runClient(broker, 'failed-login')).toEqual({ refused: true });
        expect(await runClient(broker, 'abrupt-close')).toEqual({ dropped: true });
        await sleep(1_000);
        const added = linesSince(broker.node, before);
        const user = broker.cluster.defaultUser.name;
        expect(added.filter((l) => /\[error\]/.test(l) && l.includes(`PLAIN login refused: user '${user}' - invalid credentials`)), `RabbitMQ ${broker.line}:\n${added.join('\n')}`).toHaveLength(1);
        const abrupt = added.findIndex((l) => /\[warning\]/.test(l) && l.includes(`user: '${user}'`) && l.includes('closing AMQP connection'));
        expect(abrupt, `RabbitMQ ${broker.line}:\n${added.join('\n')}`).toBeGreaterThanOrEqual(0);
        expect(added[abrupt + 1], `RabbitMQ ${broker.line}`).toMatch(/\[warning\] .*client unexpectedly closed TCP connection$/);
      }),
    );
  }, 60_000);

  it('the AMQP header probe (a cluster without the management plugin) writes three lines per check, as measured', async () => {
    const before = brokers.map((broker) => logText(broker.node));
    const started = Date.now();
    const probes = brokers.map((broker) => {
      const bare = clusterOf(broker.line, []);
      return startHaproxy(broker.headerProbeHost, 'bookworm', bare, fixtureSecrets(bare));
    });
    await sleep(HEADER_PROBE_WINDOW_MS);
    await Promise.all(probes.map((probe) => probe.kill()));
    await sleep(500);
    const seconds = (Date.now() - started) / 1000;
    for (const [i, broker] of brokers.entries()) {
      const added = linesSince(broker.node, before[i]!);
      console.log(`RabbitMQ ${broker.line}, header probe: +${added.length} lines in ${seconds.toFixed(1)} s, e.g.\n${added.slice(0, 3).join('\n')}`);
      const accepting = added.filter((l) => /\[info\] .*accepting AMQP connection/.test(l)).length;
      expect(accepting, `RabbitMQ ${broker.line}`).toBeGreaterThanOrEqual(HEADER_PROBE_WINDOW_MS / 1000 - 1);
      expect(added.filter((l) => /\[warning\] .*client unexpectedly closed TCP connection$/.test(l))).toHaveLength(accepting);
    }
  }, 60_000);

  it('marks a frozen broker (its Erlang VM stopped, its host still accepting TCP) down within the unreachable bound', async () => {
    const results = await Promise.all(
      brokers.map(async (broker) => {
        const beam = descendants(broker.node.rabbit.server.pid).find((pid) => {
          try {
            return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('beam');
          } catch {
            return false;
          }
        });
        expect(beam, `RabbitMQ ${broker.line}: the Erlang VM's process`).toBeDefined();
        process.kill(beam!, 'SIGSTOP');
        frozen.push(beam!);
        const bound = serverDownDetectionMs(broker.cluster.loadBalancer!.haproxy).unreachableMs;
        const downMs = await Promise.all(Object.values(broker.balancers).map((host) => waitForState(broker, host, 'DOWN', bound + 10_000)));
        return { broker, bound, downMs };
      }),
    );
    for (const { broker, bound, downMs } of results) {
      console.log(`RabbitMQ ${broker.line} frozen: DOWN after ${downMs.join(' / ')} ms in HAProxy ${LOAD_BALANCER_BUILDS.join(' / ')} (bound ${bound} ms)`);
      // 1 s for polling the exporter through a lab host and for HAProxy's timers on a busy machine.
      for (const ms of downMs) expect(ms, `RabbitMQ ${broker.line}`).toBeLessThanOrEqual(bound + 1_000);
    }
  }, 60_000);
});
