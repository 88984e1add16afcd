/**
 * `pulumi up` here deploys the cdk8s chart's objects to the Kubernetes cluster of the current kubeconfig
 * context (or `pulumi config set kubernetes:context ...`), into the namespace `namespace` names.
 * See README.md, section "Pulumi".
 */
import * as pulumi from '@pulumi/pulumi';
import { secretsOfTarget } from '../../model';
import { KubernetesRabbitmqCluster } from '../kubernetes-cluster';
import { resolveForProgram, secretsFromConfig, specFromConfig } from '../program-config';

const config = new pulumi.Config();
const spec = specFromConfig(config);
// The namespace goes through the spec, so the model derives node names and DNS names from it once.
const namespace = config.get('namespace') ?? spec.kubernetes?.namespace ?? 'rabbitmq';
const cluster = resolveForProgram({ ...spec, kubernetes: { ...spec.kubernetes, namespace } });
const rabbitmq = new KubernetesRabbitmqCluster(cluster.name, { cluster, secrets: secretsFromConfig(config, secretsOfTarget(cluster, 'kubernetes')) });

export const kubernetesNamespace = rabbitmq.namespace;
export const nodeNames = rabbitmq.nodeNames;
export const amqpUrl = rabbitmq.amqpUrl;
export const amqpUrls = rabbitmq.amqpUrls;
export const managementUrl = rabbitmq.managementUrl;
export const username = rabbitmq.username;
export const password = rabbitmq.password;
