/**
 * The transitions `warren plan` is held to: invalid ones, each with the line plan must print (its reason and
 * fix), and valid ones, none of which may be rejected. transitions.test.ts runs each through the CLI and
 * writes docs/plan-transitions.md from this table.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChangeClass, ClusterSpec } from '../../model/internal';

const ORDERS = { name: 'orders', type: 'quorum', maxLength: 1000 } as const;
const AUDIT = { name: 'audit', vhost: 'shop', type: 'classic' } as const;
export const BASE: ClusterSpec = { name: 'orders', rabbitmq: { version: '4.2' }, nodes: 3, loadBalancer: {}, topology: { vhosts: [{ name: 'shop' }], queues: [ORDERS, AUDIT] } };
/** No quorum queue anywhere: neither declared nor the default clients get. */
const CLASSIC: Partial<ClusterSpec> = { queues: { defaultType: 'classic' }, topology: {} };
const at = (version: string, patch: Partial<ClusterSpec> = {}): ClusterSpec => ({ ...BASE, rabbitmq: { version }, ...patch });
const withQueues = (queues: NonNullable<NonNullable<ClusterSpec['topology']>['queues']>): ClusterSpec => ({ ...BASE, topology: { ...BASE.topology, queues } });
const withTargetSize = (nodes: number, size: number): ClusterSpec => ({
  ...BASE,
  nodes,
  topology: { ...BASE.topology, policies: [{ name: 'members', pattern: '^orders$', applyTo: 'quorum_queues', definition: { 'target-group-size': size } }] },
});
/** The secrets store synth keeps the generated cookie in, under the project folder. */
const storeCookie = (dir: string) => join(dir, '.warren-secrets/orders/erlang-cookie');

export interface Transition {
  readonly what: string;
  readonly before: ClusterSpec;
  readonly after: ClusterSpec;
  /** Done in the project folder between synth and plan: what happened to the cookie's files. @default - nothing */
  readonly between?: (dir: string) => void;
  /** The environment plan runs in. @default {} */
  readonly env?: Readonly<Record<string, string>>;
}

export interface InvalidTransition extends Transition {
  /** The line plan prints, `<dir>` standing for the project folder. */
  readonly line: string;
}

export interface ValidTransition extends Transition {
  /** A path that changes, and its class. */
  readonly path: string;
  readonly class: ChangeClass;
}

export const INVALID: readonly InvalidTransition[] = [
  {
    what: 'an unsupported upgrade path: 3.10 straight to 4.3',
    before: at('3.10', CLASSIC),
    after: at('4.3', CLASSIC),
    line: `rabbitmq.version: 3.10 -> 4.3: rejected: RabbitMQ cannot upgrade 3.10 to 4.3 in place; from 3.10 it upgrades to 3.11 only; upgrade one line at a time: 3.10 -> 3.11 -> 3.12 -> 3.13 -> 4.2 -> 4.3 (set rabbitmq.version to 3.11, plan, synth, roll it out, then the next), or build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  },
  {
    what: '3.13 to 4.3, skipping 4.2',
    before: at('3.13'),
    after: at('4.3'),
    line: `rabbitmq.version: 3.13 -> 4.3: rejected: RabbitMQ cannot upgrade 3.13 to 4.3 in place; from 3.13 it upgrades to 4.0, 4.1 or 4.2 only; upgrade one line at a time: 3.13 -> 4.2 -> 4.3 (set rabbitmq.version to 4.2, plan, synth, roll it out, then the next), or build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  },
  {
    what: '4.1 to 4.3, skipping 4.2',
    before: at('4.1'),
    after: at('4.3'),
    line: `rabbitmq.version: 4.1 -> 4.3: rejected: RabbitMQ cannot upgrade 4.1 to 4.3 in place; from 4.1 it upgrades to 4.2 only; upgrade one line at a time: 4.1 -> 4.2 -> 4.3 (set rabbitmq.version to 4.2, plan, synth, roll it out, then the next), or build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  },
  {
    what: '3.11 below 3.11.18 to 3.12',
    before: at('3.11.10'),
    after: at('3.12'),
    line: `rabbitmq.version: 3.11.10 -> 3.12: rejected: RabbitMQ upgrades to 3.12 only from 3.11.18 or later; first upgrade to 3.11.18 or a later 3.11 release (a rolling patch upgrade), then to 3.12`,
  },
  {
    what: 'a downgrade of lines, 4.3 to 4.0 (its feature flags cannot be rolled back)',
    before: at('4.3'),
    after: at('4.0'),
    line: `rabbitmq.version: 4.3 -> 4.0: rejected: a downgrade from 4.3 to 4.0: RabbitMQ does not support downgrades, and the feature flags 4.3 enabled cannot be disabled; keep 4.3; to run 4.0 again, build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  },
  {
    what: 'a downgrade of patch releases, 4.3.6 to 4.3.2',
    before: at('4.3.6'),
    after: at('4.3.2'),
    line: `rabbitmq.version: 4.3.6 -> 4.3.2: rejected: a downgrade: RabbitMQ does not support downgrades, not even between patch releases (some cannot go back even to the release before); keep 4.3.6; to run 4.3.2, build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  },
  {
    what: 'the metadata store back from Khepri to Mnesia (a feature flag rolled back)',
    before: BASE,
    after: { ...BASE, rabbitmq: { version: '4.2', metadataStore: 'mnesia' } },
    line: `rabbitmq.metadataStore: khepri -> mnesia: rejected: Khepri cannot be turned off: the khepri_db feature flag, like every feature flag, is one-way (if the running cluster never enabled it, the last synth described it wrongly: rabbitmqctl list_feature_flags tells); keep rabbitmq.metadataStore "khepri"; only a new cluster can run Mnesia again (blue/green)`,
  },
  {
    what: 'a cookie source that holds another cookie',
    before: BASE,
    after: { ...BASE, erlangCookie: 'file:cookie' },
    between: (dir) => writeFileSync(join(dir, 'cookie'), 'another-cookie-than-the-cluster-runs\n'),
    line: `erlangCookie: generate -> file:cookie: rejected: file:cookie (<dir>/cookie) holds another cookie than the one last synthesised; nodes given another cookie cannot talk to the running ones, and the cluster splits; keep erlangCookie as generate, or put the running cookie into the new source (a node's /var/lib/rabbitmq/.erlang.cookie holds it)`,
  },
  {
    what: 'the cookie gone from the secrets store, so synth would generate another',
    before: BASE,
    after: BASE,
    between: (dir) => rmSync(storeCookie(dir)),
    line: `erlangCookie: generate -> generate: rejected: the secrets store has no cookie any more (<dir>/.warren-secrets/orders/erlang-cookie): the next synth would generate a new one; nodes given another cookie cannot talk to the running ones, and the cluster splits; put the running cookie back into <dir>/.warren-secrets/orders/erlang-cookie (mode 0600; a node's /var/lib/rabbitmq/.erlang.cookie holds it), or pass --secrets with the store that holds it`,
  },
  {
    what: "the store's cookie file changed since the last synth",
    before: BASE,
    after: BASE,
    between: (dir) => writeFileSync(storeCookie(dir), 'a-cookie-written-by-hand', { mode: 0o600 }),
    line: `erlangCookie: generate -> generate: rejected: <dir>/.warren-secrets/orders/erlang-cookie changed since the last synth (its size or modification time), so it may hold another cookie; nodes given another cookie cannot talk to the running ones, and the cluster splits; if it holds the cookie the cluster runs (compare it with a node's /var/lib/rabbitmq/.erlang.cookie), run warren synth to record it; otherwise put that cookie back`,
  },
  {
    what: 'a cookie source plan cannot read',
    before: BASE,
    after: { ...BASE, erlangCookie: 'env:COOKIE' },
    line: `erlangCookie: generate -> env:COOKIE: rejected: warren cannot confirm that env:COOKIE holds the cookie last synthesised (environment variable COOKIE is not set); put the running cookie into it (a node's /var/lib/rabbitmq/.erlang.cookie holds it), then run warren synth to record it`,
  },
  {
    what: '3 nodes to 1 with quorum queues',
    before: BASE,
    after: { ...BASE, nodes: 1 },
    line: `nodes: 3 -> 1: rejected: quorum queues and streams need 3 nodes to keep a majority while one is down; on 1 node each keeps a single copy (leaving: orders-2, orders-3); keep at least 3 nodes; to run on fewer, first move the queues to classic queues or to a new, smaller cluster (blue/green)`,
  },
  {
    what: '3 nodes to 2 where clients declare quorum queues by default',
    before: at('4.3', { topology: {} }),
    after: at('4.3', { topology: {}, nodes: 2 }),
    line: `nodes: 3 -> 2: rejected: quorum queues and streams need 3 nodes to keep a majority while one is down; on 2 nodes each stops taking messages whenever either node is down (leaving: orders-3); keep at least 3 nodes; to run on fewer, first move the queues to classic queues or to a new, smaller cluster (blue/green)`,
  },
  {
    what: '5 nodes to 3 below a policy target-group-size of 5',
    before: withTargetSize(5, 5),
    after: withTargetSize(3, 5),
    line: `nodes: 5 -> 3: rejected: topology.policies["members" in "/"] sets target-group-size 5: on 3 nodes the quorum queues it matches stay below that size, with fewer copies than asked for; lower target-group-size to 3 or less first (plan and apply that policy, which changes live), or keep at least 5 nodes`,
  },
  {
    what: '5 nodes to an even 4 with pause_minority on Mnesia',
    before: at('4.1', { nodes: 5, partitionHandling: { mode: 'pause_minority' } }),
    after: at('4.1', { nodes: 4, partitionHandling: { mode: 'pause_minority' } }),
    line: `nodes: 5 -> 4: rejected: with pause_minority, a partition into two halves of 2 leaves neither side a majority, and every node pauses; use an odd number of nodes (3 or 5), or partitionHandling.mode autoheal`,
  },
  {
    what: 'pause_minority on an even 4 nodes',
    before: at('4.1', { nodes: 4 }),
    after: at('4.1', { nodes: 4, partitionHandling: { mode: 'pause_minority' } }),
    line: `partitionHandling.mode: autoheal -> pause_minority: rejected: with pause_minority, a partition into two halves of 2 leaves neither side a majority, and every node pauses; use an odd number of nodes (3 or 5), or partitionHandling.mode autoheal`,
  },
  {
    what: 'two nodes added during an upgrade',
    before: at('4.2'),
    after: at('4.3', { nodes: 5 }),
    line: `nodes: 3 -> 5: rejected: nodes orders-4 join, orders-5 join while rabbitmq.version changes 4.2 -> 4.3: a node joining mid-upgrade runs another version than the cluster it joins, and one leaving mid-upgrade takes quorum queue members the rolling restart counts on; do one after the other: first the nodes at rabbitmq.version 4.2 (plan, synth, scale), then the version`,
  },
  {
    what: 'another cluster name',
    before: BASE,
    after: { ...BASE, name: 'billing' },
    line: `name: orders -> billing: rejected: the name is the cluster_name, prefixes the Kubernetes objects and (with a node count) every host name, and names the secrets store folder (.warren-secrets/<name>/), so the next synth would generate a new cookie: it describes another cluster; keep the name; to rename, build the new cluster beside this one and move to it (blue/green)`,
  },
  {
    what: 'another Kubernetes namespace',
    before: BASE,
    after: { ...BASE, kubernetes: { namespace: 'prod' } },
    line: `kubernetes.namespace: default -> prod: rejected: the namespace is part of every node name (rabbit@<pod>.<service>.<namespace>) and holds the volumes: a new namespace is a new, empty cluster; keep the namespace; to move, build the cluster in the new namespace and move to it (blue/green)`,
  },
  {
    what: 'smaller volumes',
    before: BASE,
    after: { ...BASE, kubernetes: { storage: { size: '5Gi' } } },
    line: `kubernetes.storage.size: 10Gi -> 5Gi: rejected: a persistent volume cannot shrink; keep 10Gi, or move to a new cluster with smaller volumes (blue/green)`,
  },
  {
    what: 'a queue argument changed without a migration',
    before: BASE,
    after: withQueues([{ ...ORDERS, maxLength: 2000 }, AUDIT]),
    line: `topology.queues["orders" in "/"].arguments.x-max-length: 1000 -> 2000: migration: x-max-length is fixed once the queue is declared: the import skips the existing queue, a redeclaration fails with 406 PRECONDITION_FAILED, and a policy cannot override a queue argument; declare a queue under a new name with the new settings, move publishers and consumers to it (or shovel the messages over), then delete "orders"; next time leave it out of the queue and set max-length in a policy, which changes live`,
  },
  {
    what: 'a queue type changed',
    before: BASE,
    after: withQueues([ORDERS, { ...AUDIT, type: 'quorum' }]),
    line: `topology.queues["audit" in "shop"].type: classic -> quorum: migration: a queue's type is fixed once declared: the import skips the existing classic queue, and redeclaring it as quorum fails with 406 PRECONDITION_FAILED; declare a queue under a new name with the new settings, move publishers and consumers to it (or shovel the messages over), then delete "audit"; or, for many queues, a new virtual host whose default queue type is quorum, fed by federation or shovels (https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  },
  {
    what: 'a removed virtual host that holds queues',
    before: BASE,
    after: { ...BASE, topology: { queues: [ORDERS] } },
    line: `topology.vhosts["shop"]: virtual host -> (none): migration: an import never deletes a virtual host, and rabbitmqctl delete_vhost deletes its 1 queue with their messages; move the messages off first (let consumers drain them, or shovel them to another virtual host), then rabbitmqctl delete_vhost "shop"`,
  },
  {
    what: 'an exchange type changed',
    before: { ...BASE, topology: { exchanges: [{ name: 'events', type: 'direct' }] } },
    after: { ...BASE, topology: { exchanges: [{ name: 'events', type: 'topic' }] } },
    line: `topology.exchanges["events" in "/"].type: direct -> topic: migration: an exchange's type and properties are fixed once declared: the import skips the existing exchange, and a redeclaration fails with 406 PRECONDITION_FAILED; declare an exchange under a new name and move bindings and publishers to it, or delete "events" and import again (messages published in between are unroutable)`,
  },
];

export const VALID: readonly ValidTransition[] = [
  { what: '3.13 -> 4.0, a supported upgrade', before: at('3.13'), after: at('4.0'), path: 'rabbitmq.version', class: 'migration' },
  { what: '3.10 -> 3.11', before: at('3.10', CLASSIC), after: at('3.11', CLASSIC), path: 'rabbitmq.version', class: 'migration' },
  { what: '4.1 -> 4.2, whose metadata stays on Mnesia until khepri_db is enabled', before: at('4.1'), after: at('4.2'), path: 'rabbitmq.metadataStore', class: 'migration' },
  { what: '4.2 -> 4.3', before: at('4.2'), after: at('4.3'), path: 'rabbitmq.version', class: 'migration' },
  { what: '4.3.2 -> 4.3.6, a patch upgrade', before: at('4.3.2'), after: at('4.3.6'), path: 'rabbitmq.version', class: 'rolling restart' },
  { what: 'Mnesia -> Khepri on 4.2', before: { ...BASE, rabbitmq: { version: '4.2', metadataStore: 'mnesia' } }, after: BASE, path: 'rabbitmq.metadataStore', class: 'migration' },
  {
    what: 'a new policy',
    before: BASE,
    after: { ...BASE, topology: { ...BASE.topology, policies: [{ name: 'ttl', pattern: '^orders$', definition: { 'message-ttl': 60000 } }] } },
    path: 'topology.policies["ttl" in "/"]',
    class: 'live',
  },
  { what: 'a heartbeat change', before: BASE, after: { ...BASE, heartbeatSeconds: 30 }, path: 'heartbeatSeconds', class: 'rolling restart' },
  { what: 'adding two nodes', before: BASE, after: { ...BASE, nodes: 5 }, path: 'nodes["orders-5"]', class: 'live' },
  { what: 'removing two of five nodes', before: { ...BASE, nodes: 5 }, after: BASE, path: 'nodes["orders-5"]', class: 'migration' },
  { what: '5 -> 3 nodes with a target-group-size of 3', before: withTargetSize(5, 3), after: withTargetSize(3, 3), path: 'nodes["orders-4"]', class: 'migration' },
  { what: '3 -> 1 nodes without quorum queues', before: at('4.3', CLASSIC), after: at('4.3', { ...CLASSIC, nodes: 1 }), path: 'nodes["orders-3"]', class: 'migration' },
  { what: 'a plugin enabled', before: BASE, after: { ...BASE, plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_shovel'] }, path: 'plugins["rabbitmq_shovel"]', class: 'live' },
  { what: 'partition handling on Khepri', before: BASE, after: { ...BASE, partitionHandling: { mode: 'pause_minority' } }, path: 'partitionHandling.mode', class: 'no-op' },
  { what: 'the memory watermark', before: BASE, after: { ...BASE, resources: { memoryHighWatermark: 0.5 } }, path: 'resources.memoryHighWatermark.relative', class: 'rolling restart' },
  { what: 'the load-balancing algorithm', before: BASE, after: { ...BASE, loadBalancer: { balance: 'roundrobin' } }, path: 'loadBalancer.balance', class: 'live' },
  { what: 'larger volumes', before: BASE, after: { ...BASE, kubernetes: { storage: { size: '20Gi' } } }, path: 'kubernetes.storage.size', class: 'migration' },
  { what: 'a Kubernetes memory limit', before: BASE, after: { ...BASE, kubernetes: { resources: { limits: { memory: '4Gi' } } } }, path: 'kubernetes.resources.limits.memory', class: 'rolling restart' },
  { what: 'a compose memory limit', before: BASE, after: { ...BASE, compose: { memoryLimit: '4GiB' } }, path: 'compose.memory.limit', class: 'rolling restart' },
  { what: 'a new stream', before: BASE, after: withQueues([ORDERS, AUDIT, { name: 'events', type: 'stream' }]), path: 'topology.queues["events" in "/"]', class: 'live' },
  { what: 'a queue removed', before: BASE, after: withQueues([ORDERS]), path: 'topology.queues["audit" in "shop"]', class: 'live' },
  { what: 'a new user', before: BASE, after: { ...BASE, topology: { ...BASE.topology, users: [{ name: 'app' }] } }, path: 'topology.users["app"]', class: 'live' },
  { what: 'the default queue type on 4.3', before: at('4.3'), after: at('4.3', { queues: { defaultType: 'classic' } }), path: 'defaultQueueType', class: 'rolling restart' },
  { what: 'the AMQP port', before: BASE, after: { ...BASE, ports: { amqp: 5673 } }, path: 'ports.amqp', class: 'rolling restart' },
  { what: 'the stream port with streams off', before: BASE, after: { ...BASE, ports: { stream: 5553 } }, path: 'ports.stream', class: 'no-op' },
];
