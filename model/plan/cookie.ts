/**
 * Whether the next synth would hand the nodes another Erlang cookie than the last one did: nodes with different
 * cookies cannot talk, so a changed cookie splits a running cluster. The state file keeps nothing derived from
 * the value (not even a hash, which a short cookie from a file would not survive): only the source and, for a
 * cookie read from a file (the secrets store's or the spec's), that file's path, size and modification time.
 * Where plan can read both the old and the new value, it compares them in memory and keeps nothing.
 */
import type { PlannedChange } from './change';

/** Size and modification time of a file: facts about the file, not about what it holds. */
export interface FileIdentity {
  readonly size: number;
  readonly modifiedMs: number;
}

/** What synth recorded about the cookie it used. */
export interface CookieRecord {
  /** The spec's source: `generate`, `file:<path>` or `env:<VARIABLE>`. */
  readonly source: string;
  /** Absolute path of the file the value came from. @default - none (env:) */
  readonly file?: string;
  /** @default - none (env:) */
  readonly identity?: FileIdentity;
}

/** What plan finds now, for the spec it is given. */
export interface CookieNow {
  readonly source: string;
  /** Where the next synth would read it. @default - none (env:) */
  readonly file?: string;
  /** @default - the file does not exist, or the source is env: */
  readonly identity?: FileIdentity;
  /**
   * Whether the value the next synth would use equals the one last synthesised, when plan could read both.
   * @default - plan could not read both
   */
  readonly sameValue?: boolean;
  /** Why the comparison could not be made. @default - it could */
  readonly unreadable?: string;
}

export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.size === b.size && a.modifiedMs === b.modifiedMs;
}

const FROM_A_NODE = "a node's /var/lib/rabbitmq/.erlang.cookie holds it";
const SPLIT = 'nodes given another cookie cannot talk to the running ones, and the cluster splits';

/** The change of the cookie, classified; undefined when plan sees none. */
export function cookieChange(before: CookieRecord, now: CookieNow): PlannedChange | undefined {
  const change = { path: 'erlangCookie', before: before.source, after: now.source };
  if (before.source === now.source && before.file === now.file) {
    // env: the value is read at synth time and plan keeps nothing of it: there is nothing to compare.
    if (now.file === undefined) return undefined;
    if (now.identity === undefined) {
      return {
        ...change,
        class: 'rejected',
        reason:
          now.source === 'generate'
            ? `the secrets store has no cookie any more (${now.file}): the next synth would generate a new one; ${SPLIT}`
            : `${now.file} does not exist any more, so the next synth fails or, restored with another cookie, splits the cluster`,
        fix: `put the running cookie back into ${now.file} (mode 0600; ${FROM_A_NODE})${now.source === 'generate' ? ', or pass --secrets with the store that holds it' : ''}`,
      };
    }
    if (sameIdentity(before.identity, now.identity)) return undefined;
    return {
      ...change,
      class: 'rejected',
      reason: `${now.file} changed since the last synth (its size or modification time), so it may hold another cookie; ${SPLIT}`,
      fix: "if it holds the cookie the cluster runs (compare it with a node's /var/lib/rabbitmq/.erlang.cookie), run warren synth to record it; otherwise put that cookie back",
    };
  }
  const where = now.file === undefined ? now.source : `${now.source} (${now.file})`;
  if (now.sameValue === true) {
    return { ...change, class: 'no-op', reason: `${where} holds the very cookie last synthesised (compared in memory, never kept)`, fix: 'nothing to do' };
  }
  if (now.sameValue === false) {
    return {
      ...change,
      class: 'rejected',
      reason: `${where} holds another cookie than the one last synthesised; ${SPLIT}`,
      fix: `keep erlangCookie as ${before.source}, or put the running cookie into the new source (${FROM_A_NODE})`,
    };
  }
  return {
    ...change,
    class: 'rejected',
    reason: `warren cannot confirm that ${where} holds the cookie last synthesised (${now.unreadable ?? 'one of the two values cannot be read'})`,
    fix:
      `put the running cookie into it (${FROM_A_NODE}), then run warren synth to record it` +
      (now.source === 'generate' && before.source === 'generate' && before.file !== undefined ? `, or pass --secrets with the store synth used (the folder above ${before.file})` : ''),
  };
}
