/**
 * Topology changes: what a definitions import does with them on a running cluster. An import creates what is
 * missing and updates users, permissions, policies and runtime parameters, but it never deletes anything, and
 * it skips a queue or exchange that exists (rabbit_definitions: `exists -> ok`), so a changed queue or
 * exchange would silently keep its old properties. A queue's arguments are fixed once declared: a redeclaration
 * with others fails with 406 PRECONDITION_FAILED, and a policy cannot override them (x-arguments take
 * precedence; an operator policy wins only with a lower numeric limit).
 */
import type { Classifier, Verdict } from './verdict';
import type { Difference } from './diff';
import type { PlainObject } from './snapshot';

const IMPORT = 'rabbitmqctl import_definitions <definitions.json> on one node (or POST it to /api/definitions)';

/** The innermost list item the difference lies in: before and after. */
function itemOf(d: Difference): { readonly before?: PlainObject; readonly after?: PlainObject } {
  return d.items.at(-1) ?? {};
}

const field = (d: Difference, key: string): string => String((itemOf(d).after ?? itemOf(d).before)?.[key] ?? '');
const vhostFlag = (d: Difference) => `-p ${JSON.stringify(field(d, 'vhost'))}`;

/** Added and changed: imported; removed: the import leaves it, so `remove` says how to delete it. */
const imported =
  (what: string, remove: (d: Difference) => string): Classifier =>
  (d): Verdict =>
    d.after === undefined && d.items.length > 0 && d.pattern.endsWith('[]')
      ? { class: 'live', reason: `an import never deletes, so the ${what} stays until deleted`, fix: remove(d) }
      : { class: 'live', reason: `importing the definitions ${d.before === undefined ? 'creates' : 'updates'} the ${what}`, fix: IMPORT };

/** Queue arguments that a policy key can set, so that a later change is live: the advice for next time. */
const POLICY_KEYS: Readonly<Record<string, string>> = {
  'x-message-ttl': 'message-ttl',
  'x-expires': 'expires',
  'x-max-length': 'max-length',
  'x-max-length-bytes': 'max-length-bytes',
  'x-overflow': 'overflow',
  'x-dead-letter-exchange': 'dead-letter-exchange',
  'x-dead-letter-routing-key': 'dead-letter-routing-key',
  'x-dead-letter-strategy': 'dead-letter-strategy',
  'x-delivery-limit': 'delivery-limit',
  'x-queue-leader-locator': 'queue-leader-locator',
  'x-max-age': 'max-age',
  'x-stream-max-segment-size-bytes': 'stream-max-segment-size-bytes',
};

/** Numeric limits an operator policy can lower on a running queue (the lower of policy and argument applies). */
const OPERATOR_POLICY_LIMITS = new Set(['x-message-ttl', 'x-expires', 'x-max-length', 'x-max-length-bytes', 'x-delivery-limit']);

const RECREATE = (d: Difference) =>
  `declare a queue under a new name with the new settings, move publishers and consumers to it (or shovel the messages over), then delete ${JSON.stringify(field(d, 'name'))}`;

const queueType: Classifier = (d) => ({
  class: 'migration',
  reason: `a queue's type is fixed once declared: the import skips the existing ${String(d.before)} queue, and redeclaring it as ${String(d.after)} fails with 406 PRECONDITION_FAILED`,
  fix: `${RECREATE(d)}; or, for many queues, a new virtual host whose default queue type is ${String(d.after)}, fed by federation or shovels (https://www.rabbitmq.com/docs/blue-green-upgrade)`,
});

const typeChanged = (d: Difference) => {
  const { before, after } = itemOf(d);
  return before !== undefined && after !== undefined && before.type !== after.type;
};

const queueArgument: Classifier = (d) => {
  if (typeChanged(d)) return undefined;
  const argument = d.segments.at(-1)!;
  const policyKey = POLICY_KEYS[argument];
  const lowered = typeof d.before === 'number' && typeof d.after === 'number' && d.after < d.before && OPERATOR_POLICY_LIMITS.has(argument);
  const what = d.segments.at(-2) === 'arguments' ? argument : d.segments.at(-1)!;
  return {
    class: 'migration',
    reason: `${what} is fixed once the queue is declared: the import skips the existing queue, a redeclaration fails with 406 PRECONDITION_FAILED, and a policy cannot override a queue argument`,
    fix:
      RECREATE(d) +
      (lowered ? `; or keep the argument and lower the limit live with an operator policy (${POLICY_KEYS[argument]}: ${String(d.after)}) matching the queue` : '') +
      (policyKey ? `; next time leave it out of the queue and set ${policyKey} in a policy, which changes live` : ''),
  };
};

const queue: Classifier = (d, context) => {
  if (d.after === undefined) {
    return {
      class: 'live',
      reason: 'an import never deletes a queue, so it stays with its messages',
      fix: `once consumers have drained it, rabbitmqctl delete_queue --vhost ${JSON.stringify(field(d, 'vhost'))} ${JSON.stringify(field(d, 'name'))} --if-empty`,
    };
  }
  if (d.before === undefined) return { class: 'live', reason: 'importing the definitions declares the new queue', fix: IMPORT };
  return queueArgument(d, context);
};

const exchange: Classifier = (d) => {
  if (d.after === undefined) {
    return {
      class: 'live',
      reason: 'an import never deletes an exchange, so it stays',
      fix: `once nothing publishes to it, DELETE /api/exchanges/${encodeURIComponent(field(d, 'vhost'))}/${encodeURIComponent(field(d, 'name'))} on the HTTP API`,
    };
  }
  if (d.before === undefined) return { class: 'live', reason: 'importing the definitions declares the new exchange', fix: IMPORT };
  return {
    class: 'migration',
    reason: "an exchange's type and properties are fixed once declared: the import skips the existing exchange, and a redeclaration fails with 406 PRECONDITION_FAILED",
    fix:
      `declare an exchange under a new name and move bindings and publishers to it, or delete ${JSON.stringify(field(d, 'name'))} and import again (messages published in between are unroutable)` +
      (d.segments.at(-1) === 'alternateExchange' ? '; an alternate exchange can also be set by a policy (alternate-exchange), which changes live' : ''),
  };
};

/** A removed virtual host takes its queues and their messages with it when deleted. */
const vhost: Classifier = (d, context) => {
  if (d.after !== undefined) return { class: 'live', reason: 'importing the definitions creates the virtual host', fix: IMPORT };
  const name = field(d, 'name');
  const queues = (context.before.topology.queues as readonly PlainObject[]).filter((q) => q.vhost === name).length;
  if (queues === 0) return { class: 'live', reason: 'an import never deletes a virtual host, so it stays', fix: `rabbitmqctl delete_vhost ${JSON.stringify(name)} once nothing uses it` };
  return {
    class: 'migration',
    reason: `an import never deletes a virtual host, and rabbitmqctl delete_vhost deletes its ${queues} ${queues === 1 ? 'queue' : 'queues'} with their messages`,
    fix: `move the messages off first (let consumers drain them, or shovel them to another virtual host), then rabbitmqctl delete_vhost ${JSON.stringify(name)}`,
  };
};

export const TOPOLOGY_CLASSIFIERS: Readonly<Record<string, Classifier>> = {
  'topology.vhosts[]': vhost,
  'topology.vhosts[].defaultQueueType': (d) => ({
    class: 'live',
    reason: "a virtual host's default queue type applies to queues declared later; existing queues keep their type",
    fix: `rabbitmqctl update_vhost_metadata ${JSON.stringify(field(d, 'name'))} --default-queue-type ${String(d.after ?? 'classic')}`,
  }),
  'topology.vhosts[].description': (d) => ({ class: 'live', reason: 'virtual host metadata', fix: `rabbitmqctl update_vhost_metadata ${JSON.stringify(field(d, 'name'))} --description ${JSON.stringify(String(d.after ?? ''))}` }),
  'topology.users[]': imported('user', (d) => `rabbitmqctl delete_user ${JSON.stringify(field(d, 'name'))} once nothing uses it`),
  'topology.permissions[]': imported('permission', (d) => `rabbitmqctl clear_permissions ${vhostFlag(d)} ${JSON.stringify(field(d, 'user'))}`),
  'topology.exchanges[]': exchange,
  'topology.queues[]': queue,
  'topology.queues[].type': queueType,
  'topology.queues[].arguments.x-queue-type': () => undefined,
  'topology.queues[].arguments': queueArgument,
  'topology.queues[].durable': queueArgument,
  'topology.queues[].autoDelete': queueArgument,
  'topology.bindings[]': imported(
    'binding',
    (d) =>
      `DELETE /api/bindings/${encodeURIComponent(field(d, 'vhost'))}/e/${encodeURIComponent(field(d, 'source'))}/${field(d, 'destinationType') === 'exchange' ? 'e' : 'q'}/${encodeURIComponent(field(d, 'destination'))}/<props> on the HTTP API (the binding's properties key is listed by GET on the same path)`,
  ),
  'topology.policies[]': imported('policy', (d) => `rabbitmqctl clear_policy ${vhostFlag(d)} ${JSON.stringify(field(d, 'name'))}`),
  'topology.operatorPolicies[]': imported('operator policy', (d) => `rabbitmqctl clear_operator_policy ${vhostFlag(d)} ${JSON.stringify(field(d, 'name'))}`),
  'topology.federationUpstreams[]': imported('federation upstream', (d) => `rabbitmqctl clear_parameter ${vhostFlag(d)} federation-upstream ${JSON.stringify(field(d, 'name'))}`),
  'topology.shovels[]': imported('shovel', (d) => `rabbitmqctl clear_parameter ${vhostFlag(d)} shovel ${JSON.stringify(field(d, 'name'))}`),
};
