/**
 * Warnings from the routing analysis (routing.ts), the same results the topology drawing marks: a dead-letter
 * cycle, a queue nothing routes to, an exchange without bindings, a federation upstream no policy names. Each
 * names the field that causes it, its value and the fix.
 */
import type { Problem } from '../core/problems';
import { warning, type Rule } from '../core/rule';
import type { ParsedSpec } from '../spec';
import { resolveTopology, type ResolvedQueue, type ResolvedTopology } from './resolve';
import { analyseRouting, type DeadLetterRoute } from './routing';

/** The field a queue's dead-letter route comes from: the policy's key, the queue's field, or its retry (raw x-dead-letter-* arguments are refused). */
function routeSource(spec: ParsedSpec, index: number, route: DeadLetterRoute): { path: string; value: unknown } {
  if (route.policy !== undefined) {
    const p = spec.topology.policies.findIndex((policy) => policy.vhost === route.queue.vhost && policy.name === route.policy);
    return { path: `topology.policies[${p}].definition["dead-letter-exchange"]`, value: route.exchange };
  }
  const queue = spec.topology.queues[index]!;
  if (queue.deadLetterExchange !== undefined) return { path: `topology.queues[${index}].deadLetterExchange`, value: queue.deadLetterExchange };
  return { path: `topology.queues[${index}].retry`, value: route.exchange };
}

function cycleWarnings(spec: ParsedSpec, topology: ResolvedTopology, routes: readonly DeadLetterRoute[], cycles: readonly (readonly ResolvedQueue[])[]): Problem[] {
  const declared = spec.topology.queues.length;
  return cycles.flatMap((cycle) => {
    // Reported where the spec sets the route of the cycle's first declared queue (the queues warren derives follow from it).
    const index = cycle.map((q) => topology.queues.indexOf(q)).find((i) => i >= 0 && i < declared);
    const queue = index === undefined ? undefined : topology.queues[index]!;
    const route = routes.find((r) => r.queue === queue);
    if (index === undefined || queue === undefined || route === undefined) return [];
    const names = cycle.map((q) => q.name);
    const path = [...names, names[0]].join(' → ');
    const { path: field, value } = routeSource(spec, index, route);
    const narrow = route.policy === undefined ? '' : ` or leave it out of policy "${route.policy}"'s pattern`;
    return [
      warning(
        field,
        value,
        `dead-letters queue "${queue.name}" back into ${cycle.length === 1 ? 'itself' : 'the cycle'} (${path}): RabbitMQ drops a message that comes back after expiring or overflowing, and a rejected one circles forever; give ${cycle.length === 1 ? 'the queue' : 'one queue of the cycle'} a dead-letter exchange that routes outside it${narrow}`,
      ),
    ];
  });
}

/** Registered in RULES (validate.ts); skipped when the version is not supported (resolution needs its features). */
export const routingRule: Rule = (spec, features) => {
  if (!features) return [];
  const topology = resolveTopology(spec.topology, spec.queues.defaultType, features);
  const routing = analyseRouting(topology);
  const declared = spec.topology.queues.length;
  const indexOf = <T>(list: readonly T[], item: T) => list.indexOf(item);
  return [
    ...cycleWarnings(spec, topology, routing.deadLetterRoutes, routing.deadLetterCycles),
    ...routing.unroutedQueues
      .map((queue) => indexOf(topology.queues, queue))
      .filter((i) => i < declared)
      .map((i) => {
        const name = spec.topology.queues[i]!.name;
        return warning(
          `topology.queues[${i}].name`,
          name,
          `is a queue no binding, dead-letter route, retry, federation or shovel reaches: only a publish to the default exchange with the key "${name}" does; bind it (topology.bindings), or remove it if nothing publishes to it by name`,
        );
      }),
    ...routing.unboundExchanges.map((exchange) =>
      warning(
        `topology.exchanges[${indexOf(topology.exchanges, exchange)}].name`,
        exchange.name,
        `is an exchange with no bindings and no alternate exchange: what is published to it is dropped; bind it (topology.bindings with source "${exchange.name}") or remove it`,
      ),
    ),
    ...routing.unusedUpstreams.map((upstream) =>
      warning(
        `topology.federationUpstreams[${indexOf(topology.federationUpstreams, upstream)}].name`,
        upstream.name,
        `is an upstream no policy of vhost "${upstream.vhost}" names: nothing is federated from it; name it in a policy (definition: { federation-upstream: ${upstream.name} }) or remove it`,
      ),
    ),
  ];
};
