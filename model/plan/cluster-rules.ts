/**
 * Changes judged on the whole cluster rather than one setting: the version upgrade path, the metadata store,
 * nodes joining and leaving, and whether the cluster's size still suits its quorum queues and partition handling.
 */
import type { PlannedChange } from './change';
import type { PlanSnapshot, PlainObject } from './snapshot';
import { versionChange } from './upgrade-path';
import { parseVersion } from '../rabbitmq/version';

/** A quorum queue or stream keeps a majority of its members when one node is down only from 3 members up. */
const REPLICATED_MINIMUM_NODES = 3;
const REPLICATED_TYPES = new Set(['quorum', 'stream']);
const MAX_NAMED_NODES = 5;

const queuesOf = (s: PlanSnapshot) => s.topology.queues as readonly PlainObject[];
const vhostsOf = (s: PlanSnapshot) => s.topology.vhosts as readonly PlainObject[];
const policiesOf = (s: PlanSnapshot) => s.topology.policies as readonly PlainObject[];
const hostsOf = (s: PlanSnapshot) => s.nodes.map((node) => node.host);

export function versionRule(before: PlanSnapshot, after: PlanSnapshot): PlannedChange[] {
  const change = versionChange(before.version, after.version);
  if (!change) return [];
  const [was, is] = [parseVersion(before.version), parseVersion(after.version)];
  const mirrored = policiesOf(before).filter((p) => Object.keys(p.definition as PlainObject).some((key) => key.startsWith('ha-')));
  if (change.class === 'migration' && was && is && was.major < 4 && is.major >= 4 && mirrored.length > 0) {
    return [
      {
        ...change,
        reason: `${change.reason}; 4.0 removed classic queue mirroring, so the queues policies ${mirrored.map((p) => JSON.stringify(p.name)).join(', ')} mirrored keep one copy`,
        fix: `move them to quorum queues before the upgrade; then ${change.fix}`,
      },
    ];
  }
  return [change];
}

export function metadataStoreRule(before: PlanSnapshot, after: PlanSnapshot): PlannedChange[] {
  if (before.metadataStore === after.metadataStore) return [];
  // Where the version cannot change, neither can the store that follows it.
  if (versionChange(before.version, after.version)?.class === 'rejected') return [];
  const change = { path: 'rabbitmq.metadataStore', before: before.metadataStore, after: after.metadataStore };
  if (after.metadataStore === 'mnesia') {
    return [
      {
        ...change,
        class: 'rejected',
        reason: 'Khepri cannot be turned off: the khepri_db feature flag, like every feature flag, is one-way (if the running cluster never enabled it, the last synth described it wrongly: rabbitmqctl list_feature_flags tells)',
        fix: 'keep rabbitmq.metadataStore "khepri"; only a new cluster can run Mnesia again (blue/green)',
      },
    ];
  }
  const migration = {
    ...change,
    class: 'migration' as const,
    reason: 'the metadata moves from Mnesia to Khepri (Raft) while the cluster runs, which needs every node up, pauses briefly at the end, and cannot be undone',
  };
  const [was, is] = [parseVersion(before.version), parseVersion(after.version)];
  const khepriLine = (v: typeof was) => v !== undefined && (v.major > 4 || (v.major === 4 && v.minor >= 2));
  if (before.version === after.version || !was || !is) {
    return [{ ...migration, fix: 'rabbitmqctl enable_feature_flag khepri_db with every node running and healthy, away from peak load' }];
  }
  if (!khepriLine(was)) {
    return [
      {
        ...migration,
        reason: `a cluster upgraded to ${is.line} keeps Mnesia until its khepri_db feature flag is enabled, while the spec now describes Khepri (a new ${is.line} cluster's default); ${migration.reason}`,
        fix: `once every node runs ${is.line}, rabbitmqctl enable_feature_flag khepri_db with all of them up; until then set rabbitmq.metadataStore to "mnesia", so that the files describe what runs`,
      },
    ];
  }
  return [
    {
      ...migration,
      reason: `RabbitMQ ${is.line} has no Mnesia: ${migration.reason}`,
      fix: `before the upgrade, rabbitmqctl enable_feature_flag khepri_db on the ${was.line} cluster with every node running and healthy (otherwise each ${is.line} node migrates while it boots)`,
    },
  ];
}

function named(hosts: readonly string[]): string {
  const shown = hosts.slice(0, MAX_NAMED_NODES).join(', ');
  return hosts.length > MAX_NAMED_NODES ? `${shown} and ${hosts.length - MAX_NAMED_NODES} more` : shown;
}

/** Queues that need a majority of members: declared ones, or those clients declare by default. */
function hasReplicatedQueues(s: PlanSnapshot): boolean {
  return (
    queuesOf(s).some((q) => REPLICATED_TYPES.has(String(q.type))) ||
    REPLICATED_TYPES.has(s.defaultQueueType as string) ||
    vhostsOf(s).some((v) => REPLICATED_TYPES.has(String(v.defaultQueueType)))
  );
}

/** One line per node that joins, leaves or moves to another address. */
export function nodesRule(before: PlanSnapshot, after: PlanSnapshot): PlannedChange[] {
  const was = new Map(before.nodes.map((n) => [n.host, n]));
  const is = new Map(after.nodes.map((n) => [n.host, n]));
  const changes: PlannedChange[] = [];
  for (const node of before.nodes) {
    const now = is.get(node.host);
    const path = `nodes[${JSON.stringify(node.host)}]`;
    if (!now) {
      changes.push({
        path,
        before: `rabbit@${node.host}`,
        class: 'migration',
        reason: 'the node leaves: its quorum queue and stream members must move first, and classic queues on it are lost with it',
        fix:
          `on VMs, vm/admin/warren-scale-in.sh ${node.host} after the synth (drain, rabbitmq-queues shrink rabbit@${node.host}, grow where a member is missing, stop, forget_cluster_node, members checked); ` +
          'elsewhere the same steps by hand before the node goes (on Kubernetes, before lowering replicas); one node at a time',
      });
    } else if (now.address !== node.address) {
      changes.push({
        path: `${path}.address`,
        ...(node.address !== undefined && { before: node.address }),
        ...(now.address !== undefined && { after: now.address }),
        class: 'live',
        reason: 'the address changes in /etc/hosts and HAProxy; nodes resolve each other again when they reconnect',
        fix: 'run install.sh on every host (HAProxy reloads; RabbitMQ restarts only where rabbitmq.conf changed)',
      });
    }
  }
  for (const node of after.nodes) {
    if (was.has(node.host)) continue;
    changes.push({
      path: `nodes[${JSON.stringify(node.host)}]`,
      after: `rabbit@${node.host}`,
      class: 'live',
      reason:
        'a new node joins through peer discovery at its first boot; running nodes need no restart (they read the peer list only at their own first boot), and it holds no member of existing quorum queues or streams until they grow',
      fix:
        `start it, then rabbitmq-queues grow rabbit@${node.host} all, rabbitmq-streams add_replica per stream, and rabbitmq-queues rebalance quorum; ` +
        `on VMs: first install.sh --no-services on the running nodes (/etc/hosts learns ${node.host}; their new peer list matters at a first boot only, so nothing restarts), ` +
        `then install.sh on ${node.host} and on the load balancers, then vm/admin/warren-scale-out.sh ${node.host}`,
    });
  }
  return [...changes, ...sizeRules(before, after)];
}

/** A cluster shrunk below what its quorum queues need, or to an even size where pause_minority pauses every node. */
function sizeRules(before: PlanSnapshot, after: PlanSnapshot): PlannedChange[] {
  const [was, is] = [before.nodes.length, after.nodes.length];
  const changes: PlannedChange[] = [];
  if (is < was && is < REPLICATED_MINIMUM_NODES && (hasReplicatedQueues(before) || hasReplicatedQueues(after))) {
    const leaving = hostsOf(before).filter((host) => !hostsOf(after).includes(host));
    changes.push({
      path: 'nodes',
      before: was,
      after: is,
      class: 'rejected',
      reason:
        `quorum queues and streams need ${REPLICATED_MINIMUM_NODES} nodes to keep a majority while one is down; ` +
        (is === 1 ? 'on 1 node each keeps a single copy' : `on ${is} nodes each stops taking messages whenever either node is down`) +
        (leaving.length > 0 ? ` (leaving: ${named(leaving)})` : ''),
      fix: `keep at least ${REPLICATED_MINIMUM_NODES} nodes; to run on fewer, first move the queues to classic queues or to a new, smaller cluster (blue/green)`,
    });
  }
  const pausesMinority = (s: PlanSnapshot) => s.partitionHandling.honoured === true && s.partitionHandling.mode === 'pause_minority';
  if (pausesMinority(after) && is % 2 === 0 && (is !== was || !pausesMinority(before))) {
    changes.push({
      path: is !== was ? 'nodes' : 'partitionHandling.mode',
      before: is !== was ? was : String(before.partitionHandling.mode),
      after: is !== was ? is : 'pause_minority',
      class: 'rejected',
      reason: `with pause_minority, a partition into two halves of ${is / 2} leaves neither side a majority, and every node pauses`,
      fix: 'use an odd number of nodes (3 or 5), or partitionHandling.mode autoheal',
    });
  }
  return changes;
}
