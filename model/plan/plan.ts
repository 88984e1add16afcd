/**
 * planChanges: every change between the cluster last synthesised and the one the spec describes now, each
 * classified (no-op, live, rolling restart, migration, rejected) with its reason and fix. Pure: the caller
 * reads the state file and the cookie sources.
 */
import type { PlannedChange } from './change';
import { classifierFor, ROLL, UNKNOWN } from './classify';
import { metadataStoreRule, nodesRule, versionRule } from './cluster-rules';
import { scaleWithUpgradeRule, targetGroupSizeRule } from './scale-rules';
import { cookieChange, type CookieNow, type CookieRecord } from './cookie';
import { differences, isPlainObject } from './diff';
import type { PlainObject, PlainValue, PlanSnapshot } from './snapshot';

export interface PlanOptions {
  /** What synth recorded of the cookie and what plan finds now. @default - the cookie is not checked */
  readonly cookie?: { readonly before: CookieRecord; readonly now: CookieNow };
}

/**
 * rabbitmq.conf keys a change at a spec path explains. A key that changed with no such change comes from
 * warren itself (another version writes it differently), and is listed on its own.
 */
const CONF_KEYS_CHANGED_BY: readonly (readonly [string, readonly string[]])[] = [
  ['name', ['cluster_name']],
  ['rabbitmq.version', ['']],
  ['rabbitmq.metadataStore', ['cluster_partition_handling']],
  ['heartbeatSeconds', ['heartbeat']],
  ['ports', ['listeners.', 'management.', 'prometheus.', 'stream.']],
  ['plugins', ['management.', 'prometheus.', 'stream.']],
  ['tls', ['listeners.', 'ssl_options.', 'management.', 'prometheus.', 'stream.']],
  ['partitionHandling', ['cluster_partition_handling']],
  ['resources', ['vm_memory_high_watermark', 'disk_free_limit']],
  ['defaultQueueType', ['default_queue_type']],
];

/** The peer list only matters at a node's first boot; node changes have their own lines, and its order means nothing. */
const ALWAYS_EXPLAINED = ['cluster_formation.'];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

function confChanges(before: PlanSnapshot, after: PlanSnapshot, changes: readonly PlannedChange[]): PlannedChange[] {
  const explained = CONF_KEYS_CHANGED_BY.filter(([path]) => changes.some((change) => under(change.path, path))).flatMap(([, keys]) => keys);
  const keys = [...Object.keys(before.rabbitmqConf), ...Object.keys(after.rabbitmqConf).filter((key) => !(key in before.rabbitmqConf))];
  return keys
    .filter((key) => before.rabbitmqConf[key] !== after.rabbitmqConf[key])
    .filter((key) => ![...explained, ...ALWAYS_EXPLAINED].some((prefix) => key.startsWith(prefix)))
    .map((key) => ({
      path: `rabbitmq.conf[${key}]`,
      ...(key in before.rabbitmqConf && { before: before.rabbitmqConf[key] }),
      ...(key in after.rabbitmqConf && { after: after.rabbitmqConf[key] }),
      class: 'rolling restart' as const,
      reason: 'this warren writes the key differently from the one that synthesised the output (no spec change explains it), and nodes read it at boot',
      fix: ROLL,
    }));
}

/** How an added or removed list item shows in a line: what it is, not all of its JSON. */
const ITEM_SUMMARIES: Readonly<Record<string, (item: PlainObject) => string>> = {
  'topology.vhosts[]': () => 'virtual host',
  'topology.users[]': (u) => `user tagged ${JSON.stringify(u.tags)}`,
  'topology.permissions[]': (p) => `configure ${JSON.stringify(p.configure)} write ${JSON.stringify(p.write)} read ${JSON.stringify(p.read)}`,
  'topology.exchanges[]': (e) => `${String(e.type)} exchange`,
  'topology.queues[]': (q) => `${String(q.type)} queue`,
  'topology.bindings[]': () => 'binding',
  'topology.policies[]': (p) => `policy on ${JSON.stringify(p.pattern)}`,
  'topology.operatorPolicies[]': (p) => `operator policy on ${JSON.stringify(p.pattern)}`,
  'topology.federationUpstreams[]': () => 'federation upstream',
  'topology.shovels[]': () => 'shovel',
  'loadBalancer.hosts[]': (h) => String(h.address),
};

const shown = (pattern: string, value: PlainValue): PlainValue => {
  const summary = ITEM_SUMMARIES[pattern];
  return summary && isPlainObject(value) ? summary(value) : value;
};

export function planChanges(before: PlanSnapshot, after: PlanSnapshot, options: PlanOptions = {}): PlannedChange[] {
  const cookie = options.cookie && cookieChange(options.cookie.before, options.cookie.now);
  const renamed = before.name !== after.name;
  // Host names <name>-N follow the name: the name's own line says it all.
  const hostsFollowName = renamed && [before, after].every((s) => s.nodes.every((node, i) => node.host === `${s.name}-${i + 1}`));
  const changes: PlannedChange[] = [
    ...versionRule(before, after),
    ...metadataStoreRule(before, after),
    ...(cookie ? [cookie] : []),
    ...(hostsFollowName ? [] : nodesRule(before, after)),
    ...targetGroupSizeRule(before, after),
    ...scaleWithUpgradeRule(before, after),
  ];
  for (const difference of differences(before, after)) {
    const classifier = classifierFor(difference.segments);
    const verdict = classifier ? classifier(difference, { before, after }) : UNKNOWN;
    if (!verdict) continue;
    changes.push({
      path: difference.path,
      ...(difference.before !== undefined && { before: shown(difference.pattern, difference.before) }),
      ...(difference.after !== undefined && { after: shown(difference.pattern, difference.after) }),
      ...verdict,
    });
  }
  const all = [...changes, ...confChanges(before, after, changes)];
  // A rejected change says what to do instead; how the same change would be applied does not matter.
  const rejected = new Set(all.filter((c) => c.class === 'rejected').map((c) => c.path));
  return all.filter((c) => c.class === 'rejected' || !rejected.has(c.path));
}
