/**
 * Every class of bad input a user can give the CLI gets one message naming the file (or spec path) and the
 * fix, with its exact text; and a run that fails leaves nothing behind, generated secrets included.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/main';
import { TARGETS } from '../../cli/targets';

let cwd: string;
let out: string[];
let err: string[];

function warren(...argv: string[]): number {
  out = [];
  err = [];
  return runCli(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: { VRRP_PASS: 'longer-than-8', EMPTY: '' }, cwd });
}
const stdout = () => out.join('');
const stderr = () => err.join('');
const lines = (...text: string[]) => [...text, ''].join('\n');
const write = (name: string, text: string | Buffer) => writeFileSync(join(cwd, name), text);

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'warren-user-errors-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(cwd, { recursive: true, force: true });
});

describe('spec files that are not a spec', () => {
  it.each([
    ['a folder', () => mkdirSync(join(cwd, 'specs')), 'specs', (p: string) => `spec file "${p}" is a folder; pass the spec file inside it with --spec, e.g. --spec ${p}/warren.yaml`],
    ['missing', () => undefined, 'nope.yaml', (p: string) => `spec file "${p}" does not exist; pass an existing file with --spec, or run \`warren init\` to write one`],
    ['empty', () => write('empty.yaml', ''), 'empty.yaml', (p: string) => `spec file "${p}" is empty; write a spec there, or run \`warren init\` to get a commented one`],
    ['only comments', () => write('c.yaml', '# name: orders\n\n   # nodes: 3\n'), 'c.yaml', (p: string) => `spec file "${p}" holds only comments; write a spec there, or run \`warren init\` to get a commented one`],
    ['binary', () => write('bin.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0xff])), 'bin.yaml', (p: string) => `spec file "${p}" is not text (it holds binary data or is not UTF-8); pass a YAML or JSON spec with --spec`],
    [
      'an alias bomb',
      () => write('bomb.yaml', ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n')),
      'bomb.yaml',
      (p: string) => `spec file "${p}" has YAML aliases (*name) that expand to too many values; write the values out, or reuse fewer anchors`,
    ],
    ['a map with a list as a key', () => write('key.yaml', 'name: a\n? [a, b]\n: 1\n'), 'key.yaml', (p: string) => `spec file "${p}" has a list or map as a key at line 2, column 3; keys of a spec are names, write one there`],
    ['larger than a spec', () => write('big.yaml', `name: a\n#${'x'.repeat(1024 * 1024)}\n`), 'big.yaml', (p: string) => `spec file "${p}" is ${1024 * 1024 + 10} bytes, more than a spec's 1048576; pass the spec file (YAML or JSON) with --spec`],
  ])('GIVEN a spec file that is %s WHEN synth runs THEN one line names the file and the fix, exit 2, nothing written', (_, given, name, message) => {
    given();
    expect(warren('synth', '--spec', name)).toBe(2);
    expect(stderr()).toBe(lines(`warren: ${message(join(cwd, name))}`));
    expect(readdirSync(cwd).filter((f) => f === 'dist' || f === '.warren-secrets')).toEqual([]);
  });

  it('GIVEN bad YAML on a line of 5000 characters WHEN validate runs THEN the line and column are named and the excerpt is cut', () => {
    write('long.yaml', `name: a\n${'k'.repeat(5000)}: 1\n`);
    expect(warren('validate', '--spec', 'long.yaml')).toBe(2);
    expect(stderr()).toContain(`warren: ${join(cwd, 'long.yaml')} is not valid YAML; fix this error:\n  The : indicator must be at most 1024 chars after the start of an implicit block mapping key at line 2, column 1:`);
    expect(stderr().length).toBeLessThan(600);
  });

  it('GIVEN a value of 5000 characters and a key of 500 WHEN validate runs THEN both are echoed cut to 60 characters with their length', () => {
    write('huge.yaml', `name: ${'x'.repeat(5000)}\n${'y'.repeat(500)}: 1\n`);
    expect(warren('validate', '--spec', 'huge.yaml')).toBe(1);
    const cut = (c: string, length: number) => `${c.repeat(60)}... (${length} characters)`;
    const [heading, ...problems] = stderr().split('\n');
    expect(heading).toBe('warren: the spec has 2 errors:');
    expect(problems[0]).toBe(`  name: "${cut('x', 5000)}" is longer than 63 characters; shorten it (it becomes a host name)`);
    expect(problems[1]).toMatch(new RegExp(`^  \\["${cut('y', 500).replace(/[.()]/g, '\\$&')}"\\]: is not a known key; remove it \\(known keys here: `));
    expect(stderr().length).toBeLessThan(800);
  });
});

describe('output paths', () => {
  beforeEach(() => {
    write('afile', 'not a folder\n');
    mkdirSync(join(cwd, 'adir'));
  });

  it.each([
    [['synth', '--out', 'afile'], (c: string) => `--out: ${c}/afile is a file; warren writes a folder there (one subfolder per target): pass another folder`],
    [['synth', '--out', 'afile/dist'], (c: string) => `--out: ${c}/afile/dist is under ${c}/afile, which is a file; warren writes a folder there (one subfolder per target): pass another folder`],
    [['init', '--out', 'adir'], (c: string) => `--out: ${c}/adir is a folder; name a file, e.g. --out ${c}/adir/warren.yaml`],
    [['init', '--out', 'missing/warren.yaml'], (c: string) => `--out: folder ${c}/missing does not exist; create it (mkdir -p ${c}/missing) or choose a path in an existing folder`],
    [['schema', '--out', 'missing/warren.schema.json'], (c: string) => `--out: folder ${c}/missing does not exist; create it (mkdir -p ${c}/missing) or choose a path in an existing folder`],
    [['schema', '--out', 'adir'], (c: string) => `--out: ${c}/adir is a folder; name a file, e.g. --out ${c}/adir/warren.schema.json`],
    [['schema', '--out', 'x.json', '--reference', 'afile/ref.md'], (c: string) => `--reference: ${c}/afile is a file, not a folder; choose a path in an existing folder`],
  ])('GIVEN warren %j WHEN the path cannot take the output THEN one line says why and what to do, exit 2, nothing written', (argv, message) => {
    expect(warren(...argv)).toBe(2);
    expect(stderr()).toBe(lines(`warren: ${message(cwd)}`));
    expect(readdirSync(cwd).sort()).toEqual(['adir', 'afile']);
    expect(readdirSync(join(cwd, 'adir'))).toEqual([]);
  });

  it('GIVEN --out in folders that do not exist yet WHEN synth runs THEN it creates them (an output folder, unlike a file, is created with its parents)', () => {
    expect(warren('synth', '--out', 'build/a/b', '--target', 'compose')).toBe(0);
    expect(existsSync(join(cwd, 'build/a/b/compose/compose.yaml'))).toBe(true);
  });
});

describe('secret sources', () => {
  const lbSpec = (keepalived: string) =>
    `name: orders\nloadBalancer:\n  hosts: [{ host: lb-1, address: 10.0.0.21 }, { host: lb-2, address: 10.0.0.22 }]\n  virtualIp: 10.0.0.10/24\n  keepalived: ${keepalived}\n`;

  it('GIVEN env: and file: sources that cannot be read and a VRRP password too long WHEN validate runs THEN every problem is listed at once with its spec path, and "generate" is offered only where the spec accepts it', () => {
    mkdirSync(join(cwd, 'cookie-dir'));
    write('empty-password', '\n');
    write(
      'spec.yaml',
      [
        'name: orders',
        'plugins: [rabbitmq_management, rabbitmq_federation]',
        'erlangCookie: file:cookie-dir',
        'defaultUser: { password: env:NOT_SET }',
        'loadBalancer:',
        '  statsPassword: file:empty-password',
        '  hosts: [{ host: lb-1, address: 10.0.0.21 }, { host: lb-2, address: 10.0.0.22 }]',
        '  virtualIp: 10.0.0.10/24',
        '  keepalived: { vrrpVersion: 2, authPass: "env:VRRP_PASS" }',
        'tls: { certificate: file:tls/cert.pem, privateKey: env:EMPTY }',
        'topology:',
        '  federationUpstreams: [{ name: eu, uri: env:EU_URI }]',
        '',
      ].join('\n'),
    );
    expect(warren('validate', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toBe(
      lines(
        'warren: the spec has 7 errors:',
        `  erlangCookie: "file:cookie-dir" names ${cwd}/cookie-dir, which is a folder (Erlang cookie shared by every node); name the file inside it that holds the secret`,
        '  defaultUser.password: "env:NOT_SET" names environment variable NOT_SET, which is not set (password of the default user "admin"); export it before running warren, or use "generate"',
        `  loadBalancer.statsPassword: "file:empty-password" names ${cwd}/empty-password, which is empty (password of the HAProxy stats page user "stats"); put the secret in it, or use "generate"`,
        '  topology.federationUpstreams[0].uri: "env:EU_URI" names environment variable EU_URI, which is not set (URI of federation upstream "eu"); export it before running warren',
        `  tls.certificate: "file:tls/cert.pem" names ${cwd}/tls/cert.pem, which does not exist (TLS certificate of the nodes (PEM)); create it, or correct the path (relative to the spec's folder)`,
        '  tls.privateKey: "env:EMPTY" names environment variable EMPTY, which is empty (private key of the nodes\' TLS certificate (PEM)); put the secret in it',
        '  loadBalancer.keepalived.authPass: "env:VRRP_PASS" gives a password of 13 characters; VRRP PASS carries at most 8 (keepalived would cut it), so give a shorter one, or use "generate"',
        '  warning: topology.federationUpstreams[0].name: "eu" is an upstream no policy of vhost "/" names: nothing is federated from it; name it in a policy (definition: { federation-upstream: eu }) or remove it',
        'nothing was written',
      ),
    );
  });

  it('GIVEN a VRRP password read from env: that is longer than 8 characters WHEN synth runs THEN the model rule reports it with the spec path, exit 1, and nothing (no secret either) is written', () => {
    write('spec.yaml', lbSpec('{ vrrpVersion: 2, authPass: "env:VRRP_PASS" }'));
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toBe(
      lines(
        'warren: the spec has 1 error:',
        '  loadBalancer.keepalived.authPass: "env:VRRP_PASS" gives a password of 13 characters; VRRP PASS carries at most 8 (keepalived would cut it), so give a shorter one, or use "generate"',
        'nothing was written',
      ),
    );
    expect(readdirSync(cwd)).toEqual(['spec.yaml']);
  });

  it('GIVEN sources that are not at hand WHEN validate runs with --spec-only THEN the spec alone is checked, and the output says the sources were not read', () => {
    write('spec.yaml', 'name: orders\ndefaultUser: { password: env:NOT_SET }\n');
    expect(warren('validate', '--spec', 'spec.yaml', '--spec-only')).toBe(0);
    expect(stdout()).toBe('spec.yaml: valid; secret sources not read (--spec-only)\n');
    expect(warren('validate', '--spec', 'spec.yaml')).toBe(1);
  });

  it('GIVEN readable sources WHEN validate runs THEN it says it read them and which secrets synth will generate', () => {
    write('cookie', 'a-cookie-from-a-file\n');
    write('spec.yaml', 'name: orders\nerlangCookie: file:cookie\n');
    expect(warren('validate', '--spec', 'spec.yaml')).toBe(0);
    expect(stdout()).toBe('spec.yaml: valid; secret sources: 1 file:/env: read and accepted, 1 generated at synth\n');
    expect(stdout() + stderr()).not.toContain('a-cookie-from-a-file');
  });
});

describe('"nothing was written" is true', () => {
  it('GIVEN a spec whose cookie is generated and whose password file is missing WHEN synth fails THEN no store, cookie or output was created', () => {
    write('spec.yaml', 'name: orders\ndefaultUser: { password: file:missing }\n');
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toContain('nothing was written');
    expect(readdirSync(cwd)).toEqual(['spec.yaml']);
  });

  it('GIVEN a failure after the secrets were generated WHEN synth stops THEN the secrets this run created are removed, and those of earlier runs kept', () => {
    write('spec.yaml', 'name: orders\n');
    expect(warren('synth', '--spec', 'spec.yaml', '--target', 'compose')).toBe(0);
    rmSync(join(cwd, '.warren-secrets/orders/default-user-password'));
    vi.spyOn(TARGETS[0]!, 'files').mockImplementation(() => {
      throw new TypeError('a defect in a generator');
    });
    expect(warren('synth', '--spec', 'spec.yaml', '--target', 'compose')).toBe(3);
    expect(readdirSync(join(cwd, '.warren-secrets/orders'))).toEqual(['erlang-cookie']);

    // A new cluster: the whole store gone and the output's state with it (with the state, the lost cookie is refused first: lost-cookie.test.ts).
    rmSync(join(cwd, '.warren-secrets'), { recursive: true });
    rmSync(join(cwd, 'dist', '.warren'), { recursive: true });
    expect(warren('synth', '--spec', 'spec.yaml', '--target', 'compose')).toBe(3);
    expect(existsSync(join(cwd, '.warren-secrets'))).toBe(false);
  });
});

describe('internal errors', () => {
  it('GIVEN a defect (not a user error) WHEN any command hits it THEN warren says "internal error, please report", with the stack only behind --debug', () => {
    vi.spyOn(TARGETS[0]!, 'files').mockImplementation(() => {
      throw new TypeError('a defect in a generator');
    });
    expect(warren('synth', '--target', 'compose')).toBe(3);
    expect(stderr()).toBe(
      lines(
        'warren: internal error, please report it with the command you ran: TypeError: a defect in a generator',
        'run again with --debug to see where it happened',
      ),
    );
    expect(warren('synth', '--target', 'compose', '--debug')).toBe(3);
    expect(stderr()).toMatch(/^warren: internal error, please report it with the command you ran: TypeError: a defect in a generator\nTypeError: a defect in a generator\n\s+at /);
  });

  it('GIVEN an output folder warren may not write in WHEN synth runs THEN it is a user error naming the folder', () => {
    // Root writes anywhere: the real command runs as an unprivileged user (nobody when the tests run as root).
    const dir = mkdtempSync(join(tmpdir(), 'warren-locked-'));
    try {
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, 'locked'));
      chmodSync(join(dir, 'locked'), 0o500);
      const unprivileged = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
      const argv = [...unprivileged, process.execPath, join(__dirname, '..', '..', 'bin', 'warren.cjs'), 'synth', '--out', 'locked/dist'];
      const run = spawnSync(argv[0]!, argv.slice(1), { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });
      expect(run.stderr).toBe(lines(`warren: --out: folder ${dir}/locked cannot be written: permission denied; give the user running warren access, or choose another path`));
      expect(run.status).toBe(2);
      expect(readdirSync(join(dir, 'locked'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
