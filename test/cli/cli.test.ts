import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';

let cwd: string;
let out: string[];
let err: string[];

function warren(...argv: string[]): number {
  return runCli(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: { WARREN_TEST_PASSWORD: 'from-env-password' }, cwd });
}
const stdout = () => out.join('');
const stderr = () => err.join('');
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'warren-cli-'));
  out = [];
  err = [];
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('warren synth', () => {
  it('synthesises the default cluster into dist/ and says what it wrote and what to run next', () => {
    expect(warren('synth')).toBe(0);
    expect(stdout()).toMatch(/^warren: cluster "rabbit" \(RabbitMQ 4\.3, 3 nodes\) -> dist\/ \(\d+ files\)/);
    expect(stdout()).toContain('dist/compose/compose.yaml');
    expect(stdout()).toContain('docker compose -f dist/compose/compose.yaml up -d');
    expect(existsSync(join(cwd, 'dist/compose/compose.yaml'))).toBe(true);
    expect(stderr()).toContain('notice: partitionHandling "autoheal" has no effect on RabbitMQ 4.3');
  });

  it('generates secrets once, 0600 in a 0700 folder next to the spec (the current folder without --spec), reuses them, and never prints them', () => {
    expect(warren('synth')).toBe(0);
    const folder = join(cwd, '.warren-secrets/rabbit');
    expect(mode(folder)).toBe('700');
    const cookie = readFileSync(join(folder, 'erlang-cookie'), 'utf8');
    expect(cookie).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(mode(join(folder, 'erlang-cookie'))).toBe('600');
    expect(mode(join(cwd, 'dist/compose/secrets/erlang-cookie'))).toBe('600');
    expect(readFileSync(join(cwd, '.warren-secrets/.gitignore'), 'utf8')).toContain('*');

    rmSync(join(cwd, 'dist'), { recursive: true });
    expect(warren('synth')).toBe(0);
    expect(readFileSync(join(folder, 'erlang-cookie'), 'utf8')).toBe(cookie);
    expect(readFileSync(join(cwd, 'dist/compose/secrets/erlang-cookie'), 'utf8')).toBe(cookie);
    for (const name of readdirSync(folder)) {
      const value = readFileSync(join(folder, name), 'utf8');
      expect(stdout() + stderr()).not.toContain(value);
    }
  });

  it('gives byte-identical output on a second synth', () => {
    warren('synth');
    const first = readFileSync(join(cwd, 'dist/compose/compose.yaml'), 'utf8') + readFileSync(join(cwd, 'dist/compose/secrets/definitions.json'), 'utf8');
    warren('synth');
    expect(readFileSync(join(cwd, 'dist/compose/compose.yaml'), 'utf8') + readFileSync(join(cwd, 'dist/compose/secrets/definitions.json'), 'utf8')).toBe(first);
  });

  it('reads file: and env: secret sources instead of generating', () => {
    writeFileSync(join(cwd, 'cookie.txt'), 'cookie-from-a-file\n');
    writeFileSync(join(cwd, 'spec.yaml'), 'name: own\nerlangCookie: file:cookie.txt\ndefaultUser:\n  password: env:WARREN_TEST_PASSWORD\n');
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(0);
    expect(readFileSync(join(cwd, 'dist/compose/secrets/erlang-cookie'), 'utf8')).toBe('cookie-from-a-file');
    expect(existsSync(join(cwd, '.warren-secrets/own/erlang-cookie'))).toBe(false);
    expect(existsSync(join(cwd, '.warren-secrets/own/default-user-password'))).toBe(false);
  });

  it('exits 1 with every problem and writes nothing when the spec is invalid, leaving an existing output intact', () => {
    expect(warren('synth')).toBe(0);
    const before = readFileSync(join(cwd, 'dist/compose/compose.yaml'), 'utf8');
    writeFileSync(join(cwd, 'bad.yaml'), 'name: Bad_Name\nnodes: 0\nportz: {}\n');
    out = [];
    err = [];
    expect(warren('synth', '--spec', 'bad.yaml')).toBe(1);
    expect(stderr()).toBe(
      [
        'warren: the spec has 3 errors:',
        `  name: "Bad_Name" is not a DNS-1123 label; use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. "orders")`,
        '  nodes: "0" is below 1; a cluster needs at least one node (3 or 5 for quorum queues)',
        '  portz: is not a known key; did you mean "ports"?',
        'nothing was written',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(cwd, 'dist/compose/compose.yaml'), 'utf8')).toBe(before);
    expect(readdirSync(cwd).filter((f) => f.startsWith('.warren-staging') || f.startsWith('.warren-retired'))).toEqual([]);
  });

  it('exits 1 and writes nothing when an env: secret is not set', () => {
    writeFileSync(join(cwd, 'spec.yaml'), 'name: own\ndefaultUser:\n  password: env:NOT_SET_ANYWHERE\n');
    expect(warren('synth', '--spec', 'spec.yaml', '--out', 'out')).toBe(1);
    expect(stderr()).toBe(
      [
        'warren: the spec has 1 error:',
        '  defaultUser.password: "env:NOT_SET_ANYWHERE" names environment variable NOT_SET_ANYWHERE, which is not set (password of the default user "admin"); export it before running warren, or use "generate"',
        'nothing was written',
        '',
      ].join('\n'),
    );
    expect(existsSync(join(cwd, 'out'))).toBe(false);
    expect(existsSync(join(cwd, '.warren-secrets'))).toBe(false);
  });

  it('gives clear messages, not stack traces, for a missing spec file, bad YAML, bad flags and unknown targets', () => {
    expect(warren('synth', '--spec', 'nope.yaml')).toBe(2);
    expect(stderr()).toMatch(/spec file ".*nope\.yaml" does not exist; pass an existing file with --spec, or run `warren init` to write one/);
    writeFileSync(join(cwd, 'broken.yaml'), 'name: [unclosed\n');
    expect(warren('synth', '--spec', 'broken.yaml')).toBe(2);
    expect(stderr()).toContain('broken.yaml is not valid YAML');
    expect(warren('synth', '--colour')).toBe(2);
    expect(stderr()).toContain("Unknown option '--colour'");
    expect(warren('synth', '--target', 'nomad')).toBe(2);
    expect(stderr()).toContain('--target "nomad" is not a target; use one of compose');
    expect(warren('deploy')).toBe(2);
    expect(stderr()).toContain('"deploy" is not a warren command; use one of synth, validate, init, schema');
    expect(stderr()).not.toMatch(/\n\s+at /);
  });

  it('has --help on every command', () => {
    for (const command of ['synth', 'validate', 'init', 'schema']) {
      out = [];
      expect(warren(command, '--help')).toBe(0);
      expect(stdout()).toMatch(new RegExp(`^Usage: warren ${command}`));
    }
    out = [];
    expect(warren('--help')).toBe(0);
    expect(stdout()).toContain('Commands:');
  });
});

describe('warren validate and init', () => {
  it('init writes a starter spec that validates and synthesises; it refuses to overwrite', () => {
    expect(warren('init')).toBe(0);
    expect(readFileSync(join(cwd, 'warren.yaml'), 'utf8')).toContain('# yaml-language-server: $schema=');
    expect(warren('validate', '--spec', 'warren.yaml')).toBe(0);
    expect(stdout()).toContain('warren.yaml: valid');
    expect(warren('init')).toBe(2);
    expect(stderr()).toContain('exists; pass --force to overwrite it');
    expect(warren('synth', '--spec', 'warren.yaml')).toBe(0);
  });

  it('validate exits 1 with the report and prints warnings on a valid spec', () => {
    mkdirSync(join(cwd, 'specs'));
    writeFileSync(join(cwd, 'specs/even.yaml'), 'name: even\nnodes: 4\nrabbitmq: { version: "3.13" }\npartitionHandling: { mode: pause_minority }\n');
    expect(warren('validate', '--spec', 'specs/even.yaml')).toBe(0);
    expect(stderr()).toContain('warning: partitionHandling.mode: "pause_minority" with 4 nodes');
    writeFileSync(join(cwd, 'specs/bad.yaml'), 'name: bad\nnodes: -1\n');
    expect(warren('validate', '--spec', 'specs/bad.yaml')).toBe(1);
    expect(stderr()).toContain('nodes: "-1" is below 1');
    expect(warren('validate')).toBe(2);
  });
});

describe('the warren binary (a real process)', () => {
  const binary = join(__dirname, '..', '..', 'bin', 'warren.cjs');

  it('runs the CLI and exits with its code', () => {
    const help = spawnSync(binary, ['--help'], { cwd, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: warren <command> [options]');
    writeFileSync(join(cwd, 'bad.yaml'), 'name: a\nnodes: 0\n');
    const bad = spawnSync(binary, ['synth', '--spec', 'bad.yaml'], { cwd, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('nodes: "0" is below 1');
    expect(existsSync(join(cwd, 'dist'))).toBe(false);
  });
});
