/**
 * Throwaway certificate material made with the real openssl at test time: a CA and a server certificate it
 * signs for the given names and addresses. Nothing is committed; the folder goes away with the test.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  readonly caCertificate: string;
  readonly certificate: string;
  readonly privateKey: string;
  /** SHA-256 fingerprint of the server certificate, as openssl prints it (AA:BB:...). */
  readonly fingerprint256: string;
}

export interface TestSubject {
  readonly names: readonly string[];
  readonly addresses: readonly string[];
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Writes ca_certificate.pem and ca_key.pem into `folder`: a CA valid for 90 days (warren warns from 30 days before expiry). */
export function createTestCa(folder: string, commonName = 'warren throwaway test CA'): string {
  mkdirSync(folder, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-keyout', 'ca_key.pem', '-out', 'ca_certificate.pem', '-days', '90', '-subj', `/CN=${commonName}`], folder);
  return folder;
}

/**
 * Writes server_certificate.pem and server_key.pem into `folder`, signed by the CA in `caFolder`, valid for `days`
 * (negative: expired that many days ago).
 */
export function issueTestCertificate(folder: string, caFolder: string, subject: TestSubject, days = 90): { certificate: string; privateKey: string } {
  mkdirSync(folder, { recursive: true });
  openssl(['req', '-newkey', 'rsa:2048', '-noenc', '-keyout', 'server_key.pem', '-out', 'server.csr', '-subj', `/CN=${subject.names[0]}`], folder);
  const altNames = [...subject.names.map((n) => `DNS:${n}`), ...subject.addresses.map((a) => `IP:${a}`)].join(',');
  writeFileSync(join(folder, 'server.ext'), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
  const ca = (name: string) => join(caFolder, name);
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', ca('ca_certificate.pem'), '-CAkey', ca('ca_key.pem'), '-CAcreateserial', '-out', 'server_certificate.pem', '-days', String(days), '-extfile', 'server.ext'],
    folder,
  );
  return { certificate: join(folder, 'server_certificate.pem'), privateKey: join(folder, 'server_key.pem') };
}

/** Writes ca_certificate.pem, server_certificate.pem and server_key.pem (the file names warren's example uses) into `folder`. */
export function createTestCertificates(folder: string, subject: TestSubject): TestCertificates {
  createTestCa(folder);
  const issued = issueTestCertificate(folder, folder, subject);
  const fingerprint = openssl(['x509', '-in', 'server_certificate.pem', '-noout', '-fingerprint', '-sha256'], folder);
  return { caCertificate: join(folder, 'ca_certificate.pem'), ...issued, fingerprint256: fingerprint.trim().replace(/^.*=/, '') };
}
