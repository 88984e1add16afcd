/**
 * The `kubernetes` section of the cluster spec: what the cdk8s chart needs beyond the cluster itself.
 * Replicas are not here: they come from `nodes`.
 */
import * as z from 'zod';
import { dnsLabel } from '../core/primitives';

/** A Kubernetes resource quantity: a decimal number with an optional binary (Ki..Ei), decimal (n..E) or exponent suffix. */
export const K8S_QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const QUANTITY_SUFFIX: Readonly<Record<string, number>> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a quantity that matches K8S_QUANTITY, e.g. "2Gi" -> 2147483648, "500m" -> 0.5. */
export function quantityValue(text: string): number {
  const match = K8S_QUANTITY.exec(text);
  if (!match) throw new Error(`"${text}" is not a Kubernetes quantity`);
  const suffix = match[3] ?? '';
  return Number(match[1]) * (/^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_SUFFIX[suffix]!);
}

const quantity = (example: string) =>
  z
    .string(`is not a Kubernetes quantity; write it as a string such as "${example}"`)
    .regex(K8S_QUANTITY, `is not a Kubernetes quantity; write a number with a suffix such as Mi or Gi (binary) or M or G (decimal), e.g. "${example}"`);

export const kubernetesSchema = z
  .strictObject({
    namespace: dnsLabel('messaging').default('default').describe('Namespace of every object; it is part of the node names. @default "default"'),
    storage: z
      .strictObject({
        size: quantity('10Gi').default('10Gi').describe('Persistent volume per node. @default "10Gi"'),
        className: z.string().min(1, 'is empty; name a StorageClass or leave the key out').optional().describe("StorageClass. @default - the cluster's default StorageClass"),
      })
      .prefault({}),
    resources: z
      .strictObject({
        requests: z
          .strictObject({
            cpu: quantity('1').default('1').describe('@default "1"'),
            memory: quantity('2Gi').default('2Gi').describe('@default "2Gi"'),
          })
          .prefault({}),
        limits: z
          .strictObject({
            cpu: quantity('2').optional().describe('@default - none (a CPU limit throttles the Erlang schedulers)'),
            memory: quantity('2Gi').default('2Gi').describe('RabbitMQ takes this minus headroom as its RAM. @default "2Gi"'),
          })
          .prefault({}),
      })
      .prefault({})
      .describe('Container requests and limits, as Kubernetes quantities.'),
    clientNamespaces: z
      .array(dnsLabel('apps'))
      .default([])
      .describe('Other namespaces whose pods may reach the client ports (pods of the own namespace always may). @default []'),
    monitoringNamespace: dnsLabel('monitoring').default('monitoring').describe('Namespace whose pods may scrape the Prometheus port. @default "monitoring"'),
    serviceMonitor: z.boolean().default(false).describe('Emit a prometheus-operator ServiceMonitor. @default false'),
    prometheusRule: z.boolean().default(false).describe('Emit a prometheus-operator PrometheusRule with the alert rules. @default false'),
    existingSecret: dnsLabel('orders-credentials')
      .optional()
      .describe('A Secret you manage, with keys "erlang-cookie" and "definitions.json", used instead of the Secrets warren generates. @default - warren creates them'),
    preStopTimeoutSeconds: z
      .int('is not a whole number of seconds; give an integer such as 600')
      .min(1, 'is below 1; give the seconds each preStop command may wait, e.g. 600')
      .default(600)
      .describe('Timeout (-t) of each rabbitmq-upgrade command in the preStop hook. @default 600'),
    terminationGracePeriodSeconds: z
      .int('is not a whole number of seconds; give an integer')
      .min(1, 'is below 1; give a grace period longer than the preStop hook')
      .optional()
      .describe("@default - every preStop command's timeout added up, plus 60 s to stop"),
    maxUnavailable: z
      .int('is not an integer; give 1')
      .min(0, 'is negative; give 1')
      .default(1)
      .describe('PodDisruptionBudget: how many nodes Kubernetes may evict at once. @default 1'),
  })
  .prefault({})
  .describe('Kubernetes target (cdk8s chart). Replicas come from `nodes`.');

export type KubernetesSpec = z.output<typeof kubernetesSchema>;
