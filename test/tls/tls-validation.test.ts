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

  describe('tls.listeners', () => {
    it('errors when plainListener and listeners.amqp say different things, and takes either spelling alone', () => {
      expect(messages({ name: 'tls', tls: { ...TLS, plainListener: true, listeners: { amqp: 'tls' } } })).toEqual([
        'tls.plainListener: "true" contradicts tls.listeners.amqp "tls"; remove plainListener (listeners.amqp says the same: "tls" closes the plain AMQP port, "tls+plain" keeps it)',
      ]);
      expect(messages({ name: 'tls', tls: { ...TLS, plainListener: false, listeners: { amqp: 'tls' } } })).toEqual([]);
      const names = (tls: object) => resolveCluster({ name: 'tls', tls: { ...TLS, ...tls } } as ClusterSpec).listeners.map((l) => l.name);
      expect(names({ plainListener: false })).toEqual(['amqps', 'management', 'prometheus']);
      expect(names({ listeners: { amqp: 'tls' } })).toEqual(['amqps', 'management', 'prometheus']);
      expect(names({})).toEqual(['amqp', 'amqps', 'management', 'prometheus']);
    });

    it('errors on a listener choice that is not plain, tls or tls+plain', () => {
      expect(messages({ name: 'tls', tls: { ...TLS, listeners: { management: 'https', amqp: 'plain' } } })).toEqual([
        'tls.listeners.amqp: "plain" is not an AMQP listener choice; use "tls" (AMQP over TLS only) or "tls+plain" (plain AMQP stays open beside it)',
        'tls.listeners.management: "https" is not a listener choice; use "plain" (no TLS), "tls" (TLS on ports.managementTls, ports.management closed) or "tls+plain" (both open)',
      ]);
    });

    it('errors when a family asks for TLS but its plugin is not enabled', () => {
      expect(messages({ name: 'tls', tls: { ...TLS, listeners: { stream: 'tls', management: 'tls+plain' } }, plugins: ['rabbitmq_prometheus'] })).toEqual([
        'tls.listeners.management: "tls+plain" asks for TLS on a listener that rabbitmq_management opens, and plugins does not enable it; add "rabbitmq_management" to plugins, or set "plain"',
        'tls.listeners.stream: "tls" asks for TLS on a listener that rabbitmq_stream opens, and plugins does not enable it; add "rabbitmq_stream" to plugins, or set "plain"',
      ]);
    });

    it('errors when metrics are TLS only and their scrapers cannot verify the nodes: no CA, or the compose Prometheus service', () => {
      expect(messages({ name: 'tls', tls: { ...TLS, listeners: { prometheus: 'tls' } } })).toEqual([
        'tls.listeners.prometheus: "tls" closes the plain metrics port, and the scrape jobs need the CA that signed the nodes\' certificate to verify them over TLS; give tls.caCertificate ("file:<path>" or "env:<VARIABLE>"), or use "tls+plain"',
      ]);
      expect(messages({ name: 'tls', monitoring: { compose: { prometheus: true } }, tls: { ...TLS, caCertificate: 'file:ca.pem', listeners: { prometheus: 'tls' } } })).toEqual([
        'tls.listeners.prometheus: "tls" closes the plain metrics port that the compose target\'s Prometheus service scrapes (monitoring.compose.prometheus), which does not hold the nodes\' CA; use "tls+plain", or run your own Prometheus from compose/prometheus/scrape-configs.yml',
      ]);
      expect(messages({ name: 'tls', monitoring: { compose: { prometheus: true } }, tls: { ...TLS, caCertificate: 'file:ca.pem', listeners: { prometheus: 'tls+plain' } } })).toEqual([]);
    });

    it('errors when a TLS listener counts down below host port 1 in the compose target', () => {
      expect(messages({ name: 'tls', nodes: 3, plugins: ['rabbitmq_management'], ports: { managementTls: 2 }, tls: { ...TLS, listeners: { management: 'tls' } } })).toEqual([
        'ports.managementTls: "2" gives host port 0 in the compose target (a TLS listener counts down one port per node); use ports.managementTls of at least 3',
      ]);
    });

    it('opens each family\'s listeners in a fixed order, TLS ports from ports.*Tls', () => {
      const cluster = resolveCluster({
        name: 'tls',
        plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_stream'],
        tls: { ...TLS, caCertificate: 'file:ca.pem', listeners: { amqp: 'tls', management: 'tls+plain', prometheus: 'tls', stream: 'tls' } },
      } as ClusterSpec);
      expect(cluster.listeners.map((l) => `${l.name}:${l.port}:${l.tls}:${l.access}`)).toEqual([
        'amqps:5671:true:balanced',
        'management:15672:false:balanced',
        'management-tls:15671:true:balanced',
        'prometheus-tls:15691:true:per-node',
        'stream-tls:5551:true:advertised',
      ]);
    });
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
      'ports.amqps: "2" gives host port 0 in the compose target (a TLS listener counts down one port per node); use ports.amqps of at least 3',
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
      // Today's behaviour when listeners is not given: AMQP over TLS beside plain AMQP, every other family plain.
      listeners: { amqp: 'tls+plain', management: 'plain', prometheus: 'plain', stream: 'plain' },
      interNode: false,
      // The expiry alert's default lead time.
      expiryWarningDays: 30,
    });
    expect(cluster.secrets.map((s) => s.id)).toEqual(['erlang-cookie', 'default-user-password', 'tls-certificate', 'tls-private-key', 'tls-ca-certificate']);
    expect(resolveCluster({ name: 'plain' }).tls).toBeUndefined();
  });
});
