/**
 * Real: the files `warren synth` writes for the compose target boot as real RabbitMQ nodes of the line the
 * spec names (3.10 from this machine's Debian package, 4.0 and 4.3 from the Debian roots of test/roots; no
 * Docker engine is involved here) and form one cluster by themselves.
 * Each compose service becomes a lab host with its own network namespace and host name; its bind
 * mounts land at the container paths, and the service's entrypoint `install` lines are carried out
 * as written, so the cookie and definitions end up where, and with the mode, the container gives them.
 * Then one node is killed (SIGKILL) and started again from its files: it rejoins, and a quorum queue keeps
 * every message the cluster confirmed.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../cli/main';
import { resolveCluster, type ClusterSpec, type ResolvedCluster } from '../../model';
import { createLab, rabbitmqctl, startRabbitmqNode, waitForClusterSize, type Lab, type RabbitmqNode, type RabbitmqNodeOptions } from '../lab';
import { loadExample, ROOT } from '../support/fixtures';
import { configKeyComplaints, deprecatedFeaturesInUse, runAmqpSteps, runtimeOf, type TakenMessage } from '../support/real-rabbitmq';

interface Service {
  image: string;
  hostname: string;
  environment: Record<string, string>;
  entrypoint: string[];
  volumes: { type: string; source: string; target: string }[];
  secrets: { source: string; target: string }[];
}

/**
 * Where a container path lands: /etc/rabbitmq and /var/lib/rabbitmq are per-node folders; warren's own
 * programs beside the node (/usr/local/lib/warren) are copied but not run here.
 */
function hostPath(nodeDir: string, containerPath: string): string {
  for (const [prefix, folder] of [['/etc/rabbitmq', 'etc'], ['/var/lib/rabbitmq', 'data'], ['/usr/local/lib/warren', 'programs']] as const) {
    if (containerPath === prefix || containerPath.startsWith(`${prefix}/`)) return join(nodeDir, folder, containerPath.slice(prefix.length));
  }
  throw new Error(`the compose service puts a file at ${containerPath}, which this test does not map; extend hostPath`);
}

/**
 * Each example's version picks the line the nodes run: 3.10 (host), 4.0 (trixie root), 4.3 (forky root).
 * lb-vm-4.3 is a VM example: its compose files carry the same rabbitmq.conf and definitions as its bundles.
 */
const EXAMPLES = ['compose-3.10.yaml', 'compose-4.0.yaml', 'default.yaml', 'lb-vm-4.3.yaml'];

describe.each(EXAMPLES)('compose target of %s on real RabbitMQ nodes of its line', (example) => {
  const cluster: ResolvedCluster = resolveCluster(loadExample(example) as ClusterSpec);
  const runtime = runtimeOf(cluster);
  const work = mkdtempSync(join(tmpdir(), 'warren-compose-real-'));
  const composeDir = join(work, 'dist', 'compose');
  let lab: Lab | undefined;
  let services: [string, Service][] = [];
  let nodes: RabbitmqNode[] = [];
  let options: RabbitmqNodeOptions[] = [];
  let password = '';
  let formationMs = 0;
  const logDirOf = (service: string) => join(work, 'nodes', service, 'log');

  beforeAll(async () => {
    // A copy of the spec in the work folder: generated secrets land beside it, not in examples/.
    copyFileSync(join(ROOT, 'examples', example), join(work, example));
    const log: string[] = [];
    const code = runCli(['synth', '--spec', join(work, example), '--out', join(work, 'dist'), '--target', 'compose'], {
      stdout: (t) => log.push(t),
      stderr: (t) => log.push(t),
      env: {},
      cwd: work,
    });
    if (code !== 0) throw new Error(`warren synth failed:\n${log.join('')}`);
    password = readFileSync(join(work, '.warren-secrets', cluster.name, 'default-user-password'), 'utf8');
    const project = parse(readFileSync(join(composeDir, 'compose.yaml'), 'utf8'));
    services = (Object.entries(project.services) as [string, Service][]).filter(([, s]) => s.image.startsWith('rabbitmq:'));

    lab = await createLab({ hosts: [...services.map(([, s]) => ({ name: s.hostname })), { name: 'client' }] });
    for (const [name, service] of services) {
      const nodeDir = join(work, 'nodes', name);
      for (const folder of ['etc', 'data', 'log']) mkdirSync(join(nodeDir, folder), { recursive: true });
      for (const volume of service.volumes.filter((v) => v.type === 'bind')) {
        const target = hostPath(nodeDir, volume.target);
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(resolve(composeDir, volume.source), target);
      }
      // Carry out the entrypoint's `install -m MODE -o rabbitmq -g rabbitmq SRC DST` lines (as root here).
      const script = service.entrypoint[2]!;
      for (const [, modeText, source, destination] of script.matchAll(/install -m (\d+) -o rabbitmq -g rabbitmq ([^\s;]+) ([^\s;]+)/g)) {
        const secretName = service.secrets.find((s) => `/run/secrets/${s.target}` === source)!.source;
        const file = resolve(composeDir, project.secrets[secretName].file);
        const target = hostPath(nodeDir, destination!);
        copyFileSync(file, target);
        chmodSync(target, parseInt(modeText!, 8));
      }
      expect(script).toMatch(/exec docker-entrypoint\.sh rabbitmq-server$/);
    }
    options = services.map(([name, service]) => ({
      nodeName: service.environment.RABBITMQ_NODENAME!,
      etcDir: join(work, 'nodes', name, 'etc'),
      dataDir: join(work, 'nodes', name, 'data'),
      logDir: logDirOf(name),
      env: { RABBITMQ_CONFIG_FILES: '/etc/rabbitmq/conf.d' },
      root: runtime.root,
    }));
    const started = Date.now();
    nodes = await Promise.all(services.map(([, service], i) => startRabbitmqNode(lab!, service.hostname, options[i]!)));
    await waitForClusterSize(lab, nodes[0]!, services.length, 90_000);
    formationMs = Date.now() - started;
  }, 300_000);

  afterAll(async () => {
    await lab?.destroy();
    if (process.env.WARREN_LAB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it(`runs RabbitMQ ${cluster.version.line} and forms one cluster of every node by itself (classic_config), seen from every node`, async () => {
    const hosts = cluster.nodes.map((n) => n.nodeName);
    expect(services.map(([, s]) => s.hostname)).toEqual(cluster.nodes.map((n) => n.host));
    for (const node of nodes) {
      const status = await waitForClusterSize(lab!, node, hosts.length, 30_000);
      expect([...status.running_nodes].sort()).toEqual(hosts);
      expect(status.partitions).toEqual({});
    }
    const version = (await rabbitmqctl(lab!, nodes[0]!, ['version'])).stdout.trim();
    expect(version.startsWith(`${cluster.version.line}.`), version).toBe(true);
    console.log(`${example}: ${hosts.length} RabbitMQ ${version} nodes (${runtime.line} line) formed one cluster in ${formationMs} ms`);
  });

  it('installed the cookie 0400 where Erlang reads it', () => {
    for (const [name] of services) {
      expect((statSync(join(work, 'nodes', name, 'data', '.erlang.cookie')).mode & 0o777).toString(8)).toBe('400');
    }
  });

  it('boots from the generated rabbitmq.conf without a complaint about any key', () => {
    for (const [name] of services) expect(configKeyComplaints(logDirOf(name)), name).toEqual([]);
    const deprecated = deprecatedFeaturesInUse(logDirOf(services[0]![0]));
    console.log(`${example}: deprecated features the node reports in use: ${JSON.stringify(deprecated)}`);
    // The management plugin's own metrics collection is deprecated from 4.0 (Prometheus replaces it); nothing else.
    expect(deprecated.filter((feature) => feature !== 'management_metrics_collection')).toEqual([]);
  });

  it('runs the metadata store the spec describes, with partition handling only where it has an effect', async () => {
    const node = nodes[1]!;
    const khepri = await rabbitmqctl(lab!, node, ['eval', 'try rabbit_khepri:is_enabled() catch _:_ -> false end.']);
    expect(khepri.stdout.trim()).toBe(String(cluster.metadataStore === 'khepri'));
    const env = await rabbitmqctl(lab!, node, ['eval', 'application:get_env(rabbit, cluster_partition_handling).']);
    expect(env.stdout.trim()).toBe(cluster.partitionHandling.honoured ? `{ok,${cluster.partitionHandling.mode}}` : 'undefined');
    console.log(`${example}: metadata store ${cluster.metadataStore}, cluster_partition_handling ${env.stdout.trim()}`);
  });

  it('loads the definitions: users, no guest, vhosts, exchanges, queues with their types, bindings, policies', async () => {
    const node = nodes[1]!;
    const json = async (args: string[]) => {
      const result = await rabbitmqctl(lab!, node, [...args, '--formatter', 'json']);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>[];
    };
    expect((await json(['list_users'])).map((u) => u.user).sort()).toEqual([cluster.defaultUser.name, ...cluster.topology.users.map((u) => u.name)].sort());
    const vhosts = [...new Set(['/', ...cluster.topology.vhosts.map((v) => v.name)])];
    expect((await json(['list_vhosts'])).map((v) => v.name).sort()).toEqual([...vhosts].sort());
    for (const vhost of vhosts) {
      const exchanges = (await json(['list_exchanges', '-p', vhost, 'name', 'type'])).filter((e) => e.name !== '' && !String(e.name).startsWith('amq.'));
      expect(exchanges.map((e) => `${e.name}:${e.type}`).sort(), vhost).toEqual(cluster.topology.exchanges.filter((e) => e.vhost === vhost).map((e) => `${e.name}:${e.type}`).sort());
      const queues = await json(['list_queues', '-p', vhost, 'name', 'type']);
      expect(queues.map((q) => `${q.name}:${q.type}`).sort(), vhost).toEqual(cluster.topology.queues.filter((q) => q.vhost === vhost).map((q) => `${q.name}:${q.type}`).sort());
      const bindings = (await json(['list_bindings', '-p', vhost, 'source_name', 'destination_name', 'routing_key'])).filter((b) => b.source_name !== '');
      expect(bindings.map((b) => `${b.source_name} -[${b.routing_key}]-> ${b.destination_name}`).sort(), vhost).toEqual(
        cluster.topology.bindings.filter((b) => b.vhost === vhost).map((b) => `${b.source} -[${b.routingKey ?? ''}]-> ${b.destination}`).sort(),
      );
      expect((await json(['list_policies', '-p', vhost])).map((p) => p.name).sort(), vhost).toEqual(cluster.topology.policies.filter((p) => p.vhost === vhost).map((p) => p.name).sort());
    }
  });

  it('lets the default user log in with the generated password through the management API, and refuses guest', async () => {
    const node = nodes[2]!;
    const address = lab!.addressOf(node.host);
    const ok = await lab!.run('client', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `${cluster.defaultUser.name}:${password}`, `http://${address}:15672/api/whoami`]);
    expect(ok.stdout).toBe('200');
    const guest = await lab!.run('client', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'guest:guest', `http://${address}:15672/api/whoami`]);
    expect(guest.stdout).toBe('401');
  });

  it('a node killed with SIGKILL starts again from its files, rejoins, and a quorum queue keeps every confirmed message', async () => {
    const url = (node: RabbitmqNode) => `amqp://${encodeURIComponent(cluster.defaultUser.name)}:${encodeURIComponent(password)}@${node.host}/`;
    const queue = 'warren.kill-test';
    const declare = { op: 'declare', queue, arguments: { 'x-queue-type': 'quorum' } } as const;
    const before = await runAmqpSteps(lab!, 'client', url(nodes[0]!), [declare, { op: 'publish', exchange: '', routingKey: queue, count: 300 }]);
    expect(before[1]).toBe(300);

    const victim = nodes.length - 1;
    const killedAt = Date.now();
    await nodes[victim]!.server.kill('SIGKILL');
    await waitForClusterSize(lab!, nodes[0]!, nodes.length - 1, 60_000);
    // Confirmed while the node is down: the remaining majority holds them.
    const during = await runAmqpSteps(lab!, 'client', url(nodes[0]!), [{ op: 'publish', exchange: '', routingKey: queue, count: 200 }]);
    expect(during[0]).toBe(200);

    const restartedAt = Date.now();
    nodes[victim] = await startRabbitmqNode(lab!, nodes[victim]!.host, options[victim]!);
    const status = await waitForClusterSize(lab!, nodes[victim]!, nodes.length, 120_000);
    expect([...status.running_nodes].sort()).toEqual(cluster.nodes.map((n) => n.nodeName));
    const rejoinMs = Date.now() - restartedAt;

    // Read through the node that was killed.
    const after = await runAmqpSteps(lab!, 'client', url(nodes[victim]!), [declare, { op: 'take', queue, quietMs: 1500 }]);
    const taken = after[1] as TakenMessage[];
    expect(after[0]).toEqual({ messageCount: 500 });
    expect(taken).toHaveLength(500);
    console.log(`${example}: ${nodes[victim]!.host} killed, down ${restartedAt - killedAt} ms, rejoined ${rejoinMs} ms after restart; ${taken.length} of 500 confirmed messages read back through it`);
  }, 240_000);
});
