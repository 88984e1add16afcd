/**
 * Which running releases warren-upgrade.sh may upgrade to the spec's version, decided at synth time by the model's
 * version matrix (model/plan/upgrade-path.ts, the one `warren plan` uses), so the script holds a verdict per line
 * and never a rule of its own.
 */
import { SUPPORTED_LINES, versionChange, type ResolvedCluster, type VersionLine } from '../../model/internal';

export type UpgradeVerdict =
  /** The nodes run the target line: a restart onto the target release (refused when the running patch is newer). */
  | { readonly kind: 'same-line'; readonly downgrade: { readonly reason: string; readonly fix: string } | undefined }
  /** A supported step; nodes must run at least `minimumPatch` of their line. */
  | { readonly kind: 'upgrade'; readonly minimumPatch: number; readonly belowMinimum: { readonly reason: string; readonly fix: string } | undefined }
  | { readonly kind: 'refused'; readonly reason: string; readonly fix: string };

/** Patches tried when looking for the lowest release of a line the matrix lets upgrade. */
const PATCHES_TRIED = 100;

export function upgradeVerdicts(cluster: ResolvedCluster): ReadonlyMap<VersionLine, UpgradeVerdict> {
  const target = cluster.version;
  const verdicts = new Map<VersionLine, UpgradeVerdict>();
  for (const line of SUPPORTED_LINES) {
    if (line === target.line) {
      const newer = target.patch === undefined ? undefined : versionChange(`${line}.${target.patch + 1}`, target.text);
      verdicts.set(line, { kind: 'same-line', downgrade: newer?.class === 'rejected' ? { reason: newer.reason, fix: newer.fix } : undefined });
      continue;
    }
    const change = versionChange(line, target.text);
    if (!change || change.class === 'rejected') {
      verdicts.set(line, { kind: 'refused', reason: change?.reason ?? 'no change', fix: change?.fix ?? '' });
      continue;
    }
    let minimumPatch = 0;
    while (minimumPatch < PATCHES_TRIED && versionChange(`${line}.${minimumPatch}`, target.text)?.class === 'rejected') minimumPatch++;
    const below = minimumPatch > 0 ? versionChange(`${line}.0`, target.text) : undefined;
    verdicts.set(line, { kind: 'upgrade', minimumPatch, belowMinimum: below ? { reason: below.reason, fix: below.fix } : undefined });
  }
  return verdicts;
}
