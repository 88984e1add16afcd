/**
 * RabbitMQ's supported upgrade paths between release lines (docs/upgrade.md, "RabbitMQ Version Upgradability",
 * rabbitmq-website 0acf2a4): a rolling upgrade is possible only along these steps, with every stable feature
 * flag enabled before each one. Downgrades are not supported at all, not even between patch releases.
 */
import type { PlannedChange } from './change';
import { parseVersion, type RabbitmqVersion, type VersionLine } from '../rabbitmq/version';

/** The lines each line can be upgraded to in place. A Record over every line, so a new line must be placed here. */
export const UPGRADE_PATHS: Readonly<Record<VersionLine, readonly VersionLine[]>> = {
  '3.10': ['3.11'],
  '3.11': ['3.12'],
  '3.12': ['3.13'],
  '3.13': ['4.0', '4.1', '4.2'],
  '4.0': ['4.1', '4.2'],
  '4.1': ['4.2'],
  '4.2': ['4.3'],
  '4.3': [],
};

/** Patch releases a line must have reached before its upgrade: 3.11.18 for 3.12. */
const MINIMUM_PATCH_TO_UPGRADE: Readonly<Partial<Record<VersionLine, number>>> = { '3.11': 18 };

/** The shortest chain of supported upgrades from one line to another, both ends included; undefined when there is none. */
export function upgradeChain(from: VersionLine, to: VersionLine): VersionLine[] | undefined {
  const previous = new Map<VersionLine, VersionLine>();
  const queue: VersionLine[] = [from];
  while (queue.length > 0) {
    const line = queue.shift()!;
    if (line === to) {
      const chain = [to];
      while (chain[0] !== from) chain.unshift(previous.get(chain[0]!)!);
      return chain;
    }
    for (const next of UPGRADE_PATHS[line]) {
      if (next !== from && !previous.has(next)) {
        previous.set(next, line);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** `4.0, 4.1 or 4.2`. */
function either(lines: readonly string[]): string {
  return lines.length <= 1 ? lines.join('') : `${lines.slice(0, -1).join(', ')} or ${lines.at(-1)}`;
}

function compareVersions(a: RabbitmqVersion, b: RabbitmqVersion): number {
  return a.major - b.major || a.minor - b.minor || (a.patch ?? 0) - (b.patch ?? 0);
}

const BLUE_GREEN = 'build a new cluster of that version and move to it (blue/green: import the definitions, federate or shovel the messages, move consumers then publishers; https://www.rabbitmq.com/docs/blue-green-upgrade)';
const FEATURE_FLAGS_FIRST = 'rabbitmqctl enable_feature_flag all on the running cluster first (an upgrade with stable flags off can fail), then upgrade one node at a time';

/** The change of `rabbitmq.version`, classified; undefined when the version is the same. */
export function versionChange(beforeText: string, afterText: string): PlannedChange | undefined {
  if (beforeText === afterText) return undefined;
  const before = parseVersion(beforeText);
  const after = parseVersion(afterText);
  const change = { path: 'rabbitmq.version', before: beforeText, after: afterText };
  if (!before || !after) {
    return { ...change, class: 'rejected', reason: `warren cannot compare these versions`, fix: 'write MAJOR.MINOR or MAJOR.MINOR.PATCH of a line warren supports' };
  }
  if (before.line === after.line) {
    if (before.patch === undefined || after.patch === undefined) {
      return {
        ...change,
        class: 'rolling restart',
        reason: `the image or package changes to ${after.patch === undefined ? `the newest ${after.line} release` : `release ${after.text}`}, which may differ from the release the nodes run`,
        fix: `make sure it is not older than the running release (RabbitMQ does not support downgrades), then restart one node at a time onto it`,
      };
    }
    if (compareVersions(after, before) < 0) {
      return {
        ...change,
        class: 'rejected',
        reason: 'a downgrade: RabbitMQ does not support downgrades, not even between patch releases (some cannot go back even to the release before)',
        fix: `keep ${before.text}; to run ${after.text}, ${BLUE_GREEN}`,
      };
    }
    return { ...change, class: 'rolling restart', reason: `a patch upgrade within ${after.line}`, fix: 'upgrade one node at a time (drain, stop, upgrade, start, wait until it runs)' };
  }
  if (compareVersions(after, before) < 0) {
    return {
      ...change,
      class: 'rejected',
      reason: `a downgrade from ${before.line} to ${after.line}: RabbitMQ does not support downgrades, and the feature flags ${before.line} enabled cannot be disabled`,
      fix: `keep ${before.text}; to run ${after.line} again, ${BLUE_GREEN}`,
    };
  }
  if (!UPGRADE_PATHS[before.line].includes(after.line)) {
    const chain = upgradeChain(before.line, after.line)!;
    return {
      ...change,
      class: 'rejected',
      reason: `RabbitMQ cannot upgrade ${before.line} to ${after.line} in place; from ${before.line} it upgrades to ${either(UPGRADE_PATHS[before.line])} only`,
      fix: `upgrade one line at a time: ${chain.join(' -> ')} (set rabbitmq.version to ${chain[1]}, plan, synth, roll it out, then the next), or ${BLUE_GREEN}`,
    };
  }
  const minimumPatch = MINIMUM_PATCH_TO_UPGRADE[before.line];
  if (minimumPatch !== undefined && before.patch !== undefined && before.patch < minimumPatch) {
    return {
      ...change,
      class: 'rejected',
      reason: `RabbitMQ upgrades to ${after.line} only from ${before.line}.${minimumPatch} or later`,
      fix: `first upgrade to ${before.line}.${minimumPatch} or a later ${before.line} release (a rolling patch upgrade), then to ${after.line}`,
    };
  }
  return {
    ...change,
    class: 'migration',
    reason: `an upgrade from ${before.line} to ${after.line}: every node in turn runs the new line, whose feature flags, once enabled, cannot be disabled (there is no way back but a new cluster)` +
      (minimumPatch !== undefined && before.patch === undefined ? `; the nodes must run ${before.line}.${minimumPatch} or later` : ''),
    fix: `${FEATURE_FLAGS_FIRST} (rabbitmq-upgrade await_online_quorum_plus_one, drain, stop, upgrade, start), then enable_feature_flag all again and rabbitmq-queues rebalance all`,
  };
}
