/**
 * `tls: generate`: a CA, one certificate per compose/VM node (each with its own key) and one the Kubernetes pods
 * share, made once and kept in the secrets store beside the cookie (files 0600), reused on every synth. The CA's key
 * stays there too, so that a certificate that no longer names every host it is dialled by (a load balancer added) or
 * expires within 30 days is reissued by the same CA: clients that trust the CA keep working. For local and test
 * clusters only: the CA's key lies unencrypted in the store.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { tlsGeneratedNodeNames, tlsGeneratedSharedNames, tlsNodeIds, TLS_IDS, usesCertManager, type DialledName, type ResolvedCluster } from '../model/internal';
import { writeCertificate } from './x509-writer';
import { EXPIRY_WARNING_DAYS } from './tls-certificates';
import { writeStoreFile } from './store-file';

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const NODE_CERTIFICATE_DAYS = 365;
/** notBefore an hour back: a node whose clock lags a little still accepts the certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

export interface GeneratedTls {
  /** Values by secret id: each certificate and private key, the CA certificate (never the CA's key). */
  readonly values: Readonly<Record<string, string>>;
  /** The certificates (re)issued on this run and why, e.g. `node secure-1: none was stored`. @default - none */
  readonly issued?: readonly string[];
}

const newKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

type Names = readonly DialledName[];

/** Why the stored certificate cannot be reused, or undefined when it can. */
function staleness(certificate: X509Certificate, key: KeyObject, ca: X509Certificate, names: Names, now: Date): string | undefined {
  if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey)) return 'the stored one is not signed by the stored CA';
  if (!certificate.checkPrivateKey(key)) return 'the stored key is not the stored certificate\'s';
  const missing = names.filter((n) => (n.kind === 'ip' ? certificate.checkIP(n.name) : certificate.checkHost(n.name, { subject: 'never' })) === undefined);
  if (missing.length > 0) return `the stored one does not name ${missing.map((n) => n.name).join(', ')}`;
  const left = new Date(certificate.validTo).getTime() - now.getTime();
  if (left < EXPIRY_WARNING_DAYS * DAY_MS) return `the stored one expires on ${new Date(certificate.validTo).toISOString().slice(0, 10)}`;
  return undefined;
}

/** One certificate to keep in the store: its ids, whom it is for and the names it must carry. */
interface Leaf {
  readonly ids: { readonly certificate: string; readonly privateKey: string };
  readonly commonName: string;
  /** For the message, e.g. `node secure-1`. */
  readonly what: string;
  readonly names: Names;
}

/**
 * The leaves `generate` keeps: one per compose/VM node (its own key), and the one the Kubernetes pods share unless
 * cert-manager issues theirs (tls.certManager).
 */
function leavesOf(cluster: ResolvedCluster): Leaf[] {
  const shared = tlsGeneratedSharedNames(cluster);
  return [
    ...cluster.nodes.map((node) => ({ ids: tlsNodeIds(node.host), commonName: node.host, what: `node ${node.host}`, names: tlsGeneratedNodeNames(cluster, node.host) })),
    ...(usesCertManager(cluster) ? [] : [{ ids: { certificate: TLS_IDS.certificate, privateKey: TLS_IDS.privateKey }, commonName: shared[0]!.name, what: 'the Kubernetes pods', names: shared }]),
  ];
}

/**
 * Reads the generated TLS material from `folder`, creating what is missing; new paths are appended to `created`
 * (so that a failing synth can remove them). Call it only once the store is checked and its folder exists.
 */
export function ensureGeneratedTls(cluster: ResolvedCluster, folder: string, created: string[], now: Date = new Date()): GeneratedTls {
  const path = (id: string) => join(folder, id);
  let caKey: KeyObject;
  let caCertificate: string;
  if (existsSync(path(TLS_IDS.caCertificate)) && existsSync(path(TLS_IDS.caPrivateKey))) {
    caKey = createPrivateKey(readFileSync(path(TLS_IDS.caPrivateKey), 'utf8'));
    caCertificate = readFileSync(path(TLS_IDS.caCertificate), 'utf8');
  } else {
    const keys = newKeys();
    caKey = keys.privateKey;
    const commonName = `warren test CA ${cluster.name}`.slice(0, 64);
    const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
    caCertificate = writeCertificate({ commonName, publicKey: keys.publicKey, notBefore, notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS), ca: true }, { commonName, ...keys });
    writeStoreFile(path(TLS_IDS.caPrivateKey), pem(caKey), created);
    writeStoreFile(path(TLS_IDS.caCertificate), caCertificate, created);
  }
  const ca = new X509Certificate(caCertificate);
  const issuer = { commonName: ca.subject.replace(/^CN=/, ''), publicKey: createPublicKey(caKey), privateKey: caKey };
  const read = (id: string) => readFileSync(path(id), 'utf8');
  const values: Record<string, string> = { [TLS_IDS.caCertificate]: caCertificate };
  const issued: string[] = [];
  for (const leaf of leavesOf(cluster)) {
    let reason: string | undefined = 'none was stored';
    if (existsSync(path(leaf.ids.certificate)) && existsSync(path(leaf.ids.privateKey))) {
      reason = staleness(new X509Certificate(read(leaf.ids.certificate)), createPrivateKey(read(leaf.ids.privateKey)), ca, leaf.names, now);
    }
    if (reason !== undefined) {
      const keys = newKeys();
      const certificate = writeCertificate(
        {
          commonName: leaf.commonName.slice(0, 64),
          publicKey: keys.publicKey,
          notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
          notAfter: new Date(now.getTime() + NODE_CERTIFICATE_DAYS * DAY_MS),
          ca: false,
          dnsNames: leaf.names.filter((n) => n.kind === 'dns').map((n) => n.name),
          ipAddresses: leaf.names.filter((n) => n.kind === 'ip').map((n) => n.name),
        },
        issuer,
      );
      writeStoreFile(path(leaf.ids.privateKey), pem(keys.privateKey), created);
      writeStoreFile(path(leaf.ids.certificate), certificate, created);
      issued.push(`${leaf.what}: ${reason}`);
    }
    values[leaf.ids.certificate] = read(leaf.ids.certificate);
    values[leaf.ids.privateKey] = read(leaf.ids.privateKey);
  }
  return { values, ...(issued.length > 0 && { issued }) };
}
