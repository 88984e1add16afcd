/**
 * Real, per line (3.10.8 on OTP 25 from this machine, 4.3 on OTP 29 from the forky root): a 3-node cluster with
 * `tls: { certificate: generate, privateKey: generate, interNode: true }`. `warren synth --target vm` makes the CA
 * and certificate and writes the bundles; each node's own install.sh places its files; the nodes boot from those
 * folders in lab hosts and run their Erlang distribution over TLS. The CLI reads the bundle's rabbitmq-env.conf
 * (CTL_ERL_ARGS) as on a real host. tcpdump on the first node's host captures distribution and epmd traffic.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';
import { resolveCluster, type ClusterSpec, type ResolvedCluster } from '../../model/internal';
import { createLab, rabbitmqctl, startRabbitmqNode, waitForClusterSize, type Lab, type LabProcess, type RabbitmqNode, type RabbitmqNodeRef } from '../lab';
import { delay } from '../lab/commands';
import { runtimeOf } from '../support/real-rabbitmq';
import { tcpStreamsOf } from './pcap';

/** One CLI call over TLS distribution: 1.5-5 s at load 13, over 20 s at load 50-60 (measured here). */
const CLI_CALL_MS = 90_000;
const LINES = [
  { version: '3.10.8', subnet: '10.0.60' },
  { version: '4.3', subnet: '10.0.61' },
];

describe.each(LINES)('inter-node TLS on real RabbitMQ $version nodes booted from VM bundles', ({ version, subnet }) => {
  const work = mkdtempSync(join(tmpdir(), 'warren-inter-node-'));
  const spec: ClusterSpec = {
    name: 'internode',
    rabbitmq: { version },
    nodes: [1, 2, 3].map((i) => ({ host: `internode-${i}`, address: `${subnet}.1${i}` })),
    tls: { certificate: 'generate', privateKey: 'generate', interNode: true },
  } as ClusterSpec;
  const cluster: ResolvedCluster = resolveCluster(spec);
  const runtime = runtimeOf(cluster);
  const [first, , last] = cluster.nodes;
  let lab: Lab | undefined;
  let nodes: RabbitmqNode[] = [];
  let capture: LabProcess | undefined;
  const pcap = () => join(work, 'inter-node.pcap');
  const rootOf = (host: string) => join(work, 'roots', host);
  const etcOf = (host: string) => join(rootOf(host), 'etc', 'rabbitmq');
  /** The CLI as it runs on the node's host: it reads the bundle's rabbitmq-env.conf. */
  const cli = (node: RabbitmqNode): RabbitmqNodeRef => ({ ...node, etcDir: etcOf(node.host) });
  const logTail = (host: string) => {
    try {
      return readFileSync(join(rootOf(host), 'var', 'log', 'rabbitmq', 'console.log'), 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '(no console.log)';
    }
  };

  const startNode = (host: string) => {
    const node = cluster.nodes.find((n) => n.host === host)!;
    return startRabbitmqNode(lab!, host, {
      nodeName: node.nodeName,
      etcDir: etcOf(host),
      dataDir: join(rootOf(host), 'var', 'lib', 'rabbitmq'),
      logDir: join(rootOf(host), 'var', 'log', 'rabbitmq'),
      root: runtime.root,
    });
  };

  beforeAll(async () => {
    writeFileSync(join(work, 'internode.yaml'), JSON.stringify(spec));
    const log: string[] = [];
    const code = runCli(['synth', '--spec', join(work, 'internode.yaml'), '--out', join(work, 'dist'), '--target', 'vm'], {
      stdout: (t) => log.push(t),
      stderr: (t) => log.push(t),
      env: {},
      cwd: work,
    });
    if (code !== 0) throw new Error(`warren synth failed:\n${log.join('')}`);
    for (const node of cluster.nodes) {
      execFileSync(join(work, 'dist', 'vm', node.host, 'install.sh'), ['--root', rootOf(node.host), '--no-packages'], { encoding: 'utf8' });
      mkdirSync(join(rootOf(node.host), 'var', 'log', 'rabbitmq'), { recursive: true });
    }
    lab = await createLab({ hosts: cluster.nodes.map((n) => ({ name: n.host, address: n.address! })) });
    // Distribution and epmd, on the wire between the first node's host and the others, from before the first byte.
    const captureLog = join(work, 'tcpdump.log');
    capture = lab.spawn(first!.host, ['tcpdump', '-i', 'eth0', '-U', '-s', '0', '-Z', 'root', '-w', pcap(), `tcp port ${cluster.ports.distribution} or tcp port 4369`], { logFile: captureLog });
    for (let i = 0; i < 100 && !readFileSync(captureLog, 'utf8').includes('listening on'); i++) await delay(100);
    expect(readFileSync(captureLog, 'utf8')).toContain('listening on eth0');
    const started = Date.now();
    nodes = await Promise.all(cluster.nodes.map((n) => startNode(n.host)));
    await waitForClusterSize(lab, cli(nodes[0]!), 3, 300_000, CLI_CALL_MS).catch((error: Error) => {
      throw new Error(`${error.message}\n${cluster.nodes.map((n) => `--- ${n.host}\n${logTail(n.host)}`).join('\n')}`);
    });
    console.log(`${version}: 3 nodes with inter-node TLS formed in ${Date.now() - started} ms`);
  }, 600_000);

  afterAll(async () => {
    await lab?.destroy();
    if (process.env.WARREN_LAB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('install.sh placed inter_node_tls.config (0644) and a rabbitmq-env.conf giving the server and the CLI the TLS distribution', () => {
    const etc = etcOf(first!.host);
    expect((statSync(join(etc, 'inter_node_tls.config')).mode & 0o777).toString(8)).toBe('644');
    const key = statSync(join(etc, 'tls', 'server_key.pem'));
    expect([(key.mode & 0o777).toString(8), key.uid]).toEqual(['400', Number(execFileSync('id', ['-u', 'rabbitmq'], { encoding: 'utf8' }))]);
    const env = readFileSync(join(etc, 'rabbitmq-env.conf'), 'utf8');
    const args = '"-proto_dist inet_tls -ssl_dist_optfile /etc/rabbitmq/inter_node_tls.config"';
    expect(env).toContain(`\nSERVER_ADDITIONAL_ERL_ARGS=${args}\n`);
    expect(env).toContain(`\nCTL_ERL_ARGS=${args}\n`);
  });

  it('every node runs its distribution over TLS (inet_tls) and the three formed one cluster', async () => {
    for (const node of nodes) {
      const proto = await rabbitmqctl(lab!, cli(node), ['eval', 'init:get_argument(proto_dist).']);
      expect(proto.stdout.trim(), `${node.host}: ${proto.stderr}`).toBe('{ok,[["inet_tls"]]}');
    }
    const status = await waitForClusterSize(lab!, cli(nodes[0]!), 3, 120_000, CLI_CALL_MS);
    expect([...status.running_nodes].sort()).toEqual(cluster.nodes.map((n) => n.nodeName));
    const version = (await rabbitmqctl(lab!, cli(nodes[0]!), ['version'])).stdout.trim();
    expect(version.startsWith(`${cluster.version.line}.`), version).toBe(true);
  }, 700_000);

  it('rabbitmqctl cluster_status works with the CLI\'s TLS arguments and fails without them (the node speaks only TLS)', async () => {
    const withTls = await rabbitmqctl(lab!, cli(nodes[1]!), ['cluster_status', '--formatter', 'json']);
    expect(withTls.code, withTls.stderr).toBe(0);
    expect((JSON.parse(withTls.stdout) as { running_nodes: string[] }).running_nodes).toHaveLength(3);
    // The same CLI without the bundle's rabbitmq-env.conf: plain distribution, which the TLS listener refuses.
    const plain = await rabbitmqctl(lab!, nodes[1]!, ['cluster_status'], 90_000);
    console.log(`${version}: rabbitmqctl without CTL_ERL_ARGS: exit ${plain.code}: ${(plain.stderr || plain.stdout).trim().split('\n').slice(0, 6).join(' | ')}`);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr + plain.stdout).toMatch(/unable to perform an operation on node|Error: unable to/i);
  }, 700_000);

  it('a SIGKILLed node leaves the cluster and rejoins over TLS after a restart', async () => {
    const victim = nodes[2]!;
    await victim.server.kill('SIGKILL');
    await victim.server.exited();
    const without = await waitForClusterSize(lab!, cli(nodes[0]!), 2, 120_000, CLI_CALL_MS);
    expect(without.running_nodes).not.toContain(last!.nodeName);
    const restartedAt = Date.now();
    nodes[2] = await startNode(victim.host);
    const back = await waitForClusterSize(lab!, cli(nodes[0]!), 3, 300_000, CLI_CALL_MS).catch((error: Error) => {
      throw new Error(`${error.message}\n${logTail(victim.host)}`);
    });
    console.log(`${version}: ${victim.host} rejoined ${Date.now() - restartedAt} ms after its restart`);
    expect([...back.running_nodes].sort()).toEqual(cluster.nodes.map((n) => n.nodeName));
  }, 700_000);

  it('the capture between the nodes holds TLS records on the distribution port and no node name in clear; epmd stays plain', async () => {
    await capture!.kill('SIGTERM');
    await capture!.exited();
    const streams = tcpStreamsOf(pcap());
    const port = cluster.ports.distribution;
    const distribution = streams.filter((s) => s.sourcePort === port || s.destinationPort === port);
    const epmd = streams.filter((s) => s.sourcePort === 4369 || s.destinationPort === 4369);
    const bytes = distribution.reduce((n, s) => n + s.payload.length, 0);
    console.log(`${version}: ${distribution.length} distribution streams (${bytes} bytes), ${epmd.length} epmd streams captured on ${first!.host}`);
    // Both directions of the connections to both peers, formation and rejoin included.
    expect(distribution.length).toBeGreaterThanOrEqual(4);
    for (const stream of distribution) {
      // A TLS record: content type 22 (handshake), version 3.x.
      expect([...stream.payload.subarray(0, 2)], stream.key).toEqual([0x16, 0x03]);
      for (const node of cluster.nodes) expect(stream.payload.includes(node.nodeName), `${node.nodeName} in ${stream.key}`).toBe(false);
    }
    // The control: epmd (plain, as documented) carries the node names' first part in clear, and the capture sees it.
    expect(epmd.some((s) => s.payload.includes('rabbit'))).toBe(true);
  });
});
