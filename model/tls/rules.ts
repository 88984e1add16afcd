/** Rules of the `tls` section: a CA where client certificates are verified, and a listener HAProxy can check. */
import type { Problem } from '../core/problems';
import { error, warning, type Rule } from '../core/rule';
import type { ParsedSpec } from '../spec';
import { tlsListenersOf } from './resolve';

const FAMILY_PLUGINS = { management: 'rabbitmq_management', prometheus: 'rabbitmq_prometheus', stream: 'rabbitmq_stream' } as const;

/** tls.listeners against the rest of the spec: one spelling of AMQP's choice, plugins that open the listeners, who dials them. */
function listenerRules(spec: ParsedSpec): Problem[] {
  const tls = spec.tls!;
  const problems: Problem[] = [];
  const { amqp } = tls.listeners;
  if (amqp !== undefined && tls.plainListener !== undefined && (amqp === 'tls+plain') !== tls.plainListener) {
    problems.push(
      error('tls.plainListener', tls.plainListener, `contradicts tls.listeners.amqp "${amqp}"; remove plainListener (listeners.amqp says the same: "tls" closes the plain AMQP port, "tls+plain" keeps it)`),
    );
  }
  for (const [family, plugin] of Object.entries(FAMILY_PLUGINS) as [keyof typeof FAMILY_PLUGINS, string][]) {
    const mode = tls.listeners[family];
    if (mode !== 'plain' && !spec.plugins.includes(plugin)) {
      problems.push(error(`tls.listeners.${family}`, mode, `asks for TLS on a listener that ${plugin} opens, and plugins does not enable it; add "${plugin}" to plugins, or set "plain"`));
    }
  }
  if (tls.listeners.prometheus === 'tls' && spec.plugins.includes(FAMILY_PLUGINS.prometheus)) {
    const line = /^(\d+\.\d+)/.exec(spec.rabbitmq.version)?.[1];
    if (line !== undefined && ['3.11', '3.12', '3.13'].includes(line)) {
      problems.push(
        warning('tls.listeners.prometheus', 'tls', `closes the plain metrics port the way 3.10 does (no prometheus.tcp.port), which is not checked on RabbitMQ ${line}; make sure port ${spec.ports.prometheus} refuses connections after boot, or use "tls+plain"`),
      );
    }
    // Scrape jobs verify the nodes' certificate against a CA: the one given, or warren's own.
    if (tls.caCertificate === undefined && tls.certificate !== 'generate') {
      problems.push(
        error('tls.listeners.prometheus', 'tls', 'closes the plain metrics port, and the scrape jobs need the CA that signed the nodes\' certificate to verify them over TLS; give tls.caCertificate ("file:<path>" or "env:<VARIABLE>"), or use "tls+plain"'),
      );
    }
    if (spec.monitoring.compose.prometheus) {
      problems.push(
        error('tls.listeners.prometheus', 'tls', 'closes the plain metrics port that the compose target\'s Prometheus service scrapes (monitoring.compose.prometheus), which does not hold the nodes\' CA; use "tls+plain", or run your own Prometheus from compose/prometheus/scrape-configs.yml'),
      );
    }
  }
  return problems;
}

export const tlsRule: Rule = (spec) => {
  const { tls } = spec;
  if (!tls) return [];
  const problems: Problem[] = [];
  const generated = (['certificate', 'privateKey', 'caCertificate'] as const).filter((key) => tls[key] === 'generate');
  if (generated.length > 0) {
    const given = (['certificate', 'privateKey', 'caCertificate'] as const).filter((key) => tls[key] !== undefined && tls[key] !== 'generate');
    for (const key of given) {
      problems.push(
        error(`tls.${key}`, tls[key], `cannot go with "generate" in tls.${generated[0]}: warren generates the CA, the certificate and its key together; write "generate" here too (or leave caCertificate out), or give every one from "file:"/"env:"`),
      );
    }
    if (given.length === 0) {
      // Said on every synth and validate: the material works, and is trusted by nobody but who copies the store's CA.
      problems.push(
        warning(
          'tls.certificate',
          'generate',
          'makes certificates for local and test clusters only, NOT for production: clients must trust the CA in the secrets store (ca_certificate.pem), whose private key lies unencrypted beside it; give certificates from your own CA ("file:" or "env:") for production',
        ),
      );
    }
  }
  if (tls.verifyPeer && tls.caCertificate === undefined && tls.certificate !== 'generate') {
    problems.push(
      error('tls.caCertificate', undefined, 'is missing while tls.verifyPeer is true; give the CA that signs client certificates ("file:<path>" or "env:<VARIABLE>"), or set verifyPeer to false'),
    );
  }
  if (tls.interNode && tls.caCertificate === undefined && tls.certificate !== 'generate') {
    problems.push(
      error('tls.caCertificate', undefined, 'is missing while tls.interNode is true; nodes verify each other (and the CLI tools) against it: give the CA that signed the certificate ("file:<path>" or "env:<VARIABLE>"), or set interNode to false'),
    );
  }
  problems.push(...listenerRules(spec));
  if (spec.loadBalancer && tls.verifyPeer && tlsListenersOf(tls).amqp === 'tls') {
    // HAProxy passes TLS through and has no client certificate: its TLS check would fail on every node.
    problems.push(
      error(
        tls.listeners.amqp === undefined ? 'tls.plainListener' : 'tls.listeners.amqp',
        tls.listeners.amqp ?? false,
        'leaves HAProxy nothing to check: with verifyPeer the TLS listener refuses its health check, which has no client certificate; keep plainListener true (HAProxy then checks the plain AMQP port) or set verifyPeer to false',
      ),
    );
  }
  return problems;
};

export type PemMaterial = 'certificate' | 'private key';

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;
const CERTIFICATE_LABELS = ['CERTIFICATE'];
const PRIVATE_KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY'];

/**
 * Certificate material read from `source` (never quoted, nor its content), judged as RabbitMQ's TLS needs it: PEM
 * blocks of the right kind, complete and base64, a key RabbitMQ can read without a password, and no private key in
 * a certificate file (certificates are installed readable by everyone). What was found is named by its PEM labels.
 */
export function pemValueRule(path: string, source: string, value: string, material: PemMaterial): Problem[] {
  const wanted = material === 'certificate' ? CERTIFICATE_LABELS : PRIVATE_KEY_LABELS;
  const header = material === 'certificate' ? '-----BEGIN CERTIFICATE-----' : '-----BEGIN PRIVATE KEY-----';
  const convert = material === 'certificate' ? 'openssl x509 -inform der -in FILE -out FILE.pem' : 'openssl pkey -inform der -in FILE -out FILE.pem';
  const labels = [...value.matchAll(PEM_BEGIN)].map((m) => m[1]!);
  const complete = labels.filter((label) => value.includes(`-----END ${label}-----`));
  const problem = (message: string) => [error(path, source, message)];
  if (labels.length === 0) {
    // DER starts with an ASN.1 SEQUENCE (0x30) and is binary: read as UTF-8 it holds replacement characters.
    if (value.startsWith('0') && value.includes('\ufffd')) return problem(`holds binary data (DER?), not PEM; convert it (${convert})`);
    return problem(`holds no PEM block (${value.length} characters without a ${header} line); give the ${material} in PEM`);
  }
  const found = [...new Set(labels)].join(', ');
  if (!labels.some((label) => wanted.includes(label))) {
    if (labels.includes('ENCRYPTED PRIVATE KEY') && material === 'private key') {
      return problem('holds an encrypted private key, which RabbitMQ cannot read without its password; decrypt it (openssl pkey -in FILE -out FILE.decrypted)');
    }
    return problem(`holds ${found} but no ${material}; name the file with the ${material} (${header})`);
  }
  const incomplete = labels.find((label) => wanted.includes(label) && !complete.includes(label));
  if (incomplete) return problem(`has a BEGIN ${incomplete} line without its END line (cut short?); give the whole file`);
  const problems: Problem[] = [];
  for (const label of complete.filter((l) => wanted.includes(l))) {
    const body = value.split(`-----BEGIN ${label}-----`)[1]!.split(`-----END ${label}-----`)[0]!;
    const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    if (lines.some((line) => /^Proc-Type:.*ENCRYPTED/.test(line))) {
      problems.push(error(path, source, 'holds an encrypted private key, which RabbitMQ cannot read without its password; decrypt it (openssl pkey -in FILE -out FILE.decrypted)'));
    }
    const data = lines.filter((line) => !/^[A-Za-z-]+:/.test(line));
    if (data.length === 0 || data.some((line) => !/^[A-Za-z0-9+/]+=*$/.test(line))) {
      problems.push(error(path, source, `has a ${label} block whose content is not base64; give the ${material} file as the tool that made it wrote it`));
    }
  }
  if (material === 'certificate' && labels.some((label) => label.includes('PRIVATE KEY'))) {
    problems.push(error(path, source, 'also holds a private key, and certificates are installed readable by every user; keep the key only in tls.privateKey\'s file'));
  }
  return [...new Set(problems.map((p) => p.message))].map((message) => error(path, source, message));
}
