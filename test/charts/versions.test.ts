import { describe, expect, it } from 'vitest';
import { resolveCluster } from '../../model';
import { configData, find, findAll, podSpecOf, rabbitmqContainer, synthObjects } from './manifests';
import { schemaProblems } from './schema-checks';

const OLD_DISCOVERY_KEYS = ['cluster_formation.k8s.host', 'cluster_formation.k8s.address_type', 'cluster_formation.k8s.service_name', 'cluster_formation.k8s.hostname_suffix'];

function chartFor(version: string) {
  const spec = { name: 'orders', rabbitmq: { version }, kubernetes: { prometheusRule: true } };
  const objects = synthObjects(spec);
  const data = configData(objects);
  const conf = data['10-rabbitmq.conf']!;
  const keys = conf.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' = ')[0]!);
  const statefulSet = find(objects, 'StatefulSet', 'orders');
  const alerts = (find(objects, 'PrometheusRule', 'orders').spec as { groups: { rules: { alert: string }[] }[] }).groups[0]!.rules.map((r) => r.alert);
  return { cluster: resolveCluster(spec), objects, data, conf, keys, statefulSet, container: rabbitmqContainer(statefulSet), alerts };
}

describe('one chart per supported line, with what differs', () => {
  it('3.13: API-based discovery with RBAC, Mnesia partition handling, queue_master_locator, no node-wide default queue type, mirror wait in preStop', () => {
    const c = chartFor('3.13');
    expect(findAll(c.objects, 'Role').map((o) => o.metadata.name)).toEqual(['orders-peer-discovery']);
    expect(findAll(c.objects, 'RoleBinding').map((o) => o.metadata.name)).toEqual(['orders-peer-discovery']);
    expect((find(c.objects, 'Role', 'orders-peer-discovery') as unknown as { rules: unknown[] }).rules).toEqual([
      { apiGroups: [''], resources: ['endpoints'], verbs: ['get'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    expect(podSpecOf(c.statefulSet).automountServiceAccountToken).toBe(true);
    expect(c.conf).toContain(
      [
        'cluster_formation.peer_discovery_backend = k8s',
        'cluster_formation.k8s.host = kubernetes.default',
        'cluster_formation.k8s.address_type = hostname',
        'cluster_formation.k8s.service_name = orders-nodes',
        'cluster_formation.k8s.hostname_suffix = .orders-nodes.default',
      ].join('\n'),
    );
    expect(c.keys).not.toContain('cluster_formation.k8s.ordinal_start');
    expect(c.conf).toContain('cluster_partition_handling = autoheal');
    expect(c.alerts).toContain('RabbitmqNetworkPartition');
    expect(c.data['10-rabbitmq.conf']).toContain('\nqueue_master_locator = min-masters\n');
    expect(c.data['10-rabbitmq.conf']).not.toMatch(/^queue_leader_locator/m);
    expect(c.keys).not.toContain('default_queue_type');
    expect(c.container.readinessProbe?.exec?.command).toEqual(['rabbitmq-diagnostics', '-q', 'ping']);
    expect(c.container.lifecycle?.preStop?.exec?.command[2]).toBe(
      'rabbitmq-upgrade await_online_quorum_plus_one -t 600; rabbitmq-upgrade await_online_synchronized_mirror -t 600; rabbitmq-upgrade drain -t 600',
    );
    expect(podSpecOf(c.statefulSet).terminationGracePeriodSeconds).toBe(3 * 600 + 60);
    expect(c.data.enabled_plugins).toBe('[rabbitmq_management,rabbitmq_peer_discovery_k8s,rabbitmq_prometheus].\n');
  });

  it('4.0: still API-based discovery with RBAC; quorum by default, queue_leader_locator, no mirror wait', () => {
    const c = chartFor('4.0');
    expect(findAll(c.objects, 'Role')).toHaveLength(1);
    expect(c.keys).toEqual(expect.arrayContaining(OLD_DISCOVERY_KEYS));
    expect(c.conf).toContain('cluster_partition_handling = autoheal');
    expect(c.conf).toContain('default_queue_type = quorum');
    expect(c.data['10-rabbitmq.conf']).toContain('queue_leader_locator = balanced');
    expect(c.data['10-rabbitmq.conf']).not.toMatch(/^queue_master_locator/m);
    expect(c.container.lifecycle?.preStop?.exec?.command[2]).toBe('rabbitmq-upgrade await_online_quorum_plus_one -t 600; rabbitmq-upgrade drain -t 600');
    expect(c.container.readinessProbe?.exec?.command).toEqual(['rabbitmq-diagnostics', '-q', 'ping']);
  });

  it('4.1: seed-node discovery (ordinal_start only), no RBAC, no API token; partition handling still honoured', () => {
    const c = chartFor('4.1');
    expect(findAll(c.objects, 'Role')).toEqual([]);
    expect(findAll(c.objects, 'RoleBinding')).toEqual([]);
    expect(podSpecOf(c.statefulSet).automountServiceAccountToken).toBe(false);
    expect(c.conf).toContain('cluster_formation.peer_discovery_backend = k8s\ncluster_formation.k8s.ordinal_start = 0\n');
    for (const key of OLD_DISCOVERY_KEYS) expect(c.keys).not.toContain(key);
    expect(c.conf).toContain('cluster_partition_handling = autoheal');
    expect(c.alerts).toContain('RabbitmqNetworkPartition');
    expect(c.conf).toContain('default_queue_type = quorum');
  });

  it('4.2: Khepri, so partition handling is not written and the user is told, yet a partition alerts; HTTP readiness without credentials', () => {
    const c = chartFor('4.2');
    expect(c.keys).not.toContain('cluster_partition_handling');
    expect(c.conf).toContain('cluster_partition_handling has no effect');
    expect(c.cluster.notices).toContain(
      'partitionHandling "autoheal" has no effect on RabbitMQ 4.2: its Khepri metadata store uses Raft and pauses nothing, so the key is not written; this spec describes a new 4.2 cluster, which starts on Khepri; for one upgraded from an earlier line whose khepri_db feature flag is not enabled yet, set rabbitmq.metadataStore to "mnesia". A node cut off from its peers keeps accepting clients but cannot confirm their quorum queue publishes (measured on 4.3.6), so warren\'s majority check takes it out of HAProxy and out of the Kubernetes client Service within seconds',
    );
    // Khepri pauses nothing, yet a split still alerts (rabbitmq_unreachable_cluster_peers_count); no HAProxy alert in a chart.
    expect(c.alerts).toContain('RabbitmqNetworkPartition');
    expect(c.alerts).not.toContain('RabbitmqNodeCutOff');
    expect(c.container.readinessProbe?.httpGet).toEqual({ path: '/api/health/checks/ready-to-serve-clients', port: 'management' });
    expect(findAll(c.objects, 'Role')).toEqual([]);
  });

  it('4.3: like 4.2, on the current image', () => {
    const c = chartFor('4.3');
    expect(c.container.image).toBe('rabbitmq:4.3-management');
    expect(c.keys).not.toContain('cluster_partition_handling');
    expect(c.cluster.notices[0]).toMatch(/^partitionHandling "autoheal" has no effect on RabbitMQ 4.3/);
    expect(c.conf).toContain('default_queue_type = quorum');
    expect(c.data['10-rabbitmq.conf']).toContain('queue_leader_locator = balanced');
    expect(c.container.readinessProbe?.httpGet?.path).toBe('/api/health/checks/ready-to-serve-clients');
  });

  it('every line validates against the schemas', () => {
    for (const version of ['3.13', '4.0', '4.1', '4.2', '4.3']) expect(chartFor(version).objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('readiness falls back to the CLI ping on 4.2+ when the management plugin is off', () => {
    const objects = synthObjects({ name: 'orders', rabbitmq: { version: '4.3' }, plugins: ['rabbitmq_prometheus'] });
    expect(rabbitmqContainer(find(objects, 'StatefulSet', 'orders')).readinessProbe?.exec?.command).toEqual(['rabbitmq-diagnostics', '-q', 'ping']);
  });
});
