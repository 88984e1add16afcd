/**
 * TLS for AMQP: the resolved settings, the secret references of the certificate material, the file names
 * every target installs, and the rules that relate `tls` to the rest of the spec.
 */
import { parseSecretSource, secretValue, type SecretRef, type SecretValues } from '../secrets/secrets';
import type { ParsedSpec } from '../spec';
import type { CERT_MANAGER_ISSUER_KINDS, ListenerMode } from './schema';

export type CertManagerIssuerKind = (typeof CERT_MANAGER_ISSUER_KINDS)[number];

export interface ResolvedTls {
  /** Server certificate chain (PEM). Not secret, but read from the same sources as secrets. */
  readonly certificate: SecretRef;
  /** The certificate's private key (PEM): installed 0400 for the rabbitmq user on every target. */
  readonly privateKey: SecretRef;
  readonly caCertificate?: SecretRef;
  /** Require and verify client certificates. */
  readonly verifyPeer: boolean;
  /**
   * How each listener family is served: AMQP always has TLS here ("tls" or "tls+plain"); management, Prometheus and
   * streams are "plain", "tls" or "tls+plain". Only listenersOf reads this; targets read the listeners.
   */
  readonly listeners: ResolvedTlsListeners;
  /** Erlang distribution and the CLI over TLS (inter-node.ts), peers verified against the CA. */
  readonly interNode: boolean;
  /** Kubernetes: cert-manager issues the certificate (cert-manager.ts), and the chart makes no Secret from the material. */
  readonly certManager?: ResolvedCertManager;
  /** Days before a certificate's notAfter that the expiry alert fires. */
  readonly expiryWarningDays: number;
  /**
   * `generate` only: each node's own certificate and key, which compose and the VM bundles install in place of
   * `certificate`/`privateKey` (those stay for Kubernetes, whose pods share one Secret). @default - none: every node
   * presents the certificate the spec gives
   */
  readonly nodes?: readonly ResolvedNodeTls[];
}

/** One node's own certificate and key (`tls: generate`), issued by the same CA as every other node's. */
export interface ResolvedNodeTls {
  readonly host: string;
  readonly certificate: SecretRef;
  readonly privateKey: SecretRef;
}

export interface ResolvedCertManager {
  readonly issuer: { readonly name: string; readonly kind: CertManagerIssuerKind };
}

export interface ResolvedTlsListeners {
  readonly amqp: Exclude<ListenerMode, 'plain'>;
  readonly management: ListenerMode;
  readonly prometheus: ListenerMode;
  readonly stream: ListenerMode;
}

/** The families' modes from the spec; `plainListener` is the older spelling of listeners.amqp (rules.ts rejects a disagreement). */
export function tlsListenersOf(tls: NonNullable<ParsedSpec['tls']>): ResolvedTlsListeners {
  const { amqp, management, prometheus, stream } = tls.listeners;
  return { amqp: amqp ?? (tls.plainListener === false ? 'tls' : 'tls+plain'), management, prometheus, stream };
}

/** Absolute paths of the TLS files on a node; each target picks the folder. */
export interface TlsPaths {
  readonly certificate: string;
  readonly privateKey: string;
  readonly caCertificate: string;
}

/** File names inside a target's TLS folder, as RabbitMQ's documentation names them. */
export const TLS_FILE_NAMES = {
  certificate: 'server_certificate.pem',
  privateKey: 'server_key.pem',
  caCertificate: 'ca_certificate.pem',
} as const;

export function tlsPathsIn(folder: string): TlsPaths {
  return {
    certificate: `${folder}/${TLS_FILE_NAMES.certificate}`,
    privateKey: `${folder}/${TLS_FILE_NAMES.privateKey}`,
    caCertificate: `${folder}/${TLS_FILE_NAMES.caCertificate}`,
  };
}

/** Ids of the material `generate` makes, as secret ids and file names in the secrets store. */
export const TLS_IDS = { certificate: 'tls-certificate', privateKey: 'tls-private-key', caCertificate: 'tls-ca-certificate', caPrivateKey: 'tls-ca-private-key' } as const;

/** Ids of a node's own certificate and key (`generate`), as secret ids and file names in the secrets store. */
export function tlsNodeIds(host: string): { readonly certificate: string; readonly privateKey: string } {
  return { certificate: `${TLS_IDS.certificate}-${host}`, privateKey: `${TLS_IDS.privateKey}-${host}` };
}

/** Whether warren makes this TLS material itself (a CA and certificates, not a random string). */
export function isGeneratedTlsMaterial(ref: SecretRef): boolean {
  if (ref.source.kind !== 'generate') return false;
  return Object.values(TLS_IDS).includes(ref.id as never) || ref.id.startsWith(`${TLS_IDS.certificate}-`) || ref.id.startsWith(`${TLS_IDS.privateKey}-`);
}

/** The certificate and key `host` presents: its own when warren generates them, else the one every node shares. */
export function nodeTlsOf(tls: ResolvedTls, host: string): { readonly certificate: SecretRef; readonly privateKey: SecretRef } {
  const own = tls.nodes?.find((n) => n.host === host);
  return own ?? { certificate: tls.certificate, privateKey: tls.privateKey };
}

/** `hosts`: the nodes' host names, each of which gets a certificate of its own when the material is generated. */
export function resolveTls(tls: NonNullable<ParsedSpec['tls']>, hosts: readonly string[]): ResolvedTls {
  // Certificate material is either all generated or all read (rules.ts); a generated certificate brings its CA.
  // Not "generatable": a message about an unreadable certificate file should not suggest a self-made CA.
  const ref = (id: string, description: string, path: string, text: string): SecretRef => ({ id, description, path, source: parseSecretSource(text, 0), generatable: false, consumer: 'rabbitmq', carrier: 'own-file' });
  const generated = tls.certificate === 'generate';
  const caCertificate = generated ? 'generate' : tls.caCertificate;
  const nodes = hosts.map((host) => ({
    host,
    certificate: ref(tlsNodeIds(host).certificate, `TLS certificate of node ${host} (PEM)`, 'tls.certificate', tls.certificate),
    privateKey: ref(tlsNodeIds(host).privateKey, `private key of node ${host}'s TLS certificate (PEM)`, 'tls.privateKey', tls.privateKey),
  }));
  return {
    certificate: ref(TLS_IDS.certificate, generated ? 'TLS certificate of the Kubernetes pods (PEM)' : 'TLS certificate of the nodes (PEM)', 'tls.certificate', tls.certificate),
    privateKey: ref(TLS_IDS.privateKey, generated ? 'private key of the Kubernetes pods\' TLS certificate (PEM)' : 'private key of the nodes\' TLS certificate (PEM)', 'tls.privateKey', tls.privateKey),
    ...(caCertificate !== undefined && { caCertificate: ref(TLS_IDS.caCertificate, 'TLS CA certificate (PEM)', 'tls.caCertificate', caCertificate) }),
    verifyPeer: tls.verifyPeer,
    listeners: tlsListenersOf(tls),
    interNode: tls.interNode,
    expiryWarningDays: tls.expiryWarningDays,
    ...(tls.certManager && { certManager: { issuer: { name: tls.certManager.issuer.name, kind: tls.certManager.issuer.kind } } }),
    ...(generated && { nodes }),
  };
}

/** The TLS secret references in a fixed order: certificate, private key, each node's certificate and key, CA. */
export function tlsSecretRefs(tls: ResolvedTls | undefined): SecretRef[] {
  if (!tls) return [];
  return [tls.certificate, tls.privateKey, ...(tls.nodes ?? []).flatMap((n) => [n.certificate, n.privateKey]), ...(tls.caCertificate ? [tls.caCertificate] : [])];
}

/** The content of a PEM file as a node reads it: the material, ending with a newline. */
export function pemFileContent(values: SecretValues, ref: SecretRef): string {
  const value = secretValue(values, ref);
  return value.endsWith('\n') ? value : `${value}\n`;
}
