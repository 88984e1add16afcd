import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, validateSpec, type ClusterSpec } from '../../model';

function messages(spec: ClusterSpec): string[] {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

describe('Kubernetes validation: exact messages', () => {
  it('errors when the name has a dot (it names the StatefulSet)', () => {
    expect(messages({ name: 'orders.eu' })).toEqual([
      'name: "orders.eu" contains a dot; it names the Kubernetes StatefulSet, whose pods need single-label host names (<name>-0.<service>); use "-" instead (e.g. "orders-eu")',
    ]);
  });

  it('warns about 2 replicas', () => {
    expect(messages({ name: 'orders', nodes: 2 })).toEqual([
      'warning: nodes: "2" gives 2 replicas: quorum queues and the metadata store need a majority, so losing either node stops them; use 3 nodes',
    ]);
  });

  it('warns about an even replica count with pause_minority', () => {
    expect(messages({ name: 'orders', rabbitmq: { version: '4.1' }, nodes: 4, partitionHandling: { mode: 'pause_minority' } })).toEqual([
      'warning: partitionHandling.mode: "pause_minority" with 4 nodes can pause every node when the cluster splits in half; use an odd number of nodes, or "autoheal"',
    ]);
  });

  it('errors when the PodDisruptionBudget would block every eviction, warns when it allows losing the majority', () => {
    expect(messages({ name: 'orders', kubernetes: { maxUnavailable: 0 } })).toEqual([
      'kubernetes.maxUnavailable: "0" makes the PodDisruptionBudget block every eviction, so node drains and cluster upgrades hang; use 1',
    ]);
    expect(messages({ name: 'orders', kubernetes: { maxUnavailable: 2 } })).toEqual([
      'warning: kubernetes.maxUnavailable: "2" lets Kubernetes evict 2 of 3 nodes at once, which loses the quorum queues\' majority; use 1',
    ]);
  });

  it('errors when the grace period does not outlast the preStop timeout, warns when it is shorter than the whole hook', () => {
    expect(messages({ name: 'orders', kubernetes: { preStopTimeoutSeconds: 600, terminationGracePeriodSeconds: 300 } })).toEqual([
      'kubernetes.terminationGracePeriodSeconds: "300" is not longer than kubernetes.preStopTimeoutSeconds (600); the kubelet would kill the node while its preStop hook still waits; raise it or lower preStopTimeoutSeconds',
    ]);
    expect(messages({ name: 'orders', rabbitmq: { version: '4.3' }, kubernetes: { terminationGracePeriodSeconds: 700 } })).toEqual([
      'warning: kubernetes.terminationGracePeriodSeconds: "700" is shorter than the preStop hook can take (2 commands × 600 s + 60 s to stop = 1260 s); raise it to 1260 or leave it out',
    ]);
    expect(messages({ name: 'orders', rabbitmq: { version: '3.13' }, kubernetes: { terminationGracePeriodSeconds: 1300 } })).toEqual([
      'warning: kubernetes.terminationGracePeriodSeconds: "1300" is shorter than the preStop hook can take (3 commands × 600 s + 60 s to stop = 1860 s); raise it to 1860 or leave it out',
    ]);
  });

  it('errors on sizes and resources that are not Kubernetes quantities, all at once', () => {
    const spec: ClusterSpec = {
      name: 'orders',
      kubernetes: { storage: { size: '10GB' }, resources: { requests: { cpu: '1 core', memory: '2Gi' }, limits: { memory: '2GiB' } } },
    };
    expect(messages(spec)).toEqual([
      'kubernetes.storage.size: "10GB" is not a Kubernetes quantity; write a number with a suffix such as Mi or Gi (binary) or M or G (decimal), e.g. "10Gi"',
      'kubernetes.resources.requests.cpu: "1 core" is not a Kubernetes quantity; write a number with a suffix such as Mi or Gi (binary) or M or G (decimal), e.g. "1"',
      'kubernetes.resources.limits.memory: "2GiB" is not a Kubernetes quantity; write a number with a suffix such as Mi or Gi (binary) or M or G (decimal), e.g. "2Gi"',
    ]);
    expect(() => resolveCluster(spec)).toThrow('the spec has 3 errors:');
  });

  it('accepts the quantity forms Kubernetes accepts', () => {
    for (const q of ['1', '500m', '0.5', '2Gi', '1500M', '1e3', '.5']) {
      expect(messages({ name: 'orders', kubernetes: { resources: { requests: { cpu: q } } } })).toEqual([]);
    }
  });

  it('warns about a name too long for the StatefulSet revision label', () => {
    const name = `a${'b'.repeat(52)}`;
    expect(messages({ name })).toEqual([
      `warning: name: "${name}" is 53 characters; a Kubernetes StatefulSet name over 52 characters breaks its pods' controller-revision-hash label; shorten it if you deploy to Kubernetes`,
    ]);
  });

  it('derives the grace period from the preStop hook when none is given', () => {
    expect(resolveCluster({ name: 'orders', rabbitmq: { version: '3.13' }, kubernetes: { preStopTimeoutSeconds: 120 } }).kubernetes.terminationGracePeriodSeconds).toBe(3 * 120 + 60);
  });
});
