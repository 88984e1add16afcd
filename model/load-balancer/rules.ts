/**
 * Rules of the `loadBalancer` section: hosts apart from each other and from the nodes, a virtual IP in their
 * subnet, VRRP priorities and a check weight that can move it, HAProxy timings that suit the heartbeat.
 */
import { inSubnet } from '../core/network';
import type { Problem } from '../core/problems';
import { error, repeats, type Rule } from '../core/rule';
import { listenersOf } from '../cluster/listeners';
import { nodeHostsOf } from '../cluster/nodes';
import type { ParsedSpec } from '../spec';
import { loadBalancerPriorities, VRRP_PASS_MAX_LENGTH } from './vrrp';

type LoadBalancerSpec = NonNullable<ParsedSpec['loadBalancer']>;


/** Printable ASCII without space, quotes or keepalived's comment characters `#` and `!`. */
const VRRP_PASS_CHARACTERS = /^[$%&'()*+,\-./0-9:;<=>?@A-Z[\]^_`a-z{|}~]+$/;

/** VRRP priorities keepalived accepts for an instance's effective priority. */
const PRIORITY_MIN = 1;
const PRIORITY_MAX = 254;

const clamp = (priority: number) => Math.min(PRIORITY_MAX, Math.max(PRIORITY_MIN, priority));

/** The first pair where a failed check on `failed` does not drop it strictly below healthy `healthy`. */
function tieOrWorse(priorities: readonly number[], weight: number): { failed: number; healthy: number } | undefined {
  for (let failed = 0; failed < priorities.length; failed++) {
    for (let healthy = 0; healthy < priorities.length; healthy++) {
      if (failed === healthy) continue;
      const down = clamp(priorities[failed]! + Math.min(weight, 0));
      const up = clamp(priorities[healthy]! + Math.max(weight, 0));
      if (down >= up) return { failed, healthy };
    }
  }
  return undefined;
}

function priorityProblems(lb: LoadBalancerSpec, priorities: readonly number[]): Problem[] {
  const problems: Problem[] = [];
  lb.hosts.forEach((h, i) => {
    if (h.priority !== undefined) return;
    const priority = priorities[i]!;
    if (priority < PRIORITY_MIN) {
      problems.push(error(`loadBalancer.hosts[${i}].priority`, undefined, `is missing and the derived priority ${priority} is below 1; give every host an explicit priority between 1 and 254`));
      return;
    }
    const earlier = priorities.findIndex((p, j) => j < i && p === priority);
    if (earlier >= 0) {
      problems.push(
        error(`loadBalancer.hosts[${i}].priority`, undefined, `is missing and the derived priority ${priority} equals ${lb.hosts[earlier]!.host}'s; a tie never moves the virtual IP, give every host a distinct priority`),
      );
    }
  });
  return problems;
}

function keepalivedProblems(lb: LoadBalancerSpec, priorities: readonly number[]): Problem[] {
  const k = lb.keepalived;
  const problems: Problem[] = [];
  if (k.vrrpVersion === 3 && k.authPass !== undefined) {
    problems.push(error('loadBalancer.keepalived.authPass', k.authPass, 'is not allowed with VRRP version 3, which has no authentication; remove authPass, or set vrrpVersion: 2'));
  }
  if (k.vrrpVersion === 2 && k.advertIntervalMs !== undefined && k.advertIntervalMs % 1000 !== 0) {
    problems.push(error('loadBalancer.keepalived.advertIntervalMs', k.advertIntervalMs, 'is not a whole number of seconds, which VRRP version 2 requires; use 1000, 2000, ... or set vrrpVersion: 3 for sub-second adverts'));
  }
  if (k.vrrpVersion === 3 && k.advertIntervalMs !== undefined && (k.advertIntervalMs % 10 !== 0 || k.advertIntervalMs > 40_950)) {
    problems.push(error('loadBalancer.keepalived.advertIntervalMs', k.advertIntervalMs, 'is not a VRRPv3 interval; use a multiple of 10 ms up to 40950 (e.g. 100 for sub-second failover)'));
  }
  if (k.nopreempt && k.checkWeight !== undefined && k.checkWeight !== 0) {
    problems.push(
      error('loadBalancer.keepalived.checkWeight', k.checkWeight, 'cannot move the virtual IP with nopreempt: a backup never takes over from a lower-priority holder; remove checkWeight (a failed check then puts the holder in FAULT, which releases the virtual IP)'),
    );
  }
  if (!k.nopreempt && k.checkWeight !== undefined && k.checkWeight !== 0 && lb.hosts.length >= 2) {
    const tie = tieOrWorse(priorities, k.checkWeight);
    if (tie) {
      const spread = Math.max(...priorities) - Math.min(...priorities);
      const { failed, healthy } = tie;
      problems.push(
        error(
          'loadBalancer.keepalived.checkWeight',
          k.checkWeight,
          `is too small to move the virtual IP: with a failed check ${lb.hosts[failed]!.host} (priority ${priorities[failed]}) is not below healthy ${lb.hosts[healthy]!.host} (priority ${priorities[healthy]}); use a weight whose size exceeds ${spread}, the spread of priorities (e.g. ${-Math.min(253, spread + 10)}), within 1-254 after the change`,
        ),
      );
    }
  }
  return problems;
}

function haproxyProblems(spec: ParsedSpec, lb: LoadBalancerSpec): Problem[] {
  const h = lb.haproxy;
  const problems: Problem[] = [];
  if (h.idleTimeoutSeconds !== undefined && spec.heartbeatSeconds > 0 && h.idleTimeoutSeconds <= spec.heartbeatSeconds) {
    problems.push(
      error('loadBalancer.haproxy.idleTimeoutSeconds', h.idleTimeoutSeconds, `is not above heartbeatSeconds (${spec.heartbeatSeconds}), so HAProxy could cut healthy idle AMQP connections; use at least ${3 * spec.heartbeatSeconds} (3 x heartbeat) or remove it`),
    );
  }
  if (h.checkFastIntervalMs > h.checkIntervalMs) {
    problems.push(error('loadBalancer.haproxy.checkFastIntervalMs', h.checkFastIntervalMs, `is above checkIntervalMs (${h.checkIntervalMs}); the fast interval confirms a state change and should be shorter, e.g. ${Math.max(100, Math.floor(h.checkIntervalMs / 4))}`));
  }
  // HAProxy listens on the balanced listeners' ports itself (amqp, amqps with TLS, management with its plugin).
  const listened = listenersOf(spec).filter((l) => l.access === 'balanced');
  const taken = new Set(listened.map((l) => l.port));
  let free = 8404;
  while (taken.has(free)) free++;
  for (const listener of listened.filter((l) => l.port === h.statsPort)) {
    problems.push(error('loadBalancer.haproxy.statsPort', h.statsPort, `is also ports.${listener.name}, which HAProxy listens on as well; choose another port (e.g. ${free})`));
  }
  return problems;
}

export function loadBalancerSettingsRule(spec: ParsedSpec): Problem[] {
  const lb = spec.loadBalancer;
  if (!lb) return [];
  const priorities = loadBalancerPriorities(lb.hosts);
  return [...priorityProblems(lb, priorities), ...keepalivedProblems(lb, priorities), ...haproxyProblems(spec, lb)];
}

/**
 * The VRRP PASS value keepalived.conf will carry, judged once its source has been read: the spec only names
 * where it comes from. The problem quotes the source, never the secret.
 */
export function keepalivedAuthPassRule(path: string, source: string, value: string): Problem[] {
  const problems: Problem[] = [];
  if (value.length > VRRP_PASS_MAX_LENGTH) {
    problems.push(
      error(path, source, `gives a password of ${value.length} characters; VRRP PASS carries at most ${VRRP_PASS_MAX_LENGTH} (keepalived would cut it), so give a shorter one, or use "generate"`),
    );
  }
  if (!VRRP_PASS_CHARACTERS.test(value)) {
    problems.push(error(path, source, 'gives a password with spaces, quotes, "#" or "!", which keepalived.conf cannot carry; use letters, digits and punctuation, or "generate"'));
  }
  return problems;
}

/** Distinct hosts, addresses and priorities, apart from the nodes, and a virtual IP in their subnet. */
export const loadBalancerHostsRule: Rule = (spec) => {
  const lb = spec.loadBalancer;
  if (!lb) return [];
  const problems: Problem[] = [];
  problems.push(
    ...repeats(lb.hosts, (h) => h.host).map((i) => error(`loadBalancer.hosts[${i}].host`, lb.hosts[i]!.host, 'is used by an earlier load-balancer host; give each its own name')),
    ...repeats(lb.hosts, (h) => h.address).map((i) => error(`loadBalancer.hosts[${i}].address`, lb.hosts[i]!.address, 'is used by an earlier load-balancer host; give each its own address')),
    ...repeats(lb.hosts, (h) => (h.priority === undefined ? undefined : String(h.priority))).map((i) =>
      error(`loadBalancer.hosts[${i}].priority`, lb.hosts[i]!.priority, 'is the same as an earlier host\'s; a tie never moves the virtual IP, give each host a distinct priority'),
    ),
  );
  const nodes = nodeHostsOf(spec);
  lb.hosts.forEach((h, i) => {
    if (nodes.some((n) => n.host === h.host)) {
      problems.push(error(`loadBalancer.hosts[${i}].host`, h.host, 'is also a RabbitMQ node; give the load balancer its own host name'));
    }
    if (nodes.some((n) => n.address === h.address)) {
      problems.push(error(`loadBalancer.hosts[${i}].address`, h.address, 'is also a RabbitMQ node\'s address; give the load balancer its own address'));
    }
  });
  if (lb.virtualIp) {
    if (lb.hosts.length < 2) {
      problems.push(error('loadBalancer.virtualIp', lb.virtualIp, `needs at least two load-balancer hosts to fail over between (found ${lb.hosts.length}); add hosts under loadBalancer.hosts or remove virtualIp`));
    }
    const vip = lb.virtualIp.split('/')[0]!;
    lb.hosts.forEach((h, i) => {
      if (!inSubnet(h.address, lb.virtualIp!)) {
        problems.push(error(`loadBalancer.hosts[${i}].address`, h.address, `is outside the virtual IP's network ${lb.virtualIp}; put the virtual IP in the load-balancer hosts' subnet`));
      }
      if (h.address === vip) {
        problems.push(error('loadBalancer.virtualIp', lb.virtualIp, `is the address of ${h.host}; choose a free address in the same subnet`));
      }
    });
    if (nodes.some((n) => n.address === vip)) {
      problems.push(error('loadBalancer.virtualIp', lb.virtualIp, 'is a RabbitMQ node\'s address; choose a free address'));
    }
  }
  return problems;
};
