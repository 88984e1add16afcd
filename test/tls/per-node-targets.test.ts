/**
 * `tls: generate` per target, from one spec and fake PEM-shaped values: compose and the VM bundles install each
 * node's own certificate and key (a node's files hold no other node's key), the Pulumi docker plan uploads the same,
 * and Kubernetes keeps the one certificate its pods share. The secrets each target asks values for follow.
 */
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { synthKubernetesManifests } from '../../charts';
import { COMPOSE_FILES, composeFiles } from '../../compose';
import { resolveCluster, secretsOfTarget, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model/internal';
import { dockerPlanOf } from '../../stacks/docker-plan';
import { vmBundleFiles } from '../../vm';
import { fixtureSecrets } from '../support/fixtures';

const cluster = resolveCluster({ name: 'gen', nodes: 3, loadBalancer: {}, tls: { certificate: 'generate', privateKey: 'generate' } } as ClusterSpec);
const HOSTS = ['gen-1', 'gen-2', 'gen-3'];
/** Each TLS value marked with its secret id, so that it is found again wherever it lands. */
function fakeSecrets(c: ResolvedCluster): SecretValues {
  const values: Record<string, string> = { ...fixtureSecrets(c) };
  for (const ref of c.secrets.filter((r) => r.id.startsWith('tls-'))) {
    const label = ref.id.includes('private-key') ? 'PRIVATE KEY' : 'CERTIFICATE';
    values[ref.id] = `-----BEGIN ${label}-----\nFAKE-${ref.id}\n-----END ${label}-----`;
  }
  return values;
}
const secrets = fakeSecrets(cluster);
const carrying = (files: readonly { path: string; content: string }[], id: string) => files.filter((f) => f.content.includes(`FAKE-${id}\n`)).map((f) => f.path);

describe('generated TLS: a certificate and key per node', () => {
  it('asks compose and VMs for each node\'s own certificate and key, Kubernetes for the pods\' shared one', () => {
    const tlsIds = (target: 'compose' | 'vm' | 'kubernetes') => secretsOfTarget(cluster, target).map((r) => r.id).filter((id) => id.startsWith('tls-'));
    const perNode = HOSTS.flatMap((h) => [`tls-certificate-${h}`, `tls-private-key-${h}`]);
    expect(tlsIds('compose')).toEqual([...perNode, 'tls-ca-certificate']);
    expect(tlsIds('vm')).toEqual([...perNode, 'tls-ca-certificate']);
    expect(tlsIds('kubernetes')).toEqual(['tls-certificate', 'tls-private-key', 'tls-ca-certificate']);
  });

  it('compose: each service mounts and installs its own key (0400) and certificate; the key files are secret files', () => {
    const files = composeFiles(cluster, secrets);
    const project = parse(files.find((f) => f.path === `compose/${COMPOSE_FILES.compose}`)!.content);
    for (const host of HOSTS) {
      const service = project.services[host];
      expect(service.secrets.map((s: { source: string }) => s.source).filter((s: string) => s.startsWith('tls-')), host).toEqual([`tls-certificate-${host}`, `tls-private-key-${host}`, 'tls-ca-certificate']);
      const script = service.entrypoint[2] as string;
      expect(script).toContain(`install -m 0400 -o rabbitmq -g rabbitmq /run/secrets/tls-private-key-${host} /etc/rabbitmq/tls/server_key.pem`);
      expect(script).toContain(`install -m 0444 -o rabbitmq -g rabbitmq /run/secrets/tls-certificate-${host} /etc/rabbitmq/tls/server_certificate.pem`);
      expect(carrying(files, `tls-private-key-${host}`)).toEqual([`compose/secrets/tls-private-key-${host}`]);
      expect(files.find((f) => f.path === `compose/secrets/tls-private-key-${host}`)!.kind).toBe('secret');
      expect(files.find((f) => f.path === `compose/secrets/tls-certificate-${host}`)!.kind).toBe('plain');
    }
    expect(carrying(files, 'tls-private-key')).toEqual([]);
  });

  it('the Pulumi docker plan uploads each node\'s own key 0400 for uid 999', () => {
    const plan = dockerPlanOf(cluster);
    HOSTS.forEach((host, i) => {
      const uploads = plan.containers[i]!.uploads.filter((u) => u.file.startsWith('/etc/rabbitmq/tls/'));
      expect(uploads, host).toEqual([
        { file: '/etc/rabbitmq/tls/server_certificate.pem', content: 'tls-certificate', node: host, permissions: '0444', owner: '999', group: '999' },
        { file: '/etc/rabbitmq/tls/server_key.pem', content: 'tls-private-key', node: host, permissions: '0400', owner: '999', group: '999' },
        { file: '/etc/rabbitmq/tls/ca_certificate.pem', content: 'tls-ca-certificate', permissions: '0444', owner: '999', group: '999' },
      ]);
    });
  });

  it('VM bundles: each host\'s bundle carries only its own key, installed 0400 rabbitmq:rabbitmq, and its own certificate 0644', () => {
    const files = vmBundleFiles(cluster, secrets);
    for (const host of HOSTS) {
      expect(carrying(files, `tls-private-key-${host}`), host).toEqual([`vm/${host}/etc/rabbitmq/tls/server_key.pem`]);
      expect(carrying(files, `tls-certificate-${host}`), host).toEqual([`vm/${host}/etc/rabbitmq/tls/server_certificate.pem`]);
      const install = files.find((f) => f.path === `vm/${host}/install.sh`)!.content;
      expect(install).toContain("put 'etc/rabbitmq/tls/server_key.pem' '/etc/rabbitmq/tls/server_key.pem' '0400' 'rabbitmq' 'rabbitmq' 'rabbitmq-server'");
      expect(install).toContain("put 'etc/rabbitmq/tls/server_certificate.pem' '/etc/rabbitmq/tls/server_certificate.pem' '0644' 'root' 'rabbitmq' 'rabbitmq-server'");
      expect(files.find((f) => f.path === `vm/${host}/etc/rabbitmq/tls/server_key.pem`)!.kind).toBe('secret');
    }
    expect(carrying(files, 'tls-private-key')).toEqual([]);
  });

  it('Kubernetes: the pods\' one certificate in the kubernetes.io/tls Secret, no node\'s own', () => {
    const manifest = synthKubernetesManifests(cluster, secrets)[0]!.content;
    const secret = parseAllDocuments(manifest)
      .map((d) => d.toJSON() as { kind: string; type?: string; stringData?: Record<string, string> })
      .find((o) => o.kind === 'Secret' && o.type === 'kubernetes.io/tls')!;
    expect(secret.stringData!['tls.crt']).toContain('FAKE-tls-certificate\n');
    expect(secret.stringData!['tls.key']).toContain('FAKE-tls-private-key\n');
    for (const host of HOSTS) expect(manifest).not.toContain(`FAKE-tls-private-key-${host}`);
  });
});
