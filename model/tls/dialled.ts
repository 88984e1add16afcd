/**
 * The host names and addresses clients and peers dial over TLS, per target: what the nodes' certificate must
 * name. Derived from the resolved cluster only, so the certificate check and generated certificates agree
 * with what the targets write.
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
  const found = new Map<string, { kind: 'dns' | 'ip'; what: string; targets: SecretTarget[] }>();
  const add = (target: SecretTarget, name: string | undefined, what: string) => {
    if (name === undefined) return;
    const entry = found.get(name) ?? { kind: IPV4.test(name) ? 'ip' : 'dns', what, targets: [] };
    if (!entry.targets.includes(target)) entry.targets.push(target);
    found.set(name, entry);
  };
  for (const target of targets) {
    switch (target) {
      case 'vm': {
        for (const node of cluster.nodes) {
          add(target, node.host, `node ${node.host}`);
          add(target, node.address, `node ${node.host}`);
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
        for (const node of cluster.nodes) add(target, node.host, `node ${node.host}`);
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

const ALL_TARGETS: readonly SecretTarget[] = ['compose', 'kubernetes', 'vm'];

/**
 * The names a certificate warren generates carries: every name dialled in every target, and the addresses a
 * compose project publishes its ports on for clients on the same machine (localhost, the bind address).
 */
export function tlsGeneratedNames(cluster: ResolvedCluster): DialledName[] {
  const names = tlsDialledNames(cluster, ALL_TARGETS);
  const local = ['localhost', '127.0.0.1', ...(cluster.compose.bindAddress === '0.0.0.0' ? [] : [cluster.compose.bindAddress])];
  for (const name of new Set(local)) {
    if (!names.some((n) => n.name === name)) names.push({ name, kind: IPV4.test(name) ? 'ip' : 'dns', what: 'this machine', targets: ['compose'] });
  }
  return names;
}
