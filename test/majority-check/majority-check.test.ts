/**
 * The majority check (issue 21): which clusters get it, what each target renders for it, and the agent program
 * itself run by this machine's escript against real listening and closed ports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import { RabbitmqCluster } from '../../charts';
import { composeProjectFromCluster, renderEntrypoint } from '../../compose';
import { haproxyConfigFromCluster, majorityLossDetectionMs, renderHaproxyConfig } from '../../haproxy';
import { CLOSE_CLIENT_CONNECTIONS_COMMAND, MAJORITY_AGENT_ESCRIPT, resolveCluster, type ClusterSpec, type ResolvedCluster } from '../../model/internal';
import { vmBundleFiles } from '../../vm';
import { fixtureSecrets, loadExample } from '../support/fixtures';

const work = mkdtempSync(join(tmpdir(), 'warren-majority-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const lbVm43 = resolveCluster(loadExample('lb-vm-4.3.yaml') as ClusterSpec);

function withVersion(version: string, mode: string): ResolvedCluster {
  const spec = loadExample('lb-vm-3.10.yaml') as Record<string, any>;
  return resolveCluster({ ...spec, rabbitmq: { ...spec.rabbitmq, version }, partitionHandling: { mode } } as ClusterSpec);
}

const amqpLines = (cfg: string) => cfg.split('\n\n').find((block) => block.startsWith('listen amqp\n'))!.split('\n').map((l) => l.trim());

describe('which clusters get the majority check', () => {
  it.each([
    ['4.3', 'autoheal', true],
    ['4.3', 'pause_minority', true],
    ['4.0', 'ignore', true],
    ['4.0', 'autoheal', true],
    ['4.0', 'pause_minority', false],
    ['3.10', 'ignore', true],
    ['3.10', 'autoheal', true],
    ['3.10', 'pause_minority', false],
  ])('RabbitMQ %s with %s: %s', (version, mode, expected) => {
    expect(withVersion(version, mode).majorityCheck !== undefined).toBe(expected);
  });

  it('holds the loss of a majority to HAProxy marking the node down within 5 s', () => {
    expect(majorityLossDetectionMs(lbVm43)).toBe(3200);
    expect(majorityLossDetectionMs(withVersion('3.10', 'pause_minority'))).toBeUndefined();
  });
});

describe('HAProxy asks the agent after the AMQP port and the management API, in the same check', () => {
  it('renders one tcp-check sequence: the server port, the management API, then GET /majority on the agent port', () => {
    const cfg = renderHaproxyConfig(haproxyConfigFromCluster(lbVm43, fixtureSecrets(lbVm43), { target: 'vm', serverAddress: (n) => n.address! }));
    const lines = amqpLines(cfg);
    const from = lines.indexOf('option tcp-check');
    expect(lines.slice(from, from + 9)).toEqual([
      'option tcp-check',
      'tcp-check connect default linger',
      'tcp-check connect port 15672',
      'tcp-check send "GET /api/health/checks/ready-to-serve-clients HTTP/1.0\\r\\n\\r\\n"',
      'tcp-check expect rstring "^HTTP/1\\.[01] 200"',
      'tcp-check connect port 15680',
      'tcp-check send "GET /majority HTTP/1.0\\r\\n\\r\\n"',
      'tcp-check expect rstring "^HTTP/1\\.[01] 200"',
      'default-server inter 500ms fastinter 200ms rise 2 fall 2 on-marked-down shutdown-sessions',
    ]);
    expect(lines).toContain("# of the cluster's nodes (RabbitMQ 4.3 keeps it serving) is marked down within 3200 ms, its");
  });

  it('does not ask the agent where the node pauses itself', () => {
    const cluster = withVersion('3.10', 'pause_minority');
    const lines = amqpLines(renderHaproxyConfig(haproxyConfigFromCluster(cluster, fixtureSecrets(cluster), { target: 'vm', serverAddress: (n) => n.address! })));
    expect(lines.filter((l) => l.startsWith('tcp-check'))).toEqual([
      'tcp-check connect default linger',
      'tcp-check connect port 15672',
      'tcp-check send "GET /api/auth HTTP/1.0\\r\\n\\r\\n"',
      'tcp-check expect rstring "^HTTP/1\\.[01] 200"',
    ]);
  });
});

describe('VM bundle', () => {
  const files = vmBundleFiles(lbVm43, fixtureSecrets(lbVm43));
  const file = (path: string) => files.find((f) => f.path === path)!;

  it('installs the agent program and a systemd unit that runs it as rabbitmq, probing every node by its address', () => {
    expect(file('vm/rmq-2/usr/local/lib/warren/majority-agent.escript')).toEqual({
      path: 'vm/rmq-2/usr/local/lib/warren/majority-agent.escript',
      content: MAJORITY_AGENT_ESCRIPT,
      kind: 'executable',
    });
    const unit = file('vm/rmq-2/etc/systemd/system/warren-majority-agent.service').content;
    expect(unit).toContain(
      '\nExecStart=/usr/bin/escript /usr/local/lib/warren/majority-agent.escript 15680 500 1000 10.0.0.11:25672 10.0.0.12:25672 10.0.0.13:25672\n',
    );
    expect(unit).toContain('\nUser=rabbitmq\nGroup=rabbitmq\n');
    expect(unit).toContain('\nRestart=always\n');
    expect(files.filter((f) => f.path.startsWith('vm/lb-1/') && f.path.includes('majority'))).toEqual([]);
  });

  it('install.sh reloads systemd and starts the agent after rabbitmq-server', () => {
    const script = file('vm/rmq-1/install.sh').content;
    expect(script).toContain(
      "put 'etc/systemd/system/warren-majority-agent.service' '/etc/systemd/system/warren-majority-agent.service' '0644' 'root' 'root' 'warren-majority-agent'",
    );
    const tail = script.slice(script.indexOf('systemctl daemon-reload'));
    expect(tail.indexOf('systemctl enable --quiet rabbitmq-server')).toBeGreaterThan(0);
    expect(tail.indexOf('systemctl enable --quiet warren-majority-agent')).toBeGreaterThan(tail.indexOf('systemctl enable --quiet rabbitmq-server'));
    const shellcheck = spawnSync('shellcheck', ['-'], { input: script, encoding: 'utf8' });
    expect(shellcheck.error === undefined ? `${shellcheck.status} ${shellcheck.stdout}` : 'no shellcheck').toMatch(/^(0 |no shellcheck)/);
  });
});

describe('compose', () => {
  it('runs the agent in each node container as the rabbitmq user, restarted a second after it ends, probing the service names', () => {
    const service = composeProjectFromCluster(lbVm43).services.find((s) => s.name === 'rmq-1')!;
    const entrypoint = renderEntrypoint(service.startup!);
    expect(entrypoint[2]).toContain(
      '{ (while true; do setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups escript /usr/local/lib/warren/majority-agent.escript 15680 500 1000 rmq-1:25672 rmq-2:25672 rmq-3:25672; sleep 1; done) & }; exec docker-entrypoint.sh rabbitmq-server',
    );
    // The image runs the entrypoint with /bin/sh (dash on Debian and Ubuntu): it must parse there.
    const parse = spawnSync('sh', ['-n', '-c', entrypoint[2]!], { encoding: 'utf8' });
    expect(`${parse.status} ${parse.stderr}`).toBe('0 ');
    expect(service.environment).toEqual({ RABBITMQ_NODENAME: 'rabbit@rmq-1' });
  });
});

describe('Kubernetes', () => {
  it('adds a majority-agent container whose readiness (1 s period, 2 failures) takes the pod out of the Service', () => {
    const cluster = resolveCluster(loadExample('topology-4.3.yaml') as ClusterSpec);
    const chart = Testing.chart();
    new RabbitmqCluster(chart, 'rabbitmq', { cluster, secrets: fixtureSecrets(cluster) });
    const manifests = Testing.synth(chart) as any[];
    const sts = manifests.find((m) => m.kind === 'StatefulSet');
    const agent = sts.spec.template.spec.containers.find((c: { name: string }) => c.name === 'majority-agent');
    const { names } = cluster.kubernetes;
    expect(agent.command).toEqual([
      'escript',
      '/usr/local/lib/warren/majority-agent.escript',
      '15680',
      '500',
      '1000',
      ...[0, 1, 2].map((i) => `${names.statefulSet}-${i}.${names.headlessService}.$(MY_POD_NAMESPACE):25672`),
    ]);
    expect(agent.readinessProbe).toEqual({ httpGet: { path: '/majority', port: 'majority' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, successThreshold: 1 });
    // An unready pod keeps its connections: on losing the majority the agent closes them through the node's CLI
    // (the node's own name, the cookie in the data volume; see close-on-minority.test.ts for the real run).
    const env = Object.fromEntries((agent.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ RABBITMQ_USE_LONGNAME: 'true', RABBITMQ_NODENAME: cluster.kubernetes.nodeNamePattern, HOME: '/var/lib/rabbitmq', WARREN_ON_MINORITY: CLOSE_CLIENT_CONNECTIONS_COMMAND });
    expect(agent.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/rabbitmq', readOnly: true });
    expect(agent.image).toBe(cluster.image);
    const configMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === names.configMap);
    expect(configMap.data['majority-agent.escript']).toBe(MAJORITY_AGENT_ESCRIPT);
    expect(sts.spec.template.spec.volumes).toContainEqual({
      name: 'majority-agent',
      configMap: { name: names.configMap, defaultMode: 0o555, items: [{ key: 'majority-agent.escript', path: 'majority-agent.escript' }] },
    });
  });
});

describe('the agent program, run by escript', () => {
  const program = join(work, 'majority-agent.escript');
  writeFileSync(program, MAJORITY_AGENT_ESCRIPT);
  const servers: Server[] = [];
  const agents: ChildProcess[] = [];
  afterAll(() => {
    for (const agent of agents) agent.kill('SIGKILL');
    for (const server of servers) server.close();
  });

  async function listening(): Promise<number> {
    const server = createServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  async function closedPort(): Promise<number> {
    const port = await listening();
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    return port;
  }

  async function answerOf(targets: string[], agentPort: number): Promise<{ status: number; body: string }> {
    const agent = spawn('escript', [program, String(agentPort), '100', '500', ...targets], { stdio: 'ignore' });
    agents.push(agent);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${agentPort}/majority`);
        const body = await response.text();
        if (!body.startsWith('starting')) return { status: response.status, body };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the agent on port ${agentPort} gave no verdict within 30 s`);
  }

  it('answers 200 while more than half of the nodes accept on their port', async () => {
    const [a, b, c] = [await listening(), await listening(), await closedPort()];
    const answer = await answerOf([`127.0.0.1:${a}`, `127.0.0.1:${b}`, `127.0.0.1:${c}`], await closedPort());
    expect(answer).toEqual({ status: 200, body: 'majority: 2 of 3 nodes reachable\n' });
  }, 40_000);

  it('answers 503 naming the unreachable nodes when half or fewer accept', async () => {
    const [a, b, c] = [await listening(), await closedPort(), await closedPort()];
    const answer = await answerOf([`127.0.0.1:${a}`, `127.0.0.1:${b}`, `127.0.0.1:${c}`], await closedPort());
    expect(answer).toEqual({ status: 503, body: `minority: 1 of 3 nodes reachable; unreachable: 127.0.0.1:${b}, 127.0.0.1:${c}\n` });
  }, 40_000);
});
