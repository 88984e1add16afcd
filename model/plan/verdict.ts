/** What a classifier says about one difference between two snapshots. */
import type { ChangeClass } from './change';
import type { Difference } from './diff';
import type { PlanSnapshot } from './snapshot';

export interface Verdict {
  readonly class: ChangeClass;
  readonly reason: string;
  readonly fix: string;
}

export interface ClassifyContext {
  readonly before: PlanSnapshot;
  readonly after: PlanSnapshot;
}

/** A classifier returns undefined for a difference another line already tells. */
export type Classifier = (difference: Difference, context: ClassifyContext) => Verdict | undefined;
