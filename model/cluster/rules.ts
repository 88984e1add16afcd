/**
 * Rules of the cluster-wide sections: distinct node hosts and addresses, listener ports that do not clash
 * (with each other or the CLI tools' range), partition handling that fits the node count, known plugins,
 * and a default user other than guest.
 */
import { closest, type Problem } from '../core/problems';
import { error, repeats, warning, type Rule } from '../core/rule';
import { metadataStoreOf } from '../rabbitmq/metadata-store';
import { listenersOf } from './listeners';
import { resolveMajorityCheck } from './majority-check';
import { cliPortRange, nodeHostsOf } from './nodes';

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

/** Host names have at most 63 characters (one DNS label). */
const MAX_HOST_NAME = 63;

export const nodesRule: Rule = (spec) => {
  if (typeof spec.nodes === 'number') {
    // Hosts are <name>-1 .. <name>-N on every target (compose services, VM hosts; Kubernetes pods count from 0).
    const longest = spec.name.length + 1 + String(spec.nodes).length;
    if (longest <= MAX_HOST_NAME) return [];
    return [
      error(
        'name',
        spec.name,
        `gives node host names (name + "-" + number) of up to ${longest} characters with ${spec.nodes} nodes, over the ${MAX_HOST_NAME} a host name may have; shorten it to ${MAX_HOST_NAME - 1 - String(spec.nodes).length} characters or fewer, or list the hosts under nodes`,
      ),
    ];
  }
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

/** RabbitMQ's own epmd and distribution ports: the only ones the nodes listen on, since no target passes others. */
const NODE_DEFAULT_PORTS = { epmd: 4369, distribution: 25672 } as const;

export const portsRule: Rule = (spec, features) => {
  const problems: Problem[] = [];
  const entries = Object.entries(spec.ports);
  const owner = new Map<number, string>();
  for (const [name, port] of entries) {
    const earlier = owner.get(port);
    if (earlier) problems.push(error(`ports.${name}`, port, `is also ports.${earlier}; give each listener its own port`));
    else owner.set(port, name);
  }
  for (const [name, port] of Object.entries(NODE_DEFAULT_PORTS)) {
    const given = spec.ports[name as keyof typeof NODE_DEFAULT_PORTS];
    if (given !== port) {
      problems.push(
        error(`ports.${name}`, given, `is not passed to the nodes by any target yet, so they keep ${port} while the majority agent, load balancers and NetworkPolicy would use ${given}; leave it at ${port}`),
      );
    }
  }
  const [low, high] = cliPortRange(spec.ports.distribution);
  for (const [name, port] of entries) {
    if (port >= low && port <= high) {
      problems.push(error(`ports.${name}`, port, `falls in ${low}-${high}, which the CLI tools use (ports.distribution + 10000 to + 10010); choose a port outside that range`));
    }
  }
  const majorityCheck = features && resolveMajorityCheck(metadataStoreOf(spec, features) === 'mnesia', spec.partitionHandling.mode);
  if (majorityCheck) {
    for (const listener of listenersOf(spec).filter((l) => l.port === majorityCheck.agentPort)) {
      problems.push(error(`ports.${listener.name}`, listener.port, `is the port of warren's majority agent, which runs on every node; choose another port`));
    }
  }
  return problems;
};

export const partitionHandlingRule: Rule = (spec) => {
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

export const pluginsRule: Rule = (spec) => {
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

export const defaultUserRule: Rule = (spec) =>
  spec.defaultUser.name === 'guest'
    ? [error('defaultUser.name', 'guest', 'is the built-in user RabbitMQ limits to localhost; choose another name such as "admin"')]
    : [];

/**
 * Erlang reads the cookie into an atom: at most 255 characters, each printable ASCII (a space included). Measured
 * with real nodes on OTP 25, 27 and 29: 256 characters stop the node at boot (system_limit in auth), a tab, a line
 * break inside, DEL or a non-ASCII character give "Bad characters in cookie". A trailing line break is dropped.
 */
export const ERLANG_COOKIE_MAX_LENGTH = 255;
const ERLANG_COOKIE_CHARACTERS = /^[\x20-\x7e]+$/;

/** The cookie read from `source` (never quoted), judged as Erlang will. */
export function erlangCookieValueRule(path: string, source: string, value: string): Problem[] {
  const problems: Problem[] = [];
  if (value.length > ERLANG_COOKIE_MAX_LENGTH) {
    problems.push(
      error(path, source, `gives a cookie of ${value.length} characters; Erlang takes at most ${ERLANG_COOKIE_MAX_LENGTH} (a longer one stops every node at boot), so give a shorter one, or use "generate"`),
    );
  }
  if (!ERLANG_COOKIE_CHARACTERS.test(value)) {
    problems.push(error(path, source, 'gives a cookie with a tab, a line break inside, a control or a non-ASCII character, which Erlang refuses (the node does not start); use letters, digits and punctuation, or "generate"'));
  }
  return problems;
}

/**
 * Sizes RabbitMQ's own parser (rabbit_resource_monitor_misc:parse_information_unit) fails on although the spec's
 * pattern admits them. "KiB" ends in a case_clause on 3.10.8, 4.0.5 and 4.3.6: measured on 3.10.8 and 4.3.6, an
 * absolute watermark in KiB leaves the node without its memory monitor (no memory alarm at all), and on 3.10.8 a
 * disk free limit in KiB leaves the disk monitor on its 50MB default. TB and TiB are read from 3.13 only.
 */
export const resourcesRule: Rule = (spec, features) =>
  (['memoryHighWatermark', 'diskFreeLimit'] as const).flatMap((key) => {
    const value = spec.resources[key];
    if (typeof value !== 'string') return [];
    const monitor = key === 'memoryHighWatermark' ? 'memory monitor' : 'disk monitor';
    if (value.endsWith('KiB')) {
      const bytes = Number(value.slice(0, -3)) * 1024;
      return [error(`resources.${key}`, value, `is in KiB, which RabbitMQ's size parser fails on, leaving the node without its ${monitor} setting; write it in bytes ("${bytes}"), MiB or GiB`)];
    }
    if (features && !features.terabyteSizes && /TB$|TiB$/.test(value)) {
      return [error(`resources.${key}`, value, `is in ${value.endsWith('TiB') ? 'TiB' : 'TB'}, which RabbitMQ reads from 3.13 only (${spec.rabbitmq.version} answers parse_error); write it in ${value.endsWith('TiB') ? 'GiB' : 'GB'}`)];
    }
    return [];
  });
