/**
 * Rules that relate several fields of a parsed spec. Each returns every problem it finds;
 * validateSpec runs them all so the user sees everything at once.
 */
import { cliPortRange, inSubnet, nodeHostsOf } from './cluster/nodes';
import { composePortPlan } from './compose/ports';
import { closest, type Problem } from './core/problems';
import { loadBalancerSettingsRule } from './load-balancer/rules';
import { topologyRule } from './topology/rules';
import { reliabilityRule } from './topology/reliability';
import { kubernetesRule } from './kubernetes/rules';
import { metadataStoreRule } from './rabbitmq/metadata-store';
import { tlsRule } from './tls/resolve';
import type { ParsedSpec } from './spec';
import { featuresOf, parseVersion, SUPPORTED_LINES, type VersionFeatures } from './rabbitmq/version';

/** Plugins shipped with RabbitMQ; others may be third-party, so an unknown name is only a warning. */
export const KNOWN_PLUGINS = [
  'rabbitmq_amqp1_0', 'rabbitmq_auth_backend_cache', 'rabbitmq_auth_backend_http', 'rabbitmq_auth_backend_ldap',
  'rabbitmq_auth_backend_oauth2', 'rabbitmq_auth_mechanism_ssl', 'rabbitmq_consistent_hash_exchange',
  'rabbitmq_event_exchange', 'rabbitmq_federation', 'rabbitmq_federation_management', 'rabbitmq_federation_prometheus',
  'rabbitmq_jms_topic_exchange', 'rabbitmq_management', 'rabbitmq_management_agent', 'rabbitmq_mqtt',
  'rabbitmq_peer_discovery_aws', 'rabbitmq_peer_discovery_consul', 'rabbitmq_peer_discovery_etcd',
  'rabbitmq_peer_discovery_k8s', 'rabbitmq_prometheus', 'rabbitmq_random_exchange', 'rabbitmq_recent_history_exchange',
  'rabbitmq_sharding', 'rabbitmq_shovel', 'rabbitmq_shovel_management', 'rabbitmq_shovel_prometheus', 'rabbitmq_stomp',
  'rabbitmq_stream', 'rabbitmq_stream_management', 'rabbitmq_top', 'rabbitmq_tracing', 'rabbitmq_trust_store',
  'rabbitmq_web_dispatch', 'rabbitmq_web_mqtt', 'rabbitmq_web_stomp',
] as const;

/** Policy keys of classic queue mirroring, removed in RabbitMQ 4.0. */
const MIRRORING_KEYS = ['ha-mode', 'ha-params', 'ha-sync-mode', 'ha-promote-on-shutdown', 'ha-promote-on-failure', 'ha-sync-batch-size'];

type Rule = (spec: ParsedSpec, features: VersionFeatures | undefined) => Problem[];

const error = (path: string, value: unknown, message: string): Problem => ({ severity: 'error', path, value, message });
const warning = (path: string, value: unknown, message: string): Problem => ({ severity: 'warning', path, value, message });

/** Paths of each element that repeats an earlier one. */
function repeats<T>(items: readonly T[], key: (item: T) => string | undefined): number[] {
  const seen = new Set<string>();
  const found: number[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) found.push(i);
    seen.add(k);
  });
  return found;
}

const version: Rule = (spec) =>
  parseVersion(spec.rabbitmq.version)
    ? []
    : [error('rabbitmq.version', spec.rabbitmq.version, `is not a supported RabbitMQ version; use MAJOR.MINOR[.PATCH] of ${SUPPORTED_LINES.join(', ')}`)];

const nodes: Rule = (spec) => {
  if (typeof spec.nodes === 'number') return [];
  const list = spec.nodes;
  const problems = repeats(list, (n) => n.host).map((i) =>
    error(`nodes[${i}].host`, list[i]!.host, 'is used by an earlier node; give every node its own host name'),
  );
  problems.push(
    ...repeats(list, (n) => n.address).map((i) =>
      error(`nodes[${i}].address`, list[i]!.address, 'is used by an earlier node; give every node its own address'),
    ),
  );
  const withAddress = list.filter((n) => n.address !== undefined).length;
  if (withAddress > 0 && withAddress < list.length) {
    list.forEach((n, i) => {
      if (n.address === undefined) problems.push(error(`nodes[${i}].address`, undefined, 'is missing while other nodes have one; give every node an address, or none'));
    });
  }
  return problems;
};

const ports: Rule = (spec) => {
  const problems: Problem[] = [];
  const entries = Object.entries(spec.ports);
  const owner = new Map<number, string>();
  for (const [name, port] of entries) {
    const earlier = owner.get(port);
    if (earlier) problems.push(error(`ports.${name}`, port, `is also ports.${earlier}; give each listener its own port`));
    else owner.set(port, name);
  }
  const [low, high] = cliPortRange(spec.ports.distribution);
  for (const [name, port] of entries) {
    if (port >= low && port <= high) {
      problems.push(error(`ports.${name}`, port, `falls in ${low}-${high}, which the CLI tools use (distribution port + 10000); choose another port`));
    }
  }
  // Host ports derive from listener ports: check them only once the listeners themselves are sound.
  return problems.length > 0 ? problems : composeHostPorts(spec);
};

/** The compose target's published host ports: none above 65535, none published twice. */
function composeHostPorts(spec: ParsedSpec): Problem[] {
  const plan = composePortPlan(spec, nodeHostsOf(spec).map((n) => n.host));
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

const partitionHandling: Rule = (spec) => {
  const { mode, pauseIfAllDown } = spec.partitionHandling;
  const count = nodeHostsOf(spec).length;
  const problems: Problem[] = [];
  if (mode === 'pause_minority' && count % 2 === 0) {
    problems.push(
      warning('partitionHandling.mode', mode, `with ${count} nodes can pause every node when the cluster splits in half; use an odd number of nodes, or "autoheal"`),
    );
  }
  if (mode === 'pause_if_all_down' && !pauseIfAllDown) {
    problems.push(error('partitionHandling.pauseIfAllDown', undefined, 'is missing; mode "pause_if_all_down" needs { nodes: [<host>, ...], recover: ignore|autoheal }'));
  }
  if (mode !== 'pause_if_all_down' && pauseIfAllDown) {
    problems.push(error('partitionHandling.pauseIfAllDown', pauseIfAllDown.nodes, `is set but mode is "${mode}"; set mode to "pause_if_all_down" or remove pauseIfAllDown`));
  }
  if (pauseIfAllDown) {
    const hosts = nodeHostsOf(spec).map((n) => n.host);
    pauseIfAllDown.nodes.forEach((node, i) => {
      const host = node.replace(/^rabbit@/, '');
      if (!hosts.includes(host)) {
        const suggestion = closest(host, hosts);
        problems.push(
          error(`partitionHandling.pauseIfAllDown.nodes[${i}]`, node, `is not a node of this cluster; ${suggestion ? `did you mean "${suggestion}"?` : `use one of ${hosts.join(', ')}`}`),
        );
      }
    });
  }
  return problems;
};

const plugins: Rule = (spec) => {
  const problems = repeats(spec.plugins, (p) => p).map((i) =>
    error(`plugins[${i}]`, spec.plugins[i], 'is listed twice; list each plugin once'),
  );
  spec.plugins.forEach((plugin, i) => {
    if ((KNOWN_PLUGINS as readonly string[]).includes(plugin)) return;
    const suggestion = closest(plugin, KNOWN_PLUGINS);
    problems.push(
      suggestion
        ? error(`plugins[${i}]`, plugin, `is not a RabbitMQ plugin; did you mean "${suggestion}"?`)
        : warning(`plugins[${i}]`, plugin, 'is not shipped with RabbitMQ; make sure the image or package provides it'),
    );
  });
  return problems;
};

const defaultUser: Rule = (spec) =>
  spec.defaultUser.name === 'guest'
    ? [error('defaultUser.name', 'guest', 'is the built-in user RabbitMQ limits to localhost; choose another name such as "admin"')]
    : [];

const policies: Rule = (spec, features) => {
  const list = spec.topology.policies;
  const problems = repeats(list, (p) => `${p.vhost}\u0000${p.name}`).map((i) =>
    error(`topology.policies[${i}].name`, list[i]!.name, `is used by an earlier policy in vhost "${list[i]!.vhost}"; give each policy its own name`),
  );
  list.forEach((policy, i) => {
    try {
      new RegExp(policy.pattern);
    } catch {
      problems.push(error(`topology.policies[${i}].pattern`, policy.pattern, 'is not a valid regular expression; fix the pattern (e.g. "^orders\\\\.")'));
    }
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

const loadBalancer: Rule = (spec) => {
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

export const RULES: readonly Rule[] = [version, metadataStoreRule, nodes, ports, partitionHandling, plugins, defaultUser, policies, topologyRule, (spec) => reliabilityRule(spec, parseVersion(spec.rabbitmq.version)), loadBalancer, loadBalancerSettingsRule, kubernetesRule, tlsRule];

export function specRules(spec: ParsedSpec): Problem[] {
  const parsed = parseVersion(spec.rabbitmq.version);
  const features = parsed && featuresOf(parsed);
  return RULES.flatMap((rule) => rule(spec, features));
}
