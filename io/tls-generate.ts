/**
 * `tls: generate`: a CA and one certificate for the nodes, made once and kept in the secrets store beside the
 * cookie (files 0600), reused on every synth. The CA's key stays there too, so that a node certificate that no
 * longer names every host (a node or load balancer added) or expires within 30 days is reissued by the same CA:
 * clients that trust the CA keep working. For local and test clusters only: the CA's key lies unencrypted in the store.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { tlsGeneratedNames, TLS_IDS, type ResolvedCluster } from '../model/internal';
import { writeCertificate } from './x509-writer';
import { EXPIRY_WARNING_DAYS } from './tls-certificates';
import { writeStoreFile } from './store-file';

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const NODE_CERTIFICATE_DAYS = 365;
/** notBefore an hour back: a node whose clock lags a little still accepts the certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

export interface GeneratedTls {
  /** Values by secret id: certificate, private key, CA certificate (never the CA's key). */
  readonly values: Readonly<Record<string, string>>;
  /** Why the node certificate was (re)issued on this run, if it was. */
  readonly issued?: string;
}

const newKeys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

/** Why the stored node certificate cannot be reused, or undefined when it can. */
function staleness(certificate: X509Certificate, key: KeyObject, ca: X509Certificate, names: ReturnType<typeof tlsGeneratedNames>, now: Date): string | undefined {
  if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey)) return 'the stored one is not signed by the stored CA';
  if (!certificate.checkPrivateKey(key)) return 'the stored key is not the stored certificate\'s';
  const missing = names.filter((n) => (n.kind === 'ip' ? certificate.checkIP(n.name) : certificate.checkHost(n.name, { subject: 'never' })) === undefined);
  if (missing.length > 0) return `the stored one does not name ${missing.map((n) => n.name).join(', ')}`;
  const left = new Date(certificate.validTo).getTime() - now.getTime();
  if (left < EXPIRY_WARNING_DAYS * DAY_MS) return `the stored one expires on ${new Date(certificate.validTo).toISOString().slice(0, 10)}`;
  return undefined;
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
  const names = tlsGeneratedNames(cluster);
  let issued: string | undefined = 'none was stored';
  if (existsSync(path(TLS_IDS.certificate)) && existsSync(path(TLS_IDS.privateKey))) {
    const stored = new X509Certificate(readFileSync(path(TLS_IDS.certificate), 'utf8'));
    issued = staleness(stored, createPrivateKey(readFileSync(path(TLS_IDS.privateKey), 'utf8')), ca, names, now);
  }
  if (issued !== undefined) {
    const keys = newKeys();
    const certificate = writeCertificate(
      {
        commonName: cluster.nodes[0]!.host,
        publicKey: keys.publicKey,
        notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
        notAfter: new Date(now.getTime() + NODE_CERTIFICATE_DAYS * DAY_MS),
        ca: false,
        dnsNames: names.filter((n) => n.kind === 'dns').map((n) => n.name),
        ipAddresses: names.filter((n) => n.kind === 'ip').map((n) => n.name),
      },
      { commonName: ca.subject.replace(/^CN=/, ''), publicKey: createPublicKey(caKey), privateKey: caKey },
    );
    writeStoreFile(path(TLS_IDS.privateKey), pem(keys.privateKey), created);
    writeStoreFile(path(TLS_IDS.certificate), certificate, created);
  }
  const read = (id: string) => readFileSync(path(id), 'utf8');
  return {
    values: { [TLS_IDS.certificate]: read(TLS_IDS.certificate), [TLS_IDS.privateKey]: read(TLS_IDS.privateKey), [TLS_IDS.caCertificate]: read(TLS_IDS.caCertificate) },
    ...(issued !== undefined && { issued }),
  };
}
