/**
 * The certificate checks before anything is written: certificates made by the real openssl in a temp folder,
 * read by `warren synth` as X.509 against the names the targets dial (nodes, load-balancer hosts, virtual IP).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';
import { createTestCa, issueTestCertificate, type TestSubject } from './certificates';

const SPEC = `name: secure
nodes:
  - { host: secure-1, address: 10.0.43.11 }
  - { host: secure-2, address: 10.0.43.12 }
  - { host: secure-3, address: 10.0.43.13 }
tls: { certificate: file:server/server_certificate.pem, privateKey: file:server/server_key.pem, caCertificate: file:ca/ca_certificate.pem }
loadBalancer:
  hosts: [{ host: secure-lb1, address: 10.0.43.21 }, { host: secure-lb2, address: 10.0.43.22 }]
  virtualIp: 10.0.43.100/24
`;
const NAMES = ['secure-1', 'secure-2', 'secure-3', 'secure-lb1', 'secure-lb2'];
const ADDRESSES = ['10.0.43.11', '10.0.43.12', '10.0.43.13', '10.0.43.21', '10.0.43.22', '10.0.43.100'];
const EVERY: TestSubject = { names: NAMES, addresses: ADDRESSES };

const work = mkdtempSync(join(tmpdir(), 'warren-cert-check-'));
let dir = '';
let out: { stdout: string; stderr: string } = { stdout: '', stderr: '' };
const caFolder = join(work, 'ca');
const otherCaFolder = join(work, 'other-ca');

function synth(...extra: string[]): number {
  out = { stdout: '', stderr: '' };
  return runCli(['synth', '--spec', join(dir, 'spec.yaml'), '--out', join(dir, 'dist'), ...extra], {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    env: {},
    cwd: dir,
  });
}

/** A spec folder with the test CA and a server certificate it (or `signer`) issued, with the key of another one if `keyOf`. */
function given(subject: TestSubject, options: { days?: number; signer?: string; keyOf?: TestSubject; spec?: string } = {}): void {
  dir = mkdtempSync(join(work, 'case-'));
  writeFileSync(join(dir, 'spec.yaml'), options.spec ?? SPEC);
  cpSync(caFolder, join(dir, 'ca'), { recursive: true });
  issueTestCertificate(join(dir, 'server'), options.signer ?? caFolder, subject, options.days);
  if (options.keyOf) cpSync(issueTestCertificate(join(dir, 'other'), caFolder, options.keyOf).privateKey, join(dir, 'server', 'server_key.pem'));
}

const problemLines = () => out.stderr.split('\n').filter((l) => l.startsWith('  '));

beforeAll(() => {
  createTestCa(caFolder);
  createTestCa(otherCaFolder, 'some other CA');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(() => {
  out = { stdout: '', stderr: '' };
});

describe('certificate checks before synth writes anything', () => {
  it('GIVEN a certificate naming every node, load-balancer host and the virtual IP, signed by the CA WHEN synth writes the VM bundles THEN it writes them, without a certificate warning', () => {
    given(EVERY);
    expect(synth('--target', 'vm'), out.stderr).toBe(0);
    expect(existsSync(join(dir, 'dist', 'vm', 'secure-1', 'install.sh'))).toBe(true);
    expect(out.stderr).not.toMatch(/tls\./);
  });

  it('GIVEN a certificate without the virtual IP WHEN synth runs THEN it names the missing address and the subjectAltName to add, and writes nothing', () => {
    given({ names: NAMES, addresses: ADDRESSES.filter((a) => a !== '10.0.43.100') });
    expect(synth('--target', 'vm')).toBe(1);
    expect(problemLines()).toEqual([
      '  tls.certificate: "file:server/server_certificate.pem" does not name 10.0.43.100 (virtual IP, vm), which clients or peers dial over TLS; reissue it with subjectAltName=IP:10.0.43.100',
    ]);
    expect(out.stderr).toContain('nothing was written');
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('GIVEN a VM certificate WHEN synth writes every target THEN the Kubernetes names are missing, and the fix offers the targets it covers', () => {
    given(EVERY);
    expect(synth()).toBe(1);
    expect(problemLines()).toEqual([
      '  tls.certificate: "file:server/server_certificate.pem" does not name secure-0.secure-nodes.default.svc (pod secure-0, kubernetes), secure-1.secure-nodes.default.svc (pod secure-1, kubernetes), ' +
        'secure-2.secure-nodes.default.svc (pod secure-2, kubernetes), secure.default.svc (client Service, kubernetes), which clients or peers dial over TLS; reissue it with subjectAltName=DNS:secure-0.secure-nodes.default.svc,DNS:secure-1.secure-nodes.default.svc,DNS:secure-2.secure-nodes.default.svc,DNS:secure.default.svc, ' +
        'or synthesise only the targets it is for (--target compose --target vm)',
    ]);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('GIVEN a VM certificate and tls.certManager WHEN synth writes every target THEN cert-manager covers the Kubernetes names: it writes them all, the manifest without the key', () => {
    const spec = SPEC.replace('caCertificate: file:ca/ca_certificate.pem }', 'caCertificate: file:ca/ca_certificate.pem, certManager: { issuer: { name: secure-ca } } }');
    expect(spec).not.toBe(SPEC);
    given(EVERY, { spec });
    expect(synth(), out.stderr).toBe(0);
    const manifest = readFileSync(join(dir, 'dist', 'kubernetes', 'secure.k8s.yaml'), 'utf8');
    expect(manifest).toContain('kind: Certificate');
    expect(manifest).not.toContain('PRIVATE KEY');
    expect(readFileSync(join(dir, 'dist', 'vm', 'secure-1', 'etc', 'rabbitmq', 'tls', 'server_key.pem'), 'utf8')).toContain('PRIVATE KEY');
  });

  it('GIVEN the key of another certificate WHEN synth runs THEN tls.privateKey is reported, nothing written', () => {
    given(EVERY, { keyOf: EVERY });
    expect(synth('--target', 'vm')).toBe(1);
    expect(problemLines()).toEqual([
      '  tls.privateKey: "file:server/server_key.pem" is not the key of the certificate in tls.certificate ("CN=secure-1"); give the key that certificate was issued for, or the certificate issued for this key',
    ]);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('GIVEN a certificate another CA signed WHEN synth runs THEN the chain is reported as not leading to tls.caCertificate, nothing written', () => {
    given(EVERY, { signer: otherCaFolder });
    expect(synth('--target', 'vm')).toBe(1);
    expect(problemLines()).toEqual([
      '  tls.certificate: "file:server/server_certificate.pem" does not lead to the CA in tls.caCertificate: "CN=secure-1" is issued by "CN=some other CA", which signed nothing tls.caCertificate holds ("CN=warren throwaway test CA"); ' +
        'give the CA that issued it in tls.caCertificate, or put the intermediate certificates after the node\'s certificate',
    ]);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('GIVEN a certificate that expires in 10 days WHEN synth runs THEN it warns with the date and still writes', () => {
    given(EVERY, { days: 10 });
    expect(synth('--target', 'vm')).toBe(0);
    const expiry = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    expect(out.stderr).toContain(`warning: tls.certificate: "file:server/server_certificate.pem" holds its certificate "CN=secure-1", which expires on ${expiry} (in 10 days); renew it before then\n`);
    expect(existsSync(join(dir, 'dist', 'vm', 'secure-1', 'install.sh'))).toBe(true);
  });

  it('GIVEN a certificate that expired yesterday WHEN synth runs THEN it is an error and nothing is written', () => {
    given(EVERY, { days: -1 });
    expect(synth('--target', 'vm')).toBe(1);
    const expired = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(problemLines()).toEqual([`  tls.certificate: "file:server/server_certificate.pem" holds its certificate "CN=secure-1", which expired on ${expired}; renew it and give the new file`]);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('GIVEN a certificate without the virtual IP WHEN validate runs THEN it reports the same problem (every target)', () => {
    given({ names: NAMES, addresses: ADDRESSES.filter((a) => a !== '10.0.43.100') });
    const code = runCli(['validate', '--spec', join(dir, 'spec.yaml')], { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {}, cwd: dir });
    expect(code).toBe(1);
    expect(problemLines()[0]).toMatch(/^ {2}tls\.certificate: "file:server\/server_certificate\.pem" does not name secure-0\.secure-nodes\.default\.svc .* 10\.0\.43\.100 \(virtual IP, vm\), which/);
  });
});
