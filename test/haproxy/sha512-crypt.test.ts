/**
 * sha512Crypt against the real program: `openssl passwd -6` (glibc's SHA-512 crypt) for the specification's own
 * example and for passwords of the lengths warren generates and users pick. Each hash is also asked for twice,
 * since a process keeps the hashes it computed (a synth renders the stats user for compose and for the VMs).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { deterministicSalt, sha512Crypt } from '../../haproxy';

const openssl = (password: string, salt: string) => execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: password, encoding: 'utf8' }).trim();

describe('sha512Crypt', () => {
  it('GIVEN the example of the SHA-crypt specification WHEN hashed THEN it is the published hash, which openssl also gives', () => {
    const published = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
    expect(openssl('Hello world!', 'saltstring')).toBe(published);
    expect(sha512Crypt('Hello world!', 'saltstring')).toBe(published);
  });

  it.each([
    ['a 32-character generated password', 'Xq3v9LkP2mZt7RwB4nYc8HsJ1dFg6AeU'],
    ['a one-character password', 'p'],
    ['a 100-character password', 'long-password-'.repeat(7) + 'xy'],
    ['a password with non-ASCII characters', 'pässwörd-日本'],
  ])('GIVEN %s WHEN hashed twice THEN both equal what openssl passwd -6 gives', (_, password) => {
    const salt = deterministicSalt(password, 'rabbit/stats');
    const expected = openssl(password, salt);
    expect(sha512Crypt(password, salt)).toBe(expected);
    expect(sha512Crypt(password, salt)).toBe(expected);
  });

  it('GIVEN a hash already computed WHEN another password is hashed with the same salt THEN it gets its own hash', () => {
    const salt = 'fixedsalt';
    expect(sha512Crypt('first', salt)).toBe(openssl('first', salt));
    expect(sha512Crypt('second', salt)).toBe(openssl('second', salt));
  });
});
