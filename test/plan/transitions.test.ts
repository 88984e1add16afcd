/**
 * warren plan's verdicts, transition by transition: every invalid one rejected (or, where a procedure can do it,
 * a migration) with its exact reason and fix, and no valid one rejected. The snapshots are built as synth builds
 * them (resolveCluster, then planSnapshotOf); the cookie rows give planChanges what the CLI observes on disk.
 */
import { describe, expect, it } from 'vitest';
import {
  formatChange,
  planChanges,
  planSnapshotOf,
  resolveCluster,
  worstClass,
  type ChangeClass,
  type ClusterSpec,
  type CookieNow,
  type CookieRecord,
  type PlannedChange,
} from '../../model/internal';

const ORDERS = { name: 'orders', type: 'quorum', maxLength: 1000 } as const;
const AUDIT = { name: 'audit', vhost: 'shop', type: 'classic' } as const;
const BASE: ClusterSpec = { name: 'orders', rabbitmq: { version: '4.2' }, nodes: 3, loadBalancer: {}, topology: { vhosts: [{ name: 'shop' }], queues: [ORDERS, AUDIT] } };
/** No quorum queue anywhere: neither declared nor the default clients get. */
const CLASSIC: Partial<ClusterSpec> = { queues: { defaultType: 'classic' }, topology: {} };
const at = (version: string, patch: Partial<ClusterSpec> = {}): ClusterSpec => ({ ...BASE, rabbitmq: { version }, ...patch });
const withQueues = (queues: NonNullable<NonNullable<ClusterSpec['topology']>['queues']>): ClusterSpec => ({ ...BASE, topology: { ...BASE.topology, queues } });
const STORE_COOKIE: CookieRecord = { source: 'generate', file: '/p/.warren-secrets/orders/erlang-cookie', identity: { size: 48, modifiedMs: 1000 } };

type Cookie = { readonly before: CookieRecord; readonly now: CookieNow };

function plan(before: ClusterSpec, after: ClusterSpec, cookie?: Cookie): PlannedChange[] {
  return planChanges(planSnapshotOf(resolveCluster(before)), planSnapshotOf(resolveCluster(after)), cookie ? { cookie } : {});
}

/** [what, before, after, the line that says why and what to do, the cookie as observed]. */
const INVALID: readonly (readonly [string, ClusterSpec, ClusterSpec, string, Cookie?])[] = [
  [
    'an unsupported upgrade path: 3.10 straight to 4.3',
    at('3.10', CLASSIC),
    at('4.3', CLASSIC),
    `rabbitmq.version: 3.10 -> 4.3: rejected: RabbitMQ cannot upgrade 3.10 to 4.3 in place; from 3.10 it upgrades to 3.11 only; upgrade one line at a time: 3.10 -> 3.11 -> 3.12 -> 3.13 -> 4.2 -> 4.3 (set rabbitmq.version to 3.11, plan, synth, roll it out, then the next), or build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  ],
  [
    '3.13 to 4.3, skipping 4.2',
    at('3.13'),
    at('4.3'),
    `rabbitmq.version: 3.13 -> 4.3: rejected: RabbitMQ cannot upgrade 3.13 to 4.3 in place; from 3.13 it upgrades to 4.0, 4.1 or 4.2 only; upgrade one line at a time: 3.13 -> 4.2 -> 4.3 (set rabbitmq.version to 4.2, plan, synth, roll it out, then the next), or build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  ],
  [
    '4.1 to 4.3, skipping 4.2',
    at('4.1'),
    at('4.3'),
    `rabbitmq.version: 4.1 -> 4.3: rejected: RabbitMQ cannot upgrade 4.1 to 4.3 in place; from 4.1 it upgrades to 4.2 only; upgrade one line at a time: 4.1 -> 4.2 -> 4.3 (set rabbitmq.version to 4.2, plan, synth, roll it out, then the next), or build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  ],
  [
    '3.11 below 3.11.18 to 3.12',
    at('3.11.10'),
    at('3.12'),
    `rabbitmq.version: 3.11.10 -> 3.12: rejected: RabbitMQ upgrades to 3.12 only from 3.11.18 or later; first upgrade to 3.11.18 or a later 3.11 release (a rolling patch upgrade), then to 3.12`,
  ],
  [
    'a downgrade of lines, 4.3 to 4.0',
    at('4.3'),
    at('4.0'),
    `rabbitmq.version: 4.3 -> 4.0: rejected: a downgrade from 4.3 to 4.0: RabbitMQ does not support downgrades, and the feature flags 4.3 enabled cannot be disabled; keep 4.3; to run 4.0 again, build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  ],
  [
    'a downgrade of patch releases, 4.3.6 to 4.3.2',
    at('4.3.6'),
    at('4.3.2'),
    `rabbitmq.version: 4.3.6 -> 4.3.2: rejected: a downgrade: RabbitMQ does not support downgrades, not even between patch releases (some cannot go back even to the release before); keep 4.3.6; to run 4.3.2, build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  ],
  [
    'a cookie source that holds another cookie',
    BASE,
    { ...BASE, erlangCookie: 'file:cookie' },
    `erlangCookie: generate -> file:cookie: rejected: file:cookie (/p/cookie) holds another cookie than the one last synthesised; nodes given another cookie cannot talk to the running ones, and the cluster splits; keep erlangCookie as generate, or put the running cookie into the new source (a node's /var/lib/rabbitmq/.erlang.cookie holds it)`,
    { before: STORE_COOKIE, now: { source: 'file:cookie', file: '/p/cookie', identity: { size: 12, modifiedMs: 5 }, sameValue: false } },
  ],
  [
    'the cookie gone from the store, so synth would generate another',
    BASE,
    BASE,
    `erlangCookie: generate -> generate: rejected: the secrets store has no cookie any more (/p/.warren-secrets/orders/erlang-cookie): the next synth would generate a new one; nodes given another cookie cannot talk to the running ones, and the cluster splits; put the running cookie back into /p/.warren-secrets/orders/erlang-cookie (mode 0600; a node's /var/lib/rabbitmq/.erlang.cookie holds it), or pass --secrets with the store that holds it`,
    { before: STORE_COOKIE, now: { source: 'generate', file: STORE_COOKIE.file! } },
  ],
  [
    'the cookie file of the store changed since the last synth',
    BASE,
    BASE,
    `erlangCookie: generate -> generate: rejected: /p/.warren-secrets/orders/erlang-cookie changed since the last synth (its size or modification time), so it may hold another cookie; nodes given another cookie cannot talk to the running ones, and the cluster splits; if it holds the cookie the cluster runs (compare it with a node's /var/lib/rabbitmq/.erlang.cookie), run warren synth to record it; otherwise put that cookie back`,
    { before: STORE_COOKIE, now: { source: 'generate', file: STORE_COOKIE.file!, identity: { size: 48, modifiedMs: 2000 } } },
  ],
  [
    'a cookie source plan cannot read',
    BASE,
    { ...BASE, erlangCookie: 'env:COOKIE' },
    `erlangCookie: generate -> env:COOKIE: rejected: warren cannot confirm that env:COOKIE holds the cookie last synthesised (environment variable COOKIE is not set); put the running cookie into it (a node's /var/lib/rabbitmq/.erlang.cookie holds it), then run warren synth to record it`,
    { before: STORE_COOKIE, now: { source: 'env:COOKIE', unreadable: 'environment variable COOKIE is not set' } },
  ],
  [
    '3 nodes to 1 with quorum queues',
    BASE,
    { ...BASE, nodes: 1 },
    `nodes: 3 -> 1: rejected: quorum queues and streams need 3 nodes to keep a majority while one is down; on 1 node each keeps a single copy (leaving: orders-2, orders-3); keep at least 3 nodes; to run on fewer, first move the queues to classic queues or to a new, smaller cluster (blue/green)`,
  ],
  [
    '3 nodes to 2 where clients declare quorum queues by default',
    at('4.3', { topology: {} }),
    at('4.3', { topology: {}, nodes: 2 }),
    `nodes: 3 -> 2: rejected: quorum queues and streams need 3 nodes to keep a majority while one is down; on 2 nodes each stops taking messages whenever either node is down (leaving: orders-3); keep at least 3 nodes; to run on fewer, first move the queues to classic queues or to a new, smaller cluster (blue/green)`,
  ],
  [
    '5 nodes to an even 4 with pause_minority on Mnesia',
    at('4.1', { nodes: 5, partitionHandling: { mode: 'pause_minority' } }),
    at('4.1', { nodes: 4, partitionHandling: { mode: 'pause_minority' } }),
    `nodes: 5 -> 4: rejected: with pause_minority, a partition into two halves of 2 leaves neither side a majority, and every node pauses; use an odd number of nodes (3 or 5), or partitionHandling.mode autoheal`,
  ],
  [
    'pause_minority on an even 4 nodes',
    at('4.1', { nodes: 4 }),
    at('4.1', { nodes: 4, partitionHandling: { mode: 'pause_minority' } }),
    `partitionHandling.mode: autoheal -> pause_minority: rejected: with pause_minority, a partition into two halves of 2 leaves neither side a majority, and every node pauses; use an odd number of nodes (3 or 5), or partitionHandling.mode autoheal`,
  ],
  [
    'the metadata store back from Khepri to Mnesia',
    BASE,
    { ...BASE, rabbitmq: { version: '4.2', metadataStore: 'mnesia' } },
    `rabbitmq.metadataStore: khepri -> mnesia: rejected: Khepri cannot be turned off: the khepri_db feature flag, like every feature flag, is one-way (if the running cluster never enabled it, the last synth described it wrongly: rabbitmqctl list_feature_flags tells); keep rabbitmq.metadataStore "khepri"; only a new cluster can run Mnesia again (blue/green)`,
  ],
  [
    'another cluster name',
    BASE,
    { ...BASE, name: 'billing' },
    `name: orders -> billing: rejected: the name is the cluster_name, prefixes the Kubernetes objects and (with a node count) every host name, and names the secrets store folder (.warren-secrets/<name>/), so the next synth would generate a new cookie: it describes another cluster; keep the name; to rename, build the new cluster beside this one and move to it (blue/green)`,
  ],
  [
    'another Kubernetes namespace',
    BASE,
    { ...BASE, kubernetes: { namespace: 'prod' } },
    `kubernetes.namespace: default -> prod: rejected: the namespace is part of every node name (rabbit@<pod>.<service>.<namespace>) and holds the volumes: a new namespace is a new, empty cluster; keep the namespace; to move, build the cluster in the new namespace and move to it (blue/green)`,
  ],
  [
    'smaller volumes',
    BASE,
    { ...BASE, kubernetes: { storage: { size: '5Gi' } } },
    `kubernetes.storage.size: 10Gi -> 5Gi: rejected: a persistent volume cannot shrink; keep 10Gi, or move to a new cluster with smaller volumes (blue/green)`,
  ],
  [
    'a queue argument changed without a migration',
    BASE,
    withQueues([{ ...ORDERS, maxLength: 2000 }, AUDIT]),
    `topology.queues["orders" in "/"].arguments.x-max-length: 1000 -> 2000: migration: x-max-length is fixed once the queue is declared: the import skips the existing queue, a redeclaration fails with 406 PRECONDITION_FAILED, and a policy cannot override a queue argument; declare a queue under a new name with the new settings, move publishers and consumers to it (or shovel the messages over), then delete "orders"; next time leave it out of the queue and set max-length in a policy, which changes live`,
  ],
  [
    'a queue type changed',
    BASE,
    withQueues([ORDERS, { ...AUDIT, type: 'quorum' }]),
    `topology.queues["audit" in "shop"].type: classic -> quorum: migration: a queue's type is fixed once declared: the import skips the existing classic queue, and redeclaring it as quorum fails with 406 PRECONDITION_FAILED; declare a queue under a new name with the new settings, move publishers and consumers to it (or shovel the messages over), then delete "audit"; or, for many queues, a new virtual host whose default queue type is quorum, fed by federation or shovels (https://www.rabbitmq.com/docs/blue-green-upgrade)`,
  ],
  [
    'a removed virtual host that holds queues',
    BASE,
    { ...BASE, topology: { queues: [ORDERS] } },
    `topology.vhosts["shop"]: virtual host -> (none): migration: an import never deletes a virtual host, and rabbitmqctl delete_vhost deletes its 1 queue with their messages; move the messages off first (let consumers drain them, or shovel them to another virtual host), then rabbitmqctl delete_vhost "shop"`,
  ],
  [
    'an exchange type changed',
    { ...BASE, topology: { exchanges: [{ name: 'events', type: 'direct' }] } },
    { ...BASE, topology: { exchanges: [{ name: 'events', type: 'topic' }] } },
    `topology.exchanges["events" in "/"].type: direct -> topic: migration: an exchange's type and properties are fixed once declared: the import skips the existing exchange, and a redeclaration fails with 406 PRECONDITION_FAILED; declare an exchange under a new name and move bindings and publishers to it, or delete "events" and import again (messages published in between are unroutable)`,
  ],
];

describe('warren plan on invalid transitions', () => {
  it('has at least 12 of them', () => expect(INVALID.length).toBeGreaterThanOrEqual(12));

  const rows = INVALID.map(([what, before, after, line, cookie]) => ({ what, before, after, line, cookie }));
  it.each(rows)('GIVEN $what WHEN planned THEN that change is refused or needs a migration, with its reason and fix', ({ before, after, line, cookie }) => {
    const changes = plan(before, after, cookie);
    expect(changes.map(formatChange)).toContain(line);
    const klass = line.split(': ').find((part) => part === 'rejected' || part === 'migration') as ChangeClass;
    expect(worstClass(changes)).toBe(klass);
  });
});

/** [what, before, after, a path that changes and its class]: nothing here may be rejected. */
const VALID: readonly (readonly [string, ClusterSpec, ClusterSpec, string, ChangeClass])[] = [
  ['3.13 -> 4.0, a supported upgrade', at('3.13'), at('4.0'), 'rabbitmq.version', 'migration'],
  ['3.10 -> 3.11', at('3.10', CLASSIC), at('3.11', CLASSIC), 'rabbitmq.version', 'migration'],
  ['4.1 -> 4.2, whose metadata stays on Mnesia until khepri_db is enabled', at('4.1'), at('4.2'), 'rabbitmq.metadataStore', 'migration'],
  ['4.2 -> 4.3', at('4.2'), at('4.3'), 'rabbitmq.version', 'migration'],
  ['4.3.2 -> 4.3.6, a patch upgrade', at('4.3.2'), at('4.3.6'), 'rabbitmq.version', 'rolling restart'],
  ['Mnesia -> Khepri on 4.2', { ...BASE, rabbitmq: { version: '4.2', metadataStore: 'mnesia' } }, BASE, 'rabbitmq.metadataStore', 'migration'],
  [
    'a new policy',
    BASE,
    { ...BASE, topology: { ...BASE.topology, policies: [{ name: 'ttl', pattern: '^orders$', definition: { 'message-ttl': 60000 } }] } },
    'topology.policies["ttl" in "/"]',
    'live',
  ],
  ['a heartbeat change', BASE, { ...BASE, heartbeatSeconds: 30 }, 'heartbeatSeconds', 'rolling restart'],
  ['adding two nodes', BASE, { ...BASE, nodes: 5 }, 'nodes["orders-5"]', 'live'],
  ['removing two of five nodes', { ...BASE, nodes: 5 }, BASE, 'nodes["orders-5"]', 'migration'],
  ['3 -> 1 nodes without quorum queues', at('4.3', CLASSIC), at('4.3', { ...CLASSIC, nodes: 1 }), 'nodes["orders-3"]', 'migration'],
  ['a plugin enabled', BASE, { ...BASE, plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_shovel'] }, 'plugins["rabbitmq_shovel"]', 'live'],
  ['partition handling on Khepri', BASE, { ...BASE, partitionHandling: { mode: 'pause_minority' } }, 'partitionHandling.mode', 'no-op'],
  ['the memory watermark', BASE, { ...BASE, resources: { memoryHighWatermark: 0.5 } }, 'resources.memoryHighWatermark.relative', 'rolling restart'],
  ['the load-balancing algorithm', BASE, { ...BASE, loadBalancer: { balance: 'roundrobin' } }, 'loadBalancer.balance', 'live'],
  [
    'a certificate from another file',
    { ...BASE, tls: { certificate: 'file:a.pem', privateKey: 'file:k.pem' } },
    { ...BASE, tls: { certificate: 'file:b.pem', privateKey: 'file:k.pem' } },
    'tls.certificate',
    'live',
  ],
  ['larger volumes', BASE, { ...BASE, kubernetes: { storage: { size: '20Gi' } } }, 'kubernetes.storage.size', 'migration'],
  ['a Kubernetes memory limit', BASE, { ...BASE, kubernetes: { resources: { limits: { memory: '4Gi' } } } }, 'kubernetes.resources.limits.memory', 'rolling restart'],
  ['a compose memory limit', BASE, { ...BASE, compose: { memoryLimit: '4GiB' } }, 'compose.memory.limit', 'rolling restart'],
  ['a new stream', BASE, withQueues([ORDERS, AUDIT, { name: 'events', type: 'stream' }]), 'topology.queues["events" in "/"]', 'live'],
  ['a queue removed', BASE, withQueues([ORDERS]), 'topology.queues["audit" in "shop"]', 'live'],
  ['a new user', BASE, { ...BASE, topology: { ...BASE.topology, users: [{ name: 'app' }] } }, 'topology.users["app"]', 'live'],
  ['the default queue type on 4.3', at('4.3'), at('4.3', { queues: { defaultType: 'classic' } }), 'defaultQueueType', 'rolling restart'],
  ['the AMQP port', BASE, { ...BASE, ports: { amqp: 5673 } }, 'ports.amqp', 'rolling restart'],
  ['the stream port with streams off', BASE, { ...BASE, ports: { stream: 5553 } }, 'ports.stream', 'no-op'],
];

describe('warren plan on valid transitions', () => {
  const rows = VALID.map(([what, before, after, path, klass]) => ({ what, before, after, path, klass }));
  it.each(rows)('GIVEN $what WHEN planned THEN nothing is rejected and the change is classed as expected', ({ before, after, path, klass }) => {
    const changes = plan(before, after);
    expect(changes.filter((c) => c.class === 'rejected').map(formatChange)).toEqual([]);
    expect(changes.filter((c) => c.path === path).map((c) => c.class)).toEqual([klass]);
  });

  it('GIVEN a cookie now read from a file that holds the very value synthesised WHEN planned THEN it is a no-op', () => {
    const changes = plan(BASE, { ...BASE, erlangCookie: 'file:cookie' }, { before: STORE_COOKIE, now: { source: 'file:cookie', file: '/p/cookie', identity: { size: 48, modifiedMs: 5 }, sameValue: true } });
    expect(changes.map(formatChange)).toEqual([
      'erlangCookie: generate -> file:cookie: no-op: file:cookie (/p/cookie) holds the very cookie last synthesised (compared in memory, never kept); nothing to do',
    ]);
    expect(worstClass(changes)).toBe('no-op');
  });

  it('GIVEN the same spec and an untouched cookie file WHEN planned THEN there are no changes', () => {
    expect(plan(BASE, BASE, { before: STORE_COOKIE, now: { source: 'generate', file: STORE_COOKIE.file!, identity: STORE_COOKIE.identity! } })).toEqual([]);
  });

  it('GIVEN a memory limit changed WHEN planned THEN one line per target, not one per figure derived from it', () => {
    const changes = plan(BASE, { ...BASE, compose: { memoryLimit: '4GiB' }, kubernetes: { resources: { limits: { memory: '4Gi' } } } });
    expect(changes.map((c) => c.path)).toEqual(['compose.memory.limit', 'kubernetes.resources.limits.memory']);
  });

  it('GIVEN queues reordered in the spec WHEN planned THEN nothing changes (lists of named things are matched by name)', () => {
    expect(plan(BASE, withQueues([AUDIT, ORDERS]))).toEqual([]);
  });
});
