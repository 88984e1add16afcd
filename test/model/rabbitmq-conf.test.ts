import { describe, expect, it } from 'vitest';
import { alertRulesOf, renderDefinitions, renderEnabledPlugins, renderRabbitmqConf, resolveCluster, type ClusterSpec } from '../../model';
import { fixtureSecrets } from '../support/fixtures';

const CLASSIC = { peerDiscovery: { backend: 'classic_config' }, definitionsPath: '/etc/rabbitmq/definitions.json' } as const;

/** rabbitmq.conf parsed back into key/value pairs. */
function confOf(spec: ClusterSpec): Map<string, string> {
  const text = renderRabbitmqConf(resolveCluster(spec), CLASSIC);
  return new Map(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(' = ') as [string, string]),
  );
}

describe('resolveCluster', () => {
  it('derives node names, hosts, ports and secret references once, frozen', () => {
    const cluster = resolveCluster({ name: 'orders', nodes: 3 });
    expect(cluster.nodes.map((n) => [n.index, n.host, n.nodeName])).toEqual([
      [1, 'orders-1', 'rabbit@orders-1'],
      [2, 'orders-2', 'rabbit@orders-2'],
      [3, 'orders-3', 'rabbit@orders-3'],
    ]);
    expect(cluster.ports.cliRange).toEqual([35672, 35682]);
    expect(cluster.image).toBe('rabbitmq:4.3-management');
    expect(cluster.secrets.map((s) => s.id)).toEqual(['erlang-cookie', 'default-user-password']);
    expect(Object.isFrozen(cluster.nodes[0])).toBe(true);
    expect(() => {
      (cluster.nodes as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('keeps explicit hosts and addresses, and adds the stats secret when there is a load balancer', () => {
    const cluster = resolveCluster({
      name: 'vm',
      nodes: [
        { host: 'rmq-a', address: '10.0.0.11' },
        { host: 'rmq-b', address: '10.0.0.12' },
        { host: 'rmq-c', address: '10.0.0.13' },
      ],
      loadBalancer: { hosts: [{ host: 'lb-a', address: '10.0.0.21' }, { host: 'lb-b', address: '10.0.0.22' }], virtualIp: '10.0.0.100/24' },
    });
    expect(cluster.nodes.map((n) => `${n.nodeName} ${n.address}`)).toEqual(['rabbit@rmq-a 10.0.0.11', 'rabbit@rmq-b 10.0.0.12', 'rabbit@rmq-c 10.0.0.13']);
    expect(cluster.loadBalancer?.virtualIp).toEqual({ address: '10.0.0.100', prefixLength: 24 });
    expect(cluster.secrets.map((s) => s.id)).toContain('haproxy-stats-password');
  });
});

describe('renderRabbitmqConf', () => {
  it('lists every peer for classic_config peer discovery', () => {
    const conf = confOf({ name: 'orders', nodes: 3 });
    expect(conf.get('cluster_formation.peer_discovery_backend')).toBe('classic_config');
    expect([1, 2, 3].map((i) => conf.get(`cluster_formation.classic_config.nodes.${i}`))).toEqual(['rabbit@orders-1', 'rabbit@orders-2', 'rabbit@orders-3']);
    expect(conf.get('loopback_users.guest')).toBe('true');
    expect(conf.get('load_definitions')).toBe('/etc/rabbitmq/definitions.json');
  });

  it('writes partition handling on 3.x-4.1 and leaves it out, with a notice, from 4.2 (Khepri)', () => {
    expect(confOf({ name: 'a', rabbitmq: { version: '3.13' } }).get('cluster_partition_handling')).toBe('autoheal');
    expect(confOf({ name: 'a', rabbitmq: { version: '4.1' } }).get('cluster_partition_handling')).toBe('autoheal');
    for (const version of ['4.2', '4.3']) {
      expect(confOf({ name: 'a', rabbitmq: { version } }).has('cluster_partition_handling')).toBe(false);
      expect(resolveCluster({ name: 'a', rabbitmq: { version } }).notices[0]).toMatch(/has no effect on RabbitMQ 4\.[23]/);
    }
  });

  it('on 4.2, writes partition handling for a cluster upgraded on Mnesia and says which case the spec describes', () => {
    const upgraded = resolveCluster({ name: 'a', rabbitmq: { version: '4.2', metadataStore: 'mnesia' }, partitionHandling: { mode: 'pause_minority' } });
    expect([upgraded.metadataStore, upgraded.partitionHandling.honoured]).toEqual(['mnesia', true]);
    expect(confOf({ name: 'a', rabbitmq: { version: '4.2', metadataStore: 'mnesia' }, partitionHandling: { mode: 'pause_minority' } }).get('cluster_partition_handling')).toBe('pause_minority');
    expect(upgraded.notices).toEqual([
      'rabbitmq.metadataStore "mnesia" describes a cluster upgraded to RabbitMQ 4.2 whose khepri_db feature flag is not enabled yet, so partitionHandling "pause_minority" is written; a new 4.2 cluster starts on Khepri and ignores it. Enable khepri_db (rabbitmqctl enable_feature_flag khepri_db) before upgrading to 4.3, which has no Mnesia',
    ]);
    const partitionAlert = (cluster: typeof upgraded) => alertRulesOf(cluster).find((r) => r.name === 'RabbitmqNetworkPartition')?.description;
    expect(partitionAlert(upgraded)).toContain('(Mnesia: partition handling "pause_minority" applies)');

    const fresh = resolveCluster({ name: 'a', rabbitmq: { version: '4.2' } });
    expect([fresh.metadataStore, fresh.partitionHandling.honoured]).toEqual(['khepri', false]);
    expect(fresh.notices).toEqual([
      'partitionHandling "autoheal" has no effect on RabbitMQ 4.2: its Khepri metadata store uses Raft and pauses nothing, so the key is not written; this spec describes a new 4.2 cluster, which starts on Khepri; for one upgraded from an earlier line whose khepri_db feature flag is not enabled yet, set rabbitmq.metadataStore to "mnesia". A node cut off from its peers keeps accepting clients but cannot confirm their quorum queue publishes (measured on 4.3.6), so warren\'s majority check takes it out of HAProxy and out of the Kubernetes client Service within seconds',
    ]);
    // Khepri pauses nothing, yet a partition still alerts (from rabbitmq_unreachable_cluster_peers_count on 4.x).
    expect(partitionAlert(fresh)).toContain('(Khepri: no node pauses; the minority side keeps serving but cannot commit quorum queue writes)');
    expect(resolveCluster({ name: 'a', rabbitmq: { version: '4.2', metadataStore: 'khepri' } }).notices[0]).toMatch(
      /so the key is not written; rabbitmq\.metadataStore says the cluster runs Khepri \(a new 4\.2 cluster, or an upgraded one with khepri_db enabled\)\. A node cut off/,
    );
    expect(resolveCluster({ name: 'a' }).notices).toEqual([
      'partitionHandling "autoheal" has no effect on RabbitMQ 4.3: its Khepri metadata store uses Raft and pauses nothing, so the key is not written; RabbitMQ 4.3 has no Mnesia. A node cut off from its peers keeps accepting clients but cannot confirm their quorum queue publishes (measured on 4.3.6), so warren\'s majority check takes it out of HAProxy and out of the Kubernetes client Service within seconds',
    ]);
    expect(resolveCluster({ name: 'a', rabbitmq: { version: '4.1' } }).notices).toEqual([]);
  });

  it('explains in rabbitmq.conf which metadata store the partition handling section is for', () => {
    const conf = (spec: ClusterSpec) => renderRabbitmqConf(resolveCluster(spec), CLASSIC).split('\n\n')[2];
    expect(conf({ name: 'a', rabbitmq: { version: '4.2', metadataStore: 'mnesia' } })).toBe(
      [
        '## Partition handling (Mnesia metadata store): what a node does after losing sight of its peers.',
        '## A cluster upgraded to RabbitMQ 4.2 keeps Mnesia until its khepri_db feature flag is enabled; a new one starts on Khepri and ignores this key.',
        'cluster_partition_handling = autoheal',
      ].join('\n'),
    );
    expect(conf({ name: 'a', rabbitmq: { version: '4.2' } })).toBe(
      [
        '## Partition handling: not written. This cluster keeps its metadata in Khepri (Raft), where',
        '## cluster_partition_handling has no effect; the spec\'s "autoheal" applies to a Mnesia metadata store only.',
        '## A cluster upgraded to RabbitMQ 4.2 that still runs Mnesia (khepri_db not enabled): set rabbitmq.metadataStore to "mnesia".',
      ].join('\n'),
    );
    expect(conf({ name: 'a', rabbitmq: { version: '4.3' } })).toBe(
      [
        '## Partition handling: not written. This cluster keeps its metadata in Khepri (Raft), where',
        '## cluster_partition_handling has no effect; the spec\'s "autoheal" applies to Mnesia, which RabbitMQ 4.3 does not have.',
      ].join('\n'),
    );
    expect(conf({ name: 'a', rabbitmq: { version: '4.1' } })).toBe(
      ['## Partition handling (Mnesia metadata store): what a node does after losing sight of its peers.', 'cluster_partition_handling = autoheal'].join('\n'),
    );
  });

  it('writes pause_if_all_down with its nodes and recover mode', () => {
    const conf = confOf({
      name: 'a',
      rabbitmq: { version: '3.13' },
      partitionHandling: { mode: 'pause_if_all_down', pauseIfAllDown: { nodes: ['a-1', 'a-2'], recover: 'autoheal' } },
    });
    expect(conf.get('cluster_partition_handling')).toBe('pause_if_all_down');
    expect(conf.get('cluster_partition_handling.pause_if_all_down.recover')).toBe('autoheal');
    expect(conf.get('cluster_partition_handling.pause_if_all_down.nodes.1')).toBe('rabbit@a-1');
    expect(conf.get('cluster_partition_handling.pause_if_all_down.nodes.2')).toBe('rabbit@a-2');
  });

  it('sets the node-wide default queue type only where the version has the key (4.0+)', () => {
    expect(confOf({ name: 'a', rabbitmq: { version: '4.0' } }).get('default_queue_type')).toBe('quorum');
    expect(confOf({ name: 'a', rabbitmq: { version: '3.13' } }).has('default_queue_type')).toBe(false);
  });

  it('turns on quorum membership reconciliation from 3.13 (growing to 7, never removing) and writes none of its keys before', () => {
    const keys = ['enabled', 'target_group_size', 'auto_remove'].map((k) => `quorum_queue.continuous_membership_reconciliation.${k}`);
    for (const version of ['3.13', '4.0', '4.3']) {
      const conf = confOf({ name: 'orders', nodes: 3, rabbitmq: { version } });
      expect(keys.map((k) => conf.get(k)), version).toEqual(['true', '7', 'false']);
    }
    for (const version of ['3.10', '3.12']) {
      const conf = confOf({ name: 'orders', nodes: 3, rabbitmq: { version } });
      expect([...conf.keys()].filter((k) => k.startsWith('quorum_queue.')), version).toEqual([]);
    }
  });

  it('keeps the target group size when the node count changes, so a scale-out restarts nothing', () => {
    const sizes = [1, 3, 5, 9].map((nodes) => confOf({ name: 'orders', nodes }).get('quorum_queue.continuous_membership_reconciliation.target_group_size'));
    expect(sizes).toEqual(['7', '7', '7', '7']);
  });

  it('writes listener keys only for enabled plugins (a key of a disabled plugin stops the node)', () => {
    const bare = confOf({ name: 'a', plugins: [] });
    expect(bare.has('management.tcp.port')).toBe(false);
    expect(bare.has('prometheus.tcp.port')).toBe(false);
    const full = confOf({ name: 'a', plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_stream'], ports: { management: 15000 } });
    expect(full.get('management.tcp.port')).toBe('15000');
    expect(full.get('stream.listeners.tcp.default')).toBe('5552');
  });

  it('writes absolute and relative resource limits', () => {
    const conf = confOf({ name: 'a', resources: { memoryHighWatermark: '2GiB', diskFreeLimit: 1.5 } });
    expect(conf.get('vm_memory_high_watermark.absolute')).toBe('2GiB');
    expect(conf.get('disk_free_limit.relative')).toBe('1.5');
  });

  it('is byte-identical for the same spec', () => {
    const spec = { name: 'a', nodes: 5 };
    expect(renderRabbitmqConf(resolveCluster(spec), CLASSIC)).toBe(renderRabbitmqConf(resolveCluster(spec), CLASSIC));
  });
});

describe('enabled_plugins and definitions.json', () => {
  it('renders enabled_plugins as a sorted Erlang list, with target extras', () => {
    const cluster = resolveCluster({ name: 'a', plugins: ['rabbitmq_prometheus', 'rabbitmq_management'] });
    expect(renderEnabledPlugins(cluster)).toBe('[rabbitmq_management,rabbitmq_prometheus].\n');
    expect(renderEnabledPlugins(cluster, ['rabbitmq_peer_discovery_k8s'])).toBe('[rabbitmq_management,rabbitmq_peer_discovery_k8s,rabbitmq_prometheus].\n');
  });

  it('holds the default user as a salted SHA-256 hash, never the password, and no guest', () => {
    const cluster = resolveCluster({ name: 'a' });
    const secrets = fixtureSecrets(cluster);
    const text = renderDefinitions(cluster, secrets);
    const definitions = JSON.parse(text);
    expect(text).not.toContain(secrets['default-user-password']);
    expect(definitions.users).toHaveLength(1);
    expect(definitions.users[0]).toMatchObject({ name: 'admin', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'administrator' });
    expect(Buffer.from(definitions.users[0].password_hash, 'base64')).toHaveLength(36);
    expect(definitions.permissions).toEqual([{ user: 'admin', vhost: '/', configure: '.*', write: '.*', read: '.*' }]);
    expect(definitions.vhosts).toEqual([{ name: '/', metadata: { default_queue_type: 'quorum' } }]);
    expect(renderDefinitions(cluster, secrets)).toBe(text);
  });
});
