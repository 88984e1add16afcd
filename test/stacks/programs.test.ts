import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it, vi } from 'vitest';
import { EXAMPLES_DIR } from '../support/fixtures';
import { installMocks, unwrapSecrets, valueOf } from './pulumi-mocks';

type Exports = Record<string, pulumi.Output<unknown>>;

/** Runs a program's index.ts as `pulumi up` would, with the stack config given, against the mocked engine. */
async function runProgram(program: 'docker' | 'kubernetes', config: Record<string, string>, secretKeys: string[]) {
  const project = `warren-${program}`;
  const mocks = installMocks(project);
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`${project}:${k}`, v])), secretKeys.map((k) => `${project}:${k}`));
  vi.resetModules();
  const exports = (await import(`../../stacks/${program}/index.ts`)) as Exports;
  await valueOf(pulumi.all(Object.values(exports)));
  // Waits until every queued resource registration has reached the mocked engine.
  await pulumi.runtime.disconnect();
  return { ...mocks, exports };
}

describe('Pulumi programs (index.ts run with the Pulumi engine mocked by pulumi.runtime.setMocks)', () => {
  it('mocked engine: the docker program reads the spec and the config secrets, and exports the URLs with credentials as secrets', async () => {
    const { registrations, exports } = await runProgram(
      'docker',
      { spec: join(EXAMPLES_DIR, 'compose-3.10.yaml'), 'erlang-cookie': 'fake-config-cookie', 'default-user-password': 'fake-config-password' },
      ['erlang-cookie', 'default-user-password'],
    );
    // Both secrets came from config: nothing is generated.
    expect(registrations.filter((r) => r.type.startsWith('random:'))).toEqual([]);
    expect(registrations.filter((r) => r.type === 'docker:index/container:Container').map((r) => r.name)).toEqual(['legacy-legacy-1', 'legacy-legacy-2', 'legacy-legacy-3']);
    const uploads = unwrapSecrets(registrations.find((r) => r.name === 'legacy-legacy-1')!.inputs.uploads) as { file: string; content: string }[];
    expect(uploads.find((u) => u.file === '/var/lib/rabbitmq/.erlang.cookie')!.content).toBe('fake-config-cookie');
    expect(Object.keys(exports).sort()).toEqual(['amqpUrl', 'amqpUrls', 'managementUrl', 'nodeNames', 'password', 'username']);
    for (const name of ['amqpUrl', 'amqpUrls', 'password']) expect(await pulumi.isSecret(exports[name]!), name).toBe(true);
    expect(await valueOf(exports.amqpUrls!)).toEqual([5672, 5673, 5674].map((port) => `amqp://ops:fake-config-password@127.0.0.1:${port}/`));
    expect(await valueOf(exports.managementUrl!)).toBe('http://127.0.0.1:15672/');
  });

  it('mocked engine: the kubernetes program deploys into the namespace its config names', async () => {
    const { registrations, exports } = await runProgram('kubernetes', { namespace: 'queues' }, []);
    expect(registrations.find((r) => r.type === 'kubernetes:core/v1:Namespace')!.inputs).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'queues' } });
    const namespaced = registrations.filter((r) => r.type.startsWith('kubernetes:') && r.type !== 'kubernetes:core/v1:Namespace');
    expect(namespaced.length).toBeGreaterThan(5);
    for (const r of namespaced) expect((unwrapSecrets(r.inputs) as { metadata: { namespace: string } }).metadata.namespace, r.name).toBe('queues');
    expect(await valueOf(exports.nodeNames!)).toEqual([0, 1, 2].map((i) => `rabbit@rabbit-${i}.rabbit-nodes.queues`));
    expect(await valueOf(exports.kubernetesNamespace!)).toBe('queues');
    for (const name of ['amqpUrl', 'amqpUrls', 'password']) expect(await pulumi.isSecret(exports[name]!), name).toBe(true);
  });
});
