/**
 * Reads the TLS material the spec gives (already read by secrets-store.ts and judged as PEM) as X.509, before
 * anything is written: a certificate that does not name every host or address dialled, a key that is not the
 * certificate's, a chain that does not lead to the CA, and a certificate that expires within 30 days (a warning)
 * or has expired (an error). Loaded only when the spec turns TLS on.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { secretSourceText, type DialledName, type Problem, type ResolvedCluster, type SecretRef } from '../model/internal';

/** A certificate that expires sooner than this is reported (a warning; expired is an error). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** Longest chain followed from the node's certificate to a CA. */
const MAX_CHAIN = 8;

const problemAt = (severity: Problem['severity'], ref: SecretRef, message: string): Problem => ({ severity, path: ref.path, value: secretSourceText(ref.source), message });
const nameOf = (certificate: X509Certificate) => certificate.subject.split('\n').join(', ') || '(no subject)';
const day = (date: Date) => date.toISOString().slice(0, 10);

function parseCertificates(ref: SecretRef, value: string, problems: Problem[]): X509Certificate[] {
  const certificates: X509Certificate[] = [];
  for (const [index, block] of [...value.matchAll(PEM_CERTIFICATE)].map((m, i) => [i, m[0]] as const)) {
    try {
      certificates.push(new X509Certificate(block));
    } catch (error) {
      problems.push(problemAt('error', ref, `holds a CERTIFICATE block (number ${index + 1}) that is not an X.509 certificate (${(error as Error).message}); give the file as the tool that made it wrote it`));
    }
  }
  return certificates;
}

function expiryProblems(ref: SecretRef, certificates: readonly X509Certificate[], now: Date): Problem[] {
  return certificates.flatMap((certificate) => {
    const validTo = new Date(certificate.validTo);
    const validFrom = new Date(certificate.validFrom);
    const what = `its certificate "${nameOf(certificate)}"`;
    if (validTo.getTime() <= now.getTime()) return [problemAt('error', ref, `holds ${what}, which expired on ${day(validTo)}; renew it and give the new file`)];
    if (validFrom.getTime() > now.getTime()) return [problemAt('error', ref, `holds ${what}, which is not valid before ${day(validFrom)}; check this machine's clock, or reissue it`)];
    const days = Math.ceil((validTo.getTime() - now.getTime()) / DAY_MS);
    if (days < EXPIRY_WARNING_DAYS) return [problemAt('warning', ref, `holds ${what}, which expires on ${day(validTo)} (in ${days} ${days === 1 ? 'day' : 'days'}); renew it before then`)];
    return [];
  });
}

function coverageProblem(ref: SecretRef, leaf: X509Certificate, dialled: readonly DialledName[]): Problem[] {
  const missing = dialled.filter((d) => (d.kind === 'ip' ? leaf.checkIP(d.name) === undefined : leaf.checkHost(d.name) === undefined));
  if (missing.length === 0) return [];
  const listed = missing.map((d) => `${d.name} (${d.what}, ${d.targets.join('/')})`).join(', ');
  const san = missing.map((d) => `${d.kind === 'ip' ? 'IP' : 'DNS'}:${d.name}`).join(',');
  const targets = [...new Set(dialled.flatMap((d) => d.targets))];
  const covered = targets.filter((t) => !missing.some((d) => d.targets.includes(t)));
  const only = covered.length > 0 ? `, or synthesise only the targets it is for (${covered.map((t) => `--target ${t}`).join(' ')})` : '';
  return [problemAt('error', ref, `does not name ${listed}, which clients or peers dial over TLS; reissue it with subjectAltName=${san}${only}`)];
}

function keyProblem(certificateRef: SecretRef, keyRef: SecretRef, leaf: X509Certificate, keyText: string): Problem[] {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch (error) {
    return [problemAt('error', keyRef, `cannot be read as a private key (${(error as Error).message}); give the unencrypted PEM key the certificate was issued for`)];
  }
  if (leaf.checkPrivateKey(key)) return [];
  return [problemAt('error', keyRef, `is not the key of the certificate in ${certificateRef.path} ("${nameOf(leaf)}"); give the key that certificate was issued for, or the certificate issued for this key`)];
}

/** Follows issuers from the node's certificate through the chain it comes with until one of the CA's certificates signed one. */
function chainProblem(certificateRef: SecretRef, caRef: SecretRef, chain: readonly X509Certificate[], cas: readonly X509Certificate[]): Problem[] {
  const signedBy = (certificate: X509Certificate, issuer: X509Certificate) => certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  let current = chain[0]!;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (cas.some((ca) => ca.fingerprint256 === current.fingerprint256 || signedBy(current, ca))) return [];
    const next = chain.find((c) => c !== current && signedBy(current, c));
    if (!next) break;
    current = next;
  }
  const cafile = cas.map((ca) => `"${nameOf(ca)}"`).join(', ');
  return [
    problemAt(
      'error',
      certificateRef,
      `does not lead to the CA in ${caRef.path}: "${nameOf(current)}" is issued by "${current.issuer.split('\n').join(', ')}", which signed nothing ${caRef.path} holds (${cafile}); give the CA that issued it in ${caRef.path}, or put the intermediate certificates after the node's certificate`,
    ),
  ];
}

/** One certificate with its key, and the names it is dialled by in the targets being written. */
interface CertificateUse {
  readonly certificate: SecretRef;
  readonly privateKey: SecretRef;
  readonly dialled: readonly DialledName[];
}

/**
 * Which certificate answers on which names: one the spec gives answers on every name; generated ones are a node's
 * own (compose and VMs: its own names and those every node answers on) and the one the Kubernetes pods share.
 */
function certificateUses(tls: NonNullable<ResolvedCluster['tls']>, dialled: readonly DialledName[]): CertificateUse[] {
  if (!tls.nodes) return [{ certificate: tls.certificate, privateKey: tls.privateKey, dialled }];
  const pods = dialled.filter((d) => d.targets.includes('kubernetes'));
  const hosts = dialled.filter((d) => d.targets.some((t) => t !== 'kubernetes'));
  return [
    ...(hosts.length > 0 ? tls.nodes.map((n) => ({ ...n, dialled: hosts.filter((d) => d.node === undefined || d.node === n.host) })) : []),
    ...(pods.length > 0 ? [{ certificate: tls.certificate, privateKey: tls.privateKey, dialled: pods }] : []),
  ];
}

function certificateProblems(use: CertificateUse, caRef: SecretRef | undefined, cas: readonly X509Certificate[], values: Readonly<Record<string, string>>, now: Date): Problem[] {
  const certificateText = values[use.certificate.id];
  if (certificateText === undefined) return [];
  const problems: Problem[] = [];
  const chain = parseCertificates(use.certificate, certificateText, problems);
  if (problems.length > 0 || chain.length === 0) return problems;
  const leaf = chain[0]!;
  const keyText = values[use.privateKey.id];
  return [
    ...coverageProblem(use.certificate, leaf, use.dialled),
    ...(keyText === undefined ? [] : keyProblem(use.certificate, use.privateKey, leaf, keyText)),
    ...(caRef && cas.length > 0 ? chainProblem(use.certificate, caRef, chain, cas) : []),
    ...expiryProblems(use.certificate, chain, now),
  ];
}

/**
 * Problems with the cluster's TLS material (errors and warnings), each certificate judged against the names it is
 * dialled by in the targets being written and the time `now`. `values` holds the read sources; material absent
 * from it is skipped.
 */
export function tlsCertificateProblems(cluster: ResolvedCluster, values: Readonly<Record<string, string>>, dialled: readonly DialledName[], now: Date): Problem[] {
  const { tls } = cluster;
  if (!tls) return [];
  const uses = certificateUses(tls, dialled).filter((use) => values[use.certificate.id] !== undefined);
  if (uses.length === 0) return [];
  const problems: Problem[] = [];
  const caText = tls.caCertificate && values[tls.caCertificate.id];
  const cas = tls.caCertificate && caText !== undefined ? parseCertificates(tls.caCertificate, caText, problems) : [];
  if (problems.length > 0) return problems;
  return [
    ...uses.flatMap((use) => certificateProblems(use, tls.caCertificate, cas, values, now)),
    ...(tls.caCertificate ? expiryProblems(tls.caCertificate, cas, now) : []),
  ];
}
