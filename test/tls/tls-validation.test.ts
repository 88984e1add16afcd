/** The `tls` section's validation: every problem at once, in the project's `path: "value" is ...; fix` form. */
import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, validateSpec, type ClusterSpec } from '../../model';

const TLS = { certificate: 'file:tls/server_certificate.pem', privateKey: 'env:FAKE_TLS_KEY' } as const;

function messages(spec: unknown): string[] {
  const result = validateSpec(spec);
  return result.ok ? result.warnings.map(formatProblem) : result.problems.map(formatProblem);
}

describe('tls validation', () => {
  it('errors when certificate material is missing, or not a source', () => {
    expect(messages({ name: 'tls', tls: { certificate: 'generate', caCertificate: 'tls/ca.pem' } })).toEqual([
      'tls.privateKey: is missing; give the server private key (PEM) as "file:<path>" (relative to the spec) or "env:<VARIABLE>", e.g. "file:tls/server_key.pem" (or "generate" for a local or test cluster)',
      'tls.caCertificate: "tls/ca.pem" is not a certificate source; use "file:<path>" (relative to the spec) or "env:<VARIABLE>", e.g. "file:tls/ca_certificate.pem", or "generate" for a local or test cluster',
    ]);
  });

  it('warns on every validation that generated certificates are not for production, and resolves the CA as generated too', () => {
    expect(messages({ name: 'tls', nodes: 3, tls: { certificate: 'generate', privateKey: 'generate' } })).toEqual([
      'warning: tls.certificate: "generate" makes certificates for local and test clusters only, NOT for production: clients must trust the CA in the secrets store (ca_certificate.pem), whose private key lies unencrypted beside it; give certificates from your own CA ("file:" or "env:") for production',
    ]);
    const cluster = resolveCluster({ name: 'tls', tls: { certificate: 'generate', privateKey: 'generate' } } as ClusterSpec);
    expect(cluster.tls?.caCertificate?.source).toEqual({ kind: 'generate', length: 0 });
  });

  it('errors when verifyPeer has no CA to check client certificates against', () => {
    expect(messages({ name: 'tls', tls: { ...TLS, verifyPeer: true } })).toEqual([
      'tls.caCertificate: is missing while tls.verifyPeer is true; give the CA that signs client certificates ("file:<path>" or "env:<VARIABLE>"), or set verifyPeer to false',
    ]);
  });

  it('errors when interNode has no CA for the nodes to verify each other against', () => {
    expect(messages({ name: 'tls', tls: { ...TLS, interNode: true } })).toEqual([
      'tls.caCertificate: is missing while tls.interNode is true; nodes verify each other (and the CLI tools) against it: give the CA that signed the certificate ("file:<path>" or "env:<VARIABLE>"), or set interNode to false',
    ]);
    expect(messages({ name: 'tls', tls: { ...TLS, caCertificate: 'file:ca.pem', interNode: true } })).toEqual([]);
    expect(resolveCluster({ name: 'tls', tls: { ...TLS, caCertificate: 'file:ca.pem' } } as ClusterSpec).tls?.interNode).toBe(false);
  });

  it('errors when HAProxy could check nothing: TLS only, client certificates required', () => {
    expect(messages({ name: 'tls', nodes: 1, loadBalancer: {}, tls: { ...TLS, caCertificate: 'file:ca.pem', verifyPeer: true, plainListener: false } })).toEqual([
      'tls.plainListener: "false" leaves HAProxy nothing to check: with verifyPeer the TLS listener refuses its health check, which has no client certificate; keep plainListener true (HAProxy then checks the plain AMQP port) or set verifyPeer to false',
    ]);
    // Without a load balancer, or with the plain listener kept, the same TLS settings are fine.
    expect(messages({ name: 'tls', nodes: 1, tls: { ...TLS, caCertificate: 'file:ca.pem', verifyPeer: true, plainListener: false } })).toEqual([]);
    expect(messages({ name: 'tls', nodes: 1, loadBalancer: {}, tls: { ...TLS, caCertificate: 'file:ca.pem', verifyPeer: true } })).toEqual([]);
  });

  it('errors when amqps shares a port with another listener', () => {
    expect(messages({ name: 'tls', ports: { amqps: 15672 }, tls: TLS })).toEqual([
      'ports.management: "15672" is also ports.amqps; give each listener its own port',
    ]);
  });

  it('errors when the compose target would publish amqps on a host port another node already publishes', () => {
    // Without a load balancer node i publishes amqp at port + i - 1 and amqps at port - (i - 1).
    expect(messages({ name: 'tls', nodes: 3, ports: { amqps: 5673 }, tls: TLS })).toEqual([
      'ports.amqp: "5672" gives tls-2 host port 5673 in the compose target, already published for tls-1 (amqps); each listener needs 3 consecutive host ports (one per node), so move ports.amqp to 5674, or use fewer nodes',
      'ports.amqps: "5673" gives tls-2 host port 5672 in the compose target, already published for tls-1 (amqp); each listener needs 3 consecutive host ports (one per node), so move ports.amqps to 5677, or use fewer nodes',
    ]);
    expect(messages({ name: 'tls', nodes: 3, ports: { amqps: 2 }, tls: TLS })).toEqual([
      'ports.amqps: "2" gives host port 0 in the compose target (amqps counts down one port per node); use ports.amqps of at least 3',
    ]);
    // The defaults never clash: 5671, 5670, 5669 beside 5672, 5673, 5674.
    expect(messages({ name: 'tls', nodes: 3, tls: TLS })).toEqual([]);
    expect(messages({ name: 'tls', nodes: 3, loadBalancer: {}, tls: TLS })).toEqual([]);
  });

  it('resolves the sources into secret references, defaults applied, none generated', () => {
    const cluster = resolveCluster({ name: 'tls', tls: { ...TLS, caCertificate: 'file:ca.pem' } } as ClusterSpec);
    expect(cluster.tls).toEqual({
      // Certificate material is never generated: messages about these sources must not suggest "generate".
      certificate: { id: 'tls-certificate', description: 'TLS certificate of the nodes (PEM)', path: 'tls.certificate', source: { kind: 'file', path: 'tls/server_certificate.pem' }, generatable: false, consumer: 'rabbitmq', carrier: 'own-file' },
      privateKey: { id: 'tls-private-key', description: 'private key of the nodes\' TLS certificate (PEM)', path: 'tls.privateKey', source: { kind: 'env', variable: 'FAKE_TLS_KEY' }, generatable: false, consumer: 'rabbitmq', carrier: 'own-file' },
      caCertificate: { id: 'tls-ca-certificate', description: 'TLS CA certificate (PEM)', path: 'tls.caCertificate', source: { kind: 'file', path: 'ca.pem' }, generatable: false, consumer: 'rabbitmq', carrier: 'own-file' },
      verifyPeer: false,
      plainListener: true,
      interNode: false,
    });
    expect(cluster.secrets.map((s) => s.id)).toEqual(['erlang-cookie', 'default-user-password', 'tls-certificate', 'tls-private-key', 'tls-ca-certificate']);
    expect(resolveCluster({ name: 'plain' }).tls).toBeUndefined();
  });
});
