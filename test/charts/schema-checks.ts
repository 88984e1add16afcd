/**
 * Validation of every generated object: Kubernetes built-in kinds against the OpenAPI schema of
 * kubernetes-models 4.5 (Kubernetes 1.31+); cert-manager's Certificate against its CRD's own schema
 * (cert-manager-schema.ts); prometheus-operator CRDs, for which no model package is installed, against a tight
 * structural check of the fields warren emits (unknown keys are errors).
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { certificateSchemaProblems } from './cert-manager-schema';
import type { K8sObject } from './manifests';

type Model = { validate(): void };
const MODELS: Record<string, new (data: never) => Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/** prometheus-operator's Duration pattern. */
const DURATION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Problems of one object; empty when it is valid. */
export function schemaProblems(object: K8sObject): string[] {
  const id = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[id];
  if (Model) {
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return [`${id} ${object.metadata.name}: ${(error as Error).message}`];
    }
  }
  if (id === 'monitoring.coreos.com/v1/ServiceMonitor') return serviceMonitorProblems(object);
  if (id === 'monitoring.coreos.com/v1/PrometheusRule') return prometheusRuleProblems(object);
  if (id === 'cert-manager.io/v1/Certificate') return certificateSchemaProblems(object).map((p) => `${id} ${object.metadata.name}: ${p}`);
  return [`${id}: no schema known; add one to the test`];
}

function onlyKeys(where: string, value: unknown, allowed: readonly string[], problems: string[]): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${where}: not an object`);
    return {};
  }
  for (const key of Object.keys(value)) if (!allowed.includes(key)) problems.push(`${where}.${key}: unknown field`);
  return value as Record<string, unknown>;
}

function stringMap(where: string, value: unknown, problems: string[]): void {
  const map = onlyKeys(where, value, Object.keys((value as object) ?? {}), problems);
  for (const [key, v] of Object.entries(map)) if (typeof v !== 'string') problems.push(`${where}.${key}: not a string`);
}

function metadataProblems(object: K8sObject, problems: string[]): void {
  const metadata = onlyKeys('metadata', object.metadata, ['name', 'namespace', 'labels', 'annotations'], problems);
  if (typeof metadata.name !== 'string' || !DNS_SUBDOMAIN.test(metadata.name)) problems.push(`metadata.name: "${String(metadata.name)}" is not a DNS subdomain`);
  if (metadata.labels) stringMap('metadata.labels', metadata.labels, problems);
}

function serviceMonitorProblems(object: K8sObject): string[] {
  const problems: string[] = [];
  onlyKeys('ServiceMonitor', object, ['apiVersion', 'kind', 'metadata', 'spec'], problems);
  metadataProblems(object, problems);
  const spec = onlyKeys('spec', object.spec, ['selector', 'namespaceSelector', 'endpoints'], problems);
  const selector = onlyKeys('spec.selector', spec.selector, ['matchLabels'], problems);
  stringMap('spec.selector.matchLabels', selector.matchLabels, problems);
  const namespaceSelector = onlyKeys('spec.namespaceSelector', spec.namespaceSelector, ['matchNames', 'any'], problems);
  if (!Array.isArray(namespaceSelector.matchNames) || !namespaceSelector.matchNames.every((n) => typeof n === 'string')) problems.push('spec.namespaceSelector.matchNames: not a list of names');
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) problems.push('spec.endpoints: not a non-empty list');
  (Array.isArray(spec.endpoints) ? spec.endpoints : []).forEach((e, i) => {
    const endpoint = onlyKeys(`spec.endpoints[${i}]`, e, ['port', 'path', 'params', 'interval', 'scrapeTimeout'], problems);
    if (endpoint.params !== undefined) {
      const params = endpoint.params as Record<string, unknown>;
      if (typeof params !== 'object' || !Object.values(params).every((v) => Array.isArray(v) && v.every((s) => typeof s === 'string'))) {
        problems.push(`spec.endpoints[${i}].params: not a map of string lists`);
      }
    }
    if (typeof endpoint.port !== 'string') problems.push(`spec.endpoints[${i}].port: not a port name`);
    if (typeof endpoint.path !== 'string' || !endpoint.path.startsWith('/')) problems.push(`spec.endpoints[${i}].path: not an absolute path`);
    for (const key of ['interval', 'scrapeTimeout']) {
      if (typeof endpoint[key] !== 'string' || !DURATION.test(endpoint[key] as string)) problems.push(`spec.endpoints[${i}].${key}: not a Duration`);
    }
  });
  return problems;
}

function balanced(expr: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let quoted = false;
  for (const ch of expr) {
    if (ch === '"') quoted = !quoted;
    if (quoted) continue;
    if ('([{'.includes(ch)) stack.push(ch);
    if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0 && !quoted;
}

function prometheusRuleProblems(object: K8sObject): string[] {
  const problems: string[] = [];
  onlyKeys('PrometheusRule', object, ['apiVersion', 'kind', 'metadata', 'spec'], problems);
  metadataProblems(object, problems);
  const spec = onlyKeys('spec', object.spec, ['groups'], problems);
  if (!Array.isArray(spec.groups) || spec.groups.length === 0) return [...problems, 'spec.groups: not a non-empty list'];
  const groupNames = new Set<string>();
  spec.groups.forEach((g, i) => {
    const group = onlyKeys(`spec.groups[${i}]`, g, ['name', 'interval', 'rules'], problems);
    if (typeof group.name !== 'string' || group.name === '') problems.push(`spec.groups[${i}].name: empty`);
    if (groupNames.has(group.name as string)) problems.push(`spec.groups[${i}].name: repeated`);
    groupNames.add(group.name as string);
    if (!Array.isArray(group.rules) || group.rules.length === 0) problems.push(`spec.groups[${i}].rules: not a non-empty list`);
    (Array.isArray(group.rules) ? group.rules : []).forEach((r, j) => {
      const where = `spec.groups[${i}].rules[${j}]`;
      const rule = onlyKeys(where, r, ['alert', 'expr', 'for', 'labels', 'annotations'], problems);
      if (typeof rule.alert !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(rule.alert)) problems.push(`${where}.alert: not a metric-style name`);
      if (typeof rule.expr !== 'string' || rule.expr.trim() === '' || !balanced(rule.expr)) problems.push(`${where}.expr: empty or unbalanced`);
      if (rule.for !== undefined && (typeof rule.for !== 'string' || !DURATION.test(rule.for))) problems.push(`${where}.for: not a Duration`);
      stringMap(`${where}.labels`, rule.labels, problems);
      stringMap(`${where}.annotations`, rule.annotations, problems);
    });
  });
  return problems;
}
