import { describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { fixtureSecrets, loadExample } from '../support/fixtures';
import { configData, FAKE_SECRETS, find, findAll, podSpecOf, rabbitmqContainer, synthObjects, synthYaml } from './manifests';
import { schemaProblems } from './schema-checks';

const SPEC: ClusterSpec = {
  name: 'orders',
  rabbitmq: { version: '4.3' },
  nodes: 3,
  plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_stream'],
  kubernetes: { namespace: 'messaging', clientNamespaces: ['apps', 'billing'], serviceMonitor: true, prometheusRule: true },
};

describe('RabbitmqCluster chart (4.3, three nodes, streams, monitoring)', () => {
  const objects = synthObjects(SPEC);
  const statefulSet = find(objects, 'StatefulSet', 'orders');
  const pod = podSpecOf(statefulSet);
  const container = rabbitmqContainer(statefulSet);

  it('matches the reviewed golden file', async () => {
    await expect(synthYaml(SPEC)).toMatchFileSnapshot('golden/orders-4.3.k8s.yaml');
  });

  it('emits exactly the expected objects, all in the namespace', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/orders-config',
      'NetworkPolicy/orders-nodes',
      'PodDisruptionBudget/orders',
      'PrometheusRule/orders',
      'Secret/orders-default-user',
      'Secret/orders-erlang-cookie',
      'Service/orders',
      'Service/orders-nodes',
      'ServiceAccount/orders',
      'ServiceMonitor/orders',
      'StatefulSet/orders',
    ]);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['messaging']));
  });

  it('validates every object against the Kubernetes OpenAPI schema (CRDs structurally)', () => {
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('the schema check rejects a broken StatefulSet and a broken PrometheusRule', () => {
    const broken = { ...statefulSet, spec: { ...(statefulSet.spec as object), podManagementPolicy: 'Sideways' } };
    expect(schemaProblems(broken)).toEqual(['apps/v1/StatefulSet orders: data/spec/podManagementPolicy must be equal to one of the allowed values']);
    const rule = find(objects, 'PrometheusRule', 'orders') as unknown as { spec: { groups: { rules: object[] }[] } };
    const badRule = { ...rule, spec: { groups: [{ name: 'g', rules: [{ alert: 'X', expr: 'up{', for: '5 minutes', labels: {}, annotations: {} }] }] } };
    expect(schemaProblems(badRule as never)).toEqual(['spec.groups[0].rules[0].expr: empty or unbalanced', 'spec.groups[0].rules[0].for: not a Duration']);
  });

  it('runs a Parallel apps/v1 StatefulSet with long node names on the headless Service', () => {
    expect(statefulSet.apiVersion).toBe('apps/v1');
    const spec = statefulSet.spec as { podManagementPolicy: string; serviceName: string; replicas: number };
    expect(spec).toMatchObject({ podManagementPolicy: 'Parallel', serviceName: 'orders-nodes', replicas: 3 });
    const env = container.env!.map((e) => e.name);
    expect(env.indexOf('MY_POD_NAME')).toBeLessThan(env.indexOf('RABBITMQ_NODENAME'));
    expect(env.indexOf('MY_POD_NAMESPACE')).toBeLessThan(env.indexOf('RABBITMQ_NODENAME'));
    expect(container.env).toContainEqual({ name: 'RABBITMQ_USE_LONGNAME', value: 'true' });
    expect(container.env).toContainEqual({ name: 'RABBITMQ_NODENAME', value: 'rabbit@$(MY_POD_NAME).orders-nodes.$(MY_POD_NAMESPACE)' });
  });

  it('publishes not-ready addresses on the headless Service; the client Service carries AMQP, management, Prometheus', () => {
    const headless = find(objects, 'Service', 'orders-nodes') as unknown as { spec: { clusterIP: string; publishNotReadyAddresses: boolean } };
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    const client = find(objects, 'Service', 'orders') as unknown as { spec: { ports: { name: string; port: number }[] } };
    expect(client.spec.ports.map((p) => `${p.name}:${p.port}`)).toEqual(['amqp:5672', 'management:15672', 'prometheus:15692', 'stream:5552']);
  });

  it('mounts parents before children, keeps the data on a claim template, runs non-root with a read-only root', () => {
    expect(container.volumeMounts.map((m) => m.mountPath)).toEqual(['/var/lib/rabbitmq', '/etc/rabbitmq', '/var/log/rabbitmq', '/tmp']);
    const claims = (statefulSet.spec as { volumeClaimTemplates: { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }[] }).volumeClaimTemplates;
    expect(claims.map((c) => [c.metadata.name, c.spec.resources.requests.storage])).toEqual([['data', '10Gi']]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
    for (const c of [...pod.containers, ...pod.initContainers]) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '2Gi' } });
    expect(configData(objects)['20-kubernetes.conf']).toContain('total_memory_available_override_value = 1717986919');
  });

  it('probes need no credentials, there is no liveness probe, preStop waits for quorum then drains within the grace period', () => {
    expect(container.livenessProbe).toBeUndefined();
    expect(container.startupProbe?.exec?.command).toEqual(['rabbitmq-diagnostics', '-q', 'ping']);
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/api/health/checks/ready-to-serve-clients', port: 'management' });
    expect(container.lifecycle?.preStop?.exec?.command).toEqual(['sh', '-c', 'rabbitmq-upgrade await_online_quorum_plus_one -t 600; rabbitmq-upgrade drain -t 600']);
    expect(pod.terminationGracePeriodSeconds).toBe(2 * 600 + 60);
  });

  it('GIVEN one node WHEN it stops THEN preStop only drains: no other replica can ever hold its quorum queues, so waiting would only run out the timeout', () => {
    const single = find(synthObjects({ name: 'solo', nodes: 1 }), 'StatefulSet', 'solo');
    expect(rabbitmqContainer(single).lifecycle?.preStop?.exec?.command).toEqual(['sh', '-c', 'rabbitmq-upgrade drain -t 600']);
    expect(podSpecOf(single).terminationGracePeriodSeconds).toBe(600 + 60);
  });

  it('copies the cookie from an immutable Secret with mode 0600 in an init container', () => {
    const cookie = find(objects, 'Secret', 'orders-erlang-cookie') as unknown as { immutable: boolean; stringData: Record<string, string> };
    expect(cookie.immutable).toBe(true);
    expect(Object.keys(cookie.stringData)).toEqual(['erlang-cookie']);
    const [init] = pod.initContainers;
    expect(init!.command!.join(' ')).toContain('chmod 0600 /var/lib/rabbitmq/.erlang.cookie');
    expect(init!.volumeMounts.map((m) => m.name)).toEqual(['data', 'erlang-cookie']);
    expect(container.volumeMounts.map((m) => m.name)).not.toContain('erlang-cookie');
  });

  it('never puts a secret in a ConfigMap, an env var or anywhere but its Secret', () => {
    const yaml = synthYaml(SPEC);
    for (const value of Object.values(FAKE_SECRETS)) expect(yaml.split(value).length - 1).toBe(1);
    const data = JSON.stringify(configData(objects));
    for (const value of Object.values(FAKE_SECRETS)) expect(data).not.toContain(value);
    expect(data).not.toContain('password_hash');
    for (const c of [...pod.containers, ...pod.initContainers]) {
      expect(c.envFrom).toBeUndefined();
      for (const e of c.env ?? []) {
        expect(e.valueFrom?.secretKeyRef).toBeUndefined();
        expect(e.name).not.toMatch(/COOKIE|PASS/);
      }
    }
  });

  it('budgets one eviction, spreads over hosts and zones', () => {
    expect((find(objects, 'PodDisruptionBudget', 'orders').spec as object)).toMatchObject({ maxUnavailable: 1 });
    expect(JSON.stringify(pod.affinity)).toContain('kubernetes.io/hostname');
    expect(pod.topologySpreadConstraints).toMatchObject([{ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 }]);
  });

  it('lets only the listeners in: inter-node from the nodes, clients from chosen namespaces, metrics from monitoring', () => {
    type Rule = { from: { namespaceSelector?: { matchLabels: Record<string, string> }; podSelector?: { matchLabels?: Record<string, string> } }[]; ports: { port: number; endPort?: number }[] };
    const policy = find(objects, 'NetworkPolicy', 'orders-nodes').spec as { policyTypes: string[]; ingress: Rule[] };
    expect(policy.policyTypes).toEqual(['Ingress']);
    const describe = (rule: Rule) => ({
      from: rule.from.map((f) => f.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] ?? (f.podSelector?.matchLabels ? 'nodes' : 'own namespace')),
      ports: rule.ports.map((p) => (p.endPort ? `${p.port}-${p.endPort}` : String(p.port))),
    });
    expect(policy.ingress.map(describe)).toEqual([
      { from: ['nodes'], ports: ['4369', '25672', '35672-35682', '6000-6500'] },
      { from: ['own namespace'], ports: ['5672', '15672', '5552'] },
      { from: ['apps', 'billing'], ports: ['5672', '15672', '5552'] },
      { from: ['monitoring'], ports: ['15692'] },
    ]);
  });

  it('scrapes every node through the headless Service, whose port names match', () => {
    const monitor = find(objects, 'ServiceMonitor', 'orders').spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    const matching = findAll(objects, 'Service').filter((s) => Object.entries(monitor.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
    expect(matching.map((s) => s.metadata.name)).toEqual(['orders-nodes']);
    const portNames = (matching[0]!.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
    for (const endpoint of monitor.endpoints) expect(portNames).toContain(endpoint.port);
  });

  it('is deterministic: the same input twice gives byte-identical YAML', () => {
    expect(synthYaml(SPEC)).toBe(synthYaml(SPEC));
  });
});

describe('RabbitmqCluster with a Secret the user manages', () => {
  const spec: ClusterSpec = { name: 'orders', kubernetes: { existingSecret: 'orders-credentials' } };
  const objects = synthObjects(spec, {});

  it('creates no Secret and mounts the named one for the cookie and definitions.json', () => {
    expect(findAll(objects, 'Secret')).toEqual([]);
    const volumes = podSpecOf(find(objects, 'StatefulSet', 'orders')).volumes;
    expect(volumes.find((v) => v.name === 'erlang-cookie')?.secret?.secretName).toBe('orders-credentials');
    expect(volumes.find((v) => v.name === 'config')?.projected?.sources.map((s) => s.secret?.name ?? s.configMap?.name)).toEqual(['orders-config', 'orders-credentials']);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('refuses to synthesise without secrets when no Secret is named', async () => {
    const { resolveCluster } = await import('../../model');
    const { synthKubernetesManifests } = await import('../../charts');
    expect(() => synthKubernetesManifests(resolveCluster({ name: 'orders' }), {})).toThrow(
      'cluster "orders": the chart lacks the secret values erlang-cookie, default-user-password; pass them, or name a Secret you manage in kubernetes.existingSecret',
    );
  });
});

describe('monitoring of the dead-letter queues a topology declares', () => {
  const spec = { ...(loadExample('topology-4.3.yaml') as ClusterSpec), kubernetes: { serviceMonitor: true, prometheusRule: true } } as ClusterSpec;
  const cluster = resolveCluster(spec);
  const objects = synthObjects(spec, fixtureSecrets(cluster));

  it('scrapes /metrics/detailed for their virtual hosts, since the alert reads per-queue series only served there', () => {
    const monitor = find(objects, 'ServiceMonitor', cluster.name);
    expect(schemaProblems(monitor)).toEqual([]);
    expect((monitor.spec as { endpoints: unknown[] }).endpoints).toEqual([
      { port: 'prometheus', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
      { port: 'prometheus', path: '/metrics/detailed', params: { family: ['queue_coarse_metrics'], vhost: ['payments'] }, interval: '30s', scrapeTimeout: '10s' },
    ]);
    const rules = (find(objects, 'PrometheusRule', cluster.name).spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups[0]!.rules;
    const deadLetters = rules.find((r) => r.expr.includes('rabbitmq_detailed_queue_messages'))!;
    expect(deadLetters.expr).toContain('rabbitmq_detailed_queue_messages{vhost="payments",queue="payments.authorise.dead"}');
  });

  it('adds no detailed scrape when the topology has no dead-letter queue', () => {
    const monitor = find(synthObjects({ ...SPEC }), 'ServiceMonitor', 'orders');
    expect((monitor.spec as { endpoints: { path: string }[] }).endpoints.map((e) => e.path)).toEqual(['/metrics']);
  });
});
