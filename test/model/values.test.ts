import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, secretValueRules } from '../../model';

const cluster = resolveCluster({
  name: 'orders',
  erlangCookie: 'file:cookie',
  plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_federation', 'rabbitmq_shovel'],
  tls: { certificate: 'file:tls/cert.pem', privateKey: 'env:TLS_KEY', caCertificate: 'file:tls/ca.pem' },
  topology: {
    queues: [{ name: 'in', type: 'classic' }],
    federationUpstreams: [{ name: 'eu', uri: 'env:EU_URI' }],
    shovels: [{ name: 'move', source: { uri: 'file:source-uri', queue: 'jobs' }, destination: { queue: 'in' } }],
  },
});

const judged = (values: Record<string, string>) => secretValueRules(cluster, values).map(formatProblem);

const BODY = 'MIIBszCCAVmgAwIBAgIUKx1n3Q7l0wBn\nZmFrZSBidXQgYmFzZTY0IG9mIHRoZSByaWdodCBzaGFwZQ==';
const pem = (label: string, body = BODY) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

describe('the Erlang cookie read from file: or env:', () => {
  it('GIVEN 255 printable ASCII characters, a space among them THEN there is no problem', () => {
    expect(judged({ 'erlang-cookie': `${'a'.repeat(250)} ~!#$` })).toEqual([]);
  });

  it('GIVEN 256 characters THEN the error names the source and the limit, never the cookie', () => {
    expect(judged({ 'erlang-cookie': 'a'.repeat(256) })).toEqual([
      'erlangCookie: "file:cookie" gives a cookie of 256 characters; Erlang takes at most 255 (a longer one stops every node at boot), so give a shorter one, or use "generate"',
    ]);
  });

  it.each([['a tab', 'abc\tdef'], ['a line break inside', 'abc\ndef'], ['an accented letter', 'café'], ['DEL', 'abc\u007f']])('GIVEN a cookie with %s THEN Erlang would refuse it', (_, cookie) => {
    expect(judged({ 'erlang-cookie': cookie })).toEqual([
      'erlangCookie: "file:cookie" gives a cookie with a tab, a line break inside, a control or a non-ASCII character, which Erlang refuses (the node does not start); use letters, digits and punctuation, or "generate"',
    ]);
  });
});

describe('certificate material read from file: or env:', () => {
  it('GIVEN a certificate chain, a PKCS#8 or RSA key and a CA THEN there is no problem', () => {
    expect(judged({ 'tls-certificate': pem('CERTIFICATE') + pem('CERTIFICATE'), 'tls-private-key': pem('PRIVATE KEY'), 'tls-ca-certificate': pem('CERTIFICATE') })).toEqual([]);
    expect(judged({ 'tls-private-key': pem('RSA PRIVATE KEY') })).toEqual([]);
  });

  it('GIVEN the key and certificate files swapped THEN each names what it holds and what belongs there', () => {
    expect(judged({ 'tls-certificate': pem('PRIVATE KEY'), 'tls-private-key': pem('CERTIFICATE') })).toEqual([
      'tls.certificate: "file:tls/cert.pem" holds PRIVATE KEY but no certificate; name the file with the certificate (-----BEGIN CERTIFICATE-----)',
      'tls.privateKey: "env:TLS_KEY" holds CERTIFICATE but no private key; name the file with the private key (-----BEGIN PRIVATE KEY-----)',
    ]);
  });

  it('GIVEN text without PEM, DER bytes, a block cut short and a body that is not base64 THEN each says what was found', () => {
    expect(
      judged({
        'tls-certificate': 'subject=CN = orders\nissuer=CN = ca',
        'tls-private-key': '0\ufffd\u0001\ufffd',
        'tls-ca-certificate': `-----BEGIN CERTIFICATE-----\n${BODY}\n`,
      }),
    ).toEqual([
      'tls.certificate: "file:tls/cert.pem" holds no PEM block (34 characters without a -----BEGIN CERTIFICATE----- line); give the certificate in PEM',
      'tls.privateKey: "env:TLS_KEY" holds binary data (DER?), not PEM; convert it (openssl pkey -inform der -in FILE -out FILE.pem)',
      'tls.caCertificate: "file:tls/ca.pem" has a BEGIN CERTIFICATE line without its END line (cut short?); give the whole file',
    ]);
    expect(judged({ 'tls-certificate': pem('CERTIFICATE', 'not base64 at all!') })).toEqual([
      'tls.certificate: "file:tls/cert.pem" has a CERTIFICATE block whose content is not base64; give the certificate file as the tool that made it wrote it',
    ]);
  });

  it('GIVEN an encrypted key (PKCS#8 or traditional) and a certificate file holding its key THEN RabbitMQ could not read the one and would expose the other', () => {
    expect(judged({ 'tls-private-key': pem('ENCRYPTED PRIVATE KEY') })).toEqual([
      'tls.privateKey: "env:TLS_KEY" holds an encrypted private key, which RabbitMQ cannot read without its password; decrypt it (openssl pkey -in FILE -out FILE.decrypted)',
    ]);
    expect(judged({ 'tls-private-key': pem('RSA PRIVATE KEY', `Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0A1B\n\n${BODY}`) })).toEqual([
      'tls.privateKey: "env:TLS_KEY" holds an encrypted private key, which RabbitMQ cannot read without its password; decrypt it (openssl pkey -in FILE -out FILE.decrypted)',
    ]);
    expect(judged({ 'tls-certificate': pem('CERTIFICATE') + pem('PRIVATE KEY') })).toEqual([
      `tls.certificate: "file:tls/cert.pem" also holds a private key, and certificates are installed readable by every user; keep the key only in tls.privateKey's file`,
    ]);
  });
});

describe('federation and shovel URIs read from file: or env:', () => {
  it('GIVEN amqp:// and amqps:// URIs THEN there is no problem', () => {
    expect(judged({ 'federation-upstream-eu-uri': 'amqps://fed:secret@eu.example:5671/orders', 'shovel-move-source-uri': 'amqp://localhost' })).toEqual([]);
  });

  it('GIVEN an http:// URI, a bare password and a URI with a line break THEN the source is named and only a scheme is ever quoted', () => {
    expect(judged({ 'federation-upstream-eu-uri': 'https://eu.example:15672/api', 'shovel-move-source-uri': 's3cret-password' })).toEqual([
      'topology.federationUpstreams[0].uri: "env:EU_URI" gives a https:// URI; federation and shovels connect only with amqp:// or amqps:// (e.g. amqps://user:password@broker.example:5671/vhost)',
      'topology.shovels[0].source.uri: "file:source-uri" gives a value that is not a URI; federation and shovels connect only with amqp:// or amqps:// (e.g. amqps://user:password@broker.example:5671/vhost)',
    ]);
    expect(judged({ 'federation-upstream-eu-uri': 'amqp://a@b\namqp://c@d' })).toEqual([
      'topology.federationUpstreams[0].uri: "env:EU_URI" gives a URI with a space or a line break; give one amqp:// or amqps:// URI on one line',
    ]);
  });
});
