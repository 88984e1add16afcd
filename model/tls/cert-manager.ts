/**
 * tls.certManager: on Kubernetes, cert-manager issues the nodes' certificate into the Secret the pods mount, as the
 * RabbitMQ cluster operator lets it. Decided here once: what the Certificate asks for (names, usages, key), and
 * which targets still take the certificate material the spec gives.
 */
import type { ResolvedCluster } from '../resolve';
import type { SecretTarget } from '../secrets/targets';
import { tlsDialledNames } from './dialled';
import type { ResolvedCertManager } from './resolve';

/** What the nodes' certificate is used for: each node is a TLS server to clients and peers, and a client of its peers (inter-node TLS, the CLI). */
export const CERT_MANAGER_USAGES = ['digital signature', 'server auth', 'client auth'] as const;

/**
 * ECDSA P-256, as `generate` makes (proven on real 3.10 and 4.x nodes), in PKCS#8 (`BEGIN PRIVATE KEY`, read by every
 * Erlang/OTP RabbitMQ runs on); a new key at every renewal (`Always`, cert-manager's default only from 1.18).
 * ECDSA keys sign and never encipher, so the usages leave out "key encipherment".
 */
export const CERT_MANAGER_PRIVATE_KEY = { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' } as const;

export interface CertManagerCertificateRequest {
  readonly issuer: ResolvedCertManager['issuer'];
  /** The Secret cert-manager writes (`tls.crt`, `tls.key`, `ca.crt`): the one the StatefulSet mounts. */
  readonly secretName: string;
  /** Every DNS name dialled on Kubernetes (dialled.ts): each pod through the headless Service, the node names with inter-node TLS, the client Service. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly usages: typeof CERT_MANAGER_USAGES;
  readonly privateKey: typeof CERT_MANAGER_PRIVATE_KEY;
}

/** The Certificate a cluster with tls.certManager asks cert-manager for; undefined without it. */
export function certManagerCertificateOf(cluster: ResolvedCluster): CertManagerCertificateRequest | undefined {
  const certManager = cluster.tls?.certManager;
  if (!certManager) return undefined;
  const dialled = tlsDialledNames(cluster, ['kubernetes']);
  return {
    issuer: certManager.issuer,
    secretName: cluster.kubernetes.names.tlsSecret,
    dnsNames: dialled.filter((n) => n.kind === 'dns').map((n) => n.name),
    ipAddresses: dialled.filter((n) => n.kind === 'ip').map((n) => n.name),
    usages: CERT_MANAGER_USAGES,
    privateKey: CERT_MANAGER_PRIVATE_KEY,
  };
}

/** Whether the Kubernetes target takes its certificate from cert-manager rather than from tls.certificate/privateKey. */
export function usesCertManager(cluster: ResolvedCluster): boolean {
  return cluster.tls?.certManager !== undefined;
}

/** The targets among `targets` that install the spec's certificate material (and so must find their names in it). */
export function tlsMaterialTargets(cluster: ResolvedCluster, targets: readonly SecretTarget[]): SecretTarget[] {
  return targets.filter((target) => !(target === 'kubernetes' && usesCertManager(cluster)));
}
