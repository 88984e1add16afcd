/** The preStop hook: what it runs and the longest a pod can take to stop, shared by the rules and the resolution. */
import type { VersionFeatures } from '../rabbitmq/version';

/** Seconds the node needs to stop after the preStop hook returned. */
export const STOP_MARGIN_SECONDS = 60;

/**
 * Commands the preStop hook runs, each with `-t preStopTimeoutSeconds`: wait until the other replicas hold
 * every quorum queue and stream, then drain. A single node has no other replica to wait for (the wait would
 * only run out its timeout on every restart), so it only drains.
 */
export function preStopCommandsOf(features: VersionFeatures, replicas: number): readonly string[] {
  return replicas > 1 ? [...features.awaitReplicasCommands, 'drain'] : ['drain'];
}

/** Longest the preStop hook can take plus the time to stop: the default termination grace period. */
export function preStopWorstCaseSeconds(features: VersionFeatures, replicas: number, preStopTimeoutSeconds: number): number {
  return preStopCommandsOf(features, replicas).length * preStopTimeoutSeconds + STOP_MARGIN_SECONDS;
}
