/**
 * Rules on scaling that the node lines (cluster-rules.ts) do not tell: a cluster shrunk below a quorum queue
 * target size a policy asks for, and a scale done in the same step as a version upgrade.
 */
import type { PlannedChange } from './change';
import type { PlainObject, PlanSnapshot } from './snapshot';
import { versionChange } from './upgrade-path';

/** Policies that reach quorum queues: what `apply-to` a `target-group-size` acts through. */
const REACHES_QUORUM_QUEUES = new Set(['queues', 'quorum_queues', 'all']);

interface TargetSize {
  readonly where: string;
  readonly size: number;
}

/** Every `target-group-size` of a policy or operator policy that applies to quorum queues. */
function targetSizes(s: PlanSnapshot): TargetSize[] {
  const of = (list: string) =>
    ((s.topology[list] ?? []) as readonly PlainObject[])
      .filter((p) => REACHES_QUORUM_QUEUES.has(String(p.applyTo ?? 'all')))
      .flatMap((p) => {
        const size = (p.definition as PlainObject | undefined)?.['target-group-size'];
        return typeof size === 'number' ? [{ where: `topology.${list}[${JSON.stringify(p.name)} in ${JSON.stringify(p.vhost)}]`, size }] : [];
      });
  return [...of('policies'), ...of('operatorPolicies')];
}

/**
 * Fewer nodes than a policy's target-group-size: the quorum queues it matches stay below their target for good
 * (membership reconciliation has nowhere to grow them), which scaling in must not do silently.
 */
export function targetGroupSizeRule(before: PlanSnapshot, after: PlanSnapshot): PlannedChange[] {
  const [was, is] = [before.nodes.length, after.nodes.length];
  if (is >= was) return [];
  const above = targetSizes(after).filter((t) => t.size > is);
  if (above.length === 0) return [];
  const largest = Math.max(...above.map((t) => t.size));
  return [
    {
      path: 'nodes',
      before: was,
      after: is,
      class: 'rejected',
      reason: `${above.map((t) => `${t.where} sets target-group-size ${t.size}`).join(', ')}: on ${is} nodes the quorum queues it matches stay below that size, with fewer copies than asked for`,
      fix: `lower target-group-size to ${is} or less first (plan and apply that policy, which changes live), or keep at least ${largest} nodes`,
    },
  ];
}

/** Nodes that join or leave while the version changes: each step has its own procedure and must finish first. */
export function scaleWithUpgradeRule(before: PlanSnapshot, after: PlanSnapshot): PlannedChange[] {
  const version = versionChange(before.version, after.version);
  if (!version || version.class === 'rejected') return [];
  const hosts = (s: PlanSnapshot) => s.nodes.map((n) => n.host);
  const joining = hosts(after).filter((h) => !hosts(before).includes(h));
  const leaving = hosts(before).filter((h) => !hosts(after).includes(h));
  if (joining.length === 0 && leaving.length === 0) return [];
  return [
    {
      path: 'nodes',
      before: before.nodes.length,
      after: after.nodes.length,
      class: 'rejected',
      reason:
        `nodes ${[...joining.map((h) => `${h} join`), ...leaving.map((h) => `${h} leave`)].join(', ')} while rabbitmq.version changes ${before.version} -> ${after.version}: ` +
        'a node joining mid-upgrade runs another version than the cluster it joins, and one leaving mid-upgrade takes quorum queue members the rolling restart counts on',
      fix: `do one after the other: first the nodes at rabbitmq.version ${before.version} (plan, synth, scale), then the version`,
    },
  ];
}
