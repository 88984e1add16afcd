/**
 * The value rules against the programs that read the values: real Erlang nodes (OTP 25 here, 27 and 29 in the
 * RabbitMQ 4.0 and 4.3 roots) booting with a cookie file, and Erlang's public_key reading certificates and keys
 * as RabbitMQ's TLS does (ssl reads certfile and keyfile with public_key:pem_decode). openssl makes the files; it is
 * no judge here, since openssl 3 also reads DER where RabbitMQ wants PEM.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { erlangCookieValueRule } from '../../model/cluster/rules';
import { pemValueRule, type PemMaterial } from '../../model/tls/rules';
import { RABBITMQ_LINES, rabbitmqRuntime } from '../lab';

/**
 * Whether a distributed Erlang node starts with `cookie` in $HOME/.erlang.cookie (mode 0400; no crash dump when it does
 * not), in private PID and network namespaces so that the epmd it starts ends with it.
 */
function nodeStartsWithCookie(root: string | undefined, cookie: string): boolean {
  const base = mkdtempSync(join(root === undefined ? tmpdir() : join(root, 'tmp'), 'cookie-'));
  try {
    writeFileSync(join(base, '.erlang.cookie'), cookie, { mode: 0o400 });
    const home = root === undefined ? base : base.slice(root.length);
    const erl = `env HOME=${home} ERL_CRASH_DUMP_SECONDS=0 erl -sname cookie -noshell -eval 'erlang:get_cookie(), io:format("started~n"), halt().'`;
    const script = `ip link set lo up && ${root === undefined ? erl : `chroot ${root} ${erl}`}`;
    const run = spawnSync('unshare', ['--net', '--pid', '--fork', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    return run.stdout.includes('started');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const COOKIES: readonly (readonly [string, string])[] = [
  ['255 letters', 'a'.repeat(255)],
  ['256 letters', 'a'.repeat(256)],
  ['printable ASCII with spaces', 'A b~!@#$%^&*()_+{}|:"<>?'],
  ['a tab', 'abc\tdef'],
  ['a line break inside', 'abc\ndef'],
  ['an accented letter', 'café'],
  ['DEL', 'abc\u007f'],
];

describe('the cookie rule agrees with real Erlang nodes', () => {
  it.each(RABBITMQ_LINES)('GIVEN the Erlang of the RabbitMQ %s lab line WHEN a node boots with each cookie THEN it starts exactly when the rule accepts the cookie', (line) => {
    const root = rabbitmqRuntime(line).root;
    for (const [what, cookie] of COOKIES) {
      const accepted = erlangCookieValueRule('erlangCookie', 'file:cookie', cookie).length === 0;
      expect(nodeStartsWithCookie(root, cookie), `${what} on ${line}`).toBe(accepted);
    }
  });
});

describe("the PEM rule agrees with Erlang's public_key", () => {
  const dir = mkdtempSync(join(tmpdir(), 'pem-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  const file = (name: string) => join(dir, name);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=orders', '-days', '1');
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.pem');
  openssl('pkey', '-in', 'key.pem', '-aes256', '-passout', 'pass:secret', '-out', 'encrypted.pem');
  openssl('x509', '-in', 'cert.pem', '-outform', 'der', '-out', 'cert.der');
  openssl('pkey', '-in', 'key.pem', '-outform', 'der', '-out', 'key.der');
  const cert = readFileSync(file('cert.pem'), 'utf8');
  writeFileSync(file('cut.pem'), cert.slice(0, cert.length / 2));
  writeFileSync(file('text.pem'), openssl('x509', '-in', 'cert.pem', '-noout', '-subject').stdout);

  /** Whether Erlang's ssl could use the file: a decodable certificate, or a private key that needs no password. */
  const erlangReads = (name: string, material: PemMaterial) => {
    const program = [
      `Entries = try {ok, Bin} = file:read_file("${file(name)}"), public_key:pem_decode(Bin) catch _:_ -> [] end,`,
      'Usable = fun',
      "  ({'Certificate', Der, not_encrypted}, certificate) -> try public_key:pkix_decode_cert(Der, otp), true catch _:_ -> false end;",
      "  ({Type, _, not_encrypted} = Entry, key) when Type =:= 'RSAPrivateKey'; Type =:= 'ECPrivateKey'; Type =:= 'PrivateKeyInfo'; Type =:= 'DSAPrivateKey' ->",
      '     try public_key:pem_entry_decode(Entry), true catch _:_ -> false end;',
      '  (_, _) -> false end,',
      `io:format("~p~n", [lists:any(fun(E) -> Usable(E, ${material === 'certificate' ? 'certificate' : 'key'}) end, Entries)]), halt().`,
    ].join(' ');
    const run = spawnSync('erl', ['-noshell', '-eval', program], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`erl: ${run.stderr}`);
    return run.stdout.trim() === 'true';
  };

  it.each([
    ['cert.pem', 'certificate'],
    ['key.pem', 'certificate'],
    ['cert.der', 'certificate'],
    ['cut.pem', 'certificate'],
    ['text.pem', 'certificate'],
    ['key.pem', 'private key'],
    ['ec.pem', 'private key'],
    ['encrypted.pem', 'private key'],
    ['key.der', 'private key'],
    ['cert.pem', 'private key'],
  ] as const)('GIVEN %s read as a %s THEN the rule accepts it exactly when Erlang can use it', (name, material) => {
    expect(existsOrFail(file(name))).toBe(true);
    const accepted = pemValueRule('tls.x', `file:${name}`, readFileSync(file(name), 'utf8').replace(/\r?\n$/, ''), material).length === 0;
    expect(accepted).toBe(erlangReads(name, material));
  });
});

function existsOrFail(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}
