import { describe, expect, it } from 'vitest';
import { formatProblem, validateSpec } from '../../model';

function problemsOf(spec: unknown): string[] {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

describe('Kubernetes requests, limits, alarms and monitoring that fit together', () => {
  it('GIVEN requests equal to limits, a relative watermark and an absolute one below the limit THEN there is no problem', () => {
    expect(problemsOf({ name: 'orders' })).toEqual([]);
    expect(problemsOf({ name: 'orders', resources: { memoryHighWatermark: '1GiB', diskFreeLimit: '9GiB' } })).toEqual([]);
  });

  it('GIVEN a memory request of 3Gi under a 2Gi limit and a CPU request of 2 under a 1500m limit THEN Kubernetes would refuse both', () => {
    expect(problemsOf({ name: 'orders', kubernetes: { resources: { requests: { memory: '3Gi', cpu: '2' }, limits: { memory: '2Gi', cpu: '1500m' } } } })).toEqual([
      'kubernetes.resources.requests.memory: "3Gi" is above kubernetes.resources.limits.memory (2Gi), which Kubernetes refuses (a request must not exceed its limit); lower the request or raise the limit',
      'kubernetes.resources.requests.cpu: "2" is above kubernetes.resources.limits.cpu (1500m), which Kubernetes refuses (a request must not exceed its limit); lower the request, raise the limit or remove it',
    ]);
  });

  it('GIVEN an absolute watermark of 2GiB (= the 2Gi limit) and a disk free limit of 11GB above a 10Gi volume THEN both warn with the Kubernetes value they meet', () => {
    // compose.memoryLimit above the watermark, so that only the Kubernetes limit meets it.
    expect(problemsOf({ name: 'orders', resources: { memoryHighWatermark: '2GiB', diskFreeLimit: '11GB' }, compose: { memoryLimit: '4GiB' } })).toEqual([
      `warning: resources.memoryHighWatermark: "2GiB" is not below the container's memory limit on Kubernetes (kubernetes.resources.limits.memory 2Gi): the kernel would kill the node before the memory alarm stops publishers; give a fraction such as 0.6, or a size well below the limit`,
      'warning: resources.diskFreeLimit: "11GB" is not below the volume size on Kubernetes (kubernetes.storage.size 10Gi): the volume never has that much free space, so the disk alarm blocks every publisher from the start; lower it or give a larger storage.size',
    ]);
    // 2GB is decimal: 2000000000 bytes, below 2Gi = 2147483648.
    expect(problemsOf({ name: 'orders', resources: { memoryHighWatermark: '2GB' } })).toEqual([]);
  });

  it('GIVEN a ServiceMonitor and a PrometheusRule without the rabbitmq_prometheus plugin THEN each says what it would miss', () => {
    expect(problemsOf({ name: 'orders', plugins: ['rabbitmq_management'], kubernetes: { serviceMonitor: true, prometheusRule: true } })).toEqual([
      'kubernetes.serviceMonitor: "true" needs the rabbitmq_prometheus plugin, which is not enabled: the ServiceMonitor would scrape a port no node opens; add "rabbitmq_prometheus" to plugins, or set serviceMonitor to false',
      'kubernetes.prometheusRule: "true" needs the rabbitmq_prometheus plugin, which is not enabled: its alerts would watch metrics no node exports; add "rabbitmq_prometheus" to plugins, or set prometheusRule to false',
    ]);
  });
});
