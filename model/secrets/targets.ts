/**
 * Which secrets each target materialises: those of the programs it runs. Decided here once, so a target
 * neither asks for a value nothing of it reads nor fills one with a placeholder.
 */
import type { ResolvedCluster } from '../resolve';
import type { SecretConsumer, SecretRef } from './secrets';
import { tlsSecretRefs } from '../tls/resolve';

export type SecretTarget = 'compose' | 'kubernetes' | 'vm';

/** The programs each target runs: compose and VMs put HAProxy in front, only VMs hold a virtual IP. */
export const TARGET_PROGRAMS: Readonly<Record<SecretTarget, readonly SecretConsumer[]>> = {
  compose: ['rabbitmq', 'haproxy'],
  kubernetes: ['rabbitmq'],
  vm: ['rabbitmq', 'haproxy', 'keepalived'],
};

/**
 * The secrets a target needs values for; none on Kubernetes when the user manages the Secret (kubernetes.existingSecret),
 * and no certificate material there when cert-manager issues the certificate (tls.certManager). With generated TLS,
 * compose and VMs install each node's own certificate and key, Kubernetes the one its pods share.
 */
export function secretsOfTarget(cluster: ResolvedCluster, target: SecretTarget): readonly SecretRef[] {
  if (target === 'kubernetes' && cluster.kubernetes.existingSecret) return [];
  const { tls } = cluster;
  const perNode = (tls?.nodes ?? []).flatMap((n) => [n.certificate, n.privateKey]);
  const issuedElsewhere = target === 'kubernetes' && tls?.certManager ? tlsSecretRefs(tls) : [];
  const unused = new Set<SecretRef>(target === 'kubernetes' ? [...perNode, ...issuedElsewhere] : tls?.nodes ? [tls.certificate, tls.privateKey] : []);
  return cluster.secrets.filter((ref) => TARGET_PROGRAMS[target].includes(ref.consumer) && !unused.has(ref));
}
