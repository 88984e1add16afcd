/**
 * The `tls` section of the spec: AMQP over TLS from certificate material the user brings. warren never
 * generates certificates (a self-made CA would be trusted by nobody), so every source is a file or a variable.
 */
import { z } from 'zod';

/** `file:<path>` or `env:<VARIABLE>`; unlike other secrets, never `generate`. */
export const PEM_SOURCE = /^(file:.+|env:[A-Za-z_][A-Za-z0-9_]*)$/;

const pemSource = (what: string, example: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `is missing; give ${what} as "file:<path>" (relative to the spec) or "env:<VARIABLE>", e.g. "${example}"` : undefined) })
    .refine((text) => text !== 'generate', {
      error: `is not possible for certificate material: warren does not create certificates; give ${what} as "file:<path>" or "env:<VARIABLE>", e.g. "${example}"`,
      abort: true,
    })
    .regex(PEM_SOURCE, `is not a certificate source; use "file:<path>" (relative to the spec) or "env:<VARIABLE>", e.g. "${example}"`);

export const tlsSchema = z
  .strictObject({
    certificate: pemSource('the server certificate (PEM)', 'file:tls/server_certificate.pem').describe(
      'The nodes\' certificate chain (PEM): "file:<path>" (relative to the spec) or "env:<VARIABLE>". Every node presents it, so it must name every host clients use (the load balancer\'s address or name included).',
    ),
    privateKey: pemSource('the server private key (PEM)', 'file:tls/server_key.pem').describe(
      'The certificate\'s private key (PEM, unencrypted): "file:<path>" or "env:<VARIABLE>". A secret: installed 0400 for the rabbitmq user, never in a ConfigMap or an environment.',
    ),
    caCertificate: pemSource('the CA certificate (PEM)', 'file:tls/ca_certificate.pem')
      .optional()
      .describe('CA certificates (PEM) the nodes send with their chain and, with verifyPeer, check client certificates against. @default - none'),
    verifyPeer: z
      .boolean()
      .default(false)
      .describe('Require and verify client certificates (mutual TLS, `ssl_options.verify = verify_peer`, `fail_if_no_peer_cert = true`). Needs caCertificate. @default false'),
    plainListener: z
      .boolean()
      .default(true)
      .describe('Keep the plain AMQP listener (ports.amqp) next to TLS (ports.amqps); false leaves TLS only (`listeners.tcp = none`). @default true'),
  })
  .optional()
  .describe('AMQP over TLS on ports.amqps, on every target; the load balancer passes TLS through to the nodes. @default - no TLS');

export type TlsSpec = z.output<typeof tlsSchema>;
