/**
 * `tls: generate`: a CA and a node certificate made once by warren (io/x509-writer.ts), kept in the secrets store
 * (0600), reused on every synth, reissued by the same CA when a name is added, and read back by the real openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';

const work = mkdtempSync(join(tmpdir(), 'warren-tls-generate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const spec = (nodes: number) => `name: local
nodes: ${nodes}
tls: { certificate: generate, privateKey: generate }
`;
const store = join(work, '.warren-secrets', 'local');
const stored = (id: string) => readFileSync(join(store, id), 'utf8');
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function synth(): { code: number; stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  const code = runCli(['synth', '--spec', join(work, 'warren.yaml'), '--out', join(work, 'dist')], {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    cwd: work,
  });
  return { code, ...out };
}

const WARNING =
  'warning: tls.certificate: "generate" makes certificates for local and test clusters only, NOT for production: clients must trust the CA in the secrets store (ca_certificate.pem), ' +
  'whose private key lies unencrypted beside it; give certificates from your own CA ("file:" or "env:") for production\n';

describe('tls: generate', () => {
  it('GIVEN a spec with generated TLS WHEN synth runs THEN the CA, its key, the certificate and its key are in the store (0600), openssl verifies the chain and every name, and the warning is printed', () => {
    writeFileSync(join(work, 'warren.yaml'), spec(3));
    const run = synth();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(WARNING);
    expect(run.stdout).toContain('tls: a new node certificate from the CA in .warren-secrets/local/ (none was stored)');
    for (const id of ['tls-ca-certificate', 'tls-ca-private-key', 'tls-certificate', 'tls-private-key']) expect((statSync(join(store, id)).mode & 0o777).toString(8), id).toBe('600');
    const [ca, certificate] = [join(store, 'tls-ca-certificate'), join(store, 'tls-certificate')];
    expect(openssl('verify', '-CAfile', ca, '-purpose', 'sslserver', certificate)).toBe(`${certificate}: OK\n`);
    for (const name of ['local-1', 'local-3', 'local-0.local-nodes.default.svc', 'local.default.svc', 'localhost']) {
      expect(openssl('verify', '-CAfile', ca, '-verify_hostname', name, certificate), name).toBe(`${certificate}: OK\n`);
    }
    expect(openssl('verify', '-CAfile', ca, '-verify_ip', '127.0.0.1', certificate)).toBe(`${certificate}: OK\n`);
    expect(() => openssl('verify', '-CAfile', ca, '-verify_hostname', 'local-4', certificate)).toThrow(/hostname mismatch/);
    expect(openssl('x509', '-in', ca, '-noout', '-ext', 'basicConstraints')).toContain('CA:TRUE');
    // The key is the certificate's: the same public key.
    expect(openssl('pkey', '-in', join(store, 'tls-private-key'), '-pubout')).toBe(openssl('x509', '-in', certificate, '-noout', '-pubkey'));
    // What the nodes install is the stored material.
    expect(readFileSync(join(work, 'dist', 'vm', 'local-1', 'etc', 'rabbitmq', 'tls', 'server_certificate.pem'), 'utf8')).toBe(stored('tls-certificate'));
  });

  it('GIVEN the store from the first synth WHEN synth runs again THEN every file is reused, and the warning is printed again', () => {
    const before = ['tls-ca-certificate', 'tls-ca-private-key', 'tls-certificate', 'tls-private-key'].map(stored);
    const run = synth();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(WARNING);
    expect(run.stdout).not.toContain('a new node certificate');
    expect(['tls-ca-certificate', 'tls-ca-private-key', 'tls-certificate', 'tls-private-key'].map(stored)).toEqual(before);
  });

  it('GIVEN a fourth node WHEN synth runs THEN the same CA issues a new certificate that names it', () => {
    const ca = stored('tls-ca-certificate');
    const certificate = stored('tls-certificate');
    writeFileSync(join(work, 'warren.yaml'), spec(4));
    const run = synth();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('(the stored one does not name local-4, local-3.local-nodes.default.svc)');
    expect(stored('tls-ca-certificate')).toBe(ca);
    expect(stored('tls-certificate')).not.toBe(certificate);
    expect(openssl('verify', '-CAfile', join(store, 'tls-ca-certificate'), '-verify_hostname', 'local-4', join(store, 'tls-certificate'))).toContain(': OK');
  });

  it('GIVEN generate for the certificate and a file for the key WHEN validate runs THEN the mix is refused', () => {
    writeFileSync(join(work, 'mixed.yaml'), 'name: mixed\ntls: { certificate: generate, privateKey: file:key.pem }\n');
    let stderr = '';
    const code = runCli(['validate', '--spec', join(work, 'mixed.yaml')], { stdout: () => undefined, stderr: (t) => void (stderr += t), env: {}, cwd: work });
    expect(code).toBe(1);
    expect(stderr).toContain(
      '  tls.privateKey: "file:key.pem" cannot go with "generate" in tls.certificate: warren generates the CA, the certificate and its key together; write "generate" here too (or leave caCertificate out), or give every one from "file:"/"env:"\n',
    );
  });
});
