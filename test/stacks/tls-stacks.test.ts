/**
 * TLS in the Pulumi programs, with the engine mocked (pulumi.runtime.setMocks, pulumi-mocks.ts): the exported URLs
 * follow the listeners the nodes open (https:// on the management TLS port, amqps:// once plain AMQP is off), and
 * with tls.certManager the Kubernetes program creates cert-manager's Certificate and asks for no certificate material.
 */
import { describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec, type SecretValues } from '../../model/internal';
import { DockerRabbitmqCluster, KubernetesRabbitmqCluster, chartObjectsOf } from '../../stacks';
import { fixtureSecrets } from '../support/fixtures';
import { installMocks, recordChildren, settled, unwrapSecrets, valueOf, type Child } from './pulumi-mocks';

const TLS = { certificate: 'file:tls/server_certificate.pem', privateKey: 'file:tls/server_key.pem', caCertificate: 'file:tls/ca_certificate.pem' };
const BASE = { name: 'orders', rabbitmq: { version: '4.3' }, nodes: 3, plugins: ['rabbitmq_management'], kubernetes: { namespace: 'messaging' } };

async function deployKubernetes(spec: ClusterSpec, secrets: SecretValues) {
  const mocks = installMocks('warren-kubernetes');
  const cluster = resolveCluster(spec);
  const children: Child[] = [];
  const component = new KubernetesRabbitmqCluster(cluster.name, { cluster, secrets }, { transformations: [recordChildren(children)] });
  await settled(children);
  return { ...mocks, cluster, children: children.filter((c) => c.resource !== component), component };
}

async function deployDocker(spec: ClusterSpec) {
  installMocks('warren-docker');
  const cluster = resolveCluster(spec);
  const children: Child[] = [];
  const component = new DockerRabbitmqCluster(cluster.name, { cluster, secrets: fixtureSecrets(cluster) }, { transformations: [recordChildren(children)] });
  await settled(children);
  return component;
}

const urls = async (component: { amqpUrl: Parameters<typeof valueOf>[0]; managementUrl: Parameters<typeof valueOf>[0] }) => ({
  amqp: await valueOf(component.amqpUrl),
  management: await valueOf(component.managementUrl),
});

describe('Pulumi programs with TLS (engine mocked with pulumi.runtime.setMocks)', () => {
  it('mocked engine, Kubernetes: management over TLS only and plain AMQP off export https://...:15671 and amqps://...:5671', async () => {
    const spec = { ...BASE, tls: { ...TLS, listeners: { amqp: 'tls', management: 'tls' } } } as ClusterSpec;
    const { component, cluster } = await deployKubernetes(spec, fixtureSecrets(resolveCluster(spec)));
    expect(await urls(component)).toEqual({ amqp: 'amqps://admin:fake-default-user-password@orders.messaging.svc:5671/', management: 'https://orders.messaging.svc:15671/' });
    expect(await valueOf(component.amqpUrls)).toEqual([
      'amqps://admin:fake-default-user-password@orders.messaging.svc:5671/',
      ...[0, 1, 2].map((i) => `amqps://admin:fake-default-user-password@orders-${i}.orders-nodes.messaging.svc:5671/`),
    ]);
    expect(cluster.listeners.map((l) => l.name)).toEqual(['amqps', 'management-tls']);
  });

  it('mocked engine, Kubernetes: with both management ports open the UI is exported on TLS; plain AMQP kept stays amqp://', async () => {
    const spec = { ...BASE, tls: { ...TLS, listeners: { management: 'tls+plain' } } } as ClusterSpec;
    const { component } = await deployKubernetes(spec, fixtureSecrets(resolveCluster(spec)));
    expect(await urls(component)).toEqual({ amqp: 'amqp://admin:fake-default-user-password@orders.messaging.svc:5672/', management: 'https://orders.messaging.svc:15671/' });
    const plain = await deployKubernetes(BASE as ClusterSpec, fixtureSecrets(resolveCluster(BASE as ClusterSpec)));
    expect(await valueOf(plain.component.managementUrl)).toBe('http://orders.messaging.svc:15672/');
  });

  it('mocked engine, Docker: management over TLS only exports https on HAProxy\'s TLS port, AMQP amqps://', async () => {
    const component = await deployDocker({ ...BASE, loadBalancer: {}, tls: { ...TLS, listeners: { amqp: 'tls', management: 'tls' } } } as ClusterSpec);
    expect(await urls(component)).toEqual({ amqp: 'amqps://admin:fake-default-user-password@127.0.0.1:5671/', management: 'https://127.0.0.1:15671/' });
    const plain = await deployDocker({ ...BASE, loadBalancer: {} } as ClusterSpec);
    expect(await urls(plain)).toEqual({ amqp: 'amqp://admin:fake-default-user-password@127.0.0.1:5672/', management: 'http://127.0.0.1:15672/' });
  });

  it('mocked engine, Kubernetes with tls.certManager: a cert-manager.io/v1 Certificate before the StatefulSet, no TLS Secret, no certificate material asked', async () => {
    const spec = { ...BASE, tls: { ...TLS, certManager: { issuer: { name: 'rabbitmq-ca' } } } } as ClusterSpec;
    // Only the cookie and the password: the certificate's file: sources would otherwise have to come from pulumi config.
    const secrets = { 'erlang-cookie': 'fake-erlang-cookie', 'default-user-password': 'fake-default-user-password' };
    const { children, registrations, cluster } = await deployKubernetes(spec, secrets);
    const certificate = children.find((c) => c.name === 'orders-certificate-orders')!;
    expect(certificate.type).toBe('kubernetes:cert-manager.io/v1:Certificate');
    expect(children.filter((c) => c.type === 'kubernetes:core/v1:Secret').map((c) => c.name)).toEqual(['orders-secret-orders-erlang-cookie', 'orders-secret-orders-default-user']);
    const registered = registrations.find((r) => r.name === 'orders-certificate-orders')!;
    expect(unwrapSecrets(registered.inputs)).toEqual(chartObjectsOf(cluster, secrets).find((o) => o.kind === 'Certificate'));
    expect((unwrapSecrets(registered.inputs) as { spec: { issuerRef: object; secretName: string } }).spec).toMatchObject({
      issuerRef: { name: 'rabbitmq-ca', kind: 'Issuer', group: 'cert-manager.io' },
      secretName: 'orders-tls',
    });
    // The StatefulSet waits for it, as for the Secrets and the ConfigMap its pods mount.
    const statefulSet = children.find((c) => c.type === 'kubernetes:apps/v1:StatefulSet')!;
    expect(statefulSet.dependsOn).toContain(certificate.resource);
  });
});
