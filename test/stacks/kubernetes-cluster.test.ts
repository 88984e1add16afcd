import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_ANNOTATION } from '../../charts';
import { rabbitPasswordHash, resolveCluster, type ClusterSpec, type SecretValues } from '../../model/internal';
import { chartObjectsOf, chartPlanOf, KubernetesRabbitmqCluster } from '../../stacks';
import { fixtureSecrets } from '../support/fixtures';
import { installMocks, isSecretInput, plainLeaks, recordChildren, settled, unwrapSecrets, valueOf, type Child, type MockState } from './pulumi-mocks';

const SPEC: ClusterSpec = { name: 'orders', rabbitmq: { version: '4.0' }, nodes: 3, kubernetes: { namespace: 'messaging' } };

async function deploy(spec: ClusterSpec, secrets: SecretValues | undefined, state?: MockState) {
  const mocks = installMocks('warren-kubernetes', state);
  const cluster = resolveCluster(spec);
  const children: Child[] = [];
  const component = new KubernetesRabbitmqCluster(cluster.name, { cluster, ...(secrets && { secrets }) }, { transformations: [recordChildren(children)] });
  await settled(children);
  return { ...mocks, cluster, children: children.filter((c) => c.resource !== component), component };
}

describe('kubernetes RabbitmqCluster (Pulumi engine mocked with pulumi.runtime.setMocks; no Kubernetes API)', () => {
  it('mocked engine: one typed resource per object of the cdk8s chart, in the namespace it creates, parented to the component', async () => {
    const cluster = resolveCluster(SPEC);
    const secrets = fixtureSecrets(cluster);
    const { children, component, registrations } = await deploy(SPEC, secrets);
    expect(children.map((c) => `${c.type} ${c.name}`)).toEqual([
      'kubernetes:core/v1:Namespace orders-namespace',
      'kubernetes:core/v1:ServiceAccount orders-serviceaccount-orders',
      'kubernetes:rbac.authorization.k8s.io/v1:Role orders-role-orders-peer-discovery',
      'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding orders-rolebinding-orders-peer-discovery',
      'kubernetes:core/v1:Secret orders-secret-orders-erlang-cookie',
      'kubernetes:core/v1:Secret orders-secret-orders-default-user',
      'kubernetes:core/v1:ConfigMap orders-configmap-orders-config',
      'kubernetes:core/v1:Service orders-service-orders-nodes',
      'kubernetes:core/v1:Service orders-service-orders',
      'kubernetes:apps/v1:StatefulSet orders-statefulset-orders',
      'kubernetes:policy/v1:PodDisruptionBudget orders-poddisruptionbudget-orders',
      'kubernetes:networking.k8s.io/v1:NetworkPolicy orders-networkpolicy-orders-nodes',
    ]);
    for (const child of children) expect(child.parent, child.name).toBe(component);
    // The engine receives exactly the chart's objects (secrets filled in), in the program's namespace.
    const chart = chartObjectsOf(cluster, secrets);
    for (const object of chart) {
      const registered = registrations.find((r) => r.name === `orders-${object.kind.toLowerCase()}-${object.metadata.name}`)!;
      expect(unwrapSecrets(registered.inputs), `${object.kind}/${object.metadata.name}`).toEqual(object);
    }
    expect(chart.every((o) => o.metadata.namespace === 'messaging')).toBe(true);
    const statefulSet = children.find((c) => c.type === 'kubernetes:apps/v1:StatefulSet')!;
    expect((statefulSet.props.metadata as { namespace: pulumi.Output<string> }).namespace).toBe(component.namespace);
    expect(await valueOf(component.nodeNames)).toEqual([0, 1, 2].map((i) => `rabbit@orders-${i}.orders-nodes.messaging`));
  });

  it('mocked engine: secret values reach only the Secrets and the restart checksum, and those inputs and the credentials are secret', async () => {
    const cluster = resolveCluster(SPEC);
    const secrets = fixtureSecrets(cluster);
    expect(chartPlanOf(cluster).objects.flatMap((o, i) => chartPlanOf(cluster).secretLeaves[i]!.map((leaf) => `${o.kind}/${o.metadata.name}: ${leaf.join('.')}`))).toEqual([
      'Secret/orders-erlang-cookie: stringData',
      'Secret/orders-default-user: stringData',
      `StatefulSet/orders: spec.template.metadata.annotations.${CHECKSUM_ANNOTATION}`,
    ]);
    const { registrations, component } = await deploy(SPEC, secrets);
    const sensitive = [...Object.values(secrets), rabbitPasswordHash('admin', secrets['default-user-password']!)];
    for (const r of registrations) expect(plainLeaks(r.inputs, sensitive), r.name).toEqual([]);
    for (const name of ['orders-secret-orders-erlang-cookie', 'orders-secret-orders-default-user']) {
      expect(isSecretInput(registrations.find((r) => r.name === name)!.inputs.stringData), name).toBe(true);
    }
    expect(isSecretInput(registrations.find((r) => r.name === 'orders-statefulset-orders')!.inputs.spec)).toBe(true);
    expect(isSecretInput(registrations.find((r) => r.name === 'orders-configmap-orders-config')!.inputs.data)).toBe(false);
    for (const output of [component.amqpUrl, component.amqpUrls, component.password]) expect(await pulumi.isSecret(output as pulumi.Output<unknown>)).toBe(true);
    expect(await valueOf(component.amqpUrls)).toEqual([
      'amqp://admin:fake-default-user-password@orders.messaging.svc:5672/',
      ...[0, 1, 2].map((i) => `amqp://admin:fake-default-user-password@orders-${i}.orders-nodes.messaging.svc:5672/`),
    ]);
    expect(await valueOf(component.managementUrl)).toBe('http://orders.messaging.svc:15672/');
  });

  it('mocked engine: a re-run with the same state keeps the generated cookie in the immutable cookie Secret', async () => {
    const state: MockState = new Map();
    const cookieOf = (registrations: { name: string; inputs: Record<string, unknown> }[]) =>
      (unwrapSecrets(registrations.find((r) => r.name === 'orders-secret-orders-erlang-cookie')!.inputs) as { stringData: Record<string, string> }).stringData['erlang-cookie'];
    const first = await deploy(SPEC, undefined);
    const second = await deploy(SPEC, undefined, first.state);
    expect(cookieOf(first.registrations)).toMatch(/^[0-9a-f]{48}$/);
    expect(cookieOf(second.registrations)).toBe(cookieOf(first.registrations));
    expect(first.state.get('random:index/randomPassword:RandomPassword::orders-erlang-cookie')!.outputs.result).toBe(cookieOf(second.registrations));
    expect(cookieOf((await deploy(SPEC, undefined, state)).registrations)).not.toBe(cookieOf(first.registrations));
  });

  it('mocked engine: the namespace "default" is used, not created; the load balancer\'s secrets are not asked for', async () => {
    const spec: ClusterSpec = {
      name: 'rabbit',
      loadBalancer: { hosts: [{ host: 'lb-1', address: '10.0.0.21' }], keepalived: { vrrpVersion: 2, authPass: 'env:VRRP_PASS' } },
    };
    const { children, cluster } = await deploy(spec, undefined);
    expect(cluster.kubernetes.namespace).toBe('default');
    expect(children.map((c) => c.type)).not.toContain('kubernetes:core/v1:Namespace');
    expect(children.filter((c) => c.type.startsWith('random:')).map((c) => c.name)).toEqual(['rabbit-erlang-cookie', 'rabbit-default-user-password']);
  });
});
