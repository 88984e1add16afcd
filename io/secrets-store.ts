/**
 * The secrets store: generated secrets are created once, kept in a private folder (mode 0700, files 0600)
 * and reused on every later synth, because a regenerated Erlang cookie breaks a running cluster. A store
 * folder another user owns or can write to is refused: whoever planted a cookie there would own the cluster.
 * `file:` and `env:` sources are read at synth (and validate) time. Values are never printed.
 *
 * Nothing is generated until every check has passed; what a run creates can be removed again
 * (`GeneratedSecrets.remove`) when a later step fails, so "nothing was written" stays true.
 */
import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isGeneratedTlsMaterial, secretSourceText, secretValueRules, SpecError, WarrenUserError, type Problem, type ResolvedCluster, type SecretRef, type SecretValues } from '../model/internal';
import { describeFsError } from './fs-errors';
import { writeStoreFile } from './store-file';
import { ensureGeneratedTls } from './tls-generate';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A secret (a certificate chain included) is kilobytes; a larger file is the wrong file. */
const MAX_SECRET_BYTES = 1024 * 1024;

export interface SecretsStoreOptions {
  /** Folder holding generated secrets for this cluster, e.g. `.warren-secrets/orders`. */
  readonly folder: string;
  /** Base for relative `file:` paths: the spec file's folder. */
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** The user who must own the store. @default - the user running warren */
  readonly uid?: number;
}


/**
 * Reads every `file:` and `env:` source and judges the values with the spec's rules (VRRP PASS length...).
 * Never creates anything; problems name the spec path and quote the source, never a value.
 */
export function readSecretSources(
  cluster: ResolvedCluster,
  options: { readonly baseDir: string; readonly env: NodeJS.ProcessEnv },
  refs: readonly SecretRef[] = cluster.secrets,
): { values: Record<string, string>; problems: Problem[] } {
  const values: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const ref of refs) {
    if (ref.source.kind === 'generate') continue;
    const result = readSource(ref, options);
    if (typeof result === 'string') values[ref.id] = result;
    else problems.push(result);
  }
  return { values, problems: [...problems, ...secretValueRules(cluster, values)] };
}

function problem(ref: SecretRef, message: string): Problem {
  return { severity: 'error', path: ref.path, value: secretSourceText(ref.source), message };
}

const orGenerate = (ref: SecretRef) => (ref.generatable ? ', or use "generate"' : '');

function readSource(ref: SecretRef, options: { readonly baseDir: string; readonly env: NodeJS.ProcessEnv }): string | Problem {
  const { source } = ref;
  switch (source.kind) {
    case 'env': {
      const value = options.env[source.variable];
      if (value === undefined) return problem(ref, `names environment variable ${source.variable}, which is not set (${ref.description}); export it before running warren${orGenerate(ref)}`);
      if (value === '') return problem(ref, `names environment variable ${source.variable}, which is empty (${ref.description}); put the secret in it${orGenerate(ref)}`);
      return value;
    }
    case 'file': {
      const path = resolve(options.baseDir, source.path);
      let stat: Stats;
      try {
        stat = statSync(path);
      } catch (error) {
        const what = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : describeFsError(error).replace(/;.*$/, '');
        return problem(ref, `names ${path}, which ${what} (${ref.description}); create it, or correct the path (relative to the spec's folder)${orGenerate(ref)}`);
      }
      if (stat.isDirectory()) return problem(ref, `names ${path}, which is a folder (${ref.description}); name the file inside it that holds the secret`);
      if (stat.size > MAX_SECRET_BYTES) return problem(ref, `names ${path}, which is ${stat.size} bytes, too large for a secret (${ref.description}); name the file that holds the secret`);
      let value: string;
      try {
        value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        return problem(ref, `names ${path}, which ${describeFsError(error)} (${ref.description})`);
      }
      if (value.length === 0) return problem(ref, `names ${path}, which is empty (${ref.description}); put the secret in it${orGenerate(ref)}`);
      return value;
    }
    case 'generate':
      throw new Error(`${ref.id}: a generated secret has no source to read`);
    default: {
      const unknown: never = source;
      throw new Error(`unknown secret source ${JSON.stringify(unknown)}`);
    }
  }
}

/** Why a store folder or file cannot be trusted, or undefined when it can. */
function distrust(path: string, uid: number, kind: 'folder' | 'file'): string | undefined {
  const link = lstatSync(path);
  if (link.isSymbolicLink() && link.uid !== uid) return `${path} is a symbolic link owned by another user (uid ${link.uid}); remove it, or pass --secrets with a folder of your own`;
  const stat = statSync(path);
  const isRightKind = kind === 'folder' ? stat.isDirectory() : stat.isFile();
  if (!isRightKind) return `${path} is not a ${kind}; move it away, or pass --secrets with another folder`;
  if (stat.uid !== uid) {
    return `${path} belongs to another user (uid ${stat.uid}), who could have planted a secret in it; remove it, or pass --secrets with a folder of your own`;
  }
  // Folders may be listed by others (their files are 0600); files must be private.
  const openBits = kind === 'folder' ? 0o022 : 0o077;
  if ((stat.mode & openBits) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    const who = kind === 'folder' ? 'writable by other users, who could plant a secret in it' : 'open to other users';
    return `${path} is ${who} (mode ${mode}); run \`chmod ${kind === 'folder' ? '700' : '600'} ${path}\` if you trust what it holds, or remove it`;
  }
  return undefined;
}

/** The store folders warren creates (`.warren-secrets` and `.warren-secrets/<cluster>`) that already exist, checked. */
function checkStore(folder: string, uid: number): void {
  const problems: string[] = [];
  for (const path of [dirname(folder), folder]) {
    if (!existsSync(path)) continue;
    const reason = distrust(path, uid, 'folder');
    if (reason) problems.push(reason);
  }
  if (problems.length === 0 && existsSync(folder)) {
    for (const path of storedFiles(folder)) {
      const reason = distrust(path, uid, 'file');
      if (reason) problems.push(reason);
    }
  }
  if (problems.length > 0) throw new WarrenUserError(`the secrets store cannot be trusted:\n${problems.map((p) => `  ${p}`).join('\n')}`, 1);
}

function storedFiles(folder: string): string[] {
  try {
    return readdirSync(folder).map((name) => join(folder, name));
  } catch (error) {
    throw new WarrenUserError(`the secrets store ${folder} ${describeFsError(error)}`, 1);
  }
}

/** What a run generated, so that a later failure can take it back. */
export interface GeneratedSecrets {
  /** Every secret value: read sources, stored and newly generated ones. */
  readonly values: SecretValues;
  /** Paths this run created (files and folders), in creation order. */
  readonly created: readonly string[];
  /** The generated TLS certificates issued on this run and why (`tls: generate`). @default - none */
  readonly tlsIssued?: readonly string[];
  /** Removes what this run created, newest first. */
  remove(): void;
}

/**
 * Checks the store, reads the generated secrets it holds and creates the missing ones. Call it only after
 * every other check passed; `values` are the ones readSecretSources read.
 */
export function generateSecrets(cluster: ResolvedCluster, folder: string, values: Readonly<Record<string, string>>, uid: number = currentUid()): GeneratedSecrets {
  const generated = cluster.secrets.filter((ref) => ref.source.kind === 'generate');
  const created: string[] = [];
  const remove = () => {
    for (const path of [...created].reverse()) {
      try {
        if (statSync(path).isDirectory()) rmdirSync(path);
        else rmSync(path, { force: true });
      } catch {
        // Already gone, or a folder something else now uses: leave it.
      }
    }
  };
  if (generated.length === 0) return { values: { ...values }, created, remove };
  checkStore(folder, uid);
  const all: Record<string, string> = { ...values };
  let tlsIssued: readonly string[] | undefined;
  try {
    ensureFolder(dirname(folder), uid, created);
    ensureFolder(folder, uid, created);
    const ignore = join(dirname(folder), '.gitignore');
    if (!existsSync(ignore)) writeStoreFile(ignore, '# secrets generated by warren: never commit them\n*\n', created);
    if (generated.some(isGeneratedTlsMaterial)) {
      const tls = ensureGeneratedTls(cluster, folder, created);
      Object.assign(all, tls.values);
      tlsIssued = tls.issued;
    }
    for (const ref of generated.filter((r) => !isGeneratedTlsMaterial(r))) {
      const path = join(folder, ref.id);
      if (existsSync(path)) {
        all[ref.id] = readFileSync(path, 'utf8');
        continue;
      }
      const length = ref.source.kind === 'generate' ? ref.source.length : 0;
      writeStoreFile(path, generate(length), created);
      all[ref.id] = readFileSync(path, 'utf8');
    }
  } catch (error) {
    remove();
    if (error instanceof WarrenUserError || !(error as NodeJS.ErrnoException).code) throw error;
    const path = (error as NodeJS.ErrnoException).path ?? folder;
    throw new WarrenUserError(`the secrets store: ${path} ${describeFsError(error, 'written')}`, 1);
  }
  return { values: all, created, remove, ...(tlsIssued !== undefined && { tlsIssued }) };
}

/** Creates a store folder (0700) or, when it exists, checks it again: it may have appeared since checkStore. */
function ensureFolder(path: string, uid: number, created: string[]): void {
  const firstParent = mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (firstParent !== undefined) {
    for (let parent = dirname(path), chain: string[] = []; ; parent = dirname(parent)) {
      chain.unshift(parent);
      if (parent === firstParent || parent === dirname(parent)) {
        created.push(...chain);
        break;
      }
    }
  }
  try {
    mkdirSync(path, { mode: 0o700 });
    chmodSync(path, 0o700);
    created.push(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const reason = distrust(path, uid, 'folder');
    if (reason) throw new WarrenUserError(`the secrets store cannot be trusted:\n  ${reason}`, 1);
  }
}

function currentUid(): number {
  return process.getuid?.() ?? 0;
}

function generate(length: number): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/** Reads every secret the cluster needs, generating (and storing) the missing generated ones. */
export function materialiseSecrets(cluster: ResolvedCluster, options: SecretsStoreOptions): SecretValues {
  const { values, problems } = readSecretSources(cluster, options);
  if (problems.length > 0) throw new SpecError(problems);
  return generateSecrets(cluster, options.folder, values, options.uid).values;
}

/**
 * The values of `refs` for an entry point that never generates (`cdk8s synth` in charts/): `file:` and `env:`
 * sources read as `warren synth` reads them, generated ones from the store it keeps. A second source of
 * cookies could split a running cluster, so a generated value the store lacks is an error, not a new value.
 */
export function readSecretsWithoutGenerating(cluster: ResolvedCluster, refs: readonly SecretRef[], options: SecretsStoreOptions): SecretValues {
  const { values, problems } = readSecretSources(cluster, options, refs);
  if (problems.length > 0) throw new SpecError(problems);
  const generated = refs.filter((ref) => ref.source.kind === 'generate');
  if (generated.length === 0) return values;
  checkStore(options.folder, options.uid ?? currentUid());
  const missing = generated.filter((ref) => !existsSync(join(options.folder, ref.id)));
  if (missing.length > 0) {
    throw new WarrenUserError(
      `the secrets store ${options.folder} lacks ${missing.map((ref) => ref.id).join(', ')}; run \`warren synth\` once to create them, ` +
        'point WARREN_SECRETS_DIR at the store it uses, or name a Secret you manage in kubernetes.existingSecret',
      1,
    );
  }
  return { ...values, ...Object.fromEntries(generated.map((ref) => [ref.id, readFileSync(join(options.folder, ref.id), 'utf8')])) };
}
