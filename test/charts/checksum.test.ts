import { describe, expect, it } from 'vitest';
import { CHECKSUM_ANNOTATION } from '../../charts';
import type { ClusterSpec } from '../../model';
import { FAKE_SECRETS, find, synthObjects } from './manifests';

const BASE: ClusterSpec = { name: 'orders', rabbitmq: { version: '4.3' } };

function checksumOf(spec: ClusterSpec, secrets = FAKE_SECRETS): string {
  const statefulSet = find(synthObjects(spec, secrets), 'StatefulSet', 'orders');
  return (statefulSet.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations[CHECKSUM_ANNOTATION]!;
}

describe('pod-template checksum', () => {
  const base = checksumOf(BASE);

  it('is a sha256', () => expect(base).toMatch(/^[0-9a-f]{64}$/));

  it.each<[string, ClusterSpec]>([
    ['the heartbeat', { ...BASE, heartbeatSeconds: 30 }],
    ['the plugins', { ...BASE, plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_shovel'] }],
    ['the memory watermark', { ...BASE, resources: { memoryHighWatermark: 0.5 } }],
    ['the memory limit (RabbitMQ\'s view of its RAM)', { ...BASE, kubernetes: { resources: { limits: { memory: '4Gi' } } } }],
    ['the partition handling mode', { ...BASE, rabbitmq: { version: '4.1' }, partitionHandling: { mode: 'pause_minority' } }],
  ])('changes with %s', (_, spec) => {
    const reference = spec.rabbitmq?.version === '4.1' ? checksumOf({ ...BASE, rabbitmq: { version: '4.1' } }) : base;
    expect(checksumOf(spec)).not.toBe(reference);
  });

  it('changes with the default user\'s password (definitions.json is imported at boot)', () => {
    expect(checksumOf(BASE, { ...FAKE_SECRETS, 'default-user-password': 'another-fake-password' })).not.toBe(base);
  });

  it.each<[string, ClusterSpec]>([
    ['the replica count', { ...BASE, nodes: 5 }],
    ['the client namespaces', { ...BASE, kubernetes: { clientNamespaces: ['apps'] } }],
    ['the monitoring objects', { ...BASE, kubernetes: { serviceMonitor: true, prometheusRule: true } }],
    ['the PodDisruptionBudget', { ...BASE, nodes: 5, kubernetes: { maxUnavailable: 2 } }],
    ['the storage size', { ...BASE, kubernetes: { storage: { size: '50Gi' } } }],
    ['the CPU request', { ...BASE, kubernetes: { resources: { requests: { cpu: '2' } } } }],
    ['the preStop timeout', { ...BASE, kubernetes: { preStopTimeoutSeconds: 300 } }],
  ])('stays the same when only %s changes', (_, spec) => {
    expect(checksumOf(spec)).toBe(base);
  });
});
