/**
 * Rules for the topology section: every name a binding, dead-letter target, alternate exchange,
 * permission, policy or shovel refers to must exist in that vhost; queue arguments must suit the
 * queue type and version; policy patterns are valid, policy names distinct, and mirroring keys fit the version.
 */
import { closest, type Problem } from '../core/problems';
import { error, repeats, warning, type Rule } from '../core/rule';
import type { ParsedSpec, QueueType } from '../spec';
import { QUEUE_ARGUMENTS, QUEUE_FIELD_ARGUMENTS, queueTypeOf, type QueueSpec, type TopologySpec } from './schema';
import type { VersionFeatures } from '../rabbitmq/version';
import { regexRefusal } from './erlang-regex';


const PATTERN_FIX = 'fix the pattern (e.g. "^orders\\\\.")';

/** Exchanges every vhost has. */
const BUILT_IN_EXCHANGES = ['amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.rabbitmq.trace', 'amq.topic'];

/** Policy keys RabbitMQ and its shipped plugins understand. */
const POLICY_KEYS = [
  'alternate-exchange', 'consumer-timeout', 'dead-letter-exchange', 'dead-letter-routing-key', 'dead-letter-strategy',
  'delayed-retry-max', 'delayed-retry-min', 'delayed-retry-type', 'delivery-limit', 'expires', 'federation-upstream', 'federation-upstream-set', 'ha-mode', 'ha-params',
  'ha-promote-on-failure', 'ha-promote-on-shutdown', 'ha-sync-batch-size', 'ha-sync-mode', 'initial-cluster-size',
  'max-age', 'max-in-memory-bytes', 'max-in-memory-length', 'max-length', 'max-length-bytes', 'message-ttl', 'overflow',
  'queue-leader-locator', 'queue-master-locator', 'queue-mode', 'queue-version', 'single-active-consumer',
  'stream-max-segment-size-bytes', 'target-group-size',
];
/** Keys an operator policy may set (RabbitMQ refuses others); mirroring keys only before 4.0. */
const OPERATOR_POLICY_KEYS = ['delivery-limit', 'expires', 'max-in-memory-bytes', 'max-in-memory-length', 'max-length', 'max-length-bytes', 'message-ttl', 'target-group-size'];
const OPERATOR_MIRRORING_KEYS = ['ha-mode', 'ha-params', 'ha-sync-mode'];

const TYPE_LABEL: Record<QueueType, string> = { quorum: 'quorum queues', classic: 'classic queues', stream: 'streams' };

/** Per vhost: declared names, for existence checks and did-you-mean. */
interface Scope {
  readonly vhosts: readonly string[];
  readonly exchanges: ReadonlyMap<string, readonly string[]>;
  readonly queues: ReadonlyMap<string, readonly string[]>;
}

function scopeOf(topology: TopologySpec): Scope {
  const group = (items: readonly { vhost: string; name: string }[]) => {
    const map = new Map<string, string[]>();
    for (const item of items) map.set(item.vhost, [...(map.get(item.vhost) ?? []), item.name]);
    return map;
  };
  return {
    vhosts: [...new Set(['/', ...topology.vhosts.map((v) => v.name)])],
    exchanges: group(topology.exchanges),
    queues: group(topology.queues),
  };
}

/** `is not a <kind> in vhost "v"; did you mean "x"?` or the given fix. */
function missing(path: string, value: string, kind: string, vhost: string, candidates: readonly string[], fix: string): Problem {
  const suggestion = closest(value, candidates);
  return error(path, value, `is not ${kind} in vhost "${vhost}"; ${suggestion ? `did you mean "${suggestion}"?` : fix}`);
}

function duplicates<T>(items: readonly T[], key: (item: T) => string, report: (item: T, i: number) => Problem): Problem[] {
  const seen = new Set<string>();
  return items.flatMap((item, i) => {
    const k = key(item);
    if (seen.has(k)) return [report(item, i)];
    seen.add(k);
    return [];
  });
}

/** Why RabbitMQ would refuse a pattern on every Erlang the spec's line runs on (both engines when the version is unknown). */
const patternRefusal = (pattern: string, spec: ParsedSpec, features: VersionFeatures | undefined) => regexRefusal(pattern, spec.rabbitmq.version, features?.pcre2Erlang ?? true);

/** Why a topic binding key is malformed, or undefined when it is fine. */
export function topicKeyProblem(key: string): string | undefined {
  if (key === '') return undefined;
  for (const word of key.split('.')) {
    if (word === '') return 'has an empty word (two dots in a row, or a dot at an end)';
    if (word !== '*' && word !== '#' && /[*#]/.test(word)) return `has the word "${word}", which mixes * or # with other characters`;
  }
  return undefined;
}

const vhostReferences = (topology: TopologySpec, scope: Scope): Problem[] => {
  const sections = ['permissions', 'exchanges', 'queues', 'bindings', 'policies', 'operatorPolicies', 'federationUpstreams', 'shovels'] as const;
  return sections.flatMap((section) =>
    (topology[section] as readonly { vhost: string }[]).flatMap((item, i) => {
      if (scope.vhosts.includes(item.vhost)) return [];
      const suggestion = closest(item.vhost, scope.vhosts);
      return [error(`topology.${section}[${i}].vhost`, item.vhost, `is not a declared virtual host; ${suggestion ? `did you mean "${suggestion}"?` : 'add it to topology.vhosts'}`)];
    }),
  );
};

const vhostsAndUsers = (spec: ParsedSpec, features: VersionFeatures | undefined): Problem[] => {
  const { vhosts, users, permissions } = spec.topology;
  const problems = [
    ...duplicates(vhosts, (v) => v.name, (v, i) => error(`topology.vhosts[${i}].name`, v.name, 'is declared twice; declare each virtual host once')),
    ...duplicates(users, (u) => u.name, (u, i) => error(`topology.users[${i}].name`, u.name, 'is declared twice; declare each user once')),
    ...duplicates(permissions, (p) => `${p.user}\u0000${p.vhost}`, (p, i) =>
      error(`topology.permissions[${i}]`, `${p.user}@${p.vhost}`, 'repeats an earlier permission of this user in this vhost; merge them into one entry'),
    ),
  ];
  vhosts.forEach((v, i) => {
    if (v.defaultQueueType && features && !features.vhostDefaultQueueType) {
      problems.push(warning(`topology.vhosts[${i}].defaultQueueType`, v.defaultQueueType, 'cannot be stored before RabbitMQ 3.11; queues declared here still get their type, clients must pass x-queue-type themselves'));
    }
  });
  users.forEach((u, i) => {
    if (u.name === spec.defaultUser.name) problems.push(error(`topology.users[${i}].name`, u.name, 'is already defaultUser.name; give the application user another name'));
    if (u.name === 'guest') problems.push(error(`topology.users[${i}].name`, u.name, 'is the built-in user RabbitMQ limits to localhost; choose another name'));
  });
  const userNames = [spec.defaultUser.name, ...users.map((u) => u.name)];
  permissions.forEach((p, i) => {
    if (!userNames.includes(p.user)) {
      const suggestion = closest(p.user, userNames);
      problems.push(error(`topology.permissions[${i}].user`, p.user, `is not a declared user; ${suggestion ? `did you mean "${suggestion}"?` : 'add it to topology.users'}`));
    }
    for (const access of ['configure', 'write', 'read'] as const) {
      const refusal = patternRefusal(p[access], spec, features);
      if (refusal) problems.push(error(`topology.permissions[${i}].${access}`, p[access], `${refusal}; fix it (".*" allows everything, "^$" nothing)`));
    }
  });
  return problems;
};

const exchanges = (topology: TopologySpec, scope: Scope): Problem[] => {
  const list = topology.exchanges;
  const problems = duplicates(list, (e) => `${e.vhost}\u0000${e.name}`, (e, i) =>
    error(`topology.exchanges[${i}].name`, e.name, `is declared twice in vhost "${e.vhost}"; give each exchange its own name`),
  );
  list.forEach((e, i) => {
    if (e.name.startsWith('amq.')) problems.push(error(`topology.exchanges[${i}].name`, e.name, 'starts with "amq.", which RabbitMQ reserves; choose another name'));
    if (e.alternateExchange !== undefined) {
      const known = [...(scope.exchanges.get(e.vhost) ?? []), ...BUILT_IN_EXCHANGES];
      if (e.alternateExchange === e.name) problems.push(error(`topology.exchanges[${i}].alternateExchange`, e.alternateExchange, 'is the exchange itself; name another exchange for unroutable messages'));
      else if (!known.includes(e.alternateExchange)) {
        problems.push(missing(`topology.exchanges[${i}].alternateExchange`, e.alternateExchange, 'an exchange', e.vhost, known, 'declare it under topology.exchanges'));
      }
    }
  });
  return problems;
};

/** Problems of one typed or raw argument on a queue of `type`. */
function argumentProblems(path: string, value: unknown, argument: string, type: QueueType, features: VersionFeatures | undefined): Problem[] {
  const supported = QUEUE_ARGUMENTS[argument];
  if (!supported) return [];
  if (argument === 'x-max-priority' && type === 'quorum') {
    return [
      error(
        path,
        value,
        features?.quorumQueuePriorities
          ? 'is not a quorum queue argument: from RabbitMQ 4.0 quorum queues have two built-in priorities (messages with priority above 4 go first); remove it, or use type "classic" for more levels'
          : 'is not supported by quorum queues before RabbitMQ 4.0; remove it, or use type "classic" for a priority queue',
      ),
    ];
  }
  if (supported.includes(type)) return [];
  return [error(path, value, `is not supported by ${TYPE_LABEL[type]} (${argument}); remove it, or use type "${supported[0]}"`)];
}

const queues = (spec: ParsedSpec, scope: Scope, features: VersionFeatures | undefined): Problem[] => {
  const list = spec.topology.queues;
  const problems = duplicates(list, (q) => `${q.vhost}\u0000${q.name}`, (q, i) =>
    error(`topology.queues[${i}].name`, q.name, `is declared twice in vhost "${q.vhost}"; give each queue its own name`),
  );
  list.forEach((q, i) => {
    const at = `topology.queues[${i}]`;
    const type = queueTypeOf(q, spec.topology, spec.queues.defaultType);
    if (q.name.startsWith('amq.')) problems.push(error(`${at}.name`, q.name, 'starts with "amq.", which RabbitMQ reserves; choose another name'));
    if (type !== 'classic' && !q.durable) problems.push(error(`${at}.durable`, false, `is not possible for ${TYPE_LABEL[type]}, which are always durable; remove durable: false, or use type "classic"`));
    if (type !== 'classic' && q.autoDelete) problems.push(error(`${at}.autoDelete`, true, `is not possible for ${TYPE_LABEL[type]}; remove autoDelete, or use type "classic"`));
    for (const { field, argument, value } of typedArguments(q)) problems.push(...argumentProblems(`${at}.${field}`, value, argument, type, features));
    if (q.overflow === 'reject-publish-dlx' && type === 'quorum') {
      problems.push(error(`${at}.overflow`, q.overflow, 'is not supported by quorum queues; use "reject-publish" or "drop-head", or type "classic"'));
    }
    if (q.deadLetterRoutingKey !== undefined && q.deadLetterExchange === undefined) {
      problems.push(error(`${at}.deadLetterRoutingKey`, q.deadLetterRoutingKey, 'has no deadLetterExchange to go with; set deadLetterExchange ("" for the default exchange) or remove it'));
    }
    if (q.deadLetterExchange) {
      const known = [...(scope.exchanges.get(q.vhost) ?? []), ...BUILT_IN_EXCHANGES];
      if (!known.includes(q.deadLetterExchange)) {
        problems.push(missing(`${at}.deadLetterExchange`, q.deadLetterExchange, 'an exchange', q.vhost, known, 'declare it under topology.exchanges'));
      }
    }
    for (const [argument, value] of Object.entries(q.arguments)) {
      const path = `${at}.arguments["${argument}"]`;
      const field = Object.entries(QUEUE_FIELD_ARGUMENTS).find(([, arg]) => arg === argument)?.[0];
      if (argument === 'x-queue-type') problems.push(error(path, value, 'is set through the queue\'s type; write type: quorum, classic or stream instead'));
      else if (field) problems.push(error(path, value, `is set through the queue's ${field} field; write ${field} instead`));
      else if (QUEUE_ARGUMENTS[argument]) problems.push(...argumentProblems(path, value, argument, type, features));
      else {
        const suggestion = closest(argument, Object.keys(QUEUE_ARGUMENTS));
        problems.push(
          suggestion
            ? error(path, value, `is not a queue argument; did you mean "${suggestion}"?`)
            : warning(path, value, 'is not a queue argument RabbitMQ knows; RabbitMQ ignores it unless a plugin reads it'),
        );
      }
    }
  });
  return problems;
};

function typedArguments(queue: QueueSpec): { field: string; argument: string; value: unknown }[] {
  return Object.entries(QUEUE_FIELD_ARGUMENTS).flatMap(([field, argument]) => {
    const value = queue[field as keyof QueueSpec];
    return value === undefined ? [] : [{ field, argument, value }];
  });
}

const bindings = (topology: TopologySpec, scope: Scope): Problem[] => {
  const list = topology.bindings;
  const problems = duplicates(list, (b) => JSON.stringify([b.vhost, b.source, b.destinationType, b.destination, b.routingKey, b.arguments]), (b, i) =>
    error(`topology.bindings[${i}]`, `${b.source} -> ${b.destination}`, 'repeats an earlier binding; remove one of them'),
  );
  list.forEach((b, i) => {
    const at = `topology.bindings[${i}]`;
    const exchangesHere = [...(scope.exchanges.get(b.vhost) ?? []), ...BUILT_IN_EXCHANGES];
    if (!exchangesHere.includes(b.source)) problems.push(missing(`${at}.source`, b.source, 'an exchange', b.vhost, exchangesHere, 'declare it under topology.exchanges'));
    const destinations = b.destinationType === 'queue' ? (scope.queues.get(b.vhost) ?? []) : exchangesHere;
    if (!destinations.includes(b.destination)) {
      const kind = b.destinationType === 'queue' ? 'a queue' : 'an exchange';
      problems.push(missing(`${at}.destination`, b.destination, kind, b.vhost, destinations, `declare it under topology.${b.destinationType === 'queue' ? 'queues' : 'exchanges'}`));
    }
    const source = topology.exchanges.find((e) => e.vhost === b.vhost && e.name === b.source);
    const sourceType = source?.type ?? (b.source === 'amq.topic' ? 'topic' : undefined);
    const why = sourceType === 'topic' ? topicKeyProblem(b.routingKey) : undefined;
    if (why) problems.push(error(`${at}.routingKey`, b.routingKey, `${why}; write dot-separated words where * matches one word and # zero or more (e.g. "orders.*.created")`));
    const match = b.arguments['x-match'];
    if (match !== undefined && !['all', 'any'].includes(String(match))) {
      problems.push(error(`${at}.arguments["x-match"]`, match, 'is not a header match mode; use "all" (every header must match) or "any"'));
    }
  });
  return problems;
};

const policies = (spec: ParsedSpec, scope: Scope, features: VersionFeatures | undefined): Problem[] => {
  const { topology } = spec;
  const upstreams = (vhost: string) => topology.federationUpstreams.filter((u) => u.vhost === vhost).map((u) => u.name);
  const problems: Problem[] = [];
  topology.policies.forEach((p, i) => {
    const at = `topology.policies[${i}]`;
    if (features && !features.policiesPerQueueType && ['classic_queues', 'quorum_queues', 'streams'].includes(p.applyTo)) {
      problems.push(error(`${at}.applyTo`, p.applyTo, 'targets one queue type, which RabbitMQ supports from 3.12; use "queues" on this version'));
    }
    for (const [key, value] of Object.entries(p.definition)) {
      const path = `${at}.definition["${key}"]`;
      if (!POLICY_KEYS.includes(key)) {
        const suggestion = closest(key, POLICY_KEYS);
        problems.push(suggestion ? error(path, value, `is not a policy key; did you mean "${suggestion}"?`) : warning(path, value, 'is not a policy key RabbitMQ knows; make sure a plugin reads it'));
      }
      const exchangesHere = [...(scope.exchanges.get(p.vhost) ?? []), ...BUILT_IN_EXCHANGES];
      if ((key === 'dead-letter-exchange' || key === 'alternate-exchange') && value !== '' && !exchangesHere.includes(String(value))) {
        problems.push(missing(path, String(value), 'an exchange', p.vhost, exchangesHere, 'declare it under topology.exchanges'));
      }
      if (key === 'federation-upstream' && !upstreams(p.vhost).includes(String(value))) {
        problems.push(missing(path, String(value), 'a federation upstream', p.vhost, upstreams(p.vhost), 'declare it under topology.federationUpstreams'));
      }
      if (key === 'federation-upstream-set' && value !== 'all') {
        problems.push(error(path, value, 'names an upstream set, which warren does not declare; use "all", or federation-upstream with one upstream\'s name'));
      }
    }
  });
  return problems;
};

const operatorPolicies = (spec: ParsedSpec, features: VersionFeatures | undefined): Problem[] => {
  const list = spec.topology.operatorPolicies;
  const problems = duplicates(list, (p) => `${p.vhost}\u0000${p.name}`, (p, i) =>
    error(`topology.operatorPolicies[${i}].name`, p.name, `is used by an earlier operator policy in vhost "${p.vhost}"; give each its own name`),
  );
  const allowed = [...OPERATOR_POLICY_KEYS, ...(features?.classicMirroring === false ? [] : OPERATOR_MIRRORING_KEYS)];
  list.forEach((p, i) => {
    const at = `topology.operatorPolicies[${i}]`;
    const refusal = patternRefusal(p.pattern, spec, features);
    if (refusal) problems.push(error(`${at}.pattern`, p.pattern, `${refusal}; ${PATTERN_FIX}`));
    if (features && !features.policiesPerQueueType && p.applyTo !== 'queues') {
      problems.push(error(`${at}.applyTo`, p.applyTo, 'targets one queue type, which RabbitMQ supports from 3.12; use "queues" on this version'));
    }
    for (const [key, value] of Object.entries(p.definition)) {
      if (allowed.includes(key)) continue;
      const path = `${at}.definition["${key}"]`;
      problems.push(
        OPERATOR_MIRRORING_KEYS.includes(key)
          ? error(path, value, 'is classic queue mirroring, removed in RabbitMQ 4.0; remove it and use quorum queues for replication')
          : error(path, value, `is not allowed in an operator policy; use one of ${allowed.join(', ')} (or move it to topology.policies)`),
      );
    }
  });
  return problems;
};

const federationAndShovels = (spec: ParsedSpec, scope: Scope): Problem[] => {
  const { federationUpstreams, shovels } = spec.topology;
  const problems = [
    // Names are cluster-wide: they name the secrets holding the URIs.
    ...duplicates(federationUpstreams, (u) => u.name, (u, i) => error(`topology.federationUpstreams[${i}].name`, u.name, 'is declared twice; give each upstream its own name (names are cluster-wide)')),
    ...duplicates(shovels, (s) => s.name, (s, i) => error(`topology.shovels[${i}].name`, s.name, 'is declared twice; give each shovel its own name (names are cluster-wide)')),
  ];
  const needs = (section: string, items: readonly unknown[], plugin: string) => {
    if (items.length > 0 && !spec.plugins.includes(plugin)) {
      problems.push(error(`topology.${section}`, `${items.length} declared`, `needs the ${plugin} plugin, which is not enabled (the node would refuse the definitions at boot); add "${plugin}" to plugins`));
    }
  };
  needs('federationUpstreams', federationUpstreams, 'rabbitmq_federation');
  needs('shovels', shovels, 'rabbitmq_shovel');
  shovels.forEach((s, i) => {
    for (const end of ['source', 'destination'] as const) {
      const at = `topology.shovels[${i}].${end}`;
      const { queue, exchange, uri } = s[end];
      if ((queue === undefined) === (exchange === undefined)) {
        problems.push(error(at, { queue, exchange }, 'needs exactly one of queue or exchange; name the queue, or the exchange (with routingKey if needed)'));
        continue;
      }
      if (uri !== 'local') continue;
      const candidates = queue !== undefined ? (scope.queues.get(s.vhost) ?? []) : [...(scope.exchanges.get(s.vhost) ?? []), ...BUILT_IN_EXCHANGES, ''];
      const target = queue ?? exchange!;
      const declared = queue !== undefined ? spec.topology.queues.find((q) => q.vhost === s.vhost && q.name === queue) : undefined;
      if (declared && (queueTypeOf(declared, spec.topology, spec.queues.defaultType) !== 'classic' || typedArguments(declared).length > 0 || Object.keys(declared.arguments).length > 0)) {
        problems.push(
          error(`${at}.queue`, queue, 'is a queue with a type or arguments, but RabbitMQ imports shovels before queues and the shovel declares it first as a plain classic queue (seen on 3.10.8); make it type "classic" without arguments (policies still apply), or shovel from an exchange'),
        );
      }
      if (!candidates.includes(target)) {
        problems.push(missing(`${at}.${queue !== undefined ? 'queue' : 'exchange'}`, target, queue !== undefined ? 'a queue' : 'an exchange', s.vhost, candidates, `declare it under topology.${queue !== undefined ? 'queues' : 'exchanges'}, or point uri at another broker`));
      }
    }
  });
  return problems;
};

/**
 * A federation or shovel URI read from `source` (never quoted): RabbitMQ connects only with amqp:// or amqps://.
 * Only a scheme is named, and only when the value has one (a value without "://" may be a password put there).
 */
export function connectionUriValueRule(path: string, source: string, value: string): Problem[] {
  if (/\s/.test(value)) return [error(path, source, 'gives a URI with a space or a line break; give one amqp:// or amqps:// URI on one line')];
  if (/^amqps?:\/\//.test(value)) return [];
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\//.exec(value)?.[1];
  const what = scheme === undefined ? 'a value that is not a URI' : `a ${scheme}:// URI`;
  return [error(path, source, `gives ${what}; federation and shovels connect only with amqp:// or amqps:// (e.g. amqps://user:password@broker.example:5671/vhost)`)];
}

/** Every problem of spec.topology, registered in RULES (validate.ts). */
export function topologyRule(spec: ParsedSpec, features: VersionFeatures | undefined): Problem[] {
  const scope = scopeOf(spec.topology);
  return [
    ...vhostsAndUsers(spec, features),
    ...vhostReferences(spec.topology, scope),
    ...exchanges(spec.topology, scope),
    ...queues(spec, scope, features),
    ...bindings(spec.topology, scope),
    ...policies(spec, scope, features),
    ...operatorPolicies(spec, features),
    ...federationAndShovels(spec, scope),
  ];
}

/** Policy keys of classic queue mirroring, removed in RabbitMQ 4.0. */
const MIRRORING_KEYS = ['ha-mode', 'ha-params', 'ha-sync-mode', 'ha-promote-on-shutdown', 'ha-promote-on-failure', 'ha-sync-batch-size'];

export const policiesRule: Rule = (spec, features) => {
  const list = spec.topology.policies;
  const problems = repeats(list, (p) => `${p.vhost}\u0000${p.name}`).map((i) =>
    error(`topology.policies[${i}].name`, list[i]!.name, `is used by an earlier policy in vhost "${list[i]!.vhost}"; give each policy its own name`),
  );
  list.forEach((policy, i) => {
    const refusal = patternRefusal(policy.pattern, spec, features);
    if (refusal) problems.push(error(`topology.policies[${i}].pattern`, policy.pattern, `${refusal}; ${PATTERN_FIX}`));
    for (const key of Object.keys(policy.definition).filter((k) => MIRRORING_KEYS.includes(k))) {
      if (features?.classicMirroring) {
        problems.push(
          warning(
            `topology.policies[${i}].definition["${key}"]`,
            policy.definition[key],
            'is classic queue mirroring, deprecated and removed in RabbitMQ 4.0; plan the move to quorum queues before upgrading',
          ),
        );
      } else if (features) {
        problems.push(
          error(
            `topology.policies[${i}].definition["${key}"]`,
            policy.definition[key],
            `is classic queue mirroring, removed in RabbitMQ 4.0; remove it and use quorum queues (queues.defaultType: quorum, or x-queue-type: quorum) for replication`,
          ),
        );
      }
    }
  });
  return problems;
};
