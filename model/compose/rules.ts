/** Rules of the compose target: the host ports it publishes fit in 1-65535 and none is published twice; each node's memory. */
import { listenersOf } from '../cluster/listeners';
import { nodeHostsOf } from '../cluster/nodes';
import { portsRule } from '../cluster/rules';
import type { Problem } from '../core/problems';
import { error, type Rule } from '../core/rule';
import type { ParsedSpec } from '../spec';
import { composeMemoryRule } from './memory';
import { composePortPlan, type PublishedPort } from './ports';

/** Host ports derive from listener ports: they are checked only once the listeners themselves are sound. Then each node's memory. */
export const composeRule: Rule = (spec, features) => [...(portsRule(spec, features).length > 0 ? [] : composeHostPorts(spec)), ...composeMemoryRule(spec)];

function planOf(spec: ParsedSpec): PublishedPort[] {
  return composePortPlan({ ...spec, listeners: listenersOf(spec) }, nodeHostsOf(spec).map((n) => n.host));
}

/** Whether the spec's compose plan publishes every port once, within 1-65535. */
function planFits(spec: ParsedSpec): boolean {
  const ports = planOf(spec).map((p) => p.hostPort);
  return new Set(ports).size === ports.length && ports.every((p) => p >= 1 && p <= 65535) && portsRule(spec, undefined).length === 0;
}

/** The nearest value above `from` for one port setting that makes the whole plan fit, if one is near. */
function fittingPort(set: (port: number) => ParsedSpec, from: number): number | undefined {
  for (let port = from + 1; port <= Math.min(65535, from + 2000); port++) {
    if (planFits(set(port))) return port;
  }
  return undefined;
}

/** The compose target's published host ports: none below 1 or above 65535, none published twice. */
function composeHostPorts(spec: ParsedSpec): Problem[] {
  const plan = planOf(spec);
  const nodes = nodeHostsOf(spec).length;
  const problems: Problem[] = [];
  const highest = Math.max(...plan.map((p) => p.hostPort));
  for (const low of plan.filter((p) => p.hostPort < 1 && p.service === nodeHostsOf(spec).at(-1)!.host)) {
    const key = low.portKey!;
    problems.push(error(`ports.${key}`, spec.ports[key], `gives host port ${low.hostPort} in the compose target (a TLS listener counts down one port per node); use ports.${key} of at least ${spec.ports[key] + 1 - low.hostPort}`));
  }
  if (highest > 65535) {
    problems.push(error('compose.hostPortOffset', spec.compose.hostPortOffset, `pushes published ports past 65535 (up to ${highest}); use an offset of at most ${Math.max(0, spec.compose.hostPortOffset - (highest - 65535))}`));
  }
  const owner = new Map<number, PublishedPort>();
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
    const clash = `gives ${published.service} host port ${published.hostPort} in the compose target, already published for ${earlier.service} (${earlier.listener})`;
    if (published.listener === 'stats' && earlier.service === 'haproxy') continue; // the load balancer's rules say it: HAProxy listens there itself
    if (published.listener === 'stats') {
      const lb = spec.loadBalancer!;
      const port = fittingPort((statsPort) => ({ ...spec, loadBalancer: { ...lb, haproxy: { ...lb.haproxy, statsPort } } }), published.containerPort);
      problems.push(error('loadBalancer.haproxy.statsPort', published.containerPort, `${clash}; ${port === undefined ? 'choose another statsPort' : `choose a statsPort nothing else publishes, e.g. ${port}`}`));
      continue;
    }
    // Without a load balancer, node i publishes each listener at port + i - 1 (amqps: - (i - 1)): listeners need room for every node.
    const listener = published.portKey!;
    const port = fittingPort((value) => ({ ...spec, ports: { ...spec.ports, [listener]: value } }), published.containerPort);
    const fix = port === undefined ? 'choose ports further apart, or fewer nodes' : `move ports.${listener} to ${port}, or use fewer nodes`;
    problems.push(error(`ports.${listener}`, published.containerPort, `${clash}; each listener needs ${nodes} consecutive host ports (one per node), so ${fix}`));
  }
  return problems;
}
