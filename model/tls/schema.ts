/**
 * The `tls` section of the spec: AMQP over TLS from certificate material the user brings (a file or a variable),
 * or, for local and test clusters, `generate`: a CA and per-node certificates warren makes once and keeps in the
 * secrets store (a self-made CA is trusted by nobody else, so never for production).
 */
import * as z from 'zod';

/** How a listener family is served: without TLS, with TLS only, or both side by side. */
export const LISTENER_MODES = ['plain', 'tls', 'tls+plain'] as const;
export type ListenerMode = (typeof LISTENER_MODES)[number];

/** `file:<path>`, `env:<VARIABLE>` or `generate` (all of the section's material together: see rules.ts). */
export const PEM_SOURCE = /^(file:.+|env:[A-Za-z_][A-Za-z0-9_]*|generate)$/;

const familyMode = (what: string, tlsPort: string, plainPort: string) =>
  z
    .enum(LISTENER_MODES, `is not a listener choice; use "plain" (no TLS), "tls" (TLS on ${tlsPort}, ${plainPort} closed) or "tls+plain" (both open)`)
    .default('plain')
    .describe(`${what}: "plain" (${plainPort} only), "tls" (${tlsPort} only) or "tls+plain" (both). TLS needs the family's plugin in plugins. @default "plain"`);

const pemSource = (what: string, example: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `is missing; give ${what} as "file:<path>" (relative to the spec) or "env:<VARIABLE>", e.g. "${example}" (or "generate" for a local or test cluster)` : undefined) })
    .regex(PEM_SOURCE, `is not a certificate source; use "file:<path>" (relative to the spec) or "env:<VARIABLE>", e.g. "${example}", or "generate" for a local or test cluster`);

/** A Kubernetes object name (DNS-1123 subdomain), as an Issuer's or ClusterIssuer's name must be. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The kinds of cert-manager's own issuers an `issuerRef` names (group cert-manager.io). */
export const CERT_MANAGER_ISSUER_KINDS = ['Issuer', 'ClusterIssuer'] as const;

const certManagerSchema = z
  .strictObject({
    issuer: z
      .strictObject({
        name: z
          .string({ error: (issue) => (issue.input === undefined ? 'is missing; name the cert-manager Issuer or ClusterIssuer that signs the nodes\' certificate, e.g. "rabbitmq-ca"' : 'is not a name; give the Issuer\'s or ClusterIssuer\'s name as a string, e.g. "rabbitmq-ca"') })
          .max(253, 'is longer than 253 characters, which no Kubernetes object name is; give the Issuer\'s or ClusterIssuer\'s name')
          .regex(DNS_SUBDOMAIN, 'is not a Kubernetes object name; use lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, as the Issuer is named (e.g. "rabbitmq-ca")')
          .describe('Name of the Issuer (in the cluster\'s namespace) or ClusterIssuer that signs the certificate.'),
        kind: z
          .enum(CERT_MANAGER_ISSUER_KINDS, 'is not an issuer kind; use "Issuer" (in the cluster\'s namespace) or "ClusterIssuer" (cluster-wide)')
          .default('Issuer')
          .describe('"Issuer" (in the cluster\'s namespace) or "ClusterIssuer". @default "Issuer" (as cert-manager)'),
      })
      .describe('The cert-manager issuer (group cert-manager.io) the Certificate\'s issuerRef names.'),
  })
  .optional()
  .describe(
    'Kubernetes only: a cert-manager Certificate (cert-manager.io/v1) instead of a TLS Secret made from certificate and privateKey: cert-manager writes the Secret the pods mount (<name>-tls), naming every pod through the headless Service, the node names (with interNode) and the client Service, for server and client auth, with a new ECDSA P-256 key (PKCS#8, as "generate" makes) at each renewal. The issuer must put its CA in the Secret (ca.crt; CA, Vault and self-signed issuers do, ACME does not) when a CA is used (caCertificate, verifyPeer, interNode, "generate"). certificate and privateKey still serve compose and VMs. Pods read the files at start: restart them after a renewal. @default - the chart makes the TLS Secret from certificate and privateKey',
  );

export const tlsSchema = z
  .strictObject({
    certificate: pemSource('the server certificate (PEM)', 'file:tls/server_certificate.pem').describe(
      'The nodes\' certificate chain (PEM): "file:<path>" (relative to the spec) or "env:<VARIABLE>". Every node presents it, so it must name every host clients use (the load balancer\'s address or name included); synth checks it. "generate" (with privateKey "generate"): warren makes a CA and, from it, one certificate with its own key per compose and VM node (naming that node\'s host, address and node name, the load balancers, the virtual IP and localhost: a host\'s bundle and a compose service carry only their own key), plus one certificate the Kubernetes pods share (a StatefulSet\'s pods mount one Secret; it names every pod through the headless Service, the client Service and localhost). It makes them once, keeps them in the secrets store and reuses them (each reissued from the same CA when a name is added or 30 days before expiry); for local and test clusters only.',
    ),
    privateKey: pemSource('the server private key (PEM)', 'file:tls/server_key.pem').describe(
      'The certificate\'s private key (PEM, unencrypted): "file:<path>" or "env:<VARIABLE>", or "generate" with the certificate. A secret: installed 0400 for the rabbitmq user, never in a ConfigMap or an environment.',
    ),
    caCertificate: pemSource('the CA certificate (PEM)', 'file:tls/ca_certificate.pem')
      .optional()
      .describe('CA certificates (PEM) the nodes send with their chain and, with verifyPeer, check client certificates against; synth checks that the certificate leads to one. @default - none ("generate" when the certificate is generated: warren\'s CA)'),
    verifyPeer: z
      .boolean()
      .default(false)
      .describe('Require and verify client certificates (mutual TLS, `ssl_options.verify = verify_peer`, `fail_if_no_peer_cert = true`). Needs caCertificate. @default false'),
    plainListener: z
      .boolean()
      .optional()
      .describe('Keep the plain AMQP listener (ports.amqp) next to TLS (ports.amqps); false leaves TLS only (`listeners.tcp = none`). The same as listeners.amqp ("tls+plain" or "tls"); give one of the two. @default true'),
    listeners: z
      .strictObject({
        amqp: z
          .enum(['tls', 'tls+plain'], 'is not an AMQP listener choice; use "tls" (AMQP over TLS only) or "tls+plain" (plain AMQP stays open beside it)')
          .optional()
          .describe('AMQP: "tls" (ports.amqps only) or "tls+plain" (ports.amqp stays open). @default "tls+plain" (or "tls" with plainListener false)'),
        management: familyMode('Management UI and HTTP API', 'ports.managementTls', 'ports.management'),
        prometheus: familyMode('Prometheus metrics', 'ports.prometheusTls', 'ports.prometheus'),
        stream: familyMode('Stream protocol (rabbitmq_stream)', 'ports.streamTls', 'ports.stream'),
      })
      .prefault({})
      .describe('Which listener families speak TLS, and whether their plain listener stays open: "plain" (no TLS), "tls" (TLS only, the plain port closed) or "tls+plain" (both). Every TLS listener presents the same certificate.'),
    expiryWarningDays: z
      .int('is not a whole number of days; give e.g. 30')
      .min(1, 'is not a number of days before expiry; give 1 to 365, e.g. 30')
      .max(365, 'is not a number of days before expiry; give 1 to 365, e.g. 30')
      .default(30)
      .describe(
        'Days before the nodes\' certificate (or CA) expires that the alert RabbitmqTlsCertificateExpiresSoon fires. VM bundles install warren-tls-expiry (a systemd timer) that writes warren_tls_certificate_expiry_timestamp_seconds for node_exporter\'s textfile collector; other targets have no such exporter yet. @default 30',
      ),
    interNode: z
      .boolean()
      .default(false)
      .describe(
        'Erlang distribution between the nodes, and the CLI tools (rabbitmqctl, rabbitmq-diagnostics...) talking to them, over TLS with the same certificate, key and CA (inter_node_tls.config, `-proto_dist inet_tls`). Peers are always verified both ways (verify_peer, fail_if_no_peer_cert): every peer is a node or CLI holding a certificate from the CA, so a switch to skip it would only weaken it. Needs caCertificate (or "generate"). epmd (port 4369) stays plain: it only maps node names to ports. @default false',
      ),
    certManager: certManagerSchema,
  })
  .optional()
  .describe('TLS on every target: AMQP over TLS on ports.amqps, and per tls.listeners the management API, Prometheus metrics and streams; the load balancer passes TLS through to the nodes. @default - no TLS');

export type TlsSpec = z.output<typeof tlsSchema>;
