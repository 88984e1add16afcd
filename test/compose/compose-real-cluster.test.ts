/**
 * Real: the files `warren synth` writes for the compose target boot as real RabbitMQ 3.10 nodes
 * (Debian's package; there is no Docker engine here) and form one cluster by themselves.
 * Each compose service becomes a lab host with its own network namespace and host name; its bind
 * mounts land at the container paths, and the service's entrypoint `install` lines are carried out
 * as written, so the cookie and definitions end up where, and with the mode, the container gives them.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../cli/main';
import { createLab, rabbitmqctl, startRabbitmqNode, waitForClusterSize, type Lab, type RabbitmqNode } from '../lab';
import { ROOT } from '../support/fixtures';

interface Service {
  image: string;
  hostname: string;
  environment: Record<string, string>;
  entrypoint: string[];
  volumes: { type: string; source: string; target: string }[];
  secrets: { source: string; target: string }[];
}

const work = mkdtempSync(join(tmpdir(), 'warren-compose-real-'));
const composeDir = join(work, 'dist', 'compose');
let lab: Lab | undefined;
let services: [string, Service][] = [];
let nodes: RabbitmqNode[] = [];
let formationMs = 0;

/** Where a container path lands: /etc/rabbitmq and /var/lib/rabbitmq are per-node folders. */
function hostPath(nodeDir: string, containerPath: string): string {
  for (const [prefix, folder] of [['/etc/rabbitmq', 'etc'], ['/var/lib/rabbitmq', 'data']] as const) {
    if (containerPath === prefix || containerPath.startsWith(`${prefix}/`)) return join(nodeDir, folder, containerPath.slice(prefix.length));
  }
  throw new Error(`the compose service puts a file at ${containerPath}, which this test does not map; extend hostPath`);
}

beforeAll(async () => {
  const log: string[] = [];
  const code = runCli(['synth', '--spec', join(ROOT, 'examples/compose-3.10.yaml'), '--out', join(work, 'dist'), '--target', 'compose'], {
    stdout: (t) => log.push(t),
    stderr: (t) => log.push(t),
    env: {},
    cwd: work,
  });
  if (code !== 0) throw new Error(`warren synth failed:\n${log.join('')}`);
  const project = parse(readFileSync(join(composeDir, 'compose.yaml'), 'utf8'));
  services = (Object.entries(project.services) as [string, Service][]).filter(([, s]) => s.image.startsWith('rabbitmq:'));

  lab = await createLab({ hosts: services.map(([, s], i) => ({ name: s.hostname, address: `10.0.0.${11 + i}` })) });
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
  const started = Date.now();
  nodes = await Promise.all(
    services.map(([name, service]) => {
      const nodeDir = join(work, 'nodes', name);
      return startRabbitmqNode(lab!, service.hostname, {
        nodeName: service.environment.RABBITMQ_NODENAME!,
        etcDir: join(nodeDir, 'etc'),
        dataDir: join(nodeDir, 'data'),
        logDir: join(nodeDir, 'log'),
        env: { RABBITMQ_CONFIG_FILES: '/etc/rabbitmq/conf.d' },
      });
    }),
  );
  await waitForClusterSize(lab, nodes[0]!, services.length, 60_000);
  formationMs = Date.now() - started;
}, 300_000);

afterAll(async () => {
  await lab?.destroy();
  if (process.env.WARREN_LAB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
});

describe('compose target on real RabbitMQ 3.10 nodes', () => {
  it('forms one cluster of every node by itself (classic_config), seen from every node', async () => {
    expect(services.map(([name]) => name)).toEqual(['legacy-1', 'legacy-2', 'legacy-3']);
    for (const node of nodes) {
      const status = await waitForClusterSize(lab!, node, 3, 30_000);
      expect([...status.running_nodes].sort()).toEqual(['rabbit@legacy-1', 'rabbit@legacy-2', 'rabbit@legacy-3']);
      expect(status.partitions).toEqual({});
    }
    console.log(`compose-3.10 cluster formed in ${formationMs} ms`);
  });

  it('installed the cookie 0400 where Erlang reads it', () => {
    for (const [name] of services) {
      expect((statSync(join(work, 'nodes', name, 'data', '.erlang.cookie')).mode & 0o777).toString(8)).toBe('400');
    }
  });

  it('applies the generated rabbitmq.conf and definitions: partition handling, user, no guest, policies', async () => {
    const node = nodes[1]!;
    const env = await rabbitmqctl(lab!, node, ['eval', 'application:get_env(rabbit, cluster_partition_handling).']);
    expect(env.stdout.trim()).toBe('{ok,pause_minority}');
    const users = await rabbitmqctl(lab!, node, ['list_users', '--formatter', 'json']);
    expect(JSON.parse(users.stdout)).toEqual([{ user: 'ops', tags: ['administrator'] }]);
    const policies = await rabbitmqctl(lab!, node, ['list_policies', '--formatter', 'json']);
    expect(JSON.parse(policies.stdout).map((p: { name: string }) => p.name).sort()).toEqual(['bounded', 'mirror-all']);
  });

  it('lets the default user log in with the generated password through the management API, and refuses guest', async () => {
    const password = readFileSync(join(work, '.warren-secrets', 'legacy', 'default-user-password'), 'utf8');
    const node = nodes[2]!;
    const address = lab!.addressOf(node.host);
    const ok = await lab!.run(node.host, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `ops:${password}`, `http://${address}:15672/api/whoami`]);
    expect(ok.stdout).toBe('200');
    const guest = await lab!.run(node.host, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'guest:guest', `http://${address}:15672/api/whoami`]);
    expect(guest.stdout).toBe('401');
  });
});
