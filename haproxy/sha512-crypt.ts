/**
 * SHA-512 crypt(3) (`$6$`, Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"), as glibc and
 * HAProxy's `userlist ... password` read it. Pure: the caller supplies the salt, so the output is stable.
 */
import { createHash, createHmac } from 'node:crypto';

const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SALT_LENGTH = 16;
/** glibc's default; each HTTP request to the stats page costs one hash, so more rounds only slow the page. */
const DEFAULT_ROUNDS = 5000;

/** Byte order in which the final digest is encoded, three bytes per four characters. */
const ENCODING_ORDER: readonly (readonly [number, number, number])[] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

const sha512 = (...parts: Buffer[]) => {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** `length` bytes of `digest` repeated. */
function stretch(digest: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += digest.length) digest.copy(out, i, 0, Math.min(digest.length, length - i));
  return out;
}

function encode(b2: number, b1: number, b0: number, chars: number): string {
  let word = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += ALPHABET[word & 0x3f];
    word >>>= 6;
  }
  return out;
}

/**
 * Hashes already computed in this process: a synth renders the same stats user for compose and for the VMs, and
 * each hash is 5000 rounds (about 50 ms). Kept small: a process hashes one or two passwords.
 */
const computed = new Map<string, string>();
const COMPUTED_MAX = 16;

/** The `$6$<salt>$<hash>` string for `password`; `salt` is up to 16 characters of `./0-9A-Za-z`. */
export function sha512Crypt(password: string, salt: string): string {
  if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) throw new Error(`sha512Crypt: salt "${salt}" must be 1-16 characters of ./0-9A-Za-z`);
  const key = `${salt}$${password}`;
  const known = computed.get(key);
  if (known !== undefined) return known;
  if (computed.size >= COMPUTED_MAX) computed.clear();
  const hash = hashOf(password, salt);
  computed.set(key, hash);
  return hash;
}

function hashOf(password: string, salt: string): string {
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt, 'ascii');
  const b = sha512(p, s, p);
  const a = createHash('sha512').update(p).update(s).update(stretch(b, p.length));
  for (let length = p.length; length > 0; length >>= 1) a.update(length & 1 ? b : p);
  let c = a.digest();
  const pSequence = stretch(sha512(...Array<Buffer>(p.length).fill(p)), p.length);
  const sSequence = stretch(sha512(...Array<Buffer>(16 + c[0]!).fill(s)), s.length);
  for (let round = 0; round < DEFAULT_ROUNDS; round++) {
    const hash = createHash('sha512');
    hash.update(round & 1 ? pSequence : c);
    if (round % 3 !== 0) hash.update(sSequence);
    if (round % 7 !== 0) hash.update(pSequence);
    hash.update(round & 1 ? c : pSequence);
    c = hash.digest();
  }
  const encoded = ENCODING_ORDER.map(([x, y, z]) => encode(c[x]!, c[y]!, c[z]!, 4)).join('') + encode(0, 0, c[63]!, 2);
  return `$6$${salt}$${encoded}`;
}

/**
 * A salt derived from the password and a context (e.g. the cluster name): the same inputs give the same
 * hash, so re-synthesis is byte-identical, while two clusters sharing a password still get different hashes.
 */
export function deterministicSalt(password: string, context: string): string {
  const digest = createHmac('sha256', password).update(`warren crypt salt\u0000${context}`).digest();
  return Array.from(digest.subarray(0, SALT_LENGTH), (byte) => ALPHABET[byte & 0x3f]).join('');
}
