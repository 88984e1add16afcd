/**
 * How every quorum queue comes to have a member on every node (up to a cap), on each line. Read from
 * rabbitmq-server's deps/rabbit/src/rabbit_quorum_queue_periodic_membership_reconciliation.erl (3.13 to 4.3.5 alike):
 * the node holding a queue's leader adds one member on a running node the queue lacks when the queue has fewer
 * members than max(target_group_size, the queue's target-group-size policy or x-quorum-target-group-size argument),
 * only while every current member runs, never on a drained node, and only to an odd size unless two nodes are
 * missing (3 members on 4 nodes stay 3). It runs 10 s (trigger_interval) after a node comes up or goes down, a
 * quorum queue is declared or a policy changes, and every hour (interval) otherwise; both keep their defaults.
 */
import type { VersionFeatures } from './version';

/**
 * The group size reconciliation grows quorum queues to. A constant, not the node count: rabbitmq.conf is read at
 * boot, so a target taken from the node count would leave a scale-out's running nodes (which hold the leaders and
 * are not restarted) with the old count, and would change the Kubernetes ConfigMap, restarting every pod on a
 * scale. With 7 every node up to 7 gets a member; beyond 7 more copies cost write latency for no gain in safety.
 * A policy's `target-group-size` can raise it, not lower it.
 */
export const QUORUM_TARGET_GROUP_SIZE = 7;

export interface QuorumMembers {
  /** Members a quorum queue is grown to, where nodes run that it has none on. */
  readonly targetGroupSize: number;
  /**
   * RabbitMQ grows the queues itself (3.13+); before 3.13 nothing does unless someone runs `rabbitmq-queues grow`.
   * `autoRemove` stays off: it deletes members on nodes that are no longer cluster members. A node down for
   * maintenance stays a member, so it would not be touched, but a node that left the cluster through
   * `forget_cluster_node` already loses its members there (the CLI calls rabbit_quorum_queue:shrink_all), and
   * warren-scale-in.sh deletes them explicitly: auto-removal would add nothing but a second, silent way to drop
   * replicas, e.g. while a reset node is briefly outside the cluster before rejoining.
   */
  readonly reconciledByRabbitmq: boolean;
}

export function quorumMembersOf(features: VersionFeatures): QuorumMembers {
  return { targetGroupSize: QUORUM_TARGET_GROUP_SIZE, reconciledByRabbitmq: features.quorumMembershipReconciliation };
}
