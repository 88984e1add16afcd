import { MAX_ECHOED_CHARACTERS, truncateForMessage, WarrenUserError } from './user-error';

export { MAX_ECHOED_CHARACTERS, truncateForMessage, WarrenUserError, type UserErrorExitCode } from './user-error';

/** A problem found in a spec, reported as `path: "value" is ...; fix`. */
export interface Problem {
  readonly severity: 'error' | 'warning';
  /** Dotted path into the spec, e.g. `nodes[1].host`; empty for the spec as a whole. */
  readonly path: string;
  /** The offending value, when there is one. */
  readonly value?: unknown;
  /** What is wrong and what to do, e.g. `is not a port number; give an integer between 1 and 65535`. */
  readonly message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = truncateForMessage(String(segment));
      const plain = /^[A-Za-z_$][\w$]*$/.test(key);
      if (!plain) return `[${JSON.stringify(key)}]`;
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/** The value quoted, cut to its first characters when long (a spec may hold kilobytes in one field). */
function formatValue(value: unknown): string {
  // Numbers as written: JSON would show Infinity (a YAML 1e400) as null.
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(truncateForMessage(text));
}

/**
 * Rules quote other spec values in their messages (`did you mean "..."?`): long ones are cut as well. Every
 * quoted string is matched, left to right, so that a closing quote never opens the next match.
 */
const QUOTED_IN_MESSAGE = /"((?:[^"\\]|\\.)*)"/g;

export function formatProblem(problem: Problem): string {
  const where = problem.path === '' ? '(spec)' : problem.path;
  const value = problem.value === undefined ? '' : ` ${formatValue(problem.value)}`;
  const prefix = problem.severity === 'warning' ? 'warning: ' : '';
  const message = problem.message.replace(QUOTED_IN_MESSAGE, (whole: string, quoted: string) => (quoted.length > MAX_ECHOED_CHARACTERS ? `"${truncateForMessage(quoted)}"` : whole));
  return `${prefix}${where}:${value} ${message}`;
}

/** Thrown when a spec (or a secret it names) has errors; carries every problem, warnings included. */
export class SpecError extends WarrenUserError {
  constructor(readonly problems: readonly Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(`the spec has ${errors.length} ${errors.length === 1 ? 'error' : 'errors'}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, 1);
    this.name = 'SpecError';
  }
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidate within a third of the word's length, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // A word much longer than every candidate is no typo of one, and the distance would cost its length squared.
  if (candidates.every((candidate) => word.length > 2 * candidate.length + 2)) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
