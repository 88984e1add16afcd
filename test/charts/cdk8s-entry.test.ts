/**
 * charts/main.ts, the program `cdk8s synth` runs: it reads the spec and secrets as `warren synth` does (one
 * spec loader, one secrets reader), never generates a secret, and says what is missing in one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/fixtures';

const work: string[] = [];
afterEach(() => {
  for (const folder of work.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function cdk8sSynth(folder: string, env: Record<string, string>) {
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'charts', 'main.ts')], {
    cwd: folder,
    env: { PATH: process.env.PATH!, HOME: folder, CDK8S_OUTDIR: join(folder, 'out'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr, out: join(folder, 'out') };
}

function specFolder(spec: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'warren-cdk8s-'));
  work.push(folder);
  writeFileSync(join(folder, 'warren.yaml'), spec);
  return folder;
}

describe('cdk8s synth (charts/main.ts)', () => {
  it('GIVEN a cookie from env: and a generated password in the store WHEN cdk8s synth runs THEN the Secret carries both and nothing is generated', () => {
    const folder = specFolder('name: orders\nerlangCookie: env:ORDERS_COOKIE\nloadBalancer:\n  statsPassword: env:NOT_NEEDED_BY_THE_CHART\n');
    const store = join(folder, '.warren-secrets', 'orders');
    mkdirSync(store, { recursive: true, mode: 0o700 });
    writeFileSync(join(store, 'default-user-password'), 'stored-password', { mode: 0o600 });
    const { status, stderr, out } = cdk8sSynth(folder, { WARREN_SPEC: join(folder, 'warren.yaml'), ORDERS_COOKIE: 'cookie-from-the-environment' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const objects = readdirSync(out).flatMap((file) => parseAllDocuments(readFileSync(join(out, file), 'utf8')).map((d) => d.toJS()));
    const secretData = objects
      .filter((o) => o?.kind === 'Secret')
      .flatMap((o) => Object.values({ ...o.data, ...o.stringData }) as string[])
      .map((v) => (/^[A-Za-z0-9+/=]+$/.test(v) ? Buffer.from(v, 'base64').toString('utf8') : v));
    expect(secretData).toContain('cookie-from-the-environment');
    expect(secretData.some((v) => v.includes('stored-password'))).toBe(true);
    expect(readdirSync(store)).toEqual(['default-user-password']);
  });

  it('GIVEN no store WHEN cdk8s synth runs THEN it names the missing secrets and the command that creates them, and writes nothing', () => {
    const folder = specFolder('name: orders\n');
    const { status, stderr, out } = cdk8sSynth(folder, { WARREN_SPEC: join(folder, 'warren.yaml') });
    expect(status).toBe(1);
    expect(stderr.trim()).toBe(
      `the secrets store ${join(folder, '.warren-secrets', 'orders')} lacks erlang-cookie, default-user-password; run \`warren synth\` once to create them, point WARREN_SECRETS_DIR at the store it uses, or name a Secret you manage in kubernetes.existingSecret`,
    );
    expect(() => readdirSync(out)).toThrow();
    expect(readdirSync(folder)).toEqual(['warren.yaml']);
  });

  it('GIVEN a spec file that does not parse WHEN cdk8s synth runs THEN it is the message warren synth gives, without a stack', () => {
    const folder = specFolder('name: [orders\n');
    const { status, stderr } = cdk8sSynth(folder, { WARREN_SPEC: join(folder, 'warren.yaml') });
    expect(status).toBe(1);
    expect(stderr).toMatch(new RegExp(`^${join(folder, 'warren.yaml').replaceAll('/', '\\/')} is not valid YAML; fix this error:`));
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
