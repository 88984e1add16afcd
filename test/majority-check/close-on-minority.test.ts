/**
 * The agent's WARREN_ON_MINORITY hook, as the Kubernetes sidecar uses it (an unready pod keeps its established
 * connections): a real RabbitMQ 4.3 node in a lab host, the agent beside it probing the node's own distribution
 * port, a stand-in peer that accepts, and a port nothing listens on. When the stand-in stops, the agent loses the
 * majority and runs the chart's command, which closes the node's client connections through its CLI.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CLIENT_CONNECTIONS_COMMAND, MAJORITY_AGENT_ESCRIPT } from '../../model/internal';
import { createLab, rabbitmqRuntime, startRabbitmqNode, waitForClusterSize, writeErlangCookie, type Lab, type LabProcess, type RabbitmqNode } from '../lab';
import { delay } from '../lab/commands';

const HOST = 'rabbit-0';
const PEER_PORT = 7000;
const AGENT_PORT = 15680;
const runtime = rabbitmqRuntime('4.3');

describe('the majority agent on RabbitMQ 4.3 with the Kubernetes on-minority command', () => {
  let lab: Lab;
  let node: RabbitmqNode;
  let peer: LabProcess;

  beforeAll(async () => {
    lab = await createLab({ hosts: [{ name: HOST }] });
    const dirs = { etcDir: join(lab.tempDir, 'etc'), dataDir: join(lab.tempDir, 'data'), logDir: join(lab.tempDir, 'log'), agentDir: join(lab.tempDir, 'agent') };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dirs.etcDir, 'rabbitmq.conf'), 'listeners.tcp.default = 5672\n');
    writeFileSync(join(dirs.etcDir, 'enabled_plugins'), '[].\n');
    writeErlangCookie(dirs.dataDir, 'FAKE-TEST-COOKIE-NOT-A-SECRET');
    writeFileSync(join(dirs.agentDir, 'majority-agent.escript'), MAJORITY_AGENT_ESCRIPT);
    node = await startRabbitmqNode(lab, HOST, { nodeName: `rabbit@${HOST}`, etcDir: dirs.etcDir, dataDir: dirs.dataDir, logDir: dirs.logDir, root: runtime.root });
    await waitForClusterSize(lab, node, 1, 60_000);
    peer = lab.spawn(HOST, ['node', '-e', `require('net').createServer((s) => s.destroy()).listen(${PEER_PORT})`]);
    // As the sidecar runs it: the node's name and the cookie's HOME in the environment, the chart's command.
    mkdirSync(`${runtime.root}/usr/local/lib/warren`, { recursive: true });
    lab.spawn(HOST, ['escript', '/usr/local/lib/warren/majority-agent.escript', String(AGENT_PORT), '200', '500', '127.0.0.1:25672', `127.0.0.1:${PEER_PORT}`, '127.0.0.1:1'], {
      root: runtime.root,
      // PATH: the CLI itself first, as in the official image (Debian's /usr/sbin wrapper would switch users).
      env: { HOME: '/var/lib/rabbitmq', PATH: '/usr/lib/rabbitmq/bin:/usr/sbin:/usr/bin:/sbin:/bin', RABBITMQ_NODENAME: node.nodeName, WARREN_ON_MINORITY: CLOSE_CLIENT_CONNECTIONS_COMMAND },
      bindMounts: [
        { source: dirs.agentDir, target: '/usr/local/lib/warren' },
        { source: dirs.dataDir, target: '/var/lib/rabbitmq' },
      ],
      logFile: join(dirs.logDir, 'majority-agent.log'),
    });
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  async function verdict(): Promise<string> {
    return (await lab.run(HOST, ['curl', '-s', '--max-time', '2', `http://127.0.0.1:${AGENT_PORT}/majority`])).stdout;
  }

  it('closes every client connection of the node within 5 s of losing the majority, telling the client why', async () => {
    for (let i = 0; i < 100 && !(await verdict()).startsWith('majority'); i++) await delay(200);
    expect(await verdict()).toBe('majority: 2 of 3 nodes reachable\n');
    const client = lab.spawn(HOST, ['node', join(__dirname, 'clients', 'await-close.cjs')], { env: { AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672' } });
    const lines = () => readFileSync(client.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    for (let i = 0; i < 100 && lines().length === 0; i++) await delay(100);
    expect(lines()[0]).toHaveProperty('connectedAtMs');

    const lostAt = Date.now();
    await peer.kill('SIGKILL');
    for (let i = 0; i < 150 && lines().length < 2; i++) await delay(100);
    const closed = lines()[1];
    expect(closed, readFileSync(join(lab.tempDir, 'log', 'majority-agent.log'), 'utf8')).toBeDefined();
    console.log(`majority agent: minority ${Number(closed!.closedAtMs) - lostAt} ms after the peer stopped, the client heard: ${String(closed!.reason)}`);
    expect(Number(closed!.closedAtMs) - lostAt).toBeLessThan(5_000);
    expect(closed!.reason).toContain('CONNECTION_FORCED');
    expect(closed!.reason).toContain('this node lost the majority of its cluster');
    expect(await verdict()).toBe('minority: 1 of 3 nodes reachable; unreachable: 127.0.0.1:7000, 127.0.0.1:1\n');
  }, 60_000);
});
