import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { serviceFileContent } from '../../compose';
import { MAJORITY_AGENT_ESCRIPT, rabbitPasswordHash, resolveCluster, type ClusterSpec, type SecretValues } from '../../model/internal';
import { DockerRabbitmqCluster, missingSecretProblems } from '../../stacks';
import { fixtureSecrets } from '../support/fixtures';
import { installMocks, plainLeaks, recordChildren, settled, unwrapSecrets, valueOf, type Child, type MockState, type Registration } from './pulumi-mocks';

const SPEC: ClusterSpec = { name: 'orders', nodes: 3, loadBalancer: {} };

async function deploy(spec: ClusterSpec, secrets: SecretValues | undefined, state?: MockState) {
  const mocks = installMocks('warren-docker', state);
  const cluster = resolveCluster(spec);
  const children: Child[] = [];
  const component = new DockerRabbitmqCluster(cluster.name, { cluster, ...(secrets && { secrets }) }, { transformations: [recordChildren(children)] });
  await settled(children);
  // A transformation also sees the component itself.
  return { ...mocks, cluster, children: children.filter((c) => c.resource !== component), component };
}

const byName = (registrations: readonly Registration[], name: string) => registrations.find((r) => r.name === name)!;

describe('docker RabbitmqCluster (Pulumi engine mocked with pulumi.runtime.setMocks; no Docker daemon)', () => {
  it('mocked engine: creates exactly these children, named from the component and parented to it', async () => {
    const { children, component } = await deploy(SPEC, undefined);
    expect(children.map((c) => `${c.type} ${c.name}`)).toEqual([
      'random:index/randomPassword:RandomPassword orders-erlang-cookie',
      'random:index/randomPassword:RandomPassword orders-default-user-password',
      'random:index/randomPassword:RandomPassword orders-haproxy-stats-password',
      'docker:index/network:Network orders-network',
      'docker:index/volume:Volume orders-orders-1-data',
      'docker:index/volume:Volume orders-orders-2-data',
      'docker:index/volume:Volume orders-orders-3-data',
      'docker:index/remoteImage:RemoteImage orders-rabbitmq-image',
      'docker:index/container:Container orders-orders-1',
      'docker:index/container:Container orders-orders-2',
      'docker:index/container:Container orders-orders-3',
      'docker:index/remoteImage:RemoteImage orders-haproxy-image',
      'docker:index/container:Container orders-haproxy',
    ]);
    for (const child of children) expect(child.parent, child.name).toBe(component);
    expect(await valueOf(component.urn)).toBe('urn:pulumi:test::warren-docker::warren:docker:RabbitmqCluster::orders');
  });

  it('mocked engine: a node container has its hostname, node name, network alias, volume, healthcheck, restart policy and files', async () => {
    const secrets = fixtureSecrets(resolveCluster(SPEC));
    const { registrations } = await deploy(SPEC, secrets);
    const node = unwrapSecrets(byName(registrations, 'orders-orders-2').inputs) as Record<string, unknown>;
    expect(node).toMatchObject({
      name: 'orders-2',
      hostname: 'orders-2',
      image: 'sha256:mock-orders-rabbitmq-image',
      envs: ['RABBITMQ_NODENAME=rabbit@orders-2'],
      networksAdvanced: [{ name: 'orders', aliases: ['orders-2'] }],
      volumes: [{ volumeName: 'orders-2-data', containerPath: '/var/lib/rabbitmq' }],
      healthcheck: { tests: ['CMD', 'rabbitmq-diagnostics', '-q', 'check_running'], interval: '10s', timeout: '10s', retries: 6, startPeriod: '60s' },
      restart: 'unless-stopped',
      stopTimeout: 60,
      // compose.memoryLimit (2GiB) in the provider's MB, as compose's mem_limit: 2g.
      memory: 2048,
      mustRun: true,
      wait: true,
      waitTimeout: 180,
    });
    // With HAProxy in front, a node publishes only its metrics port (scraped per node).
    expect(node.ports).toEqual([{ ip: '127.0.0.1', external: 15693, internal: 15692, protocol: 'tcp' }]);
    const uploads = node.uploads as { file: string; content: string; permissions: string; owner?: string; group?: string }[];
    expect(uploads.map(({ content: _, ...rest }) => rest)).toEqual([
      { file: '/etc/rabbitmq/conf.d/20-warren.conf', permissions: '0644' },
      { file: '/etc/rabbitmq/enabled_plugins', permissions: '0644' },
      { file: '/usr/local/lib/warren/majority-agent.escript', permissions: '0644' },
      { file: '/var/lib/rabbitmq/.erlang.cookie', permissions: '0400', owner: '999', group: '999' },
      { file: '/etc/rabbitmq/definitions.json', permissions: '0400', owner: '999', group: '999' },
    ]);
    const file = (path: string) => uploads.find((u) => u.file === path)!.content;
    expect(file('/var/lib/rabbitmq/.erlang.cookie')).toBe('fake-erlang-cookie');
    expect(JSON.parse(file('/etc/rabbitmq/definitions.json')).users[0].password_hash).toBe(rabbitPasswordHash('admin', 'fake-default-user-password'));
    expect(file('/usr/local/lib/warren/majority-agent.escript')).toBe(MAJORITY_AGENT_ESCRIPT);
    // HAProxy asks each node's majority agent: it runs beside the server as in compose; the uploads replace the installs.
    expect(node.entrypoints).toEqual([
      '/bin/sh',
      '-c',
      'set -e; { (while true; do setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups escript /usr/local/lib/warren/majority-agent.escript 15680 500 1000 orders-1:25672 orders-2:25672 orders-3:25672; sleep 1; done) & }; exec docker-entrypoint.sh rabbitmq-server',
    ]);
    const haproxy = unwrapSecrets(byName(registrations, 'orders-haproxy').inputs) as Record<string, unknown>;
    expect(haproxy).toMatchObject({ name: 'orders-haproxy', hostname: 'haproxy', image: 'sha256:mock-orders-haproxy-image', restart: 'unless-stopped' });
    expect(haproxy).not.toHaveProperty('wait');
    expect(haproxy).not.toHaveProperty('entrypoints');
    expect(haproxy).not.toHaveProperty('memory');
    expect((haproxy.ports as { external: number }[]).map((p) => p.external)).toEqual([5672, 8404, 15672]);
    expect(byName(registrations, 'orders-rabbitmq-image').inputs).toEqual({ name: 'rabbitmq:4.3-management', keepLocally: true });
  });

  it('mocked engine: every secret and everything derived from one is a secret input and a secret output', async () => {
    const cluster = resolveCluster(SPEC);
    const secrets = fixtureSecrets(cluster);
    const { registrations, children, component } = await deploy(SPEC, secrets);
    const statsHash = /user stats password (\$6\$\S+)/.exec(serviceFileContent(cluster, 'haproxy-config', secrets))![1]!;
    const sensitive = [...Object.values(secrets), rabbitPasswordHash('admin', secrets['default-user-password']!), statsHash];
    // Serialised as the engine receives them: no plain string carries a secret or a password hash.
    for (const r of registrations) expect(plainLeaks(r.inputs, sensitive), r.name).toEqual([]);
    expect(plainLeaks({ envs: [`X=${secrets['erlang-cookie']}`] }, sensitive)).toEqual(['envs[0]']);
    // The containers' uploads are secret as a whole (the engine cannot mark part of a list).
    for (const name of ['orders-orders-1', 'orders-haproxy']) expect(byName(registrations, name).inputs.uploads).toHaveProperty('4dabf18193072939515e22adb298388d');
    // In the program, each secret-bearing upload content is itself a secret Output, the plain files are not.
    const node = children.find((c) => c.name === 'orders-orders-1')!;
    const uploads = node.props.uploads as { file: string; content: pulumi.Input<string> }[];
    const content = (path: string) => uploads.find((u) => u.file === path)!.content;
    expect(pulumi.Output.isInstance(content('/etc/rabbitmq/conf.d/20-warren.conf'))).toBe(false);
    expect(pulumi.Output.isInstance(content('/usr/local/lib/warren/majority-agent.escript'))).toBe(false);
    expect(await pulumi.isSecret(content('/var/lib/rabbitmq/.erlang.cookie') as pulumi.Output<string>)).toBe(true);
    expect(await pulumi.isSecret(content('/etc/rabbitmq/definitions.json') as pulumi.Output<string>)).toBe(true);
    for (const output of [component.amqpUrl, component.amqpUrls, component.password]) expect(await pulumi.isSecret(output as pulumi.Output<unknown>)).toBe(true);
    for (const output of [component.managementUrl, component.username, component.nodeNames]) expect(await pulumi.isSecret(output as pulumi.Output<unknown>)).toBe(false);
    expect(await valueOf(component.amqpUrl)).toBe('amqp://admin:fake-default-user-password@127.0.0.1:5672/');
    expect(await valueOf(component.managementUrl)).toBe('http://127.0.0.1:15672/');
  });

  it('mocked engine: generated secrets are RandomPassword results, secret, and a re-run with the same state keeps the cookie', async () => {
    const state: MockState = new Map();
    const first = await deploy(SPEC, undefined, state);
    const cookieOf = (registrations: typeof first.registrations) =>
      (unwrapSecrets(byName(registrations, 'orders-orders-1').inputs.uploads) as { file: string; content: string }[]).find((u) => u.file.endsWith('.erlang.cookie'))!.content;
    const cookie = cookieOf(first.registrations);
    const stored = state.get('random:index/randomPassword:RandomPassword::orders-erlang-cookie')!;
    expect(cookie).toMatch(/^[0-9a-f]{48}$/);
    expect(stored.outputs.result).toBe(cookie);
    expect(byName(first.registrations, 'orders-erlang-cookie').inputs).toEqual({ length: 48, special: false });
    expect(await pulumi.isSecret(first.component.password)).toBe(true);

    const second = await deploy(SPEC, undefined, state);
    // Same inputs, so the engine keeps the stored result: the cookie comes from state, not from a new random.
    expect(byName(second.registrations, 'orders-erlang-cookie').inputs).toEqual(byName(first.registrations, 'orders-erlang-cookie').inputs);
    expect(cookieOf(second.registrations)).toBe(cookie);
    for (const host of ['orders-orders-2', 'orders-orders-3']) {
      const uploads = unwrapSecrets(byName(second.registrations, host).inputs.uploads) as { file: string; content: string }[];
      expect(uploads.find((u) => u.file === '/var/lib/rabbitmq/.erlang.cookie')!.content).toBe(cookie);
    }

    // The mock is not a constant: without the state, the cookie is a different one.
    const fresh = await deploy(SPEC, undefined, new Map());
    expect(cookieOf(fresh.registrations)).not.toBe(cookie);
  });

  it('mocked engine: secrets whose spec source is a file or an environment variable must come from pulumi config, all reported at once', () => {
    const cluster = resolveCluster({ name: 'billing', erlangCookie: 'env:BILLING_COOKIE', defaultUser: { password: 'file:/run/pw' } });
    expect(missingSecretProblems(cluster.secrets, {})).toEqual([
      'secrets.erlang-cookie: "env:BILLING_COOKIE" is not readable by a Pulumi program (Erlang cookie shared by every node); run `pulumi config set --secret erlang-cookie <value>`',
      'secrets.default-user-password: "file:/run/pw" is not readable by a Pulumi program (password of the default user "admin"); run `pulumi config set --secret default-user-password <value>`',
    ]);
    installMocks('warren-docker');
    expect(() => new DockerRabbitmqCluster('billing', { cluster })).toThrow(/secrets\.erlang-cookie: .*\nsecrets\.default-user-password: /);
    expect(missingSecretProblems(cluster.secrets, { 'erlang-cookie': 'fake-cookie', 'default-user-password': 'fake-password' })).toEqual([]);
  });
});
