/**
 * The secrets store refuses folders and files another user owns or can write to (whoever planted a cookie
 * there would own the cluster), lives next to the spec, and still finds a store an earlier version left
 * beside the output.
 */
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main';
import { materialiseSecrets } from '../../io/secrets-store';
import { resolveCluster, secretsStoreLocation } from '../../model';

let cwd: string;
let out: string[];
let err: string[];

function warren(...argv: string[]): number {
  out = [];
  err = [];
  return runCli(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {}, cwd });
}
const stderr = () => err.join('');
const lines = (...text: string[]) => [...text, ''].join('\n');
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const isRoot = process.getuid?.() === 0;
/** A user other than the one running the tests. */
const OTHER_UID = 65534;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'warren-store-'));
  writeFileSync(join(cwd, 'spec.yaml'), 'name: orders\n');
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('a store the current user does not control is refused', () => {
  it.skipIf(!isRoot)('GIVEN .warren-secrets pre-created by another user, holding a planted cookie WHEN synth runs THEN it refuses, names the folder and the fix, and reads and writes nothing', () => {
    mkdirSync(join(cwd, '.warren-secrets/orders'), { recursive: true, mode: 0o700 });
    writeFileSync(join(cwd, '.warren-secrets/orders/erlang-cookie'), 'planted-cookie', { mode: 0o600 });
    chownSync(join(cwd, '.warren-secrets'), OTHER_UID, OTHER_UID);
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toBe(
      lines(
        'warren: the secrets store cannot be trusted:',
        `  ${cwd}/.warren-secrets belongs to another user (uid ${OTHER_UID}), who could have planted a secret in it; remove it, or pass --secrets with a folder of your own`,
        'nothing was written',
      ),
    );
    expect(readdirSync(cwd).sort()).toEqual(['.warren-secrets', 'spec.yaml']);
    expect(readdirSync(join(cwd, '.warren-secrets/orders'))).toEqual(['erlang-cookie']);
  });

  it.skipIf(!isRoot)('GIVEN a cookie file owned by another user inside a folder of ours WHEN synth runs THEN it refuses that file', () => {
    mkdirSync(join(cwd, '.warren-secrets/orders'), { recursive: true, mode: 0o700 });
    writeFileSync(join(cwd, '.warren-secrets/orders/erlang-cookie'), 'planted-cookie', { mode: 0o600 });
    chownSync(join(cwd, '.warren-secrets/orders/erlang-cookie'), OTHER_UID, OTHER_UID);
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toContain(`  ${cwd}/.warren-secrets/orders/erlang-cookie belongs to another user (uid ${OTHER_UID}), who could have planted a secret in it;`);
  });

  it('GIVEN a store folder owned by someone else (as the store sees it: another uid) WHEN secrets are materialised THEN it refuses before generating anything', () => {
    const cluster = resolveCluster({ name: 'orders' });
    const folder = join(cwd, '.warren-secrets', 'orders');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const owner = statSync(folder).uid;
    expect(() => materialiseSecrets(cluster, { folder, baseDir: cwd, env: {}, uid: owner + 1 })).toThrow(
      `the secrets store cannot be trusted:\n  ${cwd}/.warren-secrets belongs to another user (uid ${owner}), who could have planted a secret in it; remove it, or pass --secrets with a folder of your own\n  ${folder} belongs to another user (uid ${owner}), who could have planted a secret in it; remove it, or pass --secrets with a folder of your own`,
    );
    expect(readdirSync(folder)).toEqual([]);
  });

  it('GIVEN a world-writable .warren-secrets (as in a shared /tmp) WHEN synth runs THEN it refuses with the chmod fix', () => {
    mkdirSync(join(cwd, '.warren-secrets'));
    chmodSync(join(cwd, '.warren-secrets'), 0o777);
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toBe(
      lines(
        'warren: the secrets store cannot be trusted:',
        `  ${cwd}/.warren-secrets is writable by other users, who could plant a secret in it (mode 0777); run \`chmod 700 ${cwd}/.warren-secrets\` if you trust what it holds, or remove it`,
        'nothing was written',
      ),
    );
    expect(readdirSync(join(cwd, '.warren-secrets'))).toEqual([]);
    expect(existsSync(join(cwd, 'dist'))).toBe(false);
  });

  it('GIVEN a group-writable cluster folder and a cookie readable by others WHEN synth runs THEN each is refused with its own chmod fix', () => {
    mkdirSync(join(cwd, '.warren-secrets/orders'), { recursive: true, mode: 0o700 });
    chmodSync(join(cwd, '.warren-secrets/orders'), 0o770);
    writeFileSync(join(cwd, '.warren-secrets/orders/erlang-cookie'), 'cookie');
    chmodSync(join(cwd, '.warren-secrets/orders/erlang-cookie'), 0o644);
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toBe(
      lines(
        'warren: the secrets store cannot be trusted:',
        `  ${cwd}/.warren-secrets/orders is writable by other users, who could plant a secret in it (mode 0770); run \`chmod 700 ${cwd}/.warren-secrets/orders\` if you trust what it holds, or remove it`,
        'nothing was written',
      ),
    );
    chmodSync(join(cwd, '.warren-secrets/orders'), 0o700);
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toContain(
      `  ${cwd}/.warren-secrets/orders/erlang-cookie is open to other users (mode 0644); run \`chmod 600 ${cwd}/.warren-secrets/orders/erlang-cookie\` if you trust what it holds, or remove it`,
    );
  });

  it.skipIf(!isRoot)('GIVEN .warren-secrets is a symbolic link another user made WHEN synth runs THEN it refuses the link', () => {
    mkdirSync(join(cwd, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(cwd, 'elsewhere'), join(cwd, '.warren-secrets'));
    // lchown: the link itself belongs to the other user.
    lchownSync(join(cwd, '.warren-secrets'), OTHER_UID, OTHER_UID);
    expect(warren('synth', '--spec', 'spec.yaml')).toBe(1);
    expect(stderr()).toContain(`  ${cwd}/.warren-secrets is a symbolic link owned by another user (uid ${OTHER_UID}); remove it, or pass --secrets with a folder of your own`);
    expect(readdirSync(join(cwd, 'elsewhere'))).toEqual([]);
  });
});

describe('where the store is', () => {
  it('GIVEN a spec in a project folder and --out elsewhere WHEN synth runs THEN the store is .warren-secrets/<cluster> next to the spec, 0700 with 0600 files', () => {
    mkdirSync(join(cwd, 'project'));
    writeFileSync(join(cwd, 'project/orders.yaml'), 'name: orders\n');
    expect(warren('synth', '--spec', 'project/orders.yaml', '--out', 'build/out', '--target', 'compose')).toBe(0);
    expect(out.join('')).toContain('secrets: project/.warren-secrets/orders/ holds generated secrets (mode 0600); they are reused on every synth, keep them out of git');
    expect(mode(join(cwd, 'project/.warren-secrets'))).toBe('700');
    expect(mode(join(cwd, 'project/.warren-secrets/orders'))).toBe('700');
    expect(mode(join(cwd, 'project/.warren-secrets/orders/erlang-cookie'))).toBe('600');
    expect(existsSync(join(cwd, 'build/.warren-secrets'))).toBe(false);
  });

  it('GIVEN a store an earlier version made beside the output WHEN synth runs with the same --out THEN it reuses that store (same cookie) and says where it is', () => {
    mkdirSync(join(cwd, 'project'));
    writeFileSync(join(cwd, 'project/orders.yaml'), 'name: orders\n');
    mkdirSync(join(cwd, 'build/.warren-secrets/orders'), { recursive: true, mode: 0o700 });
    writeFileSync(join(cwd, 'build/.warren-secrets/orders/erlang-cookie'), 'cookie-of-a-running-cluster', { mode: 0o600 });
    expect(warren('synth', '--spec', 'project/orders.yaml', '--out', 'build/out', '--target', 'compose')).toBe(0);
    expect(readFileSync(join(cwd, 'build/out/compose/secrets/erlang-cookie'), 'utf8')).toBe('cookie-of-a-running-cluster');
    expect(out.join('')).toContain('secrets: build/.warren-secrets/orders/ holds generated secrets (mode 0600) (beside the output, where earlier versions kept it; move it next to the spec or pass --secrets)');
    expect(existsSync(join(cwd, 'project/.warren-secrets'))).toBe(false);
  });

  it('GIVEN --secrets DIR WHEN synth runs THEN the store is DIR/<cluster>, its missing parents created 0700', () => {
    expect(warren('synth', '--spec', 'spec.yaml', '--secrets', 'private/store', '--target', 'compose')).toBe(0);
    expect(existsSync(join(cwd, 'private/store/orders/erlang-cookie'))).toBe(true);
    expect(mode(join(cwd, 'private'))).toBe('700');
    expect(existsSync(join(cwd, '.warren-secrets'))).toBe(false);
  });

  it('secretsStoreLocation prefers the store next to the spec when both exist', () => {
    mkdirSync(join(cwd, 'spec-dir/.warren-secrets/orders'), { recursive: true });
    mkdirSync(join(cwd, '.warren-secrets/orders'), { recursive: true });
    expect(secretsStoreLocation({ specDir: join(cwd, 'spec-dir'), outDir: join(cwd, 'dist'), clusterName: 'orders' }, existsSync)).toEqual({ folder: join(cwd, 'spec-dir/.warren-secrets/orders'), legacy: false });
    rmSync(join(cwd, 'spec-dir/.warren-secrets'), { recursive: true });
    expect(secretsStoreLocation({ specDir: join(cwd, 'spec-dir'), outDir: join(cwd, 'dist'), clusterName: 'orders' }, existsSync)).toEqual({ folder: join(cwd, '.warren-secrets/orders'), legacy: true });
  });
});
