/** Rules of the compose target: the host ports it publishes fit in 1-65535 and none is published twice. */
import { listenersOf } from '../cluster/listeners';
import { nodeHostsOf } from '../cluster/nodes';
import { portsRule } from '../cluster/rules';
import type { Problem } from '../core/problems';
import { error, type Rule } from '../core/rule';
import type { ParsedSpec } from '../spec';
import { composePortPlan } from './ports';

/** Host ports derive from listener ports: they are checked only once the listeners themselves are sound. */
export const composeRule: Rule = (spec, features) => (portsRule(spec, features).length > 0 ? [] : composeHostPorts(spec));

/** The compose target's published host ports: none above 65535, none published twice. */
function composeHostPorts(spec: ParsedSpec): Problem[] {
  const plan = composePortPlan({ ...spec, listeners: listenersOf(spec) }, nodeHostsOf(spec).map((n) => n.host));
  const problems: Problem[] = [];
  const highest = Math.max(...plan.map((p) => p.hostPort));
  const lowest = Math.min(...plan.map((p) => p.hostPort));
  if (lowest < 1) {
    problems.push(error('ports.amqps', spec.ports.amqps, `gives host port ${lowest} in the compose target (amqps counts down one port per node); choose a higher port`));
  }
  if (highest > 65535) {
    problems.push(error('compose.hostPortOffset', spec.compose.hostPortOffset, `pushes published ports past 65535 (up to ${highest}); use a smaller offset`));
  }
  const owner = new Map<number, (typeof plan)[number]>();
  const reported = new Set<string>();
  for (const published of plan) {
    const earlier = owner.get(published.hostPort);
    if (!earlier) {
      owner.set(published.hostPort, published);
      continue;
    }
    const pair = `${earlier.listener}/${published.listener}`;
    if (reported.has(pair)) continue;
    reported.add(pair);
    const path = published.listener === 'stats' ? 'loadBalancer.haproxy.statsPort' : `ports.${published.listener}`;
    problems.push(
      error(
        path,
        published.containerPort,
        `gives ${published.service} host port ${published.hostPort} in the compose target, already published for ${earlier.service} (${earlier.listener}); choose ports further apart, or fewer nodes`,
      ),
    );
  }
  return problems;
}
