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
 * and no certificate material there when cert-manager issues the certificate (tls.certManager).
 */
export function secretsOfTarget(cluster: ResolvedCluster, target: SecretTarget): readonly SecretRef[] {
  if (target === 'kubernetes' && cluster.kubernetes.existingSecret) return [];
  const issuedElsewhere = target === 'kubernetes' && cluster.tls?.certManager ? tlsSecretRefs(cluster.tls) : [];
  return cluster.secrets.filter((ref) => TARGET_PROGRAMS[target].includes(ref.consumer) && !issuedElsewhere.includes(ref));
}
