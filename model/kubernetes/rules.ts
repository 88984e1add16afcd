/**
 * Rules for the Kubernetes target: what would make the StatefulSet, its PodDisruptionBudget or its
 * preStop hook fail in a cluster although each field is valid on its own.
 */
import { nodeHostsOf } from '../cluster/nodes';
import type { Problem } from '../core/problems';
import type { ParsedSpec } from '../spec';
import type { VersionFeatures } from '../rabbitmq/version';
import { preStopCommandsOf, preStopWorstCaseSeconds, STOP_MARGIN_SECONDS } from './pre-stop';

/** Kubernetes labels pods with `controller-revision-hash: <statefulset>-<10 characters>`, a 63-character label value. */
const MAX_STATEFULSET_NAME = 52;
export function kubernetesRule(spec: ParsedSpec, features: VersionFeatures | undefined): Problem[] {
  const k8s = spec.kubernetes;
  const replicas = nodeHostsOf(spec).length;
  const problems: Problem[] = [];
  if (replicas === 2) {
    problems.push({
      severity: 'warning',
      path: 'nodes',
      value: spec.nodes,
      message: 'gives 2 replicas: quorum queues and the metadata store need a majority, so losing either node stops them; use 3 nodes',
    });
  }
  if (spec.name.length > MAX_STATEFULSET_NAME) {
    problems.push({
      severity: 'warning',
      path: 'name',
      value: spec.name,
      message: `is ${spec.name.length} characters; a Kubernetes StatefulSet name over ${MAX_STATEFULSET_NAME} characters breaks its pods' controller-revision-hash label; shorten it if you deploy to Kubernetes`,
    });
  }
  if (k8s.maxUnavailable === 0) {
    problems.push({
      severity: 'error',
      path: 'kubernetes.maxUnavailable',
      value: 0,
      message: 'makes the PodDisruptionBudget block every eviction, so node drains and cluster upgrades hang; use 1',
    });
  } else if (k8s.maxUnavailable > 1 && k8s.maxUnavailable >= Math.ceil(replicas / 2)) {
    problems.push({
      severity: 'warning',
      path: 'kubernetes.maxUnavailable',
      value: k8s.maxUnavailable,
      message: `lets Kubernetes evict ${k8s.maxUnavailable} of ${replicas} nodes at once, which loses the quorum queues' majority; use 1`,
    });
  }
  const grace = k8s.terminationGracePeriodSeconds;
  if (grace !== undefined && grace <= k8s.preStopTimeoutSeconds) {
    problems.push({
      severity: 'error',
      path: 'kubernetes.terminationGracePeriodSeconds',
      value: grace,
      message: `is not longer than kubernetes.preStopTimeoutSeconds (${k8s.preStopTimeoutSeconds}); the kubelet would kill the node while its preStop hook still waits; raise it or lower preStopTimeoutSeconds`,
    });
  } else if (grace !== undefined && features) {
    const worstCase = preStopWorstCaseSeconds(features, k8s.preStopTimeoutSeconds);
    if (grace < worstCase) {
      const commands = preStopCommandsOf(features).length;
      problems.push({
        severity: 'warning',
        path: 'kubernetes.terminationGracePeriodSeconds',
        value: grace,
        message: `is shorter than the preStop hook can take (${commands} commands × ${k8s.preStopTimeoutSeconds} s + ${STOP_MARGIN_SECONDS} s to stop = ${worstCase} s); raise it to ${worstCase} or leave it out`,
      });
    }
  }
  return problems;
}
