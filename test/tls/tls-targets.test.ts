/**
 * TLS on every target, from one spec: where each target puts the certificate material, with which owner and
 * mode, which ports it opens, and that the key never lands in a ConfigMap, an environment or compose.yaml.
 * HAProxy's two check variants pass `haproxy -c` (real program) without a warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { synthKubernetesManifests } from '../../charts';
import { COMPOSE_FILES, composeFiles } from '../../compose';
import { haproxyConfigFromCluster, renderHaproxyConfig, type HaproxyTargetOptions } from '../../haproxy';
import { renderRabbitmqConf, resolveCluster, tlsPathsIn, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model/internal';
import { haproxyCheck, LOAD_BALANCER_BUILDS } from '../support/load-balancer-programs';
import { dockerPlanOf } from '../../stacks/docker-plan';
import { vmBundleFiles } from '../../vm';
import { fixtureSecrets } from '../support/fixtures';

const work = mkdtempSync(join(tmpdir(), 'warren-tls-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Obviously fake PEM-shaped material: enough to find it again wherever it leaks. */
function fakeSecrets(cluster: ResolvedCluster): SecretValues {
  const pem = (label: string, id: string) => `-----BEGIN ${label}-----\nFAKE-${id}-NOT-A-REAL-${label.replace(' ', '-')}\n-----END ${label}-----`;
  return {
    ...fixtureSecrets(cluster),
    'tls-certificate': pem('CERTIFICATE', 'server'),
    'tls-private-key': pem('PRIVATE KEY', 'server'),
    'tls-ca-certificate': pem('CERTIFICATE', 'ca'),
  };
}

const TLS = { certificate: 'file:tls/server_certificate.pem', privateKey: 'file:tls/server_key.pem', caCertificate: 'env:FAKE_TLS_CA' };
const both = resolveCluster({ name: 'both', nodes: 3, loadBalancer: {}, tls: { ...TLS, verifyPeer: true } } as ClusterSpec);
const only = resolveCluster({ name: 'only', nodes: 3, tls: { ...TLS, plainListener: false } } as ClusterSpec);
const KEY_MARK = 'FAKE-server-NOT-A-REAL-PRIVATE-KEY';

describe('rabbitmq.conf with TLS', () => {
  const paths = tlsPathsIn('/etc/rabbitmq/tls');
  const lines = (cluster: ResolvedCluster) => renderRabbitmqConf(cluster, { peerDiscovery: { backend: 'classic_config' }, definitionsPath: '/d.json', tlsPaths: paths }).split('\n');

  it('keeps plain AMQP next to TLS and requires client certificates with verifyPeer', () => {
    expect(lines(both)).toEqual(
      expect.arrayContaining([
        'listeners.tcp.default = 5672',
        'listeners.ssl.default = 5671',
        'ssl_options.cacertfile = /etc/rabbitmq/tls/ca_certificate.pem',
        'ssl_options.certfile = /etc/rabbitmq/tls/server_certificate.pem',
        'ssl_options.keyfile = /etc/rabbitmq/tls/server_key.pem',
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
      ]),
    );
  });

  it('closes the plain listener when plainListener is false, and writes no CA file it was not given', () => {
    const noCa = resolveCluster({ name: 'noca', tls: { certificate: TLS.certificate, privateKey: TLS.privateKey, plainListener: false } } as ClusterSpec);
    const text = lines(noCa);
    expect(text).toContain('listeners.tcp = none');
    expect(text.filter((l) => l.startsWith('listeners.tcp.'))).toEqual([]);
    expect(text.filter((l) => l.startsWith('ssl_options.cacertfile'))).toEqual([]);
    expect(text).toContain('ssl_options.verify = verify_none');
  });

  it('throws when a target forgets the TLS paths', () => {
    expect(() => renderRabbitmqConf(both, { peerDiscovery: { backend: 'classic_config' }, definitionsPath: '/d.json' })).toThrow(
      'cluster "both" has TLS, but the target gave no tlsPaths; pass where the node finds its certificate files',
    );
  });
});

describe('compose target with TLS', () => {
  const files = composeFiles(only, fakeSecrets(only));
  const composeText = files.find((f) => f.path === `compose/${COMPOSE_FILES.compose}`)!.content;
  const project = parse(composeText);

  it('delivers the files as compose secrets, installed by the entrypoint: key 0400, certificates 0444, owner rabbitmq', () => {
    const service = project.services['only-1'];
    expect(service.secrets.map((s: { source: string }) => s.source)).toEqual(['erlang-cookie', 'definitions.json', 'tls-certificate', 'tls-private-key', 'tls-ca-certificate']);
    const script = service.entrypoint[2] as string;
    expect(script).toContain('install -m 0400 -o rabbitmq -g rabbitmq /run/secrets/tls-private-key /etc/rabbitmq/tls/server_key.pem');
    expect(script).toContain('install -m 0444 -o rabbitmq -g rabbitmq /run/secrets/tls-certificate /etc/rabbitmq/tls/server_certificate.pem');
    expect(script.indexOf('mkdir -p /etc/rabbitmq/tls')).toBeLessThan(script.indexOf('/etc/rabbitmq/tls/server_key.pem'));
    expect(project.secrets['tls-private-key']).toEqual({ file: './secrets/tls-private-key' });
    expect(Object.keys(service.environment)).toEqual(['RABBITMQ_NODENAME']);
    expect(composeText).not.toContain('BEGIN');
  });

  it('writes the key as a secret file and the certificates as plain ones, each ending with a newline', () => {
    const tlsFiles = files.filter((f) => f.path.startsWith('compose/secrets/tls-'));
    expect(tlsFiles.map((f) => [f.path, f.kind])).toEqual([
      ['compose/secrets/tls-certificate', 'plain'],
      ['compose/secrets/tls-private-key', 'secret'],
      ['compose/secrets/tls-ca-certificate', 'plain'],
    ]);
    expect(tlsFiles.every((f) => f.content.endsWith('-----\n'))).toBe(true);
  });

  it('publishes amqps per node counting down beside amqp (no load balancer), and no plain AMQP when it is off', () => {
    const ports = (host: string) => project.services[host].ports as string[];
    expect(ports('only-1')).toEqual(['127.0.0.1:5671:5671', '127.0.0.1:15672:15672', '127.0.0.1:15692:15692']);
    expect(ports('only-3')).toEqual(['127.0.0.1:5669:5671', '127.0.0.1:15674:15672', '127.0.0.1:15694:15692']);
    const lb = parse(composeFiles(both, fakeSecrets(both)).find((f) => f.path === `compose/${COMPOSE_FILES.compose}`)!.content);
    expect(lb.services.haproxy.ports).toEqual(['127.0.0.1:5671:5671', '127.0.0.1:5672:5672', '127.0.0.1:8404:8404', '127.0.0.1:15672:15672']);
  });

  it('the Pulumi docker plan uploads the same files where the entrypoint puts them, the key 0400 for uid 999', () => {
    const uploads = dockerPlanOf(only).containers[0]!.uploads.filter((u) => u.file.startsWith('/etc/rabbitmq/tls/'));
    expect(uploads).toEqual([
      { file: '/etc/rabbitmq/tls/server_certificate.pem', content: 'tls-certificate', permissions: '0444', owner: '999', group: '999' },
      { file: '/etc/rabbitmq/tls/server_key.pem', content: 'tls-private-key', permissions: '0400', owner: '999', group: '999' },
      { file: '/etc/rabbitmq/tls/ca_certificate.pem', content: 'tls-ca-certificate', permissions: '0444', owner: '999', group: '999' },
    ]);
  });
});

describe('vm bundles with TLS', () => {
  it('install the key 0400 rabbitmq:rabbitmq and the certificates 0644 root:rabbitmq under /etc/rabbitmq/tls', () => {
    const files = vmBundleFiles(only, fakeSecrets(only));
    const install = files.find((f) => f.path === 'vm/only-1/install.sh')!.content;
    expect(install).toContain("put 'etc/rabbitmq/tls/server_key.pem' '/etc/rabbitmq/tls/server_key.pem' '0400' 'rabbitmq' 'rabbitmq' 'rabbitmq-server'");
    expect(install).toContain("put 'etc/rabbitmq/tls/server_certificate.pem' '/etc/rabbitmq/tls/server_certificate.pem' '0644' 'root' 'rabbitmq' 'rabbitmq-server'");
    expect(files.find((f) => f.path === 'vm/only-1/etc/rabbitmq/tls/server_key.pem')!.kind).toBe('secret');
    expect(files.filter((f) => f.content.includes(KEY_MARK)).map((f) => f.path)).toEqual(['vm/only-1/etc/rabbitmq/tls/server_key.pem', 'vm/only-2/etc/rabbitmq/tls/server_key.pem', 'vm/only-3/etc/rabbitmq/tls/server_key.pem']);
  });
});

describe('kubernetes chart with TLS', () => {
  type K8sObject = { kind: string; metadata: { name: string }; type?: string; data?: Record<string, string>; stringData?: Record<string, string>; spec?: any };
  const objects = (cluster: ResolvedCluster, secrets = fakeSecrets(cluster)) =>
    parseAllDocuments(synthKubernetesManifests(cluster, secrets)[0]!.content).map((d) => d.toJSON() as K8sObject);
  const find = (list: K8sObject[], kind: string, name: string) => list.find((o) => o.kind === kind && o.metadata.name === name)!;
  const chart = objects(only);

  it('carries the material in a kubernetes.io/tls Secret, never in the ConfigMap or an environment', () => {
    const secret = find(chart, 'Secret', 'only-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.stringData!).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(secret.stringData!['tls.key']).toContain(KEY_MARK);
    expect(JSON.stringify(find(chart, 'ConfigMap', 'only-config'))).not.toContain('BEGIN');
    expect(chart.filter((o) => JSON.stringify(o).includes(KEY_MARK)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Secret/only-tls']);
  });

  it('copies the key 0400 for uid 999 into memory with an init container; the node mounts it read-only', () => {
    const pod = find(chart, 'StatefulSet', 'only').spec.template.spec;
    const init = pod.initContainers.find((c: { name: string }) => c.name === 'tls-files');
    expect(init.command[2]).toContain('cp /run/warren/tls-secret/tls.key /run/warren/tls/server_key.pem; chmod 0400 /run/warren/tls/server_key.pem');
    expect(pod.securityContext.runAsUser).toBe(999);
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'tls', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'tls-secret', secret: { secretName: 'only-tls', defaultMode: 0o440, items: ['tls.crt', 'tls.key', 'ca.crt'].map((key) => ({ key, path: key })) } },
      ]),
    );
    const node = pod.containers[0];
    expect(node.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/run/warren/tls', readOnly: true });
    expect(node.volumeMounts.map((m: { name: string }) => m.name)).not.toContain('tls-secret');
    expect(node.ports.map((p: { name: string }) => p.name)).toEqual(['amqps', 'management', 'prometheus', 'epmd', 'cluster-links']);
    expect(find(chart, 'ConfigMap', 'only-config').data!['10-rabbitmq.conf']).toContain('ssl_options.keyfile = /run/warren/tls/server_key.pem');
  });

  it('opens amqps (and no plain AMQP) on the client Service and in the NetworkPolicy', () => {
    expect(find(chart, 'Service', 'only').spec.ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`)).toEqual(['amqps:5671', 'management:15672', 'prometheus:15692']);
    const ingressPorts = find(chart, 'NetworkPolicy', 'only-nodes').spec.ingress.flatMap((rule: { ports: { port: number }[] }) => rule.ports.map((p) => p.port));
    expect(ingressPorts).toContain(5671);
    expect(ingressPorts).not.toContain(5672);
    const withPlain = objects(both);
    expect(find(withPlain, 'Service', 'both').spec.ports.map((p: { name: string }) => p.name)).toEqual(['amqp', 'amqps', 'management', 'prometheus']);
  });

  it('rolls the pods when the certificate changes', () => {
    const annotation = (list: K8sObject[]) => find(list, 'StatefulSet', 'only').spec.template.metadata.annotations['checksum/config'];
    const renewed = { ...fakeSecrets(only), 'tls-certificate': '-----BEGIN CERTIFICATE-----\nRENEWED\n-----END CERTIFICATE-----' };
    expect(annotation(objects(only, renewed))).not.toBe(annotation(chart));
    expect(annotation(objects(only))).toBe(annotation(chart));
  });
});

describe('HAProxy with TLS', () => {
  const options: Record<'compose' | 'vm', HaproxyTargetOptions> = {
    compose: { target: 'compose', serverAddress: (node) => node.host },
    vm: { target: 'vm', serverAddress: (node) => `10.0.0.${10 + node.index}` },
  };
  const config = (cluster: ResolvedCluster, target: 'compose' | 'vm') => {
    const c = cluster.loadBalancer ? cluster : resolveCluster({ name: 'only', nodes: 3, loadBalancer: {}, tls: { ...TLS, plainListener: false } } as ClusterSpec);
    return renderHaproxyConfig(haproxyConfigFromCluster(c, fakeSecrets(c), options[target]));
  };
  const section = (text: string, name: string) => text.slice(text.indexOf(`listen ${name}\n`)).split('\n\n')[0]!.split('\n').map((l) => l.trim());

  it('with the plain listener, passes TLS through and checks each node\'s plain AMQP port as the amqp listen does', () => {
    const amqps = section(config(both, 'vm'), 'amqps');
    expect(amqps).toEqual(expect.arrayContaining(['mode tcp', 'bind :5671', 'balance leastconn', 'tcp-check connect default linger', 'timeout tunnel 180s']));
    expect(amqps.filter((l) => l.startsWith('server '))).toEqual(['server both-1 10.0.0.11:5671 check port 5672', 'server both-2 10.0.0.12:5671 check port 5672', 'server both-3 10.0.0.13:5671 check port 5672']);
    expect(amqps.join('\n')).not.toMatch(/\bssl\b|crt /);
    expect(section(config(both, 'vm'), 'amqp')).toContain('bind :5672');
  });

  it('TLS only: opens the TLS port without a handshake (one that carries no AMQP is logged), then asks the management API; no plain listen', () => {
    const text = config(only, 'vm');
    expect(text).not.toContain('listen amqp\n');
    const amqps = section(text, 'amqps');
    expect(amqps.find((l) => l.startsWith('default-server'))).not.toContain('check-ssl');
    expect(amqps.filter((l) => l.startsWith('tcp-check')).slice(0, 2)).toEqual(['tcp-check connect default linger', 'tcp-check connect port 15672']);
    expect(amqps.filter((l) => l.startsWith('server ')).every((l) => !l.includes(' port '))).toBe(true);
    expect(text).toContain('monitor fail if { nbsrv(amqps) lt 1 }');
  });

  it('TLS only without the management API: speaks AMQP inside TLS without verifying (check-ssl verify none)', () => {
    const bare = resolveCluster({ name: 'only', nodes: 3, loadBalancer: {}, plugins: [], tls: { ...TLS, plainListener: false } } as ClusterSpec);
    const amqps = section(config(bare, 'vm'), 'amqps');
    expect(amqps.find((l) => l.startsWith('default-server'))).toMatch(/ check-ssl verify none$/);
    expect(amqps).toContain('tcp-check send-binary 414d515000000901');
  });

  for (const [name, cluster] of [['plain + TLS', both], ['TLS only', only]] as const) {
    for (const target of ['compose', 'vm'] as const) {
      it.each(LOAD_BALANCER_BUILDS)(`${name} (${target}) passes haproxy -c of the %s build with zero warnings`, (build) => {
        const file = join(work, `${cluster.name}.${target}.cfg`);
        writeFileSync(file, config(cluster, target));
        const { status, output } = haproxyCheck(file, build);
        expect(output).not.toMatch(/\[(WARNING|ALERT)\]/);
        expect(output).toContain('Configuration file is valid');
        expect(status).toBe(0);
      });
    }
  }
});
