/** What every spec rule is and the helpers they share: a rule returns every problem it finds. */
import type { ParsedSpec } from '../spec';
import type { VersionFeatures } from '../rabbitmq/version';
import type { Problem } from './problems';

/** A rule relating several fields of a parsed spec; `features` is undefined when the version is not supported. */
export type Rule = (spec: ParsedSpec, features: VersionFeatures | undefined) => Problem[];

export const error = (path: string, value: unknown, message: string): Problem => ({ severity: 'error', path, value, message });
export const warning = (path: string, value: unknown, message: string): Problem => ({ severity: 'warning', path, value, message });

/** Indices of each element that repeats an earlier one. */
export function repeats<T>(items: readonly T[], key: (item: T) => string | undefined): number[] {
  const seen = new Set<string>();
  const found: number[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) found.push(i);
    seen.add(k);
  });
  return found;
}
