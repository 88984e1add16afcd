/** The preStop hook: what it runs and the longest a pod can take to stop, shared by the rules and the resolution. */
import type { VersionFeatures } from '../rabbitmq/version';

/** Seconds the node needs to stop after the preStop hook returned. */
export const STOP_MARGIN_SECONDS = 60;

/** Commands the preStop hook runs, each with `-t preStopTimeoutSeconds`. */
export function preStopCommandsOf(features: VersionFeatures): readonly string[] {
  return [...features.awaitReplicasCommands, 'drain'];
}

/** Longest the preStop hook can take plus the time to stop: the default termination grace period. */
export function preStopWorstCaseSeconds(features: VersionFeatures, preStopTimeoutSeconds: number): number {
  return preStopCommandsOf(features).length * preStopTimeoutSeconds + STOP_MARGIN_SECONDS;
}
