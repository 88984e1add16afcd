import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHECKSUM_ANNOTATION, synthKubernetesManifests } from '../../charts';
import { COMPOSE_FILES, COMPOSE_SECRETS, composeFiles, HAPROXY_CONFIG_FILE } from '../../compose';
import { haproxyConfigFromCluster, renderHaproxyConfig } from '../../haproxy';
import { keepalivedConfigsFromCluster } from '../../keepalived';
import { resolveCluster, type ClusterSpec } from '../../model';
import { chartObjectsOf, DockerRabbitmqCluster, KubernetesRabbitmqCluster } from '../../stacks';
import { fixtureSecrets, loadExample } from '../support/fixtures';
import { installMocks, recordChildren, settled, unwrapSecrets, type Child } from './pulumi-mocks';

type Upload = { file: string; content: string; permissions: string };
type Container = { name: string; hostname: string; envs: string[]; ports: { ip: string; external: number; internal: number }[]; uploads: Upload[]; volumes?: { volumeName: string }[]; healthcheck?: { tests: string[] } };

describe('one spec, every target (docker and kubernetes programs with the Pulumi engine mocked by pulumi.runtime.setMocks)', () => {
  // Nodes with addresses, two HAProxy hosts and a virtual IP: every target has something to say about it.
  const spec = loadExample('lb-vm-4.3.yaml') as ClusterSpec;
  const cluster = resolveCluster(spec);
  const secrets = fixtureSecrets(cluster);
  const hosts = cluster.nodes.map((n) => n.host);

  it('mocked engine: docker containers, compose, chart, HAProxy and Keepalived agree on node names, ports, files, VIP and secret names', async () => {
    // Pulumi, docker: what the engine would receive.
    const mocks = installMocks('warren-docker');
    const children: Child[] = [];
    new DockerRabbitmqCluster(cluster.name, { cluster, secrets }, { transformations: [recordChildren(children)] });
    await settled(children);
    const containers = new Map(
      mocks.registrations.filter((r) => r.type === 'docker:index/container:Container').map((r) => [r.name.slice(`${cluster.name}-`.length), unwrapSecrets(r.inputs) as Container]),
    );
    // Compose.
    const files = new Map(composeFiles(cluster, secrets).map((f) => [f.path, f.content]));
    const project = parse(files.get(`compose/${COMPOSE_FILES.compose}`)!);

    // Same services, host names, node names, published ports, healthchecks and volumes.
    expect([...containers.keys()].sort()).toEqual(Object.keys(project.services).sort());
    expect([...containers.keys()].sort()).toEqual([...hosts, 'haproxy'].sort());
    for (const [service, container] of containers) {
      const composeService = project.services[service];
      expect(container.hostname, service).toBe(composeService.hostname);
      expect(container.envs, service).toEqual(Object.entries(composeService.environment ?? {}).map(([k, v]) => `${k}=${v}`));
      expect(container.ports.map((p) => `${p.ip}:${p.external}:${p.internal}`), service).toEqual(composeService.ports);
      expect(container.healthcheck?.tests, service).toEqual(composeService.healthcheck?.test);
      expect((container.volumes ?? []).map((v) => v.volumeName), service).toEqual(
        composeService.volumes.filter((v: { type: string }) => v.type === 'volume').map((v: { source: string }) => v.source),
      );
    }
    for (const node of cluster.nodes) expect(containers.get(node.host)!.envs).toEqual([`RABBITMQ_NODENAME=${node.nodeName}`]);

    // Same files, byte for byte, at the paths where the compose services read them.
    const upload = (service: string, path: string) => containers.get(service)!.uploads.find((u) => u.file === path)!.content;
    for (const host of hosts) {
      expect(upload(host, '/etc/rabbitmq/conf.d/20-warren.conf')).toBe(files.get(`compose/${COMPOSE_FILES.rabbitmqConf}`));
      expect(upload(host, '/etc/rabbitmq/enabled_plugins')).toBe(files.get(`compose/${COMPOSE_FILES.enabledPlugins}`));
      expect(upload(host, '/var/lib/rabbitmq/.erlang.cookie')).toBe(files.get(`compose/${COMPOSE_FILES.cookie}`));
      expect(upload(host, '/etc/rabbitmq/definitions.json')).toBe(files.get(`compose/${COMPOSE_FILES.definitions}`));
    }
    const haproxyCfg = upload('haproxy', '/usr/local/etc/haproxy/haproxy.cfg');
    expect(haproxyCfg).toBe(files.get(`compose/${HAPROXY_CONFIG_FILE}`));

    // HAProxy (docker and VM flavours): one server per node, by host name, on the nodes' AMQP and management ports.
    for (const text of [haproxyCfg, renderHaproxyConfig(haproxyConfigFromCluster(cluster, secrets, { target: 'vm', serverAddress: (n) => n.address! }))]) {
      const servers = [...text.matchAll(/^\s+server (\S+) \S+:(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
      expect(servers).toEqual([...hosts.map((h) => `${h}:${cluster.ports.amqp}`), ...hosts.map((h) => `${h}:${cluster.ports.management}`)]);
    }
    expect(containers.get('haproxy')!.ports.map((p) => p.internal)).toEqual([cluster.ports.amqp, cluster.loadBalancer!.haproxy.statsPort, cluster.ports.management].sort((a, b) => a - b));
    expect(haproxyCfg).toMatch(new RegExp(`bind :${cluster.ports.amqp}\\b`));

    // Keepalived: the VIP of the spec on every load-balancer host, which runs the HAProxy the others configure.
    const keepalived = keepalivedConfigsFromCluster(cluster, secrets);
    expect(keepalived.map((k) => k.host)).toEqual(cluster.loadBalancer!.hosts.map((h) => h.host));
    for (const { config } of keepalived) {
      expect(config.instances.flatMap((i) => i.virtualAddresses.map((a) => `${a.address}/${a.prefixLength}`))).toEqual(['10.0.0.100/24']);
    }

    // Kubernetes: the chart and the Pulumi program (mocked) create the same objects; ports and secret names agree.
    const chart = chartObjectsOf(cluster, secrets);
    expect(chart.map((o) => o.kind)).toEqual([...synthKubernetesManifests(cluster, secrets)[0]!.content.matchAll(/^kind: (\S+)$/gm)].map((m) => m[1]));
    const k8sMocks = installMocks('warren-kubernetes');
    const k8sChildren: Child[] = [];
    new KubernetesRabbitmqCluster(cluster.name, { cluster, secrets }, { transformations: [recordChildren(k8sChildren)] });
    await settled(k8sChildren);
    for (const object of chart) {
      const registered = k8sMocks.registrations.find((r) => r.name === `${cluster.name}-${object.kind.toLowerCase()}-${object.metadata.name}`);
      expect(registered && unwrapSecrets(registered.inputs), `${object.kind}/${object.metadata.name}`).toEqual(object);
    }
    const clientService = chart.find((o) => o.kind === 'Service' && o.metadata.name === cluster.kubernetes.names.clientService) as unknown as { spec: { ports: { name: string; port: number }[] } };
    const servicePort = (name: string) => clientService.spec.ports.find((p) => p.name === name)!.port;
    expect([servicePort('amqp'), servicePort('management')]).toEqual([cluster.ports.amqp, cluster.ports.management]);
    expect(containers.get('haproxy')!.ports.find((p) => p.external === cluster.ports.amqp)!.internal).toBe(servicePort('amqp'));
    const statefulSet = chart.find((o) => o.kind === 'StatefulSet') as unknown as { spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } } };
    expect(statefulSet.spec.replicas).toBe(hosts.length);
    expect(statefulSet.spec.template.metadata.annotations).toHaveProperty(CHECKSUM_ANNOTATION);
    // Secret names: the cookie and definitions keep one name in the model, compose, the chart's Secrets and the docker uploads.
    const cookieSecret = chart.find((o) => o.metadata.name === cluster.kubernetes.names.cookieSecret) as unknown as { stringData: Record<string, string> };
    const userSecret = chart.find((o) => o.metadata.name === cluster.kubernetes.names.defaultUserSecret) as unknown as { stringData: Record<string, string> };
    expect(COMPOSE_SECRETS.cookie).toBe(cluster.erlangCookie.id);
    expect(Object.keys(cookieSecret.stringData)).toEqual([COMPOSE_SECRETS.cookie]);
    expect(cookieSecret.stringData[COMPOSE_SECRETS.cookie]).toBe(upload(hosts[0]!, '/var/lib/rabbitmq/.erlang.cookie'));
    expect(userSecret.stringData[COMPOSE_SECRETS.definitions]).toBe(upload(hosts[0]!, '/etc/rabbitmq/definitions.json'));
    expect(project.secrets).toEqual({ [COMPOSE_SECRETS.cookie]: { file: `./${COMPOSE_FILES.cookie}` }, [COMPOSE_SECRETS.definitions]: { file: `./${COMPOSE_FILES.definitions}` } });
  });
});
