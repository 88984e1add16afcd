/**
 * The deployment view of one target: who connects (applications, operators, Prometheus), the virtual IP and
 * the load balancer that holds it by VRRP priority, HAProxy, and the nodes as VM hosts, containers or pods,
 * each with the ports it listens on. Ports come from the model (cluster.listeners, the compose port plan,
 * the load balancer's priorities), never re-derived here.
 */
import { composePortPlan, type Listener, type ResolvedCluster } from '../model/internal';
import { DiagramBuilder, type Diagram } from './diagram';

export const DEPLOYMENT_TARGETS = ['compose', 'kubernetes', 'vm'] as const;
export type DeploymentTarget = (typeof DEPLOYMENT_TARGETS)[number];

const listenerText = (l: Listener) => `${l.name} ${l.port}${l.tls ? ' TLS' : ''}`;
const listText = (listeners: readonly Listener[]) => listeners.map(listenerText).join(', ');

function interNodePorts(cluster: ResolvedCluster): string {
  const { epmd, distribution, cliRange } = cluster.ports;
  return `between nodes: epmd ${epmd}, distribution ${distribution}, CLI ${cliRange[0]}-${cliRange[1]}`;
}

function vmDiagram(cluster: ResolvedCluster): Diagram {
  const b = new DiagramBuilder('deployment-vm', `${cluster.name}: VM hosts`, 'LR');
  const balanced = cluster.listeners.filter((l) => l.access === 'balanced');
  const apps = b.node('apps', 'a', 'actor', ['applications and operators']);
  const lb = cluster.loadBalancer;
  const nodesGroup = b.group(`RabbitMQ ${cluster.version.text} nodes (${interNodePorts(cluster)})`);
  const nodes = cluster.nodes.map((n) =>
    b.node(`node-${n.index}`, 'n', 'broker', [n.host, ...(n.address ? [n.address] : []), n.nodeName, listText(cluster.listeners)], nodesGroup),
  );
  if (lb && lb.hosts.length > 0) {
    const lbGroup = b.group('load balancers (HAProxy and Keepalived)');
    const holder = Math.max(...lb.hosts.map((h) => h.priority));
    const hosts = lb.hosts.map((h) =>
      b.node(`lb-${h.host}`, 'l', 'load-balancer', [h.host, h.address, `HAProxy: ${listText(balanced)}, stats ${lb.haproxy.statsPort}`, `VRRP priority ${h.priority}`], lbGroup),
    );
    if (lb.virtualIp) {
      const k = lb.keepalived;
      const vip = b.node('vip', 'v', 'virtual-ip', [`virtual IP ${lb.virtualIp.address}/${lb.virtualIp.prefixLength}`, `VRRPv${k.vrrpVersion} router ${k.virtualRouterId}, ${k.peering}`], lbGroup);
      b.edge(apps, vip, 'traffic', listText(balanced));
      lb.hosts.forEach((h, i) => b.edge(vip, hosts[i]!, 'vrrp', h.priority === holder ? `held at priority ${h.priority}` : `backup, priority ${h.priority}`));
    } else {
      for (const host of hosts) b.edge(apps, host, 'traffic', listText(balanced));
    }
    for (const host of hosts) for (const node of nodes) b.edge(host, node, 'traffic', listText(balanced));
  } else {
    for (const node of nodes) b.edge(apps, node, 'traffic', listText(balanced));
  }
  const advertised = cluster.listeners.filter((l) => l.access === 'advertised');
  if (advertised.length > 0) for (const node of nodes) b.edge(apps, node, 'traffic', `${listText(advertised)} (the node's own name)`);
  const scraped = cluster.listeners.filter((l) => l.access === 'per-node');
  if (scraped.length > 0) {
    const prometheus = b.node('prometheus', 'a', 'actor', ['Prometheus']);
    for (const node of nodes) b.edge(prometheus, node, 'traffic', listText(scraped));
  }
  return b.build();
}

function composeDiagram(cluster: ResolvedCluster): Diagram {
  const b = new DiagramBuilder('deployment-compose', `${cluster.name}: docker compose`, 'LR');
  const plan = composePortPlan(cluster, cluster.nodes.map((n) => n.host));
  const published = (service: string, audience?: Listener['audience']) =>
    plan
      .filter((p) => p.service === service && (audience === undefined || cluster.listeners.find((l) => l.name === p.listener)?.audience === audience))
      .map((p) => `${cluster.compose.bindAddress}:${p.hostPort} → ${p.listener} ${p.containerPort}`)
      .join(', ');
  const host = b.group(`docker host, ports published on ${cluster.compose.bindAddress}`);
  const network = b.group(`network ${cluster.name} (${interNodePorts(cluster)})`, host);
  const apps = b.node('apps', 'a', 'actor', ['applications and operators']);
  const nodes = cluster.nodes.map((n) => b.node(`node-${n.index}`, 'n', 'broker', [`container ${n.host}`, n.nodeName, listText(cluster.listeners)], network));
  const scraped = cluster.listeners.filter((l) => l.access === 'per-node');
  if (cluster.loadBalancer) {
    const balanced = cluster.listeners.filter((l) => l.access === 'balanced');
    const haproxy = b.node('haproxy', 'l', 'load-balancer', ['container haproxy', `${listText(balanced)}, stats ${cluster.loadBalancer.haproxy.statsPort}`], network);
    b.edge(apps, haproxy, 'traffic', published('haproxy'));
    for (const node of nodes) b.edge(haproxy, node, 'traffic', listText(balanced));
  } else {
    cluster.nodes.forEach((n, i) => b.edge(apps, nodes[i]!, 'traffic', published(n.host, 'clients') || published(n.host, 'operators')));
  }
  if (scraped.length > 0) {
    const prometheus = b.node('prometheus', 'a', 'actor', ['Prometheus']);
    cluster.nodes.forEach((n, i) => b.edge(prometheus, nodes[i]!, 'traffic', published(n.host, 'scrapers')));
  }
  return b.build();
}

function kubernetesDiagram(cluster: ResolvedCluster): Diagram {
  const k = cluster.kubernetes;
  const b = new DiagramBuilder('deployment-kubernetes', `${cluster.name}: Kubernetes`, 'LR');
  const namespace = b.group(`namespace ${k.namespace} (${interNodePorts(cluster)})`);
  const balanced = cluster.listeners.filter((l) => l.access !== 'advertised');
  const clients = ['same namespace', ...k.clientNamespaces.map((ns) => `namespace ${ns}`)].join(', ');
  const apps = b.node('apps', 'a', 'actor', ['applications', clients]);
  const service = b.node('service', 's', 'service', [`Service ${k.names.clientService}`, 'ClusterIP', listText(balanced)], namespace);
  const headless = b.node('headless', 's', 'service', [`Service ${k.names.headlessService}`, 'headless: one DNS name per pod'], namespace);
  const pods = Array.from({ length: k.replicas }, (_, i) => {
    const pod = `${k.names.statefulSet}-${i}`;
    return b.node(`pod-${i}`, 'p', 'broker', [`pod ${pod}`, `rabbit@${pod}.${k.names.headlessService}.${k.namespace}`, listText(cluster.listeners)], namespace);
  });
  b.edge(apps, service, 'traffic', listText(balanced.filter((l) => l.audience !== 'scrapers')));
  for (const pod of pods) b.edge(service, pod, 'traffic', listText(balanced.filter((l) => l.audience !== 'scrapers')));
  for (const pod of pods) b.edge(headless, pod, 'traffic', 'per-pod DNS name');
  const advertised = cluster.listeners.filter((l) => l.access === 'advertised');
  if (advertised.length > 0) for (const pod of pods) b.edge(apps, pod, 'traffic', `${listText(advertised)} (the pod's own name)`);
  const scraped = cluster.listeners.filter((l) => l.access === 'per-node');
  if (scraped.length > 0) {
    const prometheus = b.node('prometheus', 'a', 'actor', ['Prometheus', `namespace ${k.monitoringNamespace}`]);
    for (const pod of pods) b.edge(prometheus, pod, 'traffic', listText(scraped));
  }
  return b.build();
}

export function deploymentDiagram(cluster: ResolvedCluster, target: DeploymentTarget): Diagram {
  switch (target) {
    case 'compose':
      return composeDiagram(cluster);
    case 'kubernetes':
      return kubernetesDiagram(cluster);
    case 'vm':
      return vmDiagram(cluster);
    default: {
      const never: never = target;
      return never;
    }
  }
}
