/**
 * Just enough DER to write an X.509 v3 certificate signed with ECDSA P-256 / SHA-256: Node's crypto makes the
 * keys and the signature and reads certificates (X509Certificate), but cannot write one. Kept here instead of a
 * dependency: node-forge signs RSA only, @peculiar/x509 is asynchronous (WebCrypto) and brings six packages;
 * what warren writes is a CA and a server certificate, and the tests read every one back with openssl.
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';

const der = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
};
const sequence = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const octets = (content: Buffer) => der(0x04, content);
const bits = (content: Buffer, unused = 0) => der(0x03, Buffer.concat([Buffer.from([unused]), content]));
const explicit = (n: number, content: Buffer) => der(0xa0 + n, content);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function integer(value: Buffer): Buffer {
  let bytes = value;
  while (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) bytes = bytes.subarray(1);
  return der(0x02, (bytes[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(text: string): Buffer {
  const [first, second, ...rest] = text.split('.').map(Number);
  const arcs = [first! * 40 + second!, ...rest];
  const bytes = arcs.flatMap((arc) => {
    const out = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
    return out;
  });
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime from 2050, as RFC 5280 asks. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`)) : der(0x18, Buffer.from(`${iso}Z`));
}

const name = (commonName: string) => sequence(set(sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName)))));
const extension = (id: string, critical: boolean, value: Buffer) => sequence(oid(id), ...(critical ? [TRUE] : []), octets(value));
const ECDSA_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

/** SHA-1 of the public key's bits, as RFC 5280 4.2.1.2 (1) derives a key identifier. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The BIT STRING is the SubjectPublicKeyInfo's last element; for P-256 it is the final 65 bytes.
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

export interface CertificateRequest {
  readonly commonName: string;
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** A CA (keyCertSign), else a server and client certificate for `dnsNames` and `ipAddresses`. */
  readonly ca: boolean;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

export interface Issuer {
  readonly commonName: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

/** The certificate in PEM, signed by `issuer` (itself for a CA whose keys are the request's). */
export function writeCertificate(request: CertificateRequest, issuer: Issuer): string {
  const subjectKeyId = keyIdentifier(request.publicKey);
  const extensions = request.ca
    ? [
        extension('2.5.29.19', true, sequence(TRUE)),
        // keyCertSign and cRLSign: bits 5 and 6.
        extension('2.5.29.15', true, bits(Buffer.from([0x06]), 1)),
        extension('2.5.29.14', false, octets(subjectKeyId)),
      ]
    : [
        extension('2.5.29.19', true, sequence()),
        // digitalSignature: bit 0 (ECDHE key exchange signs with the certificate's key).
        extension('2.5.29.15', true, bits(Buffer.from([0x80]), 7)),
        extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
        extension(
          '2.5.29.17',
          false,
          sequence(
            ...(request.dnsNames ?? []).map((dns) => der(0x82, Buffer.from(dns))),
            ...(request.ipAddresses ?? []).map((ip) => der(0x87, Buffer.from(ip.split('.').map(Number)))),
          ),
        ),
        extension('2.5.29.14', false, octets(subjectKeyId)),
        extension('2.5.29.35', false, sequence(der(0x80, keyIdentifier(issuer.publicKey)))),
      ];
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(issuer.commonName),
    sequence(time(request.notBefore), time(request.notAfter)),
    name(request.commonName),
    request.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const certificate = sequence(tbs, ECDSA_SHA256, bits(sign('sha256', tbs, issuer.privateKey)));
  const base64 = certificate.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}
