/** Shared helpers of the chart tests: synthesise a spec, parse the YAML back, find objects by kind and name. */
import { parseAllDocuments } from 'yaml';
import { synthKubernetesManifests } from '../../charts';
import { resolveCluster, type ClusterSpec, type SecretValues } from '../../model';

/** Obviously fake values; never real secrets. */
export const FAKE_SECRETS: SecretValues = {
  'erlang-cookie': 'FAKE-COOKIE-FOR-TESTS-ONLY-0123456789',
  'default-user-password': 'fake-password-for-tests',
};

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [key: string]: unknown;
}

export function synthYaml(spec: ClusterSpec, secrets: SecretValues = FAKE_SECRETS): string {
  const files = synthKubernetesManifests(resolveCluster(spec), secrets);
  return files.map((f) => f.content).join('---\n');
}

export function synthObjects(spec: ClusterSpec, secrets: SecretValues = FAKE_SECRETS): K8sObject[] {
  return parseAllDocuments(synthYaml(spec, secrets)).map((doc) => doc.toJS() as K8sObject);
}

export function findAll(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} "${name}", found ${found.length} (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found[0]!;
}

/** Typed access to the parts of a StatefulSet the tests read. */
export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  envFrom?: unknown[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: { exec?: { command: string[] }; httpGet?: { path: string; port: string; httpHeaders?: unknown[] } };
  startupProbe?: { exec?: { command: string[] } };
  livenessProbe?: unknown;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface PodSpec {
  containers: Container[];
  initContainers: Container[];
  volumes: { name: string; secret?: { secretName: string }; projected?: { sources: { configMap?: { name: string }; secret?: { name: string } }[] } }[];
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds: number;
  securityContext: Record<string, unknown>;
  serviceAccountName: string;
  affinity?: unknown;
  topologySpreadConstraints?: unknown[];
}

export function podSpecOf(statefulSet: K8sObject): PodSpec {
  return (statefulSet as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export function rabbitmqContainer(statefulSet: K8sObject): Container {
  return podSpecOf(statefulSet).containers.find((c) => c.name === 'rabbitmq')!;
}

export function configData(objects: readonly K8sObject[], cluster = 'orders'): Record<string, string> {
  return (find(objects, 'ConfigMap', `${cluster}-config`) as unknown as { data: Record<string, string> }).data;
}
