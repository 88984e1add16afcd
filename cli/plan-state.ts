/**
 * The disk side of `warren plan`: the state file synth keeps in `<out>/.warren/state.json`, and what plan learns
 * of the Erlang cookie. Cookie values are read only to compare two of them in memory; nothing derived from a
 * value is written or printed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  nextPlanState,
  parsePlanState,
  PLAN_STATE_PATH,
  planSnapshotOf,
  renderPlanState,
  sameIdentity,
  secretSourceText,
  WarrenUserError,
  type CookieNow,
  type CookieRecord,
  type FileIdentity,
  type GeneratedFile,
  type PlanState,
  type ResolvedCluster,
} from '../model/internal';
import { describeFsError } from '../io/fs-errors';
import packageJson from '../package.json';

export const WARREN_VERSION: string = packageJson.version;

function fileIdentity(path: string): FileIdentity | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? { size: stat.size, modifiedMs: stat.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/** Where synth reads the cookie: the store's file for "generate", the spec's file for file:, none for env:. */
function cookieFile(cluster: ResolvedCluster, storeFolder: string, baseDir: string): string | undefined {
  const { source } = cluster.erlangCookie;
  if (source.kind === 'generate') return join(storeFolder, cluster.erlangCookie.id);
  return source.kind === 'file' ? resolve(baseDir, source.path) : undefined;
}

/** After a synth: the cookie's source and, for a file, its path, size and modification time. */
export function cookieRecordOf(cluster: ResolvedCluster, storeFolder: string, baseDir: string): CookieRecord {
  const file = cookieFile(cluster, storeFolder, baseDir);
  const identity = file === undefined ? undefined : fileIdentity(file);
  return { source: secretSourceText(cluster.erlangCookie.source), ...(file !== undefined && { file }), ...(identity && { identity }) };
}

/** A cookie's value as synth would use it (a file: source loses one trailing line break), or why it cannot be read. */
function cookieValue(source: string, file: string | undefined, env: NodeJS.ProcessEnv): string | { readonly unreadable: string } {
  if (file === undefined) {
    const variable = source.slice('env:'.length);
    return env[variable] ?? { unreadable: `environment variable ${variable} is not set` };
  }
  try {
    const value = readFileSync(file, 'utf8');
    return source === 'generate' ? value : value.replace(/\r?\n$/, '');
  } catch (error) {
    return { unreadable: `${file} ${describeFsError(error).replace(/;.*$/, '')}` };
  }
}

/** What plan finds of the cookie the spec names now, compared in memory with the one synth recorded where both can be read. */
export function observeCookie(cluster: ResolvedCluster, before: CookieRecord, options: { readonly storeFolder: string; readonly baseDir: string; readonly env: NodeJS.ProcessEnv }): CookieNow {
  const source = secretSourceText(cluster.erlangCookie.source);
  const file = cookieFile(cluster, options.storeFolder, options.baseDir);
  const identity = file === undefined ? undefined : fileIdentity(file);
  const now = { source, ...(file !== undefined && { file }), ...(identity && { identity }) };
  if (before.source === source && before.file === file) return now;
  // The old value is known only while its file is as synth left it; a file moved with its metadata counts as the same.
  const oldIntact = before.file !== undefined && sameIdentity(fileIdentity(before.file), before.identity);
  if (!oldIntact) {
    if (before.file !== undefined && sameIdentity(identity, before.identity)) return { ...now, sameValue: true };
    const why = before.file === undefined ? `${before.source} was read at the last synth and nothing of it is kept` : `${before.file} is gone or changed since the last synth`;
    return { ...now, unreadable: why };
  }
  const [was, is] = [cookieValue(before.source, before.file, options.env), cookieValue(source, file, options.env)];
  if (typeof was !== 'string') return { ...now, unreadable: was.unreadable };
  if (typeof is !== 'string') return { ...now, unreadable: is.unreadable };
  return { ...now, sameValue: was === is };
}

/** The state file in `outDir`, or undefined when there is none. */
export function readPlanState(outDir: string): PlanState | undefined {
  const path = join(outDir, PLAN_STATE_PATH);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new WarrenUserError(`${path} ${describeFsError(error)}`, 1);
  }
  return parsePlanState(text, path);
}

/** The state file in `outDir` as synth reads it, once: undefined when there is none or it is unreadable (synth starts it afresh). */
export function previousPlanState(outDir: string): PlanState | undefined {
  try {
    return readPlanState(outDir);
  } catch {
    return undefined;
  }
}

/** The state file a synth of `targets` writes with its output, after `previous` (see previousPlanState). */
export function planStateFile(previous: PlanState | undefined, targets: readonly string[], targetOrder: readonly string[], cluster: ResolvedCluster, erlangCookie: CookieRecord): GeneratedFile {
  const state = nextPlanState(previous, { targets, warren: WARREN_VERSION, cluster: planSnapshotOf(cluster), erlangCookie }, targetOrder);
  return { path: PLAN_STATE_PATH, content: renderPlanState(state), kind: 'plain' };
}

/**
 * Refuses to generate a new Erlang cookie where the output (whose state file is `previous`) was synthesised with a
 * generated one that the store has since lost: the new cookie would split the running cluster from every node that has the old one.
 */
export function refuseLostCookie(outDir: string, previous: PlanState | undefined, cluster: ResolvedCluster, storeFolder: string): void {
  if (cluster.erlangCookie.source.kind !== 'generate') return;
  const file = join(storeFolder, cluster.erlangCookie.id);
  if (existsSync(file)) return;
  if (!previous?.synthesised.some((record) => record.erlangCookie.source === 'generate' && record.erlangCookie.file === file)) return;
  throw new WarrenUserError(
    `the secrets store lost the Erlang cookie ${file}, which the cluster in ${outDir} was synthesised with; a new cookie would cut ` +
      `the running nodes off from each other: copy a node's /var/lib/rabbitmq/.erlang.cookie to ${file} (mode 0600), or, for a new cluster, ` +
      `remove ${join(outDir, PLAN_STATE_PATH)}`,
    1,
  );
}
