/**
 * Real: the compose target of the default spec (3 RabbitMQ 4.3 nodes + HAProxy), exactly as `warren synth`
 * writes it, on a real Docker engine with Compose v2 (Debian 12's engine 20.10, Compose 2.26), run with
 * `docker compose up --wait`. There is no image registry here: the images the file names are stand-ins
 * built locally from Debian roots under those very names (test/roots/docker-engine.sh). They reproduce the
 * official images' documented contract (entrypoint, users, paths, conf.d defaults, plugins), not their bytes.
 *
 * The engine has a network namespace of its own; the client runs in it and reaches HAProxy on the published
 * 127.0.0.1 ports. A missing engine or root fails the file, naming what to build.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../../cli/main';
import { composeProjectFromCluster } from '../../compose';
import { serverDownDetectionMs } from '../../haproxy';
import { resolveCluster, type ClusterSpec } from '../../model';
import { loadExample } from '../support/fixtures';
import { DockerEngine, ok, REPOSITORY } from './engine';

const work = mkdtempSync(join(tmpdir(), 'warren-compose-engine-'));
const composeDir = join(work, 'dist', 'compose');
const composeFile = join(composeDir, 'compose.yaml');
const cluster = resolveCluster(loadExample('default.yaml') as ClusterSpec);
const detectionBound = serverDownDetectionMs(cluster.loadBalancer!.haproxy);
const nodes = cluster.nodes.map((node) => node.host);
const KEPT_QUEUE = 'standin.kept';
const KEPT_COUNT = 500;

let engine: DockerEngine | undefined;
let images: string[] = [];
const timings: Record<string, number> = {};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function compose(args: readonly string[], timeoutMs = 300_000) {
  return engine!.docker(['compose', '-f', composeFile, ...args], { timeoutMs });
}

async function composeOk(args: readonly string[], timeoutMs?: number): Promise<void> {
  const result = await compose(args, timeoutMs);
  if (result.code !== 0) throw new Error(`docker compose ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}\n${await nodeLogs()}`);
}

async function containerOf(service: string): Promise<string> {
  const id = (await engine!.dockerOk(['compose', '-f', composeFile, 'ps', '-a', '-q', service])).trim();
  if (!id) throw new Error(`compose service ${service} has no container`);
  return id;
}

async function inspect(service: string): Promise<{ State: { Status: string; Pid: number; Health?: { Status: string } }; RestartCount: number }> {
  return JSON.parse(await engine!.dockerOk(['inspect', await containerOf(service)]))[0];
}

async function nodeLogs(): Promise<string> {
  if (!engine) return '';
  const logs = await engine.docker(['compose', '-f', composeFile, 'logs', '--no-color', '--tail', '15']);
  return `last log lines:\n${logs.stdout}${logs.stderr}`;
}

/** running_nodes as one node sees them; undefined while its CLI cannot answer. */
async function runningNodes(service: string): Promise<string[] | undefined> {
  const status = await engine!.docker(['exec', await containerOf(service), 'rabbitmqctl', '-q', 'cluster_status', '--formatter', 'json'], { timeoutMs: 30_000 });
  if (status.code !== 0) return undefined;
  try {
    return [...(JSON.parse(status.stdout).running_nodes as string[])].sort();
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, timeoutMs: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${await nodeLogs()}`);
    await sleep(intervalMs);
  }
}

/** HAProxy's own view of one server of `listen amqp`, from its Prometheus exporter. */
async function haproxyState(server: string): Promise<string | undefined> {
  // /metrics asks for the stats user's password, as Prometheus sends it.
  const lb = cluster.loadBalancer!;
  const password = readFileSync(join(work, '.warren-secrets', cluster.name, lb.statsPassword.id), 'utf8');
  const url = `http://127.0.0.1:${lb.haproxy.statsPort}${lb.haproxy.metricsPath}`;
  const metrics = await engine!.inNamespace(['curl', '-sf', '--max-time', '2', '-u', `${lb.haproxy.statsUser}:${password}`, url], { timeoutMs: 5_000 });
  const line = new RegExp(`^haproxy_server_status\\{proxy="amqp",server="${server}",state="([A-Z]+)"\\} 1$`, 'm').exec(metrics.stdout);
  return line?.[1];
}

/** When HAProxy logged `Server amqp/<server> is DOWN` (docker logs -t) at or after `since`, and why. */
async function haproxyLoggedDown(server: string, since: number): Promise<{ afterMs: number; reason: string } | undefined> {
  const logs = await engine!.docker(['logs', '-t', '--since', new Date(since - 1000).toISOString(), await containerOf('haproxy')]);
  for (const line of `${logs.stdout}${logs.stderr}`.split('\n')) {
    const match = /^(\S+) .*Server amqp\/(\S+) is DOWN, reason: ([^,]+)/.exec(line);
    if (match && match[2] === server && Date.parse(match[1]!) >= since) return { afterMs: Date.parse(match[1]!) - since, reason: match[3]! };
  }
  return undefined;
}

async function amqpClient(mode: 'publish' | 'consume', queue: string, count: number): Promise<Record<string, unknown>> {
  const password = readFileSync(join(work, '.warren-secrets', cluster.name, 'default-user-password'), 'utf8');
  const url = `amqp://${cluster.defaultUser.name}:${encodeURIComponent(password)}@127.0.0.1:${cluster.ports.amqp}/`;
  const client = await engine!.inNamespace([join(REPOSITORY, 'node_modules/.bin/tsx'), join(__dirname, 'amqp-client.ts')], {
    env: { AMQP_URL: url, QUEUE: queue, COUNT: String(count), MODE: mode },
    timeoutMs: 60_000,
  });
  if (client.code !== 0) throw new Error(`amqp client (${mode} ${queue}) failed:\n${client.stderr}`);
  return JSON.parse(client.stdout.trim().split('\n').pop()!);
}

/** The queue as `rabbitmqctl list_queues` on one node shows it, once its message count (statistics, every 5 s) is `messages`. */
async function queueAsListed(service: string, queue: string, messages: number): Promise<{ name: string; type: string; messages: number }> {
  let last: unknown;
  try {
    return await until(`${queue} with ${messages} messages as ${service} lists it`, 20_000, 1000, async () => {
      const listed = await engine!.docker(['exec', await containerOf(service), 'rabbitmqctl', '-q', 'list_queues', 'name', 'type', 'messages', '--formatter', 'json'], { timeoutMs: 30_000 });
      if (listed.code !== 0) return undefined;
      last = (JSON.parse(listed.stdout) as { name: string; type: string; messages: number }[]).find((q) => q.name === queue);
      return (last as { messages?: number } | undefined)?.messages === messages ? (last as { name: string; type: string; messages: number }) : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message.split('\n')[0]}; last seen: ${JSON.stringify(last)}`);
  }
}

async function cookieDigest(service: string): Promise<string> {
  const cookie = await engine!.dockerOk(['exec', await containerOf(service), 'cat', '/var/lib/rabbitmq/.erlang.cookie']);
  return createHash('sha256').update(cookie).digest('hex');
}

/**
 * `up --wait`: it returns once every node is healthy, i.e. booted, clustered and serving (check_running).
 * Then every node must list all nodes as running, and HAProxy must route to each of them.
 */
async function upUntilServing(label: string): Promise<void> {
  const started = Date.now();
  await composeOk(['up', '--wait']);
  timings[`${label}: up --wait returned, cluster formed (every node booted, clustered, serving)`] = Date.now() - started;
  for (const node of nodes) await until(`${label}: HAProxy marks ${node} UP`, 30_000, 100, async () => ((await haproxyState(node)) === 'UP' ? true : undefined));
  timings[`${label}: HAProxy routes to every node`] = Date.now() - started;
  for (const node of nodes) {
    const running = await runningNodes(node);
    if (running?.length !== nodes.length) throw new Error(`${label}: ${node} sees running nodes ${JSON.stringify(running)} after up --wait\n${await nodeLogs()}`);
  }
}

beforeAll(async () => {
  const log: string[] = [];
  // A copy of the spec: the generated secrets land in the work folder, whether beside the spec or the output.
  copyFileSync(join(REPOSITORY, 'examples/default.yaml'), join(work, 'default.yaml'));
  const code = runCli(['synth', '--spec', join(work, 'default.yaml'), '--out', join(work, 'dist'), '--target', 'compose'], {
    stdout: (t) => log.push(t),
    stderr: (t) => log.push(t),
    env: {},
    cwd: work,
  });
  if (code !== 0) throw new Error(`warren synth failed:\n${log.join('')}`);
  const project = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, { image: string }> };
  images = [...new Set(Object.values(project.services).map((s) => s.image))].sort();

  engine = await DockerEngine.start();
  const built = Date.now();
  console.log((await engine.buildStandInImages(images)).trim());
  timings['stand-in images ready'] = Date.now() - built;
  await upUntilServing('first up');
}, 600_000);

afterAll(async () => {
  if (Object.keys(timings).length > 0) {
    console.log(`compose on a real engine, stand-in images ${images.join(', ')}:\n${Object.entries(timings).map(([k, v]) => `  ${k}: ${(v / 1000).toFixed(2)} s`).join('\n')}`);
  }
  try {
    if (engine) await compose(['down', '-v', '--timeout', '10'], 120_000);
  } finally {
    await engine?.stop();
    if (process.env.WARREN_LAB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  }
}, 180_000);

describe('compose target on a real Docker engine, stand-in images of rabbitmq and haproxy', () => {
  it('runs the generated file unchanged on stand-ins of the images it names', async () => {
    expect(images).toEqual(['haproxy:3.2', 'rabbitmq:4.3-management']);
    for (const image of images) {
      const labels = JSON.parse(await engine!.dockerOk(['image', 'inspect', '-f', '{{json .Config.Labels}}', image]));
      expect(labels, image).toHaveProperty('org.warren.standin');
    }
    // The contract the file relies on: entrypoint and command, and who the processes run as.
    const rabbit = JSON.parse(await engine!.dockerOk(['image', 'inspect', '-f', '{{json .Config}}', 'rabbitmq:4.3-management']));
    expect([rabbit.Entrypoint, rabbit.Cmd, rabbit.Volumes]).toEqual([['docker-entrypoint.sh'], ['rabbitmq-server'], { '/var/lib/rabbitmq': {} }]);
    const ids = await engine!.dockerOk(['exec', await containerOf(nodes[0]!), 'sh', '-c', 'id -u rabbitmq; id -g rabbitmq; stat -c %u /proc/1']);
    expect(ids.trim().split('\n')).toEqual(['999', '999', '999']);
    const haproxyUser = await engine!.dockerOk(['exec', await containerOf('haproxy'), 'sh', '-c', 'id -u; stat -c %u /proc/1']);
    expect(haproxyUser.trim().split('\n')).toEqual(['99', '99']);
  });

  it('forms one cluster of three running nodes by itself; every node is healthy and HAProxy sees every node UP', async () => {
    for (const node of nodes) {
      expect(await runningNodes(node)).toEqual(nodes.map((host) => `rabbit@${host}`));
      expect((await inspect(node)).State.Health?.Status).toBe('healthy');
    }
    for (const node of nodes) expect(await haproxyState(node), node).toBe('UP');
  });

  it('Engine 20.10 holds each node to compose.memoryLimit and the broker plans its memory alarm within it; it refuses healthcheck.start_interval, which the file leaves out', async () => {
    const limitBytes = composeProjectFromCluster(cluster).services.find((s) => s.name === nodes[0])!.memoryLimitBytes!;
    const conf = readFileSync(join(composeDir, 'rabbitmq', 'rabbitmq.conf'), 'utf8');
    const told = Number(/^total_memory_available_override_value = (\d+)$/m.exec(conf)![1]);
    expect([limitBytes, told]).toEqual([2 * 2 ** 30, 1717986919]);
    for (const node of nodes) {
      const id = await containerOf(node);
      expect(Number(await engine!.dockerOk(['inspect', '-f', '{{.HostConfig.Memory}}', id])), node).toBe(limitBytes);
      // The container sees the host's RAM: without the override, a relative watermark would be a share of the host.
      const memTotalKb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(await engine!.dockerOk(['exec', id, 'cat', '/proc/meminfo']))![1]);
      const evaluate = async (expression: string) => Number((await engine!.dockerOk(['exec', id, 'rabbitmqctl', '-q', 'eval', expression], { timeoutMs: 30_000 })).trim());
      const total = await evaluate('vm_memory_monitor:get_total_memory().');
      const alarmAt = await evaluate('vm_memory_monitor:get_memory_limit().');
      expect([total, alarmAt], node).toEqual([told, Math.floor(told * 0.6)]);
      if (node === nodes[0]) console.log(`memory: container limit ${limitBytes} B, RabbitMQ plans with ${total} B, alarm at ${alarmAt} B; /proc/meminfo in the container: ${memTotalKb * 1024} B`);
      expect(memTotalKb * 1024).not.toBe(limitBytes);
    }

    // The same project with start_interval on the nodes' healthchecks, under another name: Compose refuses to create it here.
    const variant = parse(readFileSync(composeFile, 'utf8')) as { name: string; networks: Record<string, { name: string }>; services: Record<string, { healthcheck?: Record<string, unknown> }> };
    variant.name = 'start-interval';
    for (const network of Object.values(variant.networks)) network.name = 'start-interval';
    for (const service of Object.values(variant.services)) if (service.healthcheck) service.healthcheck.start_interval = '2s';
    const variantFile = join(composeDir, 'start-interval.yaml');
    writeFileSync(variantFile, stringify(variant));
    const refused = await engine!.docker(['compose', '-f', variantFile, 'create'], { timeoutMs: 60_000 });
    await engine!.docker(['compose', '-f', variantFile, 'down', '-v'], { timeoutMs: 60_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("can't set healthcheck.start_interval as feature require Docker Engine v25 or later");
  }, 120_000);

  it('a client through HAProxy publishes with confirms to a quorum queue and consumes every message in order', async () => {
    expect(await amqpClient('publish', 'standin.roundtrip', 1000)).toEqual({ published: 1000, confirmed: 1000, nacked: 0, queued: 1000 });
    expect(await queueAsListed(nodes[1]!, 'standin.roundtrip', 1000)).toEqual({ name: 'standin.roundtrip', type: 'quorum', messages: 1000 });
    expect(await amqpClient('consume', 'standin.roundtrip', 1000)).toEqual({ consumed: 1000, inOrder: true, left: 0 });
    // Kept for the restarts below.
    expect(await amqpClient('publish', KEPT_QUEUE, KEPT_COUNT)).toMatchObject({ confirmed: KEPT_COUNT, nacked: 0 });
  }, 120_000);

  it('a crashed node (its process SIGKILLed): HAProxy marks it DOWN, the restart policy restarts it and it rejoins', async () => {
    const node = nodes[1]!;
    expect(await haproxyState(node)).toBe('UP');
    const before = await inspect(node);
    const killedAt = Date.now();
    process.kill(before.State.Pid, 'SIGKILL');
    await until(`HAProxy marks ${node} DOWN`, 10_000, 50, async () => ((await haproxyState(node)) === 'DOWN' ? true : undefined));
    const polledMs = Date.now() - killedAt;
    const logged = await until('HAProxy logs the DOWN', 5_000, 200, () => haproxyLoggedDown(node, killedAt));
    timings[`crash: HAProxy marked ${node} DOWN (its log; ${logged.reason})`] = logged.afterMs;
    timings[`crash: HAProxy marked ${node} DOWN (metrics polled)`] = polledMs;
    expect(logged.afterMs).toBeLessThanOrEqual(detectionBound.unreachableMs);

    await until(`${node} restarted by its restart policy`, 30_000, 200, async () => {
      const now = await inspect(node);
      return now.RestartCount === before.RestartCount + 1 && now.State.Status === 'running' ? true : undefined;
    });
    timings[`crash: ${node} restarted by the restart policy`] = Date.now() - killedAt;
    await until(`${node} back among the running nodes`, 120_000, 1000, async () => ((await runningNodes(nodes[0]!))?.includes(`rabbit@${node}`) ? true : undefined));
    timings[`crash: ${node} rejoined the cluster`] = Date.now() - killedAt;
    await until(`HAProxy marks ${node} UP`, 30_000, 250, async () => ((await haproxyState(node)) === 'UP' ? true : undefined));
    timings[`crash: HAProxy marked ${node} UP again`] = Date.now() - killedAt;
    expect(await queueAsListed(nodes[0]!, KEPT_QUEUE, KEPT_COUNT)).toEqual({ name: KEPT_QUEUE, type: 'quorum', messages: KEPT_COUNT });
  }, 240_000);

  it('`docker kill` is a manual stop: HAProxy marks the node DOWN, Docker leaves it stopped, `compose up --wait` brings it back', async () => {
    const node = nodes[2]!;
    expect(await haproxyState(node)).toBe('UP');
    const before = await inspect(node);
    const killedAt = Date.now();
    await engine!.dockerOk(['kill', await containerOf(node)]);
    const logged = await until('HAProxy logs the DOWN', 10_000, 200, () => haproxyLoggedDown(node, killedAt));
    timings[`docker kill: HAProxy marked ${node} DOWN (its log; ${logged.reason})`] = logged.afterMs;
    expect(logged.afterMs).toBeLessThanOrEqual(detectionBound.unreachableMs);
    expect(await haproxyState(node)).toBe('DOWN');
    // Docker documents that a manually stopped container is not restarted (kill counts as manual).
    await sleep(5_000);
    const after = await inspect(node);
    expect([after.State.Status, after.RestartCount]).toEqual(['exited', before.RestartCount]);

    const upAt = Date.now();
    await composeOk(['up', '--wait']);
    timings[`docker kill: up --wait brought ${node} back (healthy)`] = Date.now() - upAt;
    await until(`${node} back among the running nodes`, 120_000, 1000, async () => ((await runningNodes(nodes[0]!))?.includes(`rabbit@${node}`) ? true : undefined));
    timings[`docker kill: ${node} rejoined the cluster after up`] = Date.now() - upAt;
    await until(`HAProxy marks ${node} UP`, 30_000, 250, async () => ((await haproxyState(node)) === 'UP' ? true : undefined));
  }, 240_000);

  it('a node cut off from its peers only (packets dropped in its container; HAProxy still reaches it): the majority agent takes it out of HAProxy within 5 s and back within 5 s', async () => {
    const node = nodes[0]!;
    const peers = nodes.filter((n) => n !== node);
    expect(await haproxyState(node)).toBe('UP');
    const { State } = await inspect(node);
    const addresses = await Promise.all(peers.map(async (peer) => (await engine!.dockerOk(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', await containerOf(peer)])).trim()));
    const filter = async (action: '-A' | '-D') => {
      for (const address of addresses) {
        await ok(['nsenter', '-t', String(State.Pid), '-n', 'iptables', action, 'INPUT', '-s', address, '-j', 'DROP']);
        await ok(['nsenter', '-t', String(State.Pid), '-n', 'iptables', action, 'OUTPUT', '-d', address, '-j', 'DROP']);
      }
    };
    const cutAt = Date.now();
    await filter('-A');
    try {
      await until(`HAProxy marks ${node} DOWN`, 15_000, 50, async () => ((await haproxyState(node)) === 'DOWN' ? true : undefined));
      timings[`cut from its peers: HAProxy marked ${node} DOWN (metrics polled)`] = Date.now() - cutAt;
      expect(Date.now() - cutAt).toBeLessThanOrEqual(5_000 + 500);
      for (const peer of peers) expect(await haproxyState(peer), peer).toBe('UP');
    } finally {
      await filter('-D');
    }
    const restoredAt = Date.now();
    await until(`HAProxy marks ${node} UP`, 15_000, 50, async () => ((await haproxyState(node)) === 'UP' ? true : undefined));
    timings[`cut from its peers: HAProxy marked ${node} UP after the link returned`] = Date.now() - restoredAt;
    expect(Date.now() - restoredAt).toBeLessThanOrEqual(5_000 + 500);
  }, 60_000);

  it('`compose down` (without -v) then `up` keeps the volumes, the cookie and the quorum queue with its messages', async () => {
    const secretCookie = createHash('sha256').update(readFileSync(join(composeDir, 'secrets', 'erlang-cookie'))).digest('hex');
    for (const node of nodes) expect(await cookieDigest(node), node).toBe(secretCookie);
    const volumesBefore = await engine!.dockerOk(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${cluster.name}`]);
    const downAt = Date.now();
    await composeOk(['down'], 180_000);
    timings['down (without -v)'] = Date.now() - downAt;
    expect((await engine!.dockerOk(['ps', '-aq'])).trim()).toBe('');
    expect(await engine!.dockerOk(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${cluster.name}`])).toBe(volumesBefore);
    expect(volumesBefore.trim().split('\n')).toHaveLength(nodes.length);

    await upUntilServing('up after down');
    for (const node of nodes) expect(await cookieDigest(node), node).toBe(secretCookie);
    expect(await queueAsListed(nodes[2]!, KEPT_QUEUE, KEPT_COUNT)).toEqual({ name: KEPT_QUEUE, type: 'quorum', messages: KEPT_COUNT });
    expect(await amqpClient('consume', KEPT_QUEUE, KEPT_COUNT)).toEqual({ consumed: KEPT_COUNT, inOrder: true, left: 0 });
  }, 420_000);
});
