/**
 * The cdk8s chart's objects, synthesised in-process, and where secret values land in them. The chart is
 * synthesised twice with two different sets of placeholder secrets: every leaf that differs derives from a
 * secret (Secret data, the restart checksum over definitions.json). The Pulumi program creates the objects
 * from the placeholder synthesis and fills exactly those leaves from the real values, as secret Outputs.
 */
import { parseAllDocuments } from 'yaml';
import { synthKubernetesManifests } from '../charts';
import { secretsOfTarget, type ResolvedCluster, type SecretValues } from '../model';

export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export type LeafPath = readonly (string | number)[];

export interface ChartPlan {
  readonly objects: readonly KubernetesObject[];
  /** Per object (same index), the leaves whose value derives from a secret. */
  readonly secretLeaves: readonly (readonly LeafPath[])[];
}

export function chartObjectsOf(cluster: ResolvedCluster, secrets: SecretValues): KubernetesObject[] {
  return synthKubernetesManifests(cluster, secrets).flatMap((manifest) =>
    parseAllDocuments(manifest.content)
      .map((document) => document.toJS() as KubernetesObject | null)
      .filter((object): object is KubernetesObject => object !== null),
  );
}

function placeholders(cluster: ResolvedCluster, tag: string): SecretValues {
  return Object.fromEntries(secretsOfTarget(cluster, 'kubernetes').map((ref) => [ref.id, `warren-placeholder-${tag}-${ref.id}`]));
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

function differingLeaves(a: Json, b: Json, path: LeafPath, out: LeafPath[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) throw new Error(`${path.join('.')}: a secret value changes the chart's structure; it can only change values`);
    a.forEach((item, i) => differingLeaves(item, b[i] as Json, [...path, i], out));
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = Object.keys(a);
    if (keys.join('\u0000') !== Object.keys(b).join('\u0000')) {
      throw new Error(`${path.join('.')}: a secret value changes the chart's structure; it can only change values`);
    }
    for (const key of keys) differingLeaves((a as Record<string, Json>)[key]!, (b as Record<string, Json>)[key]!, [...path, key], out);
    return;
  }
  if (a !== b) out.push(path);
}

/** A Secret's whole payload is one secret leaf, so no key of it is ever shown. */
function collapseSecretPayload(object: KubernetesObject, leaves: LeafPath[]): LeafPath[] {
  if (object.kind !== 'Secret') return leaves;
  const payload = ['stringData', 'data'].filter((key) => leaves.some((leaf) => leaf[0] === key)).map((key) => [key]);
  return [...payload, ...leaves.filter((leaf) => leaf[0] !== 'stringData' && leaf[0] !== 'data')];
}

export function chartPlanOf(cluster: ResolvedCluster): ChartPlan {
  const a = chartObjectsOf(cluster, placeholders(cluster, 'a'));
  const b = chartObjectsOf(cluster, placeholders(cluster, 'b'));
  if (a.length !== b.length) throw new Error(`(chart): secret values change the number of objects (${a.length} vs ${b.length})`);
  const secretLeaves = a.map((object, i) => {
    const leaves: LeafPath[] = [];
    differingLeaves(object as unknown as Json, b[i] as unknown as Json, [], leaves);
    return collapseSecretPayload(object, leaves);
  });
  return { objects: a, secretLeaves };
}

export function leafAt(value: unknown, path: LeafPath): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], value);
}

/** A copy of `value` with the leaf at `path` replaced (objects and arrays along the path are copied). */
export function withLeaf(value: unknown, path: LeafPath, leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [key, ...rest] = path as [string | number, ...LeafPath];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[key] = withLeaf(copy[key], rest, leaf);
  return copy;
}
