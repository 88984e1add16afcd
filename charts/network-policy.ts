/**
 * Least-privilege ingress for the nodes, built from the listeners the cluster enables:
 * inter-node ports from the cluster's own pods, client ports from the own namespace and the named
 * client namespaces, metrics from the monitoring namespace. Egress stays open (DNS, API server,
 * federation and shovel peers).
 */
import { Construct } from 'constructs';
import { NetworkPolicy, NetworkPolicyPort, Namespaces, Pods } from 'cdk8s-plus-27';
import { listenerNamed, type ResolvedCluster } from '../model';
import { labelsOf, selectorOf } from './labels';

/** Ports osiris uses to replicate streams between nodes. */
const STREAM_REPLICATION_PORTS: readonly [number, number] = [6000, 6500];

export class NodesNetworkPolicy extends Construct {
  constructor(scope: Construct, id: string, props: { readonly cluster: ResolvedCluster }) {
    super(scope, id);
    const { cluster } = props;
    const { ports, kubernetes: k8sTarget } = cluster;
    const nodes = Pods.select(this, 'Nodes', { labels: { ...selectorOf(cluster) } });
    const policy = new NetworkPolicy(this, 'Resource', {
      metadata: { name: `${cluster.name}-nodes`, namespace: k8sTarget.namespace, labels: labelsOf(cluster, 'broker') },
      selector: nodes,
    });
    policy.addIngressRule(nodes, [
      NetworkPolicyPort.tcp(ports.epmd),
      NetworkPolicyPort.tcp(ports.distribution),
      NetworkPolicyPort.tcpRange(ports.cliRange[0], ports.cliRange[1]),
      ...(listenerNamed(cluster.listeners, 'stream') ? [NetworkPolicyPort.tcpRange(...STREAM_REPLICATION_PORTS)] : []),
    ]);
    const clientPorts = cluster.listeners.filter((l) => l.audience !== 'scrapers').map((l) => NetworkPolicyPort.tcp(l.port));
    const scraperPorts = cluster.listeners.filter((l) => l.audience === 'scrapers').map((l) => NetworkPolicyPort.tcp(l.port));
    policy.addIngressRule(Pods.all(this, 'OwnNamespace'), clientPorts);
    if (k8sTarget.clientNamespaces.length > 0) {
      policy.addIngressRule(Namespaces.select(this, 'ClientNamespaces', { names: [...k8sTarget.clientNamespaces] }), clientPorts);
    }
    if (scraperPorts.length > 0) {
      policy.addIngressRule(Namespaces.select(this, 'Monitoring', { names: [k8sTarget.monitoringNamespace] }), scraperPorts);
    }
  }
}
