/**
 * The host names and addresses clients and peers dial over TLS, per target: what the nodes' certificates must
 * name. Derived from the resolved cluster only, so the certificate check and generated certificates agree
 * with what the targets write. A name that reaches one node only (its host, address, node name) says which.
 */
import type { ResolvedCluster } from '../resolve';
import type { SecretTarget } from '../secrets/targets';
import { clientServiceHostName, nodeNameHost, podHostName } from '../kubernetes/resolve';

export interface DialledName {
  /** A DNS name or an IPv4 address. */
  readonly name: string;
  readonly kind: 'dns' | 'ip';
  /** Who answers on it, e.g. `node secure-1`, `load balancer`, `virtual IP`. */
  readonly what: string;
  /** The host of the compose or VM node it reaches, when only that node answers on it. @default - every node (shared) */
  readonly node?: string;
  /** The targets in which it is dialled, in TARGET order. */
  readonly targets: readonly SecretTarget[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The names dialled in `targets`: on VMs the nodes' and load-balancer hosts' names and addresses and the virtual
 * IP; in compose the nodes' host names (HAProxy and peers dial them inside the project's network); on Kubernetes
 * each pod's name through the headless Service and the client Service's name.
 */
export function tlsDialledNames(cluster: ResolvedCluster, targets: readonly SecretTarget[]): DialledName[] {
  const found = new Map<string, { kind: 'dns' | 'ip'; what: string; node?: string; targets: SecretTarget[] }>();
  const add = (target: SecretTarget, name: string | undefined, what: string, node?: string) => {
    if (name === undefined) return;
    const entry = found.get(name) ?? { kind: IPV4.test(name) ? 'ip' : 'dns', what, ...(node !== undefined && { node }), targets: [] };
    if (!entry.targets.includes(target)) entry.targets.push(target);
    found.set(name, entry);
  };
  for (const target of targets) {
    switch (target) {
      case 'vm': {
        for (const node of cluster.nodes) {
          add(target, node.host, `node ${node.host}`, node.host);
          add(target, node.address, `node ${node.host}`, node.host);
          // Peers dial the host of the node name (rabbit@<host>) over inter-node TLS.
          add(target, hostOfNodeName(node.nodeName), `node ${node.host}`, node.host);
        }
        const lb = cluster.loadBalancer;
        for (const host of lb?.hosts ?? []) {
          add(target, host.host, `load balancer ${host.host}`);
          add(target, host.address, `load balancer ${host.host}`);
        }
        add(target, lb?.virtualIp?.address, 'virtual IP');
        break;
      }
      case 'compose':
        for (const node of cluster.nodes) {
          add(target, node.host, `node ${node.host}`, node.host);
          add(target, hostOfNodeName(node.nodeName), `node ${node.host}`, node.host);
        }
        break;
      case 'kubernetes':
        for (let i = 0; i < cluster.kubernetes.replicas; i++) {
          add(target, podHostName(cluster.kubernetes, i), `pod ${cluster.kubernetes.names.statefulSet}-${i}`);
          // Peers dial the host of the node name (rabbit@<pod>.<headless>.<namespace>), and check the certificate names it.
          if (cluster.tls?.interNode) add(target, nodeNameHost(cluster.kubernetes, i), `node name of pod ${cluster.kubernetes.names.statefulSet}-${i}`);
        }
        add(target, clientServiceHostName(cluster.kubernetes), 'client Service');
        break;
      default: {
        const unknown: never = target;
        throw new Error(`unknown target ${String(unknown)}`);
      }
    }
  }
  return [...found].map(([name, entry]) => ({ name, ...entry }));
}

const hostOfNodeName = (nodeName: string) => nodeName.slice(nodeName.indexOf('@') + 1);

/** The addresses a compose project publishes its ports on for clients on the same machine (localhost, the bind address). */
function localNames(cluster: ResolvedCluster, names: readonly DialledName[], target: SecretTarget): DialledName[] {
  const local = ['localhost', '127.0.0.1', ...(cluster.compose.bindAddress === '0.0.0.0' ? [] : [cluster.compose.bindAddress])];
  return [...new Set(local)].filter((name) => !names.some((n) => n.name === name)).map((name) => ({ name, kind: IPV4.test(name) ? 'ip' : 'dns', what: 'this machine', targets: [target] }));
}

/**
 * The names the certificate warren generates for one compose or VM node carries: that node's host name, address
 * and node name's host, the names every node answers on (load balancers, the virtual IP) and this machine's.
 */
export function tlsGeneratedNodeNames(cluster: ResolvedCluster, host: string): DialledName[] {
  const names = tlsDialledNames(cluster, ['compose', 'vm']).filter((n) => n.node === undefined || n.node === host);
  return [...names, ...localNames(cluster, names, 'compose')];
}

/**
 * The names of the one certificate the Kubernetes pods share (a StatefulSet's pods mount one Secret): every pod
 * through the headless Service, the client Service, and this machine's names (a port-forward).
 */
export function tlsGeneratedSharedNames(cluster: ResolvedCluster): DialledName[] {
  const names = tlsDialledNames(cluster, ['kubernetes']);
  return [...names, ...localNames(cluster, names, 'kubernetes')];
}
