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

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Writes ca_certificate.pem, server_certificate.pem and server_key.pem (the file names warren's example uses) into `folder`. */
export function createTestCertificates(folder: string, subject: { readonly names: readonly string[]; readonly addresses: readonly string[] }): TestCertificates {
  mkdirSync(folder, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-noenc', '-keyout', 'ca_key.pem', '-out', 'ca_certificate.pem', '-days', '2', '-subj', '/CN=warren throwaway test CA'], folder);
  openssl(['req', '-newkey', 'rsa:2048', '-noenc', '-keyout', 'server_key.pem', '-out', 'server.csr', '-subj', `/CN=${subject.names[0]}`], folder);
  const altNames = [...subject.names.map((n) => `DNS:${n}`), ...subject.addresses.map((a) => `IP:${a}`)].join(',');
  writeFileSync(join(folder, 'server.ext'), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca_certificate.pem', '-CAkey', 'ca_key.pem', '-CAcreateserial', '-out', 'server_certificate.pem', '-days', '2', '-extfile', 'server.ext'],
    folder,
  );
  const fingerprint = openssl(['x509', '-in', 'server_certificate.pem', '-noout', '-fingerprint', '-sha256'], folder);
  return {
    caCertificate: join(folder, 'ca_certificate.pem'),
    certificate: join(folder, 'server_certificate.pem'),
    privateKey: join(folder, 'server_key.pem'),
    fingerprint256: fingerprint.trim().replace(/^.*=/, ''),
  };
}
