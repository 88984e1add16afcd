/**
 * validateSpec: every problem in a spec at once, shape first (zod), then the rules that relate fields,
 * each section's from its own folder.
 */
import * as z from 'zod';
import { clusterSpecSchema, type ParsedSpec } from './spec';
import { closest, formatPath, type Problem } from './core/problems';
import type { Rule } from './core/rule';
import { defaultUserRule, nodesRule, partitionHandlingRule, pluginsRule, portsRule, resourcesRule } from './cluster/rules';
import { composeRule } from './compose/rules';
import { firewallRule } from './firewall/rules';
import { kubernetesRule } from './kubernetes/rules';
import { monitoringRule } from './monitoring/compose-services';
import { loadBalancerHostsRule, loadBalancerSettingsRule } from './load-balancer/rules';
import { metadataStoreRule, versionRule } from './rabbitmq/rules';
import { featuresOf, parseVersion } from './rabbitmq/version';
import { tlsRule } from './tls/rules';
import { reliabilityRule } from './topology/reliability';
import { policiesRule, topologyRule } from './topology/rules';
import { routingRule } from './topology/routing-rules';

export type Validation =
  | { readonly ok: true; readonly spec: ParsedSpec; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export function validateSpec(input: unknown): Validation {
  const parsed = clusterSpecSchema.safeParse(input, { reportInput: true, error: describeIssue });
  if (!parsed.success) {
    const shapeProblems = parsed.error.issues.flatMap((issue) => toProblems(issue, input));
    return { ok: false, problems: [...shapeProblems, ...rulesDespiteShape(input, parsed.error.issues, shapeProblems)] };
  }
  const problems = specRules(parsed.data);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) return { ok: false, problems };
  return { ok: true, spec: parsed.data, warnings: problems };
}

/** Every rule, in the order their problems are listed. */
export const RULES: readonly Rule[] = [
  versionRule,
  metadataStoreRule,
  nodesRule,
  portsRule,
  composeRule,
  monitoringRule,
  partitionHandlingRule,
  pluginsRule,
  defaultUserRule,
  resourcesRule,
  policiesRule,
  topologyRule,
  (spec) => reliabilityRule(spec, parseVersion(spec.rabbitmq.version)),
  routingRule,
  loadBalancerHostsRule,
  loadBalancerSettingsRule,
  kubernetesRule,
  tlsRule,
  firewallRule,
];

function specRules(spec: ParsedSpec): Problem[] {
  const parsed = parseVersion(spec.rabbitmq.version);
  const features = parsed && featuresOf(parsed);
  return RULES.flatMap((rule) => rule(spec, features));
}

type Issue = z.core.$ZodIssue;

/**
 * So that one run shows every problem, the cross-field rules also run when the shape is wrong: on a copy
 * of the input without the offending values (their defaults apply), reporting only what the shape
 * errors did not already cover. Skipped when even that copy does not parse (a required key is missing).
 */
function rulesDespiteShape(input: unknown, issues: readonly Issue[], shapeProblems: readonly Problem[]): Problem[] {
  if (input === null || typeof input !== 'object') return [];
  const copy = structuredClone(input) as Record<PropertyKey, unknown>;
  const removed: string[] = [];
  for (const issue of issues) {
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const path of paths) {
      // A bad list element takes its whole list out, so rules never see shifted indices.
      const firstIndex = path.findIndex((segment) => typeof segment === 'number');
      const cut = firstIndex === -1 ? path : path.slice(0, firstIndex);
      removeAt(copy, cut);
      removed.push(formatPath(cut));
    }
  }
  const repaired = clusterSpecSchema.safeParse(copy);
  if (!repaired.success) return [];
  const covered = [...shapeProblems.map((p) => p.path), ...removed];
  return specRules(repaired.data).filter((p) => !covered.some((path) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`)));
}

function removeAt(root: Record<PropertyKey, unknown>, path: readonly PropertyKey[]): void {
  if (path.length === 0) return;
  const parent = valueAt(root, path.slice(0, -1));
  if (parent === null || typeof parent !== 'object') return;
  delete (parent as Record<PropertyKey, unknown>)[path[path.length - 1]!];
}

function toProblems(issue: Issue, input: unknown): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, known);
      return {
        severity: 'error',
        path: formatPath([...issue.path, key]),
        message: suggestion
          ? `is not a known key; did you mean "${suggestion}"?`
          : `is not a known key; remove it (known keys here: ${known.join(', ')})`,
      };
    });
  }
  const value = valueAt(input, issue.path);
  return [{ severity: 'error', path: formatPath(issue.path), ...(value === undefined ? {} : { value }), message: issue.message }];
}

/** Messages for issues whose schema gives none. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `is missing; it is required (${article(issue.expected)})`
        : `is not ${article(issue.expected)}; give ${article(issue.expected)}`;
    case 'invalid_value':
      return `is not allowed; use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `has too few items; give at least ${issue.minimum}` : `is too small; use at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `has too many items; give at most ${issue.maximum}` : `is too large; use at most ${issue.maximum}`;
    case 'invalid_union':
      return 'is not in any accepted form; see the spec reference for this field';
    default:
      return undefined;
  }
}

function article(expected: string): string {
  const noun = expected === 'int' ? 'integer' : expected === 'record' ? 'object' : expected;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** The keys the spec allows at a path, found by walking the schema. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = clusterSpecSchema;
  for (const segment of path) {
    schema = schema && childSchema(unwrap(schema), segment);
  }
  const object = schema && unwrap(schema);
  return object && object._zod.def.type === 'object' ? Object.keys((object as z.ZodObject)._zod.def.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType };
  return ['optional', 'default', 'prefault', 'nullable'].includes(def.type) && def.innerType ? unwrap(def.innerType) : schema;
}

function childSchema(schema: z.core.$ZodType, segment: PropertyKey): z.core.$ZodType | undefined {
  const def = schema._zod.def as {
    type: string;
    shape?: Record<string, z.core.$ZodType>;
    element?: z.core.$ZodType;
    options?: z.core.$ZodType[];
  };
  if (def.type === 'object' && typeof segment === 'string') return def.shape?.[segment];
  if (def.type === 'array' && typeof segment === 'number') return def.element;
  if (def.type === 'union') {
    for (const option of def.options ?? []) {
      const child = childSchema(unwrap(option), segment);
      if (child) return child;
    }
  }
  return undefined;
}
