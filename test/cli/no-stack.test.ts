/**
 * No user-facing error path prints a stack trace: the real binary (bin/warren.cjs, a separate process) runs
 * over a table of bad inputs; each gets one `warren: ...` message naming what is wrong (no Node warning either),
 * exit 1 or 2. A defect
 * (here: writing a staged output file made to throw a TypeError) says "internal error" and shows its stack only with --debug.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const binary = join(__dirname, '..', '..', 'bin', 'warren.cjs');
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(node:.+\))$/m;
let cwd: string;

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [binary, ...argv], { cwd, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** [what, argv, exit status, a piece of the message]: every one a user error. */
const BAD_INPUTS: readonly [string, readonly string[], 1 | 2, string][] = [
  ['spec path is a folder', ['synth', '--spec', 'a-folder'], 2, 'is a folder; pass the spec file inside it'],
  ['spec file missing', ['validate', '--spec', 'missing.yaml'], 2, 'does not exist; pass an existing file with --spec'],
  ['empty spec file', ['validate', '--spec', 'empty.yaml'], 2, 'empty.yaml" is empty'],
  ['comment-only spec file', ['synth', '--spec', 'comments.yaml'], 2, 'comments.yaml" holds only comments'],
  ['binary garbage', ['synth', '--spec', 'garbage.yaml'], 2, 'garbage.yaml" is not text'],
  ['YAML alias bomb', ['synth', '--spec', 'bomb.yaml'], 2, 'bomb.yaml" has YAML aliases (*name) that expand to too many values'],
  ['bad YAML', ['validate', '--spec', 'broken.yaml'], 2, 'broken.yaml is not valid YAML'],
  ['lists nested 20000 deep', ['validate', '--spec', 'deep.yaml'], 2, 'deep.yaml is not valid YAML'],
  ['a list as a key', ['validate', '--spec', 'list-key.yaml'], 2, 'list-key.yaml" has a list or map as a key at line 2, column 3'],
  ['huge value', ['validate', '--spec', 'huge.yaml'], 1, '... (100000 characters)" is longer than 63 characters'],
  ['invalid spec', ['synth', '--spec', 'invalid.yaml'], 1, 'nodes: "0" is below 1'],
  ['secret file: is a folder', ['synth', '--spec', 'secret-folder.yaml'], 1, 'erlangCookie: "file:a-folder" names'],
  ['secret env: not set', ['validate', '--spec', 'secret-env.yaml'], 1, 'defaultUser.password: "env:NOT_SET" names environment variable NOT_SET, which is not set'],
  ['VRRP password too long', ['synth', '--spec', 'vrrp.yaml'], 1, 'loadBalancer.keepalived.authPass: "file:vrrp-pass" gives a password of 17 characters'],
  ['synth --out is a file', ['synth', '--out', 'a-file'], 2, 'a-file is a file; warren writes a folder there'],
  ['synth --out under a file', ['synth', '--out', 'a-file/dist'], 2, 'which is a file'],
  ['init --out is a folder', ['init', '--out', 'a-folder'], 2, 'a-folder is a folder; name a file'],
  ['init --out in a missing folder', ['init', '--out', 'missing/warren.yaml'], 2, 'missing does not exist; create it (mkdir -p'],
  ['schema --out in a missing folder', ['schema', '--out', 'missing/schema.json'], 2, 'missing does not exist; create it (mkdir -p'],
  ['schema --reference is a folder', ['schema', '--reference', 'a-folder'], 2, 'a-folder is a folder; name a file'],
  ['world-writable store', ['synth', '--spec', 'open-store/spec.yaml'], 1, 'is writable by other users, who could plant a secret in it (mode 0777)'],
  ['unknown command', ['deploy'], 2, '"deploy" is not a warren command'],
  ['unknown option', ['synth', '--colour'], 2, "Unknown option '--colour'"],
  ['unknown target', ['synth', '--target', 'nomad'], 2, '--target "nomad" is not a target'],
];

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'warren-no-stack-'));
  const write = (name: string, text: string | Buffer) => writeFileSync(join(cwd, name), text);
  mkdirSync(join(cwd, 'a-folder'));
  write('a-file', 'not a folder\n');
  write('empty.yaml', '');
  write('comments.yaml', '# nothing here\n');
  write('garbage.yaml', Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) % 256)));
  write('bomb.yaml', ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n'));
  write('broken.yaml', 'name: [unclosed\n');
  write('deep.yaml', `name: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
  write('list-key.yaml', 'name: a\n? [a, b]\n: 1\n');
  write('huge.yaml', `name: ${'x'.repeat(100_000)}\n`);
  write('invalid.yaml', 'name: a\nnodes: 0\n');
  write('secret-folder.yaml', 'name: a\nerlangCookie: file:a-folder\n');
  write('secret-env.yaml', 'name: a\ndefaultUser: { password: env:NOT_SET }\n');
  write('vrrp-pass', 'much-too-long-for-vrrp\n'.slice(0, 17));
  write(
    'vrrp.yaml',
    'name: a\nloadBalancer:\n  hosts: [{ host: lb-1, address: 10.0.0.21 }, { host: lb-2, address: 10.0.0.22 }]\n  virtualIp: 10.0.0.10/24\n  keepalived: { vrrpVersion: 2, authPass: "file:vrrp-pass" }\n',
  );
  mkdirSync(join(cwd, 'open-store/.warren-secrets'), { recursive: true, mode: 0o777 });
  chmodSync(join(cwd, 'open-store/.warren-secrets'), 0o777);
  write('open-store/spec.yaml', 'name: a\n');
  write('valid.yaml', 'name: a\n');
  // Makes writing a staged output file throw a TypeError: a stand-in for a defect, after the secrets were generated.
  write(
    'defect.cjs',
    [
      "const fs = require('node:fs');",
      'const writeFileSync = fs.writeFileSync;',
      "fs.writeFileSync = (path, ...rest) => { if (String(path).includes('.warren-staging-')) throw new TypeError('a stand-in defect'); return writeFileSync(path, ...rest); };",
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('the warren binary never shows a user a stack trace', () => {
  it('gives every bad input of the table one message, exit 1 or 2, no stack, and writes nothing', async () => {
    const before = readdirSync(cwd).sort();
    const results: Run[] = [];
    // Two at a time: the machine's cores are shared.
    for (let i = 0; i < BAD_INPUTS.length; i += 2) results.push(...(await Promise.all(BAD_INPUTS.slice(i, i + 2).map(([, argv]) => run(argv)))));
    const report = BAD_INPUTS.map(([what, , status, message], i) => ({
      what,
      status: results[i]!.status === status,
      message: results[i]!.stderr.includes(message),
      oneMessage: results[i]!.stderr.startsWith('warren: ') && !results[i]!.stderr.slice(1).includes('\nwarren: '),
      noStack: !STACK_LINE.test(results[i]!.stderr + results[i]!.stdout) && !/\(node:\d+\) \w*Warning/.test(results[i]!.stderr),
      short: results[i]!.stderr.length < 2000,
    }));
    const failures = report.filter((r) => !(r.status && r.message && r.oneMessage && r.noStack && r.short));
    expect(failures, BAD_INPUTS.map(([what], i) => `${what}: exit ${results[i]!.status}\n${results[i]!.stderr}`).join('\n')).toEqual([]);
    expect(readdirSync(cwd).sort()).toEqual(before);
    expect(readdirSync(join(cwd, 'open-store/.warren-secrets'))).toEqual([]);
  }, 300_000);

  it('reports a defect as an internal error, exit 3, with the stack only behind --debug, and keeps no secret it generated', async () => {
    const env = { NODE_OPTIONS: `--require ${join(cwd, 'defect.cjs')}` };
    const plain = await run(['synth', '--spec', 'valid.yaml', '--secrets', 'fresh-store'], env);
    expect(plain.stderr).toBe('warren: internal error, please report it with the command you ran: TypeError: a stand-in defect\nrun again with --debug to see where it happened\n');
    expect(plain.status).toBe(3);
    expect(readdirSync(cwd)).not.toContain('fresh-store');
    const debug = await run(['synth', '--spec', 'valid.yaml', '--secrets', 'fresh-store', '--debug'], env);
    expect(debug.status).toBe(3);
    expect(debug.stderr).toMatch(/^warren: internal error, please report it with the command you ran: TypeError: a stand-in defect\nTypeError: a stand-in defect\n/);
    expect(debug.stderr).toMatch(STACK_LINE);
  }, 120_000);
});
