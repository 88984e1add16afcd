/**
 * Rules for the Kubernetes target: what would make the StatefulSet, its PodDisruptionBudget or its
 * preStop hook fail in a cluster although each field is valid on its own.
 */
import { nodeHostsOf } from '../cluster/nodes';
import { informationSizeBytes } from '../core/primitives';
import type { Problem } from '../core/problems';
import { error, warning } from '../core/rule';
import type { ParsedSpec } from '../spec';
import type { VersionFeatures } from '../rabbitmq/version';
import { preStopCommandsOf, preStopWorstCaseSeconds, STOP_MARGIN_SECONDS } from './pre-stop';
import { quantityValue } from './schema';

/** Kubernetes labels pods with `controller-revision-hash: <statefulset>-<10 characters>`, a 63-character label value. */
const MAX_STATEFULSET_NAME = 52;
/** Service names are DNS-1035 labels: at most 63 characters, starting with a letter. */
const MAX_LABEL = 63;

/**
 * Names Kubernetes derives from the cluster name beyond the StatefulSet's own: the headless Service `<name>-nodes`,
 * the pods' host names `<name>-<ordinal>` (a node count already keeps `<name>-<count>` within 63 for every target),
 * and Services, whose names start with a letter. Warnings: the spec may never be deployed to Kubernetes.
 */
function derivedNameProblems(spec: ParsedSpec, replicas: number): Problem[] {
  const { name } = spec;
  const problems: Problem[] = [];
  const headless = name.length + '-nodes'.length;
  if (headless > MAX_LABEL) {
    problems.push(
      warning('name', name, `gives the headless Service name (name + "-nodes") ${headless} characters, over the ${MAX_LABEL} Kubernetes allows; shorten it to ${MAX_LABEL - 6} characters or fewer if you deploy to Kubernetes`),
    );
  }
  const longestPod = name.length + 1 + String(replicas - 1).length;
  if (typeof spec.nodes !== 'number' && longestPod > MAX_LABEL) {
    problems.push(
      warning('name', name, `gives pod host names (name + "-" + ordinal) of up to ${longestPod} characters, over the ${MAX_LABEL} a host name may have; shorten it to ${MAX_LABEL - 1 - String(replicas - 1).length} characters or fewer if you deploy to Kubernetes`),
    );
  }
  if (/^[0-9]/.test(name)) {
    problems.push(warning('name', name, 'starts with a digit, but Kubernetes Service names start with a letter, so the client and headless Services would be refused; start it with a letter if you deploy to Kubernetes'));
  }
  return problems;
}

/** Requests within limits, alarms the container and its volume can reach, monitoring objects with something to scrape. */
function resourceProblems(spec: ParsedSpec): Problem[] {
  const { resources, storage, serviceMonitor, prometheusRule } = spec.kubernetes;
  const problems: Problem[] = [];
  const { requests, limits } = resources;
  if (quantityValue(requests.memory) > quantityValue(limits.memory)) {
    problems.push(
      error('kubernetes.resources.requests.memory', requests.memory, `is above kubernetes.resources.limits.memory (${limits.memory}), which Kubernetes refuses (a request must not exceed its limit); lower the request or raise the limit`),
    );
  }
  if (limits.cpu !== undefined && quantityValue(requests.cpu) > quantityValue(limits.cpu)) {
    problems.push(error('kubernetes.resources.requests.cpu', requests.cpu, `is above kubernetes.resources.limits.cpu (${limits.cpu}), which Kubernetes refuses (a request must not exceed its limit); lower the request, raise the limit or remove it`));
  }
  const watermark = spec.resources.memoryHighWatermark;
  if (typeof watermark === 'string' && informationSizeBytes(watermark) >= quantityValue(limits.memory)) {
    problems.push(
      warning(
        'resources.memoryHighWatermark',
        watermark,
        `is not below the container's memory limit on Kubernetes (kubernetes.resources.limits.memory ${limits.memory}): the kernel would kill the node before the memory alarm stops publishers; give a fraction such as 0.6, or a size well below the limit`,
      ),
    );
  }
  const diskFree = spec.resources.diskFreeLimit;
  if (typeof diskFree === 'string' && informationSizeBytes(diskFree) >= quantityValue(storage.size)) {
    problems.push(
      warning(
        'resources.diskFreeLimit',
        diskFree,
        `is not below the volume size on Kubernetes (kubernetes.storage.size ${storage.size}): the volume never has that much free space, so the disk alarm blocks every publisher from the start; lower it or give a larger storage.size`,
      ),
    );
  }
  const scraped = spec.plugins.includes('rabbitmq_prometheus');
  for (const [key, enabled, what] of [
    ['serviceMonitor', serviceMonitor, 'the ServiceMonitor would scrape a port no node opens'],
    ['prometheusRule', prometheusRule, 'its alerts would watch metrics no node exports'],
  ] as const) {
    if (enabled && !scraped) problems.push(error(`kubernetes.${key}`, true, `needs the rabbitmq_prometheus plugin, which is not enabled: ${what}; add "rabbitmq_prometheus" to plugins, or set ${key} to false`));
  }
  return problems;
}

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
  problems.push(...derivedNameProblems(spec, replicas), ...resourceProblems(spec));
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
    const worstCase = preStopWorstCaseSeconds(features, replicas, k8s.preStopTimeoutSeconds);
    if (grace < worstCase) {
      const commands = preStopCommandsOf(features, replicas).length;
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
