import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeFiles, COMPOSE_FILES } from '../../compose';
import { formatProblem, resolveCluster, validateSpec, type ClusterSpec } from '../../model';
import { composeSchemaErrors, dclintMessages } from '../support/compose-checks';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';

const scratch = mkdtempSync(join(tmpdir(), 'warren-compose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function bundle(spec: ClusterSpec) {
  const cluster = resolveCluster(spec);
  const secrets = fixtureSecrets(cluster);
  const files = composeFiles(cluster, secrets);
  const composeText = files.find((f) => f.path === `compose/${COMPOSE_FILES.compose}`)!.content;
  return { cluster, secrets, files, composeText, project: parse(composeText) };
}

describe('compose target', () => {
  for (const example of exampleNames()) {
    it(`${example}: valid per the Compose Specification schema, and dclint reports nothing`, () => {
      const { composeText, project } = bundle(loadExample(example) as ClusterSpec);
      expect(composeSchemaErrors(project)).toEqual([]);
      const file = join(scratch, `${example}.compose.yaml`);
      writeFileSync(file, composeText);
      expect(dclintMessages(file)).toEqual([]);
    });
  }

  it('the checks do catch a broken file (an unquoted port and an unknown service key)', () => {
    const file = join(scratch, 'broken.yaml');
    writeFileSync(file, 'services:\n  a:\n    image: rabbitmq:4.3\n    ports:\n      - 5672:5672\n');
    expect(dclintMessages(file).map((m) => m.ruleId)).toContain('require-quotes-in-ports');
    expect(composeSchemaErrors({ services: { a: { image: 'x', hostnme: 'y' } } })).not.toEqual([]);
  });

  it('has no version key, one service per node with a fixed hostname and node name, and a volume per node', () => {
    const { project } = bundle({ name: 'orders', nodes: 3 });
    expect(project).not.toHaveProperty('version');
    expect(project.name).toBe('orders');
    for (const host of ['orders-1', 'orders-2', 'orders-3']) {
      const service = project.services[host];
      expect(service.hostname).toBe(host);
      expect(service.environment).toEqual({ RABBITMQ_NODENAME: `rabbit@${host}` });
      expect(service.volumes).toContainEqual({ type: 'volume', source: `${host}-data`, target: '/var/lib/rabbitmq' });
      expect(project.volumes).toHaveProperty(`${host}-data`);
      expect(service.healthcheck.test).toEqual(['CMD', 'rabbitmq-diagnostics', '-q', 'check_running']);
      expect(service.restart).toBe('unless-stopped');
    }
  });

  it('runs on Docker Engine before 25 (Debian 12 ships 20.10): no healthcheck start_interval, which Compose refuses there', () => {
    // Compose v2 on Engine 20.10: "can't set healthcheck.start_interval as feature require Docker Engine v25 or later".
    const { project } = bundle({ name: 'orders', loadBalancer: {} });
    for (const [name, service] of Object.entries(project.services) as [string, { healthcheck?: object }][]) {
      if (service.healthcheck) expect(Object.keys(service.healthcheck), name).toEqual(['test', 'interval', 'timeout', 'retries', 'start_period']);
    }
    expect(project.services['orders-1'].healthcheck).toEqual({
      test: ['CMD', 'rabbitmq-diagnostics', '-q', 'check_running'],
      interval: '10s',
      timeout: '10s',
      retries: 6,
      start_period: '60s',
    });
  });

  it('uses images whose contract the stand-in image test reproduces: rabbitmq:<line>-management and the HAProxy 3.2 LTS', () => {
    const { project } = bundle({ name: 'orders', loadBalancer: {} });
    expect(project.services['orders-1'].image).toBe('rabbitmq:4.3-management');
    expect(project.services.haproxy.image).toBe('haproxy:3.2');
  });

  it('is healthy only once a node serves clients (check_running), so `up --wait` returns a usable cluster; never `ping`', () => {
    // `ping` answers while the node is still booting or waiting for peers, before any AMQP listener is open.
    const { project } = bundle({ name: 'orders', nodes: 3, loadBalancer: {} });
    for (const host of ['orders-1', 'orders-2', 'orders-3']) {
      expect(project.services[host].healthcheck.test, host).toEqual(['CMD', 'rabbitmq-diagnostics', '-q', 'check_running']);
    }
  });

  it('mounts rabbitmq.conf, enabled_plugins and the majority agent read-only, after the image defaults', () => {
    const { project } = bundle({ name: 'orders' });
    const binds = project.services['orders-1'].volumes.filter((v: { type: string }) => v.type === 'bind');
    expect(binds).toEqual([
      { type: 'bind', source: './rabbitmq/rabbitmq.conf', target: '/etc/rabbitmq/conf.d/20-warren.conf', read_only: true },
      { type: 'bind', source: './rabbitmq/enabled_plugins', target: '/etc/rabbitmq/enabled_plugins', read_only: true },
      { type: 'bind', source: './rabbitmq/majority-agent.escript', target: '/usr/local/lib/warren/majority-agent.escript', read_only: true },
    ]);
  });

  it('delivers the cookie as a file installed 0400 for the rabbitmq user, never through the environment', () => {
    const { project, files, secrets, composeText } = bundle({ name: 'orders' });
    const service = project.services['orders-1'];
    expect(service.secrets).toContainEqual({ source: 'erlang-cookie', target: 'erlang-cookie' });
    expect(project.secrets['erlang-cookie']).toEqual({ file: './secrets/erlang-cookie' });
    expect(service.entrypoint.join(' ')).toContain(
      'install -m 0400 -o rabbitmq -g rabbitmq /run/secrets/erlang-cookie /var/lib/rabbitmq/.erlang.cookie',
    );
    expect(service.entrypoint.join(' ')).toMatch(/exec docker-entrypoint\.sh rabbitmq-server$/);
    expect(JSON.stringify(service.environment)).not.toMatch(/COOKIE|PASS/i);
    for (const value of Object.values(secrets)) expect(composeText).not.toContain(value);
    expect(files.filter((f) => f.kind === 'secret').map((f) => f.path)).toEqual(['compose/secrets/erlang-cookie', 'compose/secrets/definitions.json']);
  });

  it('publishes host ports that do not clash, bound to 127.0.0.1 by default and shifted by the offset', () => {
    const direct = bundle({ name: 'orders', nodes: 3 }).project;
    const all = Object.values(direct.services).flatMap((s) => (s as { ports: string[] }).ports);
    expect(new Set(all.map((p) => p.split(':')[1])).size).toBe(all.length);
    expect(direct.services['orders-2'].ports).toEqual(['127.0.0.1:5673:5672', '127.0.0.1:15673:15672', '127.0.0.1:15693:15692']);
    const shifted = bundle({ name: 'orders', nodes: 3, compose: { hostPortOffset: 10000, bindAddress: '0.0.0.0' } }).project;
    expect(shifted.services['orders-3'].ports).toEqual(['0.0.0.0:15674:5672', '0.0.0.0:25674:15672', '0.0.0.0:25694:15692']);
  });

  it('limits each node container to compose.memoryLimit and tells RabbitMQ that less headroom, which it does not read from the container', () => {
    // Measured on 4.3.6 in a container limited to 1536 MiB: with no override, a 0.6 watermark came to 15.2 GB of a 25 GB host.
    const conf = (b: ReturnType<typeof bundle>) => b.files.find((f) => f.path === `compose/${COMPOSE_FILES.rabbitmqConf}`)!.content;
    const byDefault = bundle({ name: 'orders', loadBalancer: {} });
    for (const host of ['orders-1', 'orders-2', 'orders-3']) expect(byDefault.project.services[host].mem_limit, host).toBe('2g');
    expect(byDefault.project.services.haproxy).not.toHaveProperty('mem_limit');
    // 2 GiB less 20 %: the figure the Kubernetes target writes for its default 2Gi limit.
    expect(conf(byDefault)).toContain('\ntotal_memory_available_override_value = 1717986919\n');
    expect(conf(byDefault)).toContain('\nvm_memory_high_watermark.relative = 0.6\n');

    const small = bundle({ name: 'orders', compose: { memoryLimit: '1536MiB' } });
    expect(small.project.services['orders-1'].mem_limit).toBe('1536m');
    expect(conf(small)).toContain('\ntotal_memory_available_override_value = 1288490189\n');
    // Headroom stops growing at 2 GiB.
    const large = bundle({ name: 'orders', compose: { memoryLimit: '16GiB' } });
    expect(large.project.services['orders-1'].mem_limit).toBe('16g');
    expect(conf(large)).toContain(`\ntotal_memory_available_override_value = ${14 * 2 ** 30}\n`);
  });

  it('errors on a memory limit too small for a node or not in MiB or GiB, and warns when an absolute watermark is not below it', () => {
    const problems = (spec: ClusterSpec) => {
      const result = validateSpec(spec);
      return (result.ok ? result.warnings : result.problems).map(formatProblem);
    };
    expect(problems({ name: 'orders', compose: { memoryLimit: '256MiB' } })).toEqual([
      'compose.memoryLimit: "256MiB" is below 512MiB: an idle RabbitMQ node already uses about 130 MB and its memory alarm sits well below the limit, so publishers would be blocked from the start; give "512MiB" or more',
    ]);
    expect(problems({ name: 'orders', compose: { memoryLimit: '2GB' } })).toEqual(['compose.memoryLimit: "2GB" is not a size in MiB or GiB; write it as "2GiB" or "1536MiB"']);
    expect(problems({ name: 'orders', compose: { memoryLimit: 2048 } as never })).toEqual(['compose.memoryLimit: "2048" is not a size; write it as a string such as "2GiB" or "1536MiB"']);
    // The Kubernetes target's own warning about its 2Gi limit comes too.
    expect(problems({ name: 'orders', resources: { memoryHighWatermark: '2GiB' } })).toContain(
      'warning: resources.memoryHighWatermark: "2GiB" is not below each node\'s memory limit in compose (compose.memoryLimit 2GiB): the kernel would kill the node before the memory alarm stops publishers; give a fraction such as 0.6, a size well below the limit, or a larger compose.memoryLimit if you run the compose target',
    );
    expect(problems({ name: 'orders', resources: { memoryHighWatermark: '1GiB' }, compose: { memoryLimit: '512MiB' } })).toEqual([
      'warning: resources.memoryHighWatermark: "1GiB" is not below each node\'s memory limit in compose (compose.memoryLimit 512MiB): the kernel would kill the node before the memory alarm stops publishers; give a fraction such as 0.6, a size well below the limit, or a larger compose.memoryLimit if you run the compose target',
    ]);
    expect(problems({ name: 'orders', resources: { memoryHighWatermark: '1GiB' } })).toEqual([]);
    expect(problems({ name: 'orders', compose: { memoryLimit: '512MiB' } })).toEqual([]);
  });

  it('is byte-identical for the same spec and secrets', () => {
    expect(bundle({ name: 'orders' }).files).toEqual(bundle({ name: 'orders' }).files);
  });
});
