/**
 * `tls: generate`: a CA, one certificate and key per node and one the Kubernetes pods share, made once by warren
 * (io/x509-writer.ts), kept in the secrets store (0600), reused on every synth, reissued by the same CA when a name is
 * added, installed per node, and read back by the real openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { runCli } from '../../cli/main';
import { tlsCertificateProblems } from '../../io/tls-certificates';
import { formatProblem, resolveCluster, tlsDialledNames, type ClusterSpec } from '../../model/internal';

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

const NODES = ['local-1', 'local-2', 'local-3'];
const LEAVES = [...NODES.flatMap((n) => [`tls-certificate-${n}`, `tls-private-key-${n}`]), 'tls-certificate', 'tls-private-key'];
const STORED = ['tls-ca-certificate', 'tls-ca-private-key', ...LEAVES];
const serialOf = (path: string) => openssl('x509', '-in', path, '-noout', '-serial').trim();

describe('tls: generate', () => {
  it('GIVEN a spec with generated TLS WHEN synth runs THEN the store holds the CA, one certificate and key per node and the pods\' shared one (0600), openssl verifies each against the CA and the names it is dialled by, and the warning is printed', () => {
    writeFileSync(join(work, 'warren.yaml'), spec(3));
    const run = synth();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(WARNING);
    expect(run.stdout).toContain(
      'tls: 4 new certificates from the CA in .warren-secrets/local/ (node local-1: none was stored; node local-2: none was stored; node local-3: none was stored; the Kubernetes pods: none was stored)',
    );
    for (const id of STORED) expect((statSync(join(store, id)).mode & 0o777).toString(8), id).toBe('600');
    const ca = join(store, 'tls-ca-certificate');
    for (const node of NODES) {
      const certificate = join(store, `tls-certificate-${node}`);
      expect(openssl('verify', '-CAfile', ca, '-purpose', 'sslserver', certificate)).toBe(`${certificate}: OK\n`);
      for (const name of [node, 'localhost']) expect(openssl('verify', '-CAfile', ca, '-verify_hostname', name, certificate), name).toBe(`${certificate}: OK\n`);
      expect(openssl('verify', '-CAfile', ca, '-verify_ip', '127.0.0.1', certificate)).toBe(`${certificate}: OK\n`);
      // Another node's name is not this node's: each node presents a certificate for itself only.
      const other = NODES.find((n) => n !== node)!;
      expect(() => openssl('verify', '-CAfile', ca, '-verify_hostname', other, certificate), other).toThrow(/hostname mismatch/);
      expect(openssl('pkey', '-in', join(store, `tls-private-key-${node}`), '-pubout')).toBe(openssl('x509', '-in', certificate, '-noout', '-pubkey'));
    }
    // Three keys, three serials: no two nodes share a key.
    expect(new Set(NODES.map((n) => stored(`tls-private-key-${n}`))).size).toBe(3);
    expect(new Set(NODES.map((n) => serialOf(join(store, `tls-certificate-${n}`)))).size).toBe(3);
    const pods = join(store, 'tls-certificate');
    for (const name of ['local-0.local-nodes.default.svc', 'local-2.local-nodes.default.svc', 'local.default.svc', 'localhost']) {
      expect(openssl('verify', '-CAfile', ca, '-verify_hostname', name, pods), name).toBe(`${pods}: OK\n`);
    }
    expect(() => openssl('verify', '-CAfile', ca, '-verify_hostname', 'local-1', pods)).toThrow(/hostname mismatch/);
    expect(openssl('x509', '-in', ca, '-noout', '-ext', 'basicConstraints')).toContain('CA:TRUE');
  });

  it('GIVEN the first synth WHEN the bundles are read THEN each VM host and each compose service carries its own certificate and key and no other node\'s key; Kubernetes the pods\' shared one', () => {
    const dist = join(work, 'dist');
    for (const node of NODES) {
      const tls = join(dist, 'vm', node, 'etc', 'rabbitmq', 'tls');
      expect(readFileSync(join(tls, 'server_certificate.pem'), 'utf8')).toBe(stored(`tls-certificate-${node}`));
      expect(readFileSync(join(tls, 'server_key.pem'), 'utf8')).toBe(stored(`tls-private-key-${node}`));
      expect(readFileSync(join(tls, 'ca_certificate.pem'), 'utf8')).toBe(stored('tls-ca-certificate'));
      const bundle = execFileSync('cat', execFileSync('find', [join(dist, 'vm', node), '-type', 'f'], { encoding: 'utf8' }).trim().split('\n'), { encoding: 'utf8' });
      for (const other of NODES.filter((n) => n !== node)) expect(bundle.includes(stored(`tls-private-key-${other}`).trim()), `${node} carries ${other}'s key`).toBe(false);
      expect(bundle.includes(stored('tls-private-key').trim()), `${node} carries the pods' key`).toBe(false);
      expect(readFileSync(join(dist, 'compose', 'secrets', `tls-private-key-${node}`), 'utf8')).toBe(stored(`tls-private-key-${node}`));
      expect(readFileSync(join(dist, 'compose', 'secrets', `tls-certificate-${node}`), 'utf8')).toBe(stored(`tls-certificate-${node}`));
    }
    const compose = parse(readFileSync(join(dist, 'compose', 'compose.yaml'), 'utf8')) as { services: Record<string, { secrets?: (string | { source: string })[] }> };
    for (const node of NODES) {
      const secrets = (compose.services[node]!.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source)).filter((s) => s.startsWith('tls-'));
      expect(secrets, node).toEqual([`tls-certificate-${node}`, `tls-private-key-${node}`, 'tls-ca-certificate']);
    }
    const tlsSecret = parseAllDocuments(readFileSync(join(dist, 'kubernetes', 'local.k8s.yaml'), 'utf8'))
      .map((d) => d.toJS() as { kind: string; type?: string; stringData?: Record<string, string> })
      .find((o) => o.kind === 'Secret' && o.type === 'kubernetes.io/tls');
    expect(tlsSecret?.stringData?.['tls.crt']).toBe(stored('tls-certificate'));
    expect(tlsSecret?.stringData?.['tls.key']).toBe(stored('tls-private-key'));
  });

  it('GIVEN node local-2\'s certificate in node local-1\'s place WHEN the certificate check judges the material THEN local-1\'s certificate is reported for the names local-1 is dialled by', () => {
    const cluster = resolveCluster(parse(spec(3)) as ClusterSpec);
    const values = Object.fromEntries(STORED.map((id) => [id, stored(id)]));
    const dialled = tlsDialledNames(cluster, ['compose', 'vm']);
    expect(tlsCertificateProblems(cluster, values, dialled, new Date())).toEqual([]);
    const swapped = { ...values, 'tls-certificate-local-1': values['tls-certificate-local-2']!, 'tls-private-key-local-1': values['tls-private-key-local-2']! };
    expect(tlsCertificateProblems(cluster, swapped, dialled, new Date()).map(formatProblem)).toEqual([
      'tls.certificate: "generate" does not name local-1 (node local-1, compose/vm), which clients or peers dial over TLS; reissue it with subjectAltName=DNS:local-1',
    ]);
  });

  it('GIVEN the store from the first synth WHEN synth runs again THEN every file is reused, and the warning is printed again', () => {
    const before = STORED.map(stored);
    const run = synth();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(WARNING);
    expect(run.stdout).not.toContain('new certificate');
    expect(STORED.map(stored)).toEqual(before);
  });

  it('GIVEN a fourth node WHEN synth runs THEN the same CA issues its certificate and the pods\' one again, and the other nodes keep theirs', () => {
    const before = STORED.map(stored);
    writeFileSync(join(work, 'warren.yaml'), spec(4));
    const run = synth();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('(node local-4: none was stored; the Kubernetes pods: the stored one does not name local-3.local-nodes.default.svc)');
    const after = STORED.map(stored);
    STORED.forEach((id, i) => {
      if (id === 'tls-certificate' || id === 'tls-private-key') expect(after[i], id).not.toBe(before[i]);
      else expect(after[i], id).toBe(before[i]);
    });
    const certificate = join(store, 'tls-certificate-local-4');
    expect(openssl('verify', '-CAfile', join(store, 'tls-ca-certificate'), '-verify_hostname', 'local-4', certificate)).toContain(': OK');
    expect(openssl('verify', '-CAfile', join(store, 'tls-ca-certificate'), '-verify_hostname', 'local-3.local-nodes.default.svc', join(store, 'tls-certificate'))).toContain(': OK');
  });

  it('GIVEN generate with tls.certManager WHEN synth runs THEN only the nodes\' certificates are made: cert-manager issues the pods\' one', () => {
    const folder = mkdtempSync(join(work, 'cert-manager-'));
    writeFileSync(join(folder, 'warren.yaml'), 'name: issued\nnodes: 2\ntls: { certificate: generate, privateKey: generate, certManager: { issuer: { name: ca } } }\n');
    let stdout = '';
    const code = runCli(['synth', '--spec', join(folder, 'warren.yaml'), '--out', join(folder, 'dist')], { stdout: (t) => void (stdout += t), stderr: () => undefined, env: {}, cwd: folder });
    expect(code).toBe(0);
    expect(stdout).toContain('tls: 2 new certificates from the CA in .warren-secrets/issued/ (node issued-1: none was stored; node issued-2: none was stored)');
    expect(readdirSync(join(folder, '.warren-secrets', 'issued')).filter((f) => f.startsWith('tls-')).sort()).toEqual([
      'tls-ca-certificate',
      'tls-ca-private-key',
      'tls-certificate-issued-1',
      'tls-certificate-issued-2',
      'tls-private-key-issued-1',
      'tls-private-key-issued-2',
    ]);
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
