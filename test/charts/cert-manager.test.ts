/**
 * tls.certManager: the chart asks cert-manager for the nodes' certificate (a cert-manager.io/v1 Certificate, checked
 * against cert-manager's own CRD schema) instead of making the TLS Secret from the spec's material; the spec's
 * errors name the field, the value and the fix.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, secretsOfTarget, validateSpec, type ClusterSpec } from '../../model';
import { planChanges, planSnapshotOf, tlsDialledNames, tlsMaterialTargets } from '../../model/internal';
import { certificateSchemaProblems } from './cert-manager-schema';
import { find, findAll, podSpecOf, synthObjects, type K8sObject } from './manifests';
import { schemaProblems } from './schema-checks';

const TLS = { certificate: 'file:tls/server_certificate.pem', privateKey: 'file:tls/server_key.pem', caCertificate: 'file:tls/ca_certificate.pem' };
const SPEC: ClusterSpec = {
  name: 'orders',
  rabbitmq: { version: '4.3' },
  nodes: 3,
  plugins: ['rabbitmq_management'],
  kubernetes: { namespace: 'messaging' },
  tls: { ...TLS, interNode: true, listeners: { amqp: 'tls', management: 'tls' }, certManager: { issuer: { name: 'rabbitmq-ca', kind: 'ClusterIssuer' } } },
} as ClusterSpec;
/** Only the cookie and the password: the chart must not need the certificate material at all. */
const SECRETS = { 'erlang-cookie': 'FAKE-COOKIE-FOR-TESTS-ONLY-0123456789', 'default-user-password': 'fake-password-for-tests' };

type CertificateSpec = { secretName: string; issuerRef: object; dnsNames: string[]; ipAddresses?: string[]; usages: string[]; privateKey: object };

describe('chart with tls.certManager: a cert-manager Certificate instead of a TLS Secret from file material', () => {
  const cluster = resolveCluster(SPEC);
  const objects = synthObjects(SPEC, SECRETS);
  const certificate = find(objects, 'Certificate', 'orders');
  const spec = certificate.spec as CertificateSpec;

  it('asks for no certificate material on Kubernetes and emits no kubernetes.io/tls Secret', () => {
    expect(secretsOfTarget(cluster, 'kubernetes').map((ref) => ref.id)).toEqual(['erlang-cookie', 'default-user-password']);
    expect(secretsOfTarget(cluster, 'compose').map((ref) => ref.id)).toContain('tls-private-key');
    expect(findAll(objects, 'Secret').map((s) => s.metadata.name)).toEqual(['orders-erlang-cookie', 'orders-default-user']);
    expect(objects.filter((o) => JSON.stringify(o).includes('BEGIN'))).toEqual([]);
  });

  it('names the Issuer, and writes the very Secret the StatefulSet mounts', () => {
    expect(certificate.apiVersion).toBe('cert-manager.io/v1');
    expect(certificate.metadata.namespace).toBe('messaging');
    expect(spec.issuerRef).toEqual({ name: 'rabbitmq-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    const mounted = podSpecOf(find(objects, 'StatefulSet', 'orders')).volumes.find((v) => v.name === 'tls-secret')!.secret!.secretName;
    expect(spec.secretName).toBe(mounted);
    expect(mounted).toBe('orders-tls');
  });

  it('names every pod through the headless Service, every node name (inter-node TLS) and the client Service', () => {
    expect(spec.dnsNames).toEqual([
      ...[0, 1, 2].flatMap((i) => [`orders-${i}.orders-nodes.messaging.svc`, `orders-${i}.orders-nodes.messaging`]),
      'orders.messaging.svc',
    ]);
    expect(spec.dnsNames).toEqual(tlsDialledNames(cluster, ['kubernetes']).map((n) => n.name));
    expect(spec.ipAddresses).toBeUndefined();
    // Without inter-node TLS no peer dials the node names.
    const plainDistribution = synthObjects({ ...SPEC, tls: { ...SPEC.tls!, interNode: false } } as ClusterSpec, SECRETS);
    expect((find(plainDistribution, 'Certificate', 'orders').spec as CertificateSpec).dnsNames).toEqual([
      ...[0, 1, 2].map((i) => `orders-${i}.orders-nodes.messaging.svc`),
      'orders.messaging.svc',
    ]);
  });

  it('is for server and client auth, with a new ECDSA P-256 PKCS#8 key at each renewal', () => {
    expect(spec.usages).toEqual(['digital signature', 'server auth', 'client auth']);
    expect(spec.privateKey).toEqual({ algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' });
  });

  it('validates against cert-manager\'s Certificate CRD (v1.21.1), and every other object against its schema', () => {
    expect(certificateSchemaProblems(certificate)).toEqual([]);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('the CRD check rejects a wrong usage, a key size of the wrong type, an unknown field and a missing secretName', () => {
    const { secretName: _dropped, ...withoutSecretName } = spec;
    const broken = { ...certificate, spec: { ...withoutSecretName, usages: ['server-auth'], privateKey: { ...spec.privateKey, size: '256' }, keyUsages: ['x'] } } as K8sObject;
    expect(certificateSchemaProblems(broken)).toEqual([
      "/spec must have required property 'secretName'",
      '/spec must NOT have additional properties (keyUsages)',
      '/spec/privateKey/size must be integer',
      expect.stringMatching(/^\/spec\/usages\/0 must be equal to one of the allowed values \[.*"server auth".*\]$/),
    ]);
  });

  it('leaves the Kubernetes names out of what the spec\'s own certificate must cover; the other targets still check theirs', () => {
    expect(tlsMaterialTargets(cluster, ['compose', 'kubernetes', 'vm'])).toEqual(['compose', 'vm']);
    const fromFiles = resolveCluster({ ...SPEC, tls: TLS } as ClusterSpec);
    expect(tlsMaterialTargets(fromFiles, ['compose', 'kubernetes', 'vm'])).toEqual(['compose', 'kubernetes', 'vm']);
  });
});

describe('warren plan with tls.certManager', () => {
  it('GIVEN cert-manager switched on, or another issuer WHEN planned THEN a rolling restart of the pods once the Certificate is Ready', () => {
    const snapshot = (certManager?: object) => planSnapshotOf(resolveCluster({ name: 'orders', tls: { ...TLS, ...(certManager && { certManager }) } } as ClusterSpec));
    const fix = 'kubectl apply, wait until the Certificate is Ready (kubectl wait certificate/<name> --for=condition=Ready), then kubectl rollout restart statefulset/<name>';
    const reason = 'Kubernetes target only: cert-manager (or, without it, the chart again) writes the TLS Secret, whose files the pods copy when they start';
    expect(planChanges(snapshot(), snapshot({ issuer: { name: 'rabbitmq-ca' } }))).toEqual([
      { path: 'tls.certManager', after: { issuer: { name: 'rabbitmq-ca', kind: 'Issuer' } }, class: 'rolling restart', reason, fix },
    ]);
    expect(planChanges(snapshot({ issuer: { name: 'rabbitmq-ca' } }), snapshot({ issuer: { name: 'other-ca', kind: 'ClusterIssuer' } })).map((c) => `${c.path}: ${c.class}; ${c.fix}`)).toEqual([
      `tls.certManager.issuer.name: rolling restart; ${fix}`,
      `tls.certManager.issuer.kind: rolling restart; ${fix}`,
    ]);
  });
});

describe('tls.certManager validation: exact messages', () => {
  const messages = (certManager: unknown) => {
    const result = validateSpec({ name: 'orders', tls: { ...TLS, certManager } } as ClusterSpec);
    return (result.ok ? result.warnings : result.problems).map(formatProblem);
  };

  it('takes "Issuer" as cert-manager does when no kind is given', () => {
    expect(messages({ issuer: { name: 'rabbitmq-ca' } })).toEqual([]);
    expect(resolveCluster({ name: 'orders', tls: { ...TLS, certManager: { issuer: { name: 'rabbitmq-ca' } } } } as ClusterSpec).tls!.certManager).toEqual({
      issuer: { name: 'rabbitmq-ca', kind: 'Issuer' },
    });
  });

  it('errors on a missing issuer name, a kind cert-manager has not, and a name that is no object name, all at once', () => {
    expect(messages({ issuer: { kind: 'Issuer' } })).toEqual([
      'tls.certManager.issuer.name: is missing; name the cert-manager Issuer or ClusterIssuer that signs the nodes\' certificate, e.g. "rabbitmq-ca"',
    ]);
    expect(messages({ issuer: { name: 'RabbitMQ_CA', kind: 'CAIssuer' } })).toEqual([
      'tls.certManager.issuer.name: "RabbitMQ_CA" is not a Kubernetes object name; use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, as the Issuer is named (e.g. "rabbitmq-ca")',
      'tls.certManager.issuer.kind: "CAIssuer" is not an issuer kind; use "Issuer" (in the cluster\'s namespace) or "ClusterIssuer" (cluster-wide)',
    ]);
  });
});
